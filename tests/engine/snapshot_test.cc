// Engine snapshots: what Save writes, Load gives back, exactly; and a
// damaged snapshot is refused, never half-loaded into a running engine.
#include <gtest/gtest.h>

#include "codec/order_codec.h"
#include "engine/engine.h"
#include "testing/builders.h"
#include "testing/test_keys.h"

namespace orderhub::engine {
namespace {

using namespace orderhub::testing;

std::string Snapshot(const Engine& e) {
  std::string bytes;
  e.Save([&](std::string_view s) { bytes.append(s); });
  return bytes;
}

std::string Doc(const Engine& e, const std::string& id) {
  std::string doc;
  JsonWriter w(&doc);
  codec::WriteOrder(*e.FindOrder("t1", id), w);
  return doc;
}

CreateOrder WithDetails(CreateOrder c) {
  c.order.ship_to.detail = "浦东新区世纪大道1号";
  c.order.ship_to.phone = "13800138000";
  c.order.attributes = R"({"vip":true})";
  codec::EncodeDetails(c, TestKeys());
  return c;
}

class SnapshotTest : public ::testing::Test {
 protected:
  SnapshotTest() : lifecycles_(ShippedLifecycles()), a_(&lifecycles_) {
    for (CommandBody c : std::vector<CommandBody>{Node("WH1"), Node("WH2"), Sku("A"), Sku("B"), Stock("A", "WH1", 10),
                                                  Stock("B", "WH2", 5), Stock("A", "WH2", 3)}) {
      EXPECT_TRUE(a_.Apply(At(kT0, std::move(c)), nullptr).status.ok());
    }
    Run(a_, At(kT0 + 1, WithDetails(Order("O1", "c1", {{"A", 2}, {"B", 1}}))));
    Run(a_, At(kT0 + 2, WithDetails(Order("O2", "c2", {{"A", 1}}, /*paid=*/false))));  // expires later
    Run(a_, At(kT0 + 3, WithDetails(Order("O3", "c3", {{"B", 2}}))));
    for (const char* e : {"confirm", "allocate", "release_to_warehouse", "pick", "ship"}) {
      FireEvent f = Fire("O3", e);
      f.carrier = "SF";
      f.tracking_number = "SF123";
      Run(a_, At(kT0 + 4, f));
    }
    CreateOrder keyed = WithDetails(Order("O4", "c4", {{"A", 1}}));
    keyed.idempotency_key = "k1";
    keyed.request_hash = "h1";
    Run(a_, At(kT0 + 5, keyed));
  }
  static void Run(Engine& e, const Command& c) { ASSERT_TRUE(e.Apply(c, nullptr).status.ok()); }

  lifecycle::LifecycleSet lifecycles_;
  Engine a_;
};

TEST_F(SnapshotTest, LoadGivesBackEveryOrderStockLevelAndCount) {
  Engine b(&lifecycles_);
  ASSERT_TRUE(b.Load(Snapshot(a_)).ok());
  for (const char* id : {"O1", "O2", "O3", "O4"}) EXPECT_EQ(Doc(b, id), Doc(a_, id)) << id;
  EXPECT_EQ(b.FindOrder("t1", "O3")->shipments().size(), 1u);
  for (const char* sku : {"A", "B"}) {
    for (const char* node : {"WH1", "WH2"}) {
      const model::StockLevel* x = a_.Stock("t1", sku, node);
      const model::StockLevel* y = b.Stock("t1", sku, node);
      ASSERT_EQ(x == nullptr, y == nullptr);
      if (x != nullptr) {
        EXPECT_EQ(std::tie(x->on_hand, x->reserved, x->safety), std::tie(y->on_hand, y->reserved, y->safety));
      }
    }
  }
  EXPECT_EQ(b.StateCounts(), a_.StateCounts());
  EXPECT_EQ(b.NextExpiry(), a_.NextExpiry());
  EXPECT_EQ(b.MaxOrderId(), "O4");
  OrderFilter f;
  f.tenant = "t1";
  f.sku = "A";
  f.customer_id = "C1";
  EXPECT_EQ(b.FindOrders(f).orders, a_.FindOrders(f).orders);
  EXPECT_EQ(b.FindOrders(f).orders.size(), 3u);  // O1, O2, O4 hold A
  // Saving the loaded engine gives the same bytes: nothing lost in between.
  EXPECT_EQ(Snapshot(b), Snapshot(a_));
}

TEST_F(SnapshotTest, ALoadedEngineGoesOnExactlyLikeTheOriginal) {
  // Loaded in place, as a restart does: orders borrow the snapshot's bytes
  // and must copy them before their lines change, never write into them.
  const auto bytes = std::make_shared<const std::string>(Snapshot(a_));
  const std::string pristine = *bytes;
  Engine b(&lifecycles_);
  ASSERT_TRUE(b.Load(*bytes, bytes).ok());
  std::vector<Command> next;
  next.push_back(At(kT0 + 10, Order("O5", "c1", {{"A", 1}})));             // duplicate channel order id
  CreateOrder replay = Order("O6", "c6", {{"A", 1}});
  replay.idempotency_key = "k1";
  replay.request_hash = "h1";
  next.push_back(At(kT0 + 11, replay));                                     // idempotent replay of O4
  next.push_back(At(kT0 + 12, Fire("O1", "cancel")));
  next.push_back(At(kT0 + 3600 * kMicrosPerSecond, ExpireReservations{}));  // O2 expires
  next.push_back(At(kT0 + 3601 * kMicrosPerSecond, Order("O7", "c7", {{"A", 9}})));
  for (const Command& c : next) {
    const Outcome x = a_.Apply(c, nullptr);
    const Outcome y = b.Apply(c, nullptr);
    EXPECT_EQ(x.status.reason(), y.status.reason());
    EXPECT_EQ(x.order_id, y.order_id);
    EXPECT_EQ(x.replayed, y.replayed);
  }
  EXPECT_EQ(b.FindOrder("t1", "O2")->state(), "cancelled");
  EXPECT_EQ(b.FindOrder("t1", "O1")->lines()[0].reserved, 0);
  EXPECT_EQ(Snapshot(b), Snapshot(a_));
  EXPECT_EQ(*bytes, pristine);
}

TEST_F(SnapshotTest, DamagedSnapshotsAreRefusedWithoutCrashing) {
  const std::string good = Snapshot(a_);
  // Every truncation, and a flipped byte at every position, must be refused
  // or load to a consistent engine; none may crash.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    Engine b(&lifecycles_);
    EXPECT_FALSE(b.Load(std::string_view(good).substr(0, cut)).ok()) << "cut at " << cut;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    Engine b(&lifecycles_);
    if (b.Load(bad).ok()) (void)Snapshot(b);
  }
  Engine b(&lifecycles_);
  EXPECT_FALSE(b.Load(good + "x").ok());
}

TEST_F(SnapshotTest, RefusesASnapshotWrittenUnderOtherLifecycles) {
  lifecycle::LifecycleSet fewer;
  fewer.Add(std::shared_ptr<const lifecycle::Lifecycle>(lifecycles_.Find("standard"), [](const auto*) {}));
  Engine b(&fewer);
  const Status st = b.Load(Snapshot(a_));
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("lifecycles"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace orderhub::engine
