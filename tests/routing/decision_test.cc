// The per-order decision on a small network of real cities: scoring, splits,
// cut-offs, unroutable orders with reasons per line, overrides, closures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "model/order.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

Micros At(const char* rfc3339) {
  Micros t = 0;
  EXPECT_TRUE(ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

// Stock per (sku, node): a map, as the engine's pool answers it.
class MapStock final : public Stock {
 public:
  void Set(uint32_t sku, uint32_t node, int64_t units) {
    units_[{sku, node}] = units;
    std::vector<uint32_t>& h = holders_[sku];
    if (std::find(h.begin(), h.end(), node) == h.end()) h.push_back(node);
  }
  int64_t Available(uint32_t sku, uint32_t node) const override {
    auto it = units_.find({sku, node});
    return it == units_.end() ? 0 : it->second;
  }
  std::span<const uint32_t> Holders(uint32_t sku) const override {
    auto it = holders_.find(sku);
    return it == holders_.end() ? std::span<const uint32_t>() : it->second;
  }

 private:
  std::map<std::pair<uint32_t, uint32_t>, int64_t> units_;
  std::map<uint32_t, std::vector<uint32_t>> holders_;
};

Node MakeNode(const char* code, const char* region, double lat, double lng, int64_t per_order = 200) {
  Node n;
  n.code = code;
  n.region_code = region;
  n.at = {lat, lng};
  n.cost_per_order = per_order;
  n.cost_per_line = 20;
  return n;
}

enum : uint32_t { kSH, kHZ, kGZ, kBJ, kCD };
enum : uint32_t { kSkuA, kSkuB };

class DecisionTest : public ::testing::Test {
 protected:
  void SetUp() override { Rebuild({}); }
  void Rebuild(std::vector<Lane> lanes, std::vector<Node> nodes = DefaultNodes(), std::vector<Transfer> transfers = {}) {
    auto n = Network::Build(std::move(nodes), std::move(lanes), std::move(transfers));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    network_ = std::move(*n);
  }
  static std::vector<Node> DefaultNodes() {
    return {MakeNode("SH", "310115", 31.22, 121.54), MakeNode("HZ", "330106", 30.26, 120.13),
            MakeNode("GZ", "440106", 23.12, 113.36), MakeNode("BJ", "110105", 39.92, 116.44),
            MakeNode("CD", "510107", 30.64, 104.04)};
  }
  Decision Decide(const char* region, std::vector<LineRequest> lines, Micros now = At("2026-11-24T02:00:00Z"),
                  uint32_t needs = 0) {
    lines_ = std::move(lines);
    OrderRequest o = Request(region, now);
    o.needs = needs;
    o.pinned_node = pinned_;
    o.forbidden_nodes = forbidden_;
    Decider decider(&network_, &policy_);
    return decider.Decide(o, stock_);
  }
  // An order of lines_ to `region`, placed at `now`.
  OrderRequest Request(const char* region, Micros now = At("2026-11-24T02:00:00Z"), Micros promise_at = 0) {
    OrderRequest o;
    o.now = now;
    o.promise_at = promise_at;
    o.region_code = region;
    o.lines = lines_;
    return o;
  }
  // The decision's JSON once packed as the store keeps it and read back.
  std::string StoredJson(Decision d) {
    const std::vector<std::string> codes = DetachNodes(&d, network_);
    std::string packed;
    PackDecision(d, codes, &packed);
    Decision back;
    std::vector<std::string> back_codes;
    EXPECT_TRUE(UnpackDecision(packed, &back, &back_codes));
    return DecisionJson(back, back_codes);
  }
  static std::vector<uint32_t> NodesOf(const Plan& p) {
    std::vector<uint32_t> out;
    for (const Shipment& s : p.shipments) out.push_back(s.node);
    return out;
  }

  Network network_ = *Network::Build({}, {});
  Policy policy_;
  MapStock stock_;
  std::vector<LineRequest> lines_;
  uint32_t pinned_ = kNoNode;
  std::vector<uint32_t> forbidden_;
};

TEST_F(DecisionTest, TheNearNodeWinsAndTheFarOneIsAnAlternativeThatSaysWhy) {
  stock_.Set(kSkuA, kSH, 10);
  stock_.Set(kSkuA, kGZ, 10);
  Decision d = Decide("310104", {{kSkuA, 1, 800}});
  ASSERT_TRUE(d.routable());
  ASSERT_EQ(d.plans.size(), 2u);
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kSH});
  EXPECT_EQ(NodesOf(d.plans[1]), std::vector<uint32_t>{kGZ});
  EXPECT_LT(d.plans[0].score, d.plans[1].score);
  EXPECT_LT(d.plans[0].cost, d.plans[1].cost);
  EXPECT_LT(d.plans[0].eta_p50, d.plans[1].eta_p50);
  EXPECT_LT(d.plans[0].shipments[0].distance_km, 60);
  EXPECT_GT(d.plans[1].shipments[0].distance_km, 1200);
  EXPECT_GT(d.plans[0].p_on_time, 0.9);
  EXPECT_GT(d.plans[1].carbon_kg, d.plans[0].carbon_kg);
  ASSERT_FALSE(Reasons(d, 0).empty());
  EXPECT_NE(Reasons(d, 0)[0].find("lowest score"), std::string::npos);
  ASSERT_GE(Reasons(d, 1).size(), 2u);
  EXPECT_NE(Reasons(d, 1)[0].find("above the chosen plan"), std::string::npos);
  // The score is its parts: shipping + handling, lateness, time, carbon, load.
  const Plan& p = d.plans[0];
  EXPECT_DOUBLE_EQ(p.score, p.parts.cost + p.parts.lateness + p.parts.time + p.parts.carbon + p.parts.load);
  EXPECT_EQ(p.cost, p.shipments[0].shipping + p.shipments[0].handling);
  EXPECT_EQ(p.shipments[0].handling, 200 + 20);
}

TEST_F(DecisionTest, HandlingCostCanOutweighDistance) {
  std::vector<Node> nodes = DefaultNodes();
  nodes[kSH].cost_per_order = 5000;  // a store: picking there is dear
  Rebuild({}, nodes);
  stock_.Set(kSkuA, kSH, 10);
  stock_.Set(kSkuA, kHZ, 10);
  Decision d = Decide("310104", {{kSkuA, 1}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kHZ});
}

TEST_F(DecisionTest, LinesNoNodeHoldsTogetherAreSplitUnlessThePolicyForbidsIt) {
  stock_.Set(kSkuA, kSH, 10);
  stock_.Set(kSkuB, kHZ, 10);
  Decision d = Decide("310104", {{kSkuA, 1}, {kSkuB, 2}});
  ASSERT_TRUE(d.routable());
  ASSERT_EQ(d.plans[0].shipments.size(), 2u);
  EXPECT_EQ(d.plans[0].shipments[0].lines, std::vector<uint32_t>{0});
  EXPECT_EQ(d.plans[0].shipments[1].lines, std::vector<uint32_t>{1});
  EXPECT_EQ(d.plans[0].cost, d.plans[0].shipments[0].shipping + d.plans[0].shipments[0].handling +
                                 d.plans[0].shipments[1].shipping + d.plans[0].shipments[1].handling +
                                 policy_.split_penalty);
  // Every parcel must be on time for the order to be.
  EXPECT_DOUBLE_EQ(d.plans[0].p_on_time, d.plans[0].shipments[0].p_on_time * d.plans[0].shipments[1].p_on_time);

  policy_.max_shipments = 1;
  d = Decide("310104", {{kSkuA, 1}, {kSkuB, 2}});
  EXPECT_FALSE(d.routable());
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_EQ(d.problems[0].reason, "no_single_plan");
}

TEST_F(DecisionTest, TheSplitPenaltyDecidesBetweenOneFarParcelAndTwoNearOnes) {
  stock_.Set(kSkuA, kGZ, 10);
  stock_.Set(kSkuB, kGZ, 10);
  stock_.Set(kSkuA, kSH, 10);
  stock_.Set(kSkuB, kHZ, 10);
  policy_.split_penalty = 0;
  Decision d = Decide("310104", {{kSkuA, 1}, {kSkuB, 1}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), (std::vector<uint32_t>{kSH, kHZ}));
  policy_.split_penalty = 100'000;
  d = Decide("310104", {{kSkuA, 1}, {kSkuB, 1}});
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kGZ});
  // The alternative that splits says so.
  bool told = false;
  for (size_t i = 1; i < d.plans.size(); ++i) {
    for (const std::string& r : Reasons(d, i)) told |= r.find("split penalty") != std::string::npos;
  }
  EXPECT_TRUE(told);
}

TEST_F(DecisionTest, AnOrderAfterTheCutOffIsPickedUpTomorrow) {
  stock_.Set(kSkuA, kBJ, 10);
  // 10:00 in Beijing: today's 16:00 pickup; 17:00: tomorrow's.
  Decision morning = Decide("110101", {{kSkuA, 1}}, At("2026-11-24T02:00:00Z"));
  Decision evening = Decide("110101", {{kSkuA, 1}}, At("2026-11-24T09:00:00Z"));
  ASSERT_TRUE(morning.routable() && evening.routable());
  EXPECT_EQ(morning.plans[0].shipments[0].pickup_at, At("2026-11-24T08:00:00Z"));
  EXPECT_EQ(evening.plans[0].shipments[0].pickup_at, At("2026-11-25T08:00:00Z"));
  EXPECT_EQ(evening.plans[0].eta_p50 - morning.plans[0].eta_p50, 24 * 3600 * kMicrosPerSecond);
  EXPECT_GT(morning.plans[0].eta_p90, morning.plans[0].eta_p50);
  // Against a tight promise the late pickup makes the order less likely on time.
  lines_ = {{kSkuA, 1}};
  OrderRequest o = Request("110101", At("2026-11-24T02:00:00Z"), At("2026-11-25T12:00:00Z"));
  Decider decider(&network_, &policy_);
  const double early = decider.Decide(o, stock_).plans[0].p_on_time;
  o.now = At("2026-11-24T09:00:00Z");
  const double late = decider.Decide(o, stock_).plans[0].p_on_time;
  EXPECT_GT(early, 0.8);
  EXPECT_LT(late, 0.2);
}

TEST_F(DecisionTest, AnUnroutableOrderSaysWhyPerLine) {
  std::vector<Node> nodes = DefaultNodes();
  nodes[kBJ].status = NodeStatus::kDown;
  nodes[kCD].capacity_orders = 100;
  nodes[kCD].load_orders = 100;
  Rebuild({}, nodes);
  stock_.Set(0, kBJ, 5);   // line 0: only at a node that is down
  stock_.Set(1, kCD, 5);   // line 1: only at a full node
                           // line 2: nowhere
  stock_.Set(3, kSH, 1);   // line 3: not enough anywhere
  Decision d = Decide("310104", {{0, 1}, {1, 1}, {2, 1}, {3, 2}});
  ASSERT_FALSE(d.routable());
  ASSERT_EQ(d.problems.size(), 4u);
  EXPECT_EQ(d.problems[0].reason, "nodes_down");
  EXPECT_EQ(d.problems[1].reason, "capacity_full");
  EXPECT_EQ(d.problems[2].reason, "no_stock");
  EXPECT_EQ(d.problems[3].reason, "no_stock");
  EXPECT_EQ(d.problems[3].line, 3u);
}

// What the store keeps of a decision (its values, packed) renders as the
// decision did when it was made, split or unroutable; anything else is refused.
TEST_F(DecisionTest, APackedDecisionRendersAsTheDecisionDid) {
  stock_.Set(kSkuA, kSH, 10);
  stock_.Set(kSkuB, kHZ, 10);
  stock_.Set(kSkuA, kGZ, 10);
  stock_.Set(kSkuB, kGZ, 10);
  std::vector<Decision> decisions = {Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}),
                                     Decide("310104", {{kSkuA, 1}, {kSkuB, 1}, {7, 1}})};
  ASSERT_TRUE(decisions[0].routable());
  ASSERT_GE(decisions[0].plans.size(), 2u);
  ASSERT_FALSE(decisions[1].routable());
  for (Decision& d : decisions) {
    const std::string json = DecisionJson(d, network_);
    const std::vector<std::string> codes = DetachNodes(&d, network_);
    std::string packed;
    PackDecision(d, codes, &packed);
    if (d.routable()) {
      EXPECT_LT(packed.size(), json.size() / 3) << json;
    }
    Decision back;
    std::vector<std::string> back_codes;
    ASSERT_TRUE(UnpackDecision(packed, &back, &back_codes));
    EXPECT_EQ(back_codes, codes);
    EXPECT_EQ(DecisionJson(back, back_codes), json);
    // Truncated anywhere, or with a byte more, it is not a decision.
    for (size_t n = 0; n < packed.size(); ++n) {
      EXPECT_FALSE(UnpackDecision(std::string_view(packed).substr(0, n), &back, &back_codes)) << n;
    }
    EXPECT_FALSE(UnpackDecision(packed + '\0', &back, &back_codes));
  }
  Decision d;
  std::vector<std::string> codes;
  EXPECT_FALSE(UnpackDecision("{\"routable\":true}", &d, &codes));
}

// A line the near node lacks is brought there by transfer, and the order
// ships as one parcel instead of two, later by the transfer's hours.
TEST_F(DecisionTest, ATransferSavesASplitWhenItCostsLess) {
  stock_.Set(kSkuA, kSH, 10);
  stock_.Set(kSkuB, kBJ, 10);
  const Decision split = Decide("310104", {{kSkuA, 1}, {kSkuB, 2}});
  ASSERT_TRUE(split.routable());
  ASSERT_EQ(split.plans[0].shipments.size(), 2u);

  Rebuild({}, DefaultNodes(), {Transfer{"BJ", "SH", 12, 200, 10, {}}});
  Decision d = Decide("310104", {{kSkuA, 1}, {kSkuB, 2}});
  ASSERT_TRUE(d.routable());
  const Plan& p = d.plans[0];
  ASSERT_EQ(p.shipments.size(), 1u);
  const Shipment& s = p.shipments[0];
  EXPECT_EQ(s.node, kSH);
  EXPECT_EQ(s.lines, (std::vector<uint32_t>{0, 1}));
  ASSERT_EQ(s.transfers.size(), 1u);
  EXPECT_EQ(s.transfers[0].line, 1u);
  EXPECT_EQ(s.transfers[0].from, kBJ);
  EXPECT_EQ(s.transfer_cost, 200 + 2 * 10);
  EXPECT_EQ(p.cost, s.shipping + s.handling + s.transfer_cost);
  EXPECT_GE(s.pickup_at, At("2026-11-24T02:00:00Z") + 12 * 3600 * kMicrosPerSecond);
  EXPECT_LT(p.cost, split.plans[0].cost);
  // The split stays an alternative, and the reasons say what happened.
  EXPECT_TRUE(std::any_of(d.plans.begin() + 1, d.plans.end(), [](const Plan& q) { return q.shipments.size() == 2; }));
  EXPECT_NE(Reasons(d, 0)[1].find("brought in by transfer first (12 h"), std::string::npos) << Reasons(d, 0)[1];
  // Kept and read back with its transfer.
  const std::string json = DecisionJson(d, network_);
  EXPECT_NE(json.find(R"("transfers":[{"line":1,"from":"BJ","hours":12}],"transfer_cost":220)"), std::string::npos)
      << json;
  EXPECT_EQ(StoredJson(d), json);

  // A closed road it passes, or a closed region at either end, closes it.
  Rebuild({}, DefaultNodes(), {Transfer{"BJ", "SH", 12, 200, 10, {"G2"}}});
  EXPECT_EQ(Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}).plans[0].shipments.size(), 1u);
  network_.Close("G2");
  EXPECT_EQ(Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}).plans[0].shipments.size(), 2u);
  network_.Reopen("G2");
  network_.Close("11");  // Beijing: the transfer starts there (the split's Beijing parcel too)
  EXPECT_FALSE(Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}).routable());
  network_.Reopen("11");
  EXPECT_EQ(Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}).plans[0].shipments.size(), 1u);

  // Two chains from Beijing: through Hangzhou (6 h, over the G2) or direct
  // (12 h). The faster serves until the G2 closes; then the other.
  Rebuild({}, DefaultNodes(),
          {Transfer{"BJ", "HZ", 4, 100, 5, {"G2"}}, Transfer{"HZ", "SH", 2, 100, 5, {}},
           Transfer{"BJ", "SH", 12, 100, 5, {}}});
  ASSERT_EQ(network_.SuppliersOf(kSH).size(), 3u);  // HZ, BJ by HZ, BJ direct
  auto leg_hours = [&] {
    const Decision x = Decide("310104", {{kSkuA, 1}, {kSkuB, 2}});
    const Shipment& s = x.plans[0].shipments[0];
    return x.plans[0].shipments.size() == 1 && s.transfers.size() == 1 ? s.transfers[0].hours : -1.0;
  };
  EXPECT_DOUBLE_EQ(leg_hours(), 6);
  network_.Close("G2");
  EXPECT_DOUBLE_EQ(leg_hours(), 12);
  network_.Reopen("G2");

  // A transfer that costs more than the split it saves is not chosen.
  Rebuild({}, DefaultNodes(), {Transfer{"BJ", "SH", 12, 500000, 10, {}}});
  EXPECT_EQ(Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}).plans[0].shipments.size(), 2u);
  // An order pinned to a node ships from it: what it lacks comes by transfer.
  Rebuild({}, DefaultNodes(), {Transfer{"BJ", "SH", 12, 200, 10, {}}});
  pinned_ = kSH;
  d = Decide("310104", {{kSkuA, 1}, {kSkuB, 2}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kSH});
  ASSERT_EQ(d.plans[0].shipments[0].transfers.size(), 1u);
  EXPECT_EQ(d.plans[0].shipments[0].transfers[0].from, kBJ);
  // Pinned to a node nothing is transferred to: nothing serves the order.
  pinned_ = kHZ;
  EXPECT_FALSE(Decide("310104", {{kSkuA, 1}, {kSkuB, 2}}).routable());
  // Lines pinned one by one get no transfer: such a pin names where the units are.
  pinned_ = kNoNode;
  lines_ = {{kSkuA, 1}, {kSkuB, 2}};
  const std::vector<uint32_t> line_pins = {kSH, kSH};
  OrderRequest o = Request("310104");
  o.line_nodes = line_pins;
  EXPECT_FALSE(Decider(&network_, &policy_).Decide(o, stock_).routable());
}

TEST_F(DecisionTest, CapabilitiesAndClosedRegionsRuleNodesOut) {
  std::vector<Node> nodes = DefaultNodes();
  nodes[kGZ].capabilities = model::kColdChain;
  Rebuild({}, nodes);
  stock_.Set(kSkuA, kSH, 5);
  stock_.Set(kSkuB, kGZ, 5);
  Decision d = Decide("310104", {{kSkuA, 1}}, At("2026-11-24T02:00:00Z"), model::kColdChain);
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "no_capability");
  d = Decide("310104", {{kSkuB, 1}}, At("2026-11-24T02:00:00Z"), model::kColdChain);
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kGZ});

  network_.Close("44");  // Guangdong's roads are closed
  d = Decide("310104", {{kSkuB, 1}});
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "lanes_closed");
  network_.Reopen("44");
  EXPECT_TRUE(Decide("310104", {{kSkuB, 1}}).routable());
}

TEST_F(DecisionTest, ExplicitLanesAreUsedAndARoadClosureClosesThem) {
  Lane sf;
  sf.origin = "GZ";
  sf.destination = "31";
  sf.carrier = "SF";
  sf.level = ServiceLevel::kExpress;
  sf.rate.first_weight_price = 900;
  sf.rate.additional_per_kg = 400;
  sf.transit = {30, 5};
  sf.via = {"G15", "35"};
  Rebuild({sf});
  stock_.Set(kSkuA, kGZ, 5);
  stock_.Set(kSkuA, kCD, 5);
  Decision d = Decide("310104", {{kSkuA, 1, 1500}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kGZ});
  EXPECT_EQ(d.plans[0].shipments[0].carrier, "SF");
  EXPECT_EQ(d.plans[0].shipments[0].level, ServiceLevel::kExpress);
  EXPECT_EQ(d.plans[0].shipments[0].shipping, 900 + 400);
  network_.Close("G15");  // "expressway closed by rainstorm"
  d = Decide("310104", {{kSkuA, 1, 1500}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kCD});
  network_.Reopen("G15");
  network_.Close("3501");  // a city inside a province the lane passes: the lane names only the province
  EXPECT_EQ(NodesOf(Decide("310104", {{kSkuA, 1, 1500}}).plans[0]), std::vector<uint32_t>{kGZ});
  network_.Close("35");
  EXPECT_EQ(NodesOf(Decide("310104", {{kSkuA, 1, 1500}}).plans[0]), std::vector<uint32_t>{kCD});
}

TEST_F(DecisionTest, PinnedAndForbiddenNodesAreRespected) {
  stock_.Set(kSkuA, kSH, 5);
  stock_.Set(kSkuA, kHZ, 5);
  stock_.Set(kSkuA, kGZ, 5);
  forbidden_ = {kSH};
  Decision d = Decide("310104", {{kSkuA, 1}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kHZ});
  for (const Plan& p : d.plans) EXPECT_NE(NodesOf(p), std::vector<uint32_t>{kSH});
  forbidden_.clear();
  pinned_ = kGZ;
  d = Decide("310104", {{kSkuA, 1}});
  ASSERT_EQ(d.plans.size(), 1u);
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kGZ});
  pinned_ = kBJ;  // pinned where there is no stock
  d = Decide("310104", {{kSkuA, 1}});
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "overridden");
}

TEST_F(DecisionTest, TwoLinesOfOneSkuNeedTheirSumAtOneNode) {
  stock_.Set(kSkuA, kSH, 3);
  stock_.Set(kSkuA, kGZ, 10);
  policy_.max_shipments = 1;
  Decision d = Decide("310104", {{kSkuA, 2}, {kSkuA, 2}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kGZ});
}

// A line no node can fill alone takes its units from several; never when
// one node can, and never beyond the policy's parcels or the stock in reach.
TEST_F(DecisionTest, ALineNoNodeCanFillAloneTakesItsUnitsFromSeveral) {
  stock_.Set(kSkuA, kSH, 6);
  stock_.Set(kSkuA, kHZ, 5);
  stock_.Set(kSkuA, kGZ, 3);
  Decision d = Decide("310104", {{kSkuA, 10}});
  ASSERT_TRUE(d.routable());
  const Plan& p = d.plans[0];
  ASSERT_EQ(p.shipments.size(), 2u);
  EXPECT_EQ(NodesOf(p), (std::vector<uint32_t>{kSH, kHZ}));
  EXPECT_EQ(p.shipments[0].lines, std::vector<uint32_t>{0});
  EXPECT_EQ(p.shipments[0].quantities, std::vector<int64_t>{6});
  EXPECT_EQ(p.shipments[1].quantities, std::vector<int64_t>{4});
  EXPECT_EQ(p.cost, p.shipments[0].shipping + p.shipments[0].handling + p.shipments[1].shipping +
                        p.shipments[1].handling + policy_.split_penalty);
  EXPECT_NE(Reasons(d, 0)[1].find("line 0 split between 2 nodes"), std::string::npos) << Reasons(d, 0)[1];
  // A parcel is priced by what it carries: Shanghai's six units as an order of six.
  const Decision six = Decide("310104", {{kSkuA, 6, 2000}});
  const Decision ten = Decide("310104", {{kSkuA, 10, 2000}});
  ASSERT_TRUE(six.routable() && ten.routable());
  EXPECT_EQ(NodesOf(six.plans[0]), std::vector<uint32_t>{kSH});
  EXPECT_EQ(ten.plans[0].shipments[0].shipping, six.plans[0].shipments[0].shipping);
  // Kept and read back with its units.
  const std::string json = DecisionJson(d, network_);
  EXPECT_NE(json.find(R"("node":"SH","lines":[0],"quantities":[6])"), std::string::npos) << json;
  EXPECT_EQ(StoredJson(d), json);

  // Another line rides in a parcel the split ships anyway.
  stock_.Set(kSkuB, kHZ, 1);
  stock_.Set(kSkuB, kBJ, 1);
  d = Decide("310104", {{kSkuA, 10}, {kSkuB, 1}});
  ASSERT_TRUE(d.routable());
  ASSERT_EQ(d.plans[0].shipments.size(), 2u);
  const Shipment& hz = d.plans[0].shipments[1];
  EXPECT_EQ(hz.node, kHZ);
  EXPECT_EQ(hz.lines, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(hz.quantities, (std::vector<int64_t>{4, 1}));
  // Forbidden nodes give nothing; the rest comes from further away.
  forbidden_ = {kHZ};
  stock_.Set(kSkuA, kGZ, 4);
  d = Decide("310104", {{kSkuA, 10}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), (std::vector<uint32_t>{kSH, kGZ}));
  forbidden_.clear();

  // One node that holds it all: no split, however far.
  stock_.Set(kSkuA, kCD, 10);
  d = Decide("310104", {{kSkuA, 10}});
  ASSERT_TRUE(d.routable());
  EXPECT_EQ(NodesOf(d.plans[0]), std::vector<uint32_t>{kCD});
  EXPECT_TRUE(d.plans[0].shipments[0].quantities.empty());
  stock_.Set(kSkuA, kCD, 0);
  // Not enough in reach, or more parcels than the policy allows: unroutable.
  d = Decide("310104", {{kSkuA, 16}});
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "no_stock");
  policy_.max_shipments = 2;
  EXPECT_TRUE(Decide("310104", {{kSkuA, 10}}).routable());
  EXPECT_FALSE(Decide("310104", {{kSkuA, 14}}).routable());  // SH 6 + HZ 5 + GZ 4: three parcels
  policy_.max_shipments = 3;
  EXPECT_TRUE(Decide("310104", {{kSkuA, 14}}).routable());
  // An order pinned to one node cannot split.
  pinned_ = kSH;
  EXPECT_FALSE(Decide("310104", {{kSkuA, 10}}).routable());
}

// The odds of the promise follow the lane's transit distribution: the
// parcel handed over by the cut-off as often as the node manages (its
// on-time rate), then a normal transit time; else a day later.
TEST_F(DecisionTest, OnTimeOddsFollowTheTransitDistribution) {
  Lane lane;
  lane.origin = "SH";
  lane.destination = "31";
  lane.level = ServiceLevel::kExpress;
  lane.rate.first_weight_price = 1000;
  lane.transit = {20, 6};
  Rebuild({lane});
  stock_.Set(kSkuA, kSH, 5);
  lines_ = {{kSkuA, 1}};
  auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  for (int promise_hours : {22, 30, 40, 60, 90}) {
    const Micros now = At("2026-11-24T02:00:00Z");
    const OrderRequest o = Request("310104", now, now + promise_hours * 3600 * kMicrosPerSecond);
    Decider decider(&network_, &policy_);
    const Decision d = decider.Decide(o, stock_);
    ASSERT_TRUE(d.routable());
    const Shipment& s = d.plans[0].shipments[0];
    const double slack = static_cast<double>(o.promise_at - s.pickup_at) / (3600.0 * kMicrosPerSecond) - 20;
    EXPECT_NEAR(s.p_on_time, 0.97 * phi(slack / 6) + 0.03 * phi((slack - 24) / 6), 1e-6) << promise_hours;
  }
}

TEST_F(DecisionTest, ADegradedNodeIsLessLikelyOnTimeAndTheSameInputGivesTheSamePlan) {
  stock_.Set(kSkuA, kSH, 5);
  const Decision a = Decide("310104", {{kSkuA, 1}});
  const Decision b = Decide("310104", {{kSkuA, 1}});
  ASSERT_TRUE(a.routable());
  EXPECT_EQ(a.plans[0].score, b.plans[0].score);
  EXPECT_EQ(Reasons(a, 0), Reasons(b, 0));
  ASSERT_TRUE(network_.SetStatus("SH", NodeStatus::kDegraded).ok());
  lines_ = {{kSkuA, 1}};
  const OrderRequest o = Request("310104", At("2026-11-24T02:00:00Z"), At("2026-11-25T12:00:00Z"));
  Decider decider(&network_, &policy_);
  const double degraded = decider.Decide(o, stock_).plans[0].p_on_time;
  ASSERT_TRUE(network_.SetStatus("SH", NodeStatus::kUp).ok());
  const double up = decider.Decide(o, stock_).plans[0].p_on_time;
  EXPECT_LT(degraded, up);
}

TEST_F(DecisionTest, AnUnknownDestinationIsRefused) {
  stock_.Set(kSkuA, kSH, 5);
  Decision d = Decide("999999", {{kSkuA, 1}});
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "unknown_destination");
}


TEST_F(DecisionTest, PinnedLinesShipFromTheirNodeAndTheRestIsPlannedAroundThem) {
  for (uint32_t n : {kSH, kHZ, kGZ}) {
    stock_.Set(kSkuA, n, 5);
    stock_.Set(kSkuB, n, 5);
  }
  std::vector<uint32_t> pins = {kGZ, kNoNode};  // line 0 must ship from Guangzhou
  lines_ = {{kSkuA, 1}, {kSkuB, 1}};
  OrderRequest o = Request("310104");
  o.line_nodes = pins;
  Decider decider(&network_, &policy_);
  Decision d = decider.Decide(o, stock_);
  ASSERT_TRUE(d.routable());
  for (const Plan& p : d.plans) {
    bool line0_from_gz = false;
    for (const Shipment& s : p.shipments) {
      for (uint32_t l : s.lines) line0_from_gz |= l == 0 && s.node == kGZ;
    }
    EXPECT_TRUE(line0_from_gz);
  }
  // The free line rides along from Guangzhou or ships from near Shanghai, whichever scores better.
  EXPECT_LE(d.plans[0].shipments.size(), 2u);
  pins = {kGZ, kSH};  // every line pinned: the plan is exactly that assignment
  d = decider.Decide(o, stock_);
  ASSERT_TRUE(d.routable());
  ASSERT_EQ(d.plans[0].shipments.size(), 2u);
  EXPECT_EQ(NodesOf(d.plans[0]), (std::vector<uint32_t>{kGZ, kSH}));
  pins = {kBJ, kNoNode};  // pinned where there is no stock
  d = decider.Decide(o, stock_);
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "overridden");
}


TEST_F(DecisionTest, ANodeFullOnLinesIsCapacityFullAndEmptyOrdersAreRefused) {
  std::vector<Node> nodes = DefaultNodes();
  nodes[kSH].capacity_lines = 10;
  nodes[kSH].load_lines = 10;
  Rebuild({}, nodes);
  stock_.Set(kSkuA, kSH, 5);
  Decision d = Decide("310104", {{kSkuA, 1}});
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "capacity_full");
  d = Decide("310104", {});
  ASSERT_FALSE(d.routable());
  EXPECT_EQ(d.problems[0].reason, "no_lines");
}

TEST_F(DecisionTest, CountiesUnderAProvinceAreRankedFromTheirOwnPlace) {
  // 469002 (Qionghai) and 469007 (Dongfang) have no prefecture of their own:
  // a decider that saw one first must decide the other as a fresh one does.
  std::vector<Node> nodes = DefaultNodes();
  nodes.push_back(MakeNode("EAST", "469002", 19.30, 110.60));  // 5: by Qionghai
  nodes.push_back(MakeNode("WEST", "469007", 19.10, 108.55));  // 6: by Dongfang
  Rebuild({}, nodes);
  Policy one;
  one.candidates = 1;  // only the nearest holder is scored
  stock_.Set(kSkuA, 5, 5);
  stock_.Set(kSkuA, 6, 5);
  lines_ = {{kSkuA, 1}};
  Decider used(&network_, &one), fresh(&network_, &one);
  used.Decide(Request("469002"), stock_);
  const OrderRequest o = Request("469007");
  EXPECT_EQ(NodesOf(fresh.Decide(o, stock_).plans[0]), std::vector<uint32_t>{6});
  EXPECT_EQ(NodesOf(used.Decide(o, stock_).plans[0]), std::vector<uint32_t>{6});
}

TEST(RateCard, AbsurdWeightsPriceHighWithoutOverflowing) {
  RateCard r;
  r.additional_per_kg = 1'000'000'000;
  EXPECT_EQ(r.PriceOf(10'000'000'000'000), 1'000'000'000'000'000);
  r.first_weight_price = 500;
  EXPECT_EQ(RateCard{}.PriceOf(0), 0);
  EXPECT_EQ(r.PriceOf(1000), 500);
  EXPECT_EQ(r.PriceOf(1001), 500 + 1'000'000'000);
}

}  // namespace
}  // namespace orderhub::routing
