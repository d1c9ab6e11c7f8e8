#include "engine/inventory_pool.h"

#include <gtest/gtest.h>

namespace orderhub::engine {
namespace {

// A sku stocked at many nodes switches from scanning to a position map; every
// level must stay reachable, in first-seen order, across that switch.
TEST(InventoryPoolTest, LevelsStayReachableWhenASkuIsHeldAtManyNodes) {
  InventoryPool pool;
  constexpr model::NodeIndex kNodes = 40;
  for (model::NodeIndex n = 0; n < kNodes; ++n) {
    const model::NodeIndex node = (n * 7) % kNodes;  // not in index order
    ASSERT_TRUE(pool.CheckSet(3, node, 100 + node, node % 3).ok());
    pool.Set(3, node, 100 + node, node % 3);
  }
  ASSERT_EQ(pool.NodesOf(3).size(), kNodes);
  EXPECT_EQ(pool.NodesOf(3)[1], 7u);
  int64_t total = 0;
  for (model::NodeIndex n = 0; n < kNodes; ++n) {
    const model::StockLevel* l = pool.Find(3, n);
    ASSERT_NE(l, nullptr) << "node " << n;
    EXPECT_EQ(l->on_hand, 100 + n);
    EXPECT_EQ(pool.Available(3, n), 100 + n - n % 3);
    total += 100 + n - n % 3;
  }
  EXPECT_EQ(pool.AvailableEverywhere(3), total);
  EXPECT_EQ(pool.Find(3, kNodes), nullptr);
  EXPECT_EQ(pool.Find(2, 0), nullptr);
  EXPECT_EQ(pool.Find(99, 0), nullptr);
  pool.Reserve(3, 39, 10);
  EXPECT_EQ(pool.Find(3, 39)->reserved, 10);
  EXPECT_EQ(pool.Available(3, 39), 100 + 39 - 0 - 10);
}

TEST(InventoryPoolTest, ReservationsNeverTakeMoreThanAvailable) {
  InventoryPool pool;
  pool.Set(0, 0, 5, 2);
  EXPECT_EQ(pool.Available(0, 0), 3);
  pool.Reserve(0, 0, 3);
  EXPECT_EQ(pool.Available(0, 0), 0);
  // on_hand cannot drop below what is reserved.
  EXPECT_FALSE(pool.CheckSet(0, 0, 2, 0).ok());
  EXPECT_FALSE(pool.CheckAdjust(0, 0, -3).ok());
  pool.Consume(0, 0, 3);
  EXPECT_EQ(pool.Find(0, 0)->on_hand, 2);
  EXPECT_EQ(pool.Find(0, 0)->reserved, 0);
}

}  // namespace
}  // namespace orderhub::engine
