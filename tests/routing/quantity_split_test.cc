// Quantity splits: which nodes give how many units when no node can fill a
// line alone (the decider scores what these fills propose).
#include <gtest/gtest.h>

#include "routing/quantity_split.h"

namespace orderhub::routing {
namespace {

std::vector<std::pair<uint32_t, std::vector<int64_t>>> Parcels(const std::vector<SplitParcel>& ps, size_t lines) {
  std::vector<std::pair<uint32_t, std::vector<int64_t>>> out;
  for (const SplitParcel& p : ps) out.emplace_back(p.node, std::vector<int64_t>(p.units.begin(), p.units.begin() + lines));
  return out;
}

using Want = std::vector<std::pair<uint32_t, std::vector<int64_t>>>;

TEST(FillQuantities, EachOrderOfPreferenceFillsTheLineItsWay) {
  // node, available, rank (0 nearest), score of the line's own parcel
  const std::vector<SplitNode> nodes = {{1, 3, 0, 900}, {2, 8, 2, 500}, {3, 5, 1, 700}};
  const std::vector<SplitLine> lines = {{7, 10, nodes}};
  std::vector<SplitParcel> out;
  ASSERT_TRUE(FillQuantities(lines, 3, FillOrder::kMostUnits, &out));
  EXPECT_EQ(Parcels(out, 1), (Want{{2, {8}}, {3, {2}}}));
  ASSERT_TRUE(FillQuantities(lines, 3, FillOrder::kNearest, &out));
  EXPECT_EQ(Parcels(out, 1), (Want{{1, {3}}, {3, {5}}, {2, {2}}}));
  ASSERT_TRUE(FillQuantities(lines, 3, FillOrder::kCheapest, &out));
  EXPECT_EQ(Parcels(out, 1), (Want{{2, {8}}, {3, {2}}}));
  // Nearest first needs three parcels: not within two.
  EXPECT_FALSE(FillQuantities(lines, 2, FillOrder::kNearest, &out));
  EXPECT_TRUE(FillQuantities(lines, 2, FillOrder::kMostUnits, &out));
  // 17 units are more than the 16 the nodes hold.
  const std::vector<SplitLine> too_many = {{7, 17, nodes}};
  EXPECT_FALSE(FillQuantities(too_many, 8, FillOrder::kMostUnits, &out));
}

TEST(FillQuantities, OtherLinesJoinTheSplitsParcelsAndLinesOfOneSkuShareUnits) {
  const std::vector<SplitNode> a = {{1, 6, 0, 100}, {2, 5, 1, 200}};
  const std::vector<SplitNode> b = {{2, 1, 1, 200}, {4, 9, 0, 50}};  // nearer and cheaper alone, yet a parcel more
  std::vector<SplitParcel> out;
  // Line 1 fills alone, so line 0 goes first; line 1 then rides with node 2.
  const std::vector<SplitLine> lines = {{7, 1, b}, {8, 10, a}};
  ASSERT_TRUE(FillQuantities(lines, 3, FillOrder::kNearest, &out));
  EXPECT_EQ(Parcels(out, 2), (Want{{1, {0, 6}}, {2, {1, 4}}}));
  // Two lines of one sku: node 1's six units are counted once.
  const std::vector<SplitLine> same = {{7, 4, a}, {7, 7, a}};
  ASSERT_TRUE(FillQuantities(same, 3, FillOrder::kNearest, &out));
  EXPECT_EQ(Parcels(out, 2), (Want{{1, {0, 6}}, {2, {4, 1}}}));
  const std::vector<SplitLine> short_of_one = {{7, 5, a}, {7, 7, a}};
  EXPECT_FALSE(FillQuantities(short_of_one, 3, FillOrder::kMostUnits, &out));
}

}  // namespace
}  // namespace orderhub::routing
