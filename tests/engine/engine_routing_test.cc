// The engine routing its orders with the tenant's network: choices, splits,
// disruptions, re-routes with overrides, quotes, capacity, and that routing
// state survives a snapshot.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "testing/builders.h"

namespace orderhub::engine {
namespace {

using namespace orderhub::testing;

UpsertNode Placed(std::string code, std::string region, double lat, double lng) {
  UpsertNode n = Node(std::move(code));
  n.node.region_code = std::move(region);
  n.node.lat = lat;
  n.node.lng = lng;
  return n;
}

CreateOrder To(std::string id, std::string region, std::vector<LineSpec> lines) {
  CreateOrder c = Order(id, "c-" + id, std::move(lines));
  c.order.ship_to.region_code = std::move(region);
  return c;
}

constexpr char kHangzhou[] = "330106";
constexpr char kTianjin[] = "120101";

class EngineRoutingTest : public ::testing::Test {
 protected:
  EngineRoutingTest() : lifecycles_(ShippedLifecycles()), e_(&lifecycles_) {
    Ok(Placed("SH", "310115", 31.22, 121.54));  // Shanghai Pudong
    Ok(Placed("BJ", "110105", 39.92, 116.44));  // Beijing Chaoyang
    Ok(Sku("A"));
    Ok(Sku("B"));
    Ok(Stock("A", "SH", 10));
    Ok(Stock("A", "BJ", 10));
    Ok(Stock("B", "BJ", 10));
  }

  Outcome Apply(CommandBody body, Micros now = kT0) {
    changes_.Clear();
    return e_.Apply(At(now, std::move(body)), &changes_);
  }
  void Ok(CommandBody body, Micros now = kT0) {
    const Outcome out = Apply(std::move(body), now);
    ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  }
  std::string NodeOf(const std::string& id, size_t line = 0) {
    return std::string(e_.FindOrder("t1", id)->line_node(line));
  }
  int64_t Reserved(const char* sku, const char* node) { return e_.Stock("t1", sku, node)->reserved; }
  // The data of the last event the last command recorded, as a reader
  // gets it: packed by the committer, rendered when read.
  std::string LastEventData() {
    if (changes_.events.empty()) return "";
    changes_.events.back().RenderLate();
    return EventDataJson(changes_.events.back().data);
  }
  Reroute Again(std::string id) {
    Reroute r;
    r.tenant = "t1";
    r.order_id = std::move(id);
    r.actor = "admin";
    return r;
  }

  lifecycle::LifecycleSet lifecycles_;
  Engine e_;
  Changes changes_;
};

TEST_F(EngineRoutingTest, EachOrderShipsFromTheNodeTheNetworkPrefers) {
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  EXPECT_EQ(NodeOf("O1"), "SH");
  Ok(To("O2", kTianjin, {{"A", 1}}));
  EXPECT_EQ(NodeOf("O2"), "BJ");
  EXPECT_EQ(Reserved("A", "SH"), 1);
  EXPECT_EQ(Reserved("A", "BJ"), 1);
}

TEST_F(EngineRoutingTest, TheCreatedEventCarriesThePlanAndItsAlternatives) {
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  const std::string data = LastEventData();
  EXPECT_NE(data.find("\"routing\":{\"routable\":true"), std::string::npos) << data;
  EXPECT_NE(data.find("\"chosen\":true"), std::string::npos) << data;
  EXPECT_NE(data.find("\"chosen\":false"), std::string::npos) << "BJ is the alternative: " << data;
  EXPECT_NE(data.find("\"p_on_time\""), std::string::npos);
}

TEST_F(EngineRoutingTest, AnOrderOneNodeCannotFillAloneIsSplit) {
  Ok(Stock("B", "SH", 0));
  Ok(To("O1", kHangzhou, {{"A", 1}, {"B", 1}}));
  // BJ has both; SH + BJ would be two parcels: one parcel from BJ is what
  // the default policy prefers for a cheap order, unless SH is much better.
  // Either way every line is placed and reserved where it is placed.
  const auto o = e_.FindOrder("t1", "O1");
  for (size_t i = 0; i < 2; ++i) {
    const std::string node(o->line_node(i));
    EXPECT_FALSE(node.empty());
    EXPECT_EQ(o->lines()[i].reserved, 1);
  }
  EXPECT_EQ(Reserved("B", "BJ"), 1);
}

TEST_F(EngineRoutingTest, AClosedRegionSendsOrdersAroundItAndReopeningRestores) {
  Ok(Disrupt{"t1", "31", true, "typhoon"});
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  EXPECT_EQ(NodeOf("O1"), "BJ") << "lanes from Shanghai are closed";
  Ok(Disrupt{"t1", "31", false, ""});
  Ok(To("O2", kHangzhou, {{"A", 1}}));
  EXPECT_EQ(NodeOf("O2"), "SH");
  EXPECT_EQ(Apply(Disrupt{"t1", "31", false, ""}).status.reason(), "not_closed");
}

TEST_F(EngineRoutingTest, AnUnroutableOrderSaysWhyAndReservesNothing) {
  Ok(Disrupt{"t1", "31", true, ""});
  Ok(Disrupt{"t1", "11", true, ""});
  const Outcome out = Apply(To("O1", kHangzhou, {{"A", 1}}));
  EXPECT_EQ(out.status.reason(), "unroutable");
  EXPECT_NE(out.status.message().find("line 0 (sku 'A'): lanes_closed"), std::string::npos) << out.status.message();
  EXPECT_EQ(out.status.pointer(), "/lines/0");
  EXPECT_EQ(Reserved("A", "SH"), 0);
  EXPECT_EQ(Reserved("A", "BJ"), 0);
  EXPECT_FALSE(e_.FindOrder("t1", "O1").has_value());
}

TEST_F(EngineRoutingTest, ADownNodeIsRoutedAround) {
  UpsertNode down = Placed("SH", "310115", 31.22, 121.54);
  down.node.status = "down";
  Ok(down);
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  EXPECT_EQ(NodeOf("O1"), "BJ");
}

TEST_F(EngineRoutingTest, ANodeAtItsDailyCapacityTakesNoMoreUntilTheNextDay) {
  UpsertNode small = Placed("SH", "310115", 31.22, 121.54);
  small.node.capacity_orders = 3;
  Ok(small);
  int at_sh = 0;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "O" + std::to_string(i);
    Ok(To(id, kHangzhou, {{"A", 1}}));
    at_sh += NodeOf(id) == "SH";
  }
  // The load penalty may send some elsewhere before SH is full; never more than its capacity.
  EXPECT_GE(at_sh, 1);
  EXPECT_LE(at_sh, 3);
  EXPECT_EQ(Reserved("A", "SH"), at_sh);
  Ok(To("NEXT", kHangzhou, {{"A", 1}}), kT0 + 24 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(NodeOf("NEXT"), "SH") << "a new day starts from zero";
}

TEST_F(EngineRoutingTest, LanesAreCheckedAgainstTheTenantsNodes) {
  auto lanes = routing::Network::ParseLinks(
      "lanes:\n  - {origin: XX, destination: '33', carrier: SF, level: express,"
      " rate: {first_weight: 900}, transit: {mean_hours: 20, sd_hours: 3}}\n",
      "lanes");
  ASSERT_TRUE(lanes.ok()) << lanes.status().ToString();
  const Outcome out = Apply(SetLanes{"t1", "x", *lanes});
  EXPECT_EQ(out.status.reason(), "invalid_lanes");
  EXPECT_EQ(out.status.pointer(), "/lanes/0/origin");
}

TEST_F(EngineRoutingTest, AnExplicitLaneIsPricedAndNamedInThePlan) {
  const std::string text =
      "lanes:\n  - {origin: BJ, destination: '33', carrier: JD, level: air,"
      " rate: {first_weight: 1}, transit: {mean_hours: 6, sd_hours: 1}}\n";
  auto lanes = routing::Network::ParseLinks(text, "lanes");
  ASSERT_TRUE(lanes.ok()) << lanes.status().ToString();
  Ok(SetLanes{"t1", text, *lanes});
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  // A one-fen, six-hour lane from Beijing beats the derived lanes from Shanghai.
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_NE(LastEventData().find("\"carrier\":\"JD\""), std::string::npos) << LastEventData();
}

TEST_F(EngineRoutingTest, RerouteMovesTheReservationWholeAndRecordsBeforeAndAfter) {
  Ok(To("O1", kHangzhou, {{"A", 2}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  Reroute away = Again("O1");
  away.forbid_nodes = {"SH"};
  Ok(away);
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(Reserved("A", "SH"), 0) << "no reservation left dangling";
  EXPECT_EQ(Reserved("A", "BJ"), 2);
  EXPECT_EQ(changes_.events.back().kind, "rerouted");
  const std::string data = LastEventData();
  // The old plan is priced as it was decided.
  EXPECT_NE(data.find("\"before\":{\"nodes\":\"SH\",\"cost\":"), std::string::npos) << data;
  EXPECT_NE(data.find("\"after\":{\"nodes\":\"BJ\",\"cost\":"), std::string::npos) << data;
  EXPECT_NE(data.find("\"cost_change\":"), std::string::npos) << data;
}

TEST_F(EngineRoutingTest, ACheaperLaneMakesARerouteSaveAndSaysHowMuch) {
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  const std::string text =
      "lanes:\n  - {origin: BJ, destination: '33', carrier: JD, level: air,"
      " rate: {first_weight: 1}, transit: {mean_hours: 6, sd_hours: 1}}\n";
  Ok(SetLanes{"t1", text, *routing::Network::ParseLinks(text, "lanes")});
  Ok(Again("O1"));
  EXPECT_EQ(NodeOf("O1"), "BJ");
  const std::string data = LastEventData();
  const size_t at = data.find("\"cost_change\":-");
  ASSERT_NE(at, std::string::npos) << "cheaper, so negative: " << data;
  EXPECT_NE(data.find("\"before\":{\"nodes\":\"SH\",\"cost\":"), std::string::npos) << data;
}

// A line brought in by transfer stays reserved where its units are, ships
// with the rest from the node they are brought to, and a re-route without
// the transfer leaves nothing reserved twice.
TEST_F(EngineRoutingTest, ATransferredLineIsReservedAtItsSupplierAndShipsWithTheRest) {
  Ok(Sku("C"));
  Ok(Stock("C", "SH", 5));
  const std::string text = "transfers:\n  - {from: BJ, to: SH, hours: 12, cost_per_order: 100}\n";
  Ok(SetLanes{"t1", text, *routing::Network::ParseLinks(text, "lanes")});
  Ok(To("O1", kHangzhou, {{"C", 1}, {"B", 2}}));
  const OrderView o = *e_.FindOrder("t1", "O1");
  EXPECT_EQ(o.line_node(0), "SH");
  EXPECT_EQ(o.line_ship_node(0), "");
  EXPECT_EQ(o.line_node(1), "BJ") << "reserved where the units are";
  EXPECT_EQ(o.line_ship_node(1), "SH");
  EXPECT_TRUE(o.AssignedTo("BJ") && o.AssignedTo("SH"));
  EXPECT_EQ(Reserved("B", "BJ"), 2);
  EXPECT_NE(LastEventData().find(R"("transfers":[{"line":1,"from":"BJ","hours":12}])"), std::string::npos)
      << LastEventData();

  // Without the transfer the order splits; the units stay reserved once.
  Ok(SetLanes{"t1", "lanes: []\n", *routing::Network::ParseLinks("lanes: []\n", "lanes")});
  Ok(Again("O1"));
  const OrderView again = *e_.FindOrder("t1", "O1");
  EXPECT_EQ(again.line_node(1), "BJ");
  EXPECT_EQ(again.line_ship_node(1), "");
  EXPECT_EQ(Reserved("B", "BJ"), 2);
  Ok(Fire("O1", "cancel"));
  EXPECT_EQ(Reserved("B", "BJ"), 0);
  EXPECT_EQ(Reserved("C", "SH"), 0);
}

// A line no node can fill alone is reserved in parts, one per node: one
// line of the order with its parts, a parcel from each node; kept by
// snapshots, released by a cancel, joined again when routed again.
TEST_F(EngineRoutingTest, ALineNoNodeCanFillAloneIsReservedInPartsAtEachNode) {
  Ok(Stock("A", "SH", 6));
  Ok(Stock("A", "BJ", 5));
  Engine::QuoteRequest q;
  q.tenant = "t1";
  q.region_code = kHangzhou;
  q.now = kT0;
  q.lines = {{"A", 10}, {"B", 1}};
  auto quote = e_.Quote(q);
  ASSERT_TRUE(quote.ok()) << quote.status().ToString();
  Ok(To("O1", kHangzhou, {{"A", 10}, {"B", 1}}));
  const std::string data = LastEventData();
  EXPECT_EQ(data, "{\"routing\":" + *quote + "}") << "the quote said so";
  EXPECT_NE(data.find(R"("node":"SH","lines":[0],"quantities":[6])"), std::string::npos) << data;
  EXPECT_NE(data.find(R"("node":"BJ","lines":[0,1],"quantities":[4,1])"), std::string::npos) << data;
  const OrderView o = *e_.FindOrder("t1", "O1");
  ASSERT_EQ(o.line_count(), 2u);
  ASSERT_EQ(o.lines().size(), 3u);
  const std::span<const LineRecord> parts = o.line_parts(0);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(o.node_code(parts[0].node), "SH");
  EXPECT_EQ(o.node_code(parts[1].node), "BJ");
  EXPECT_EQ(parts[0].quantity, 6);
  EXPECT_EQ(parts[0].reserved, 6);
  EXPECT_EQ(parts[1].quantity, 4);
  EXPECT_EQ(parts[1].reserved, 4);
  EXPECT_EQ(o.line_node(1), "BJ") << "the other line rides in Beijing's parcel";
  EXPECT_EQ(Reserved("A", "SH"), 6);
  EXPECT_EQ(Reserved("A", "BJ"), 4);

  // A snapshot keeps the parts; a load reads them back byte for byte.
  std::string bytes, again;
  e_.Save([&](std::string_view s) { bytes.append(s); });
  Engine loaded(&lifecycles_);
  ASSERT_TRUE(loaded.Load(bytes).ok());
  ASSERT_EQ(loaded.FindOrder("t1", "O1")->lines().size(), 3u);
  loaded.Save([&](std::string_view s) { again.append(s); });
  EXPECT_EQ(bytes, again);

  // Shipped: a parcel per node, every part consumed where it was reserved.
  for (const char* event : {"confirm", "allocate", "release_to_warehouse", "pick", "ship"}) Ok(Fire("O1", event));
  const OrderView shipped = *e_.FindOrder("t1", "O1");
  ASSERT_EQ(shipped.shipments().size(), 2u);
  EXPECT_EQ(shipped.shipments()[0].node, "SH");
  EXPECT_EQ(shipped.shipments()[1].node, "BJ");
  EXPECT_EQ(shipped.line_parts(0)[0].shipped, 6);
  EXPECT_EQ(shipped.line_parts(0)[1].shipped, 4);
  EXPECT_EQ(e_.Stock("t1", "A", "SH")->on_hand, 0);
  EXPECT_EQ(e_.Stock("t1", "A", "BJ")->on_hand, 1);

  // Cancelled: both parts released.
  Ok(Stock("A", "SH", 6));
  Ok(Stock("A", "BJ", 5));
  Ok(To("O2", kHangzhou, {{"A", 10}}));
  ASSERT_EQ(e_.FindOrder("t1", "O2")->lines().size(), 2u);
  Ok(Fire("O2", "cancel"));
  EXPECT_EQ(Reserved("A", "SH"), 0);
  EXPECT_EQ(Reserved("A", "BJ"), 0);

  // Routed again once one node holds it all: one record, reserved there only.
  Ok(To("O3", kHangzhou, {{"A", 10}}));
  Ok(Stock("A", "SH", 20));
  Ok(Again("O3"));
  const OrderView whole = *e_.FindOrder("t1", "O3");
  ASSERT_EQ(whole.lines().size(), 1u);
  EXPECT_EQ(whole.line_node(0), "SH");
  EXPECT_EQ(whole.lines()[0].quantity, 10);
  EXPECT_EQ(Reserved("A", "SH"), 10);
  EXPECT_EQ(Reserved("A", "BJ"), 0);
  EXPECT_NE(LastEventData().find(R"("before":{"nodes":"SH+BJ")"), std::string::npos) << LastEventData();
}

// A transfer must join two of the tenant's nodes and not loop.
TEST_F(EngineRoutingTest, TransfersAreCheckedAgainstTheTenantsNodes) {
  const std::string loop =
      "transfers:\n  - {from: BJ, to: SH, hours: 12}\n  - {from: SH, to: BJ, hours: 12}\n";
  Outcome out = Apply(SetLanes{"t1", loop, *routing::Network::ParseLinks(loop, "lanes")});
  EXPECT_EQ(out.status.reason(), "invalid_lanes");
  EXPECT_EQ(out.status.pointer(), "/transfers/0");  // the one that closes the loop, searching from SH
  EXPECT_NE(out.status.message().find("transfers form a cycle: SH -> BJ -> SH"), std::string::npos)
      << out.status.message();
  const std::string nowhere = "transfers:\n  - {from: XX, to: SH, hours: 12}\n";
  out = Apply(SetLanes{"t1", nowhere, *routing::Network::ParseLinks(nowhere, "lanes")});
  EXPECT_EQ(out.status.pointer(), "/transfers/0/from");
}

TEST_F(EngineRoutingTest, PinsAndForbidsStayWithTheOrder) {
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  Reroute forbid = Again("O1");
  forbid.forbid_nodes = {"SH"};
  Ok(forbid);
  EXPECT_EQ(NodeOf("O1"), "BJ");
  // Routed again with nothing said: the forbid still holds.
  Ok(Again("O1"));
  EXPECT_EQ(NodeOf("O1"), "BJ");
  Reroute cleared = Again("O1");
  cleared.clear_overrides = true;
  Ok(cleared);
  EXPECT_EQ(NodeOf("O1"), "SH");
  Reroute pin = Again("O1");
  pin.pin_node = "BJ";
  Ok(pin);
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(Reserved("A", "SH"), 0);
  EXPECT_EQ(Reserved("A", "BJ"), 1);
}

TEST_F(EngineRoutingTest, AFailedRerouteChangesNothing) {
  Ok(To("O1", kHangzhou, {{"A", 10}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  Ok(Stock("A", "BJ", 3));
  Reroute forbid = Again("O1");
  forbid.forbid_nodes = {"SH"};
  const Outcome out = Apply(forbid);
  EXPECT_FALSE(out.status.ok());
  EXPECT_EQ(NodeOf("O1"), "SH");
  EXPECT_EQ(Reserved("A", "SH"), 10);
  EXPECT_EQ(Reserved("A", "BJ"), 0);
  // The refused override was not kept either.
  Ok(Again("O1"));
  EXPECT_EQ(NodeOf("O1"), "SH");
}

TEST_F(EngineRoutingTest, OnlyOrdersNotYetReleasedAreRoutedAgain) {
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  for (const char* event : {"confirm", "allocate", "release_to_warehouse"}) Ok(Fire("O1", event));
  const Outcome out = Apply(Again("O1"));
  EXPECT_EQ(out.status.reason(), "not_reroutable");
  EXPECT_EQ(NodeOf("O1"), "SH");
}

TEST_F(EngineRoutingTest, AQuoteReservesNothingAndMatchesTheOrderThatFollows) {
  Engine::QuoteRequest q;
  q.tenant = "t1";
  q.region_code = kTianjin;
  q.now = kT0;
  q.lines = {{"A", 2}};
  auto quote = e_.Quote(q);
  ASSERT_TRUE(quote.ok()) << quote.status().ToString();
  EXPECT_NE(quote->find("\"node\":\"BJ\""), std::string::npos) << *quote;
  EXPECT_EQ(Reserved("A", "BJ"), 0);
  Ok(To("O1", kTianjin, {{"A", 2}}));
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(LastEventData(), "{\"routing\":" + *quote + "}");
  q.lines = {{"NOPE", 1}};
  EXPECT_EQ(e_.Quote(q).status().pointer(), "/lines/0/sku");
}

// Stores written before decisions were packed hold the JSON itself.
TEST(EventData, JsonWrittenBeforePackingReadsAsBefore) {
  const std::string old = R"({"reason":"timer","routing":{"routable":true,"plans":[]}})";
  EXPECT_EQ(EventDataJson(old), old);
  EXPECT_EQ(EventDecisionJson(old), R"({"routable":true,"plans":[]})");
  EXPECT_EQ(EventDecisionJson(R"({"reason":"timer"})"), std::nullopt);
  // Packed data that does not decode says so rather than passing bytes on.
  const std::string broken = std::string(1, model::kPackedEventData) + "\x7f";
  EXPECT_NE(EventDataJson(broken).find("could not be decoded"), std::string::npos);
}

TEST_F(EngineRoutingTest, NodesOutsideKnownRegionsFallBackToStockAlone) {
  Engine e(&lifecycles_);
  UpsertNode nowhere = Node("X");
  nowhere.node.region_code = "999999";
  ASSERT_TRUE(e.Apply(At(kT0, nowhere), nullptr).status.ok());
  ASSERT_TRUE(e.Apply(At(kT0, Sku("A")), nullptr).status.ok());
  ASSERT_TRUE(e.Apply(At(kT0, Stock("A", "X", 5)), nullptr).status.ok());
  ASSERT_TRUE(e.Apply(At(kT0, To("O1", kHangzhou, {{"A", 1}})), nullptr).status.ok());
  EXPECT_EQ(e.FindOrder("t1", "O1")->line_node(0), "X");
}

TEST_F(EngineRoutingTest, RoutingStateSurvivesASnapshot) {
  const std::string text =
      "lanes:\n  - {origin: BJ, destination: '33', carrier: JD, level: air,"
      " rate: {first_weight: 1}, transit: {mean_hours: 6, sd_hours: 1}}\n"
      "transfers:\n  - {from: SH, to: BJ, hours: 5}\n";
  Ok(SetLanes{"t1", text, *routing::Network::ParseLinks(text, "lanes")});
  const std::string policy_text = "max_shipments: 1\n";
  Ok(SetPolicy{"t1", policy_text, *routing::Policy::Parse(policy_text, "policy")});
  Ok(Disrupt{"t1", "G4", true, ""});
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  Reroute forbid = Again("O1");
  forbid.forbid_nodes = {"BJ"};
  Ok(forbid);
  Ok(Replan{"t1", false, true, {}, "", "admin", "before the snapshot"});
  std::string bytes;
  e_.Save([&](std::string_view s) { bytes.append(s); });
  Engine loaded(&lifecycles_);
  ASSERT_TRUE(loaded.Load(bytes).ok());
  EXPECT_NE(e_.LastReplan("t1"), "");
  EXPECT_EQ(loaded.LastReplan("t1"), e_.LastReplan("t1")) << "the last re-plan's report outlives a restart";
  EXPECT_NE(loaded.NetworkJson("t1")->find(R"("transfers":[{"from":"SH","to":"BJ","hours":5)"), std::string::npos);
  std::string again;
  loaded.Save([&](std::string_view s) { again.append(s); });
  EXPECT_EQ(bytes, again);
  // Both route the next order the same way.
  Changes a, b;
  ASSERT_TRUE(e_.Apply(At(kT0, To("O2", kHangzhou, {{"A", 1}})), &a).status.ok());
  ASSERT_TRUE(loaded.Apply(At(kT0, To("O2", kHangzhou, {{"A", 1}})), &b).status.ok());
  a.events.back().RenderLate();
  b.events.back().RenderLate();
  EXPECT_NE(EventDataJson(a.events.back().data).find("\"routing\""), std::string::npos);
  EXPECT_EQ(a.events.back().data, b.events.back().data);
  auto net = loaded.NetworkJson("t1");
  ASSERT_TRUE(net.ok());
  EXPECT_NE(net->find("\"closed\":[\"G4\"]"), std::string::npos) << *net;
}

// ---- re-planning -------------------------------------------------------------

Replan All(std::string reason = "test") { return Replan{"t1", /*only_broken=*/false, /*every_order=*/false, {}, "", "admin", std::move(reason)}; }

TEST_F(EngineRoutingTest, AClosureMovesTheOrdersItBreaksAtOnce) {
  Ok(To("O1", kHangzhou, {{"A", 2}}));
  Ok(To("O2", kTianjin, {{"A", 1}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  ASSERT_EQ(NodeOf("O2"), "BJ");
  Ok(Disrupt{"t1", "31", true, "typhoon"});
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(NodeOf("O2"), "BJ") << "not broken, not touched";
  EXPECT_EQ(Reserved("A", "SH"), 0);
  EXPECT_EQ(Reserved("A", "BJ"), 3);
  ASSERT_FALSE(changes_.events.empty());
  EXPECT_EQ(changes_.events.back().kind, "replanned");
  const std::string report = e_.LastReplan("t1");
  EXPECT_NE(report.find("\"scope\":\"broken\""), std::string::npos) << report;
  EXPECT_NE(report.find("\"broken\":1,\"moved\":1,\"stranded\":0"), std::string::npos) << report;
}

TEST_F(EngineRoutingTest, ANodeGoingDownMovesItsOrders) {
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  UpsertNode down = Placed("SH", "310115", 31.22, 121.54);
  down.node.status = "down";
  Ok(down);
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(Reserved("A", "SH"), 0);
}

TEST_F(EngineRoutingTest, AnOrderThatFillsItsNodeIsNotBrokenByItsOwnLoad) {
  UpsertNode one = Placed("SH", "310115", 31.22, 121.54);
  one.node.capacity_orders = 1;
  Ok(one);
  Ok(Sku("C"));
  Ok(Stock("C", "SH", 10));  // only there
  Ok(To("O1", kHangzhou, {{"C", 1}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  // SH is full with O1 alone; looking for broken plans, O1's still fits.
  Replan broken = All();
  broken.only_broken = true;
  Ok(broken);
  EXPECT_EQ(NodeOf("O1"), "SH");
  EXPECT_NE(e_.LastReplan("t1").find("\"broken\":0,\"moved\":0,\"stranded\":0"), std::string::npos)
      << e_.LastReplan("t1");
  // The next order finds SH full.
  const Outcome full = Apply(To("O2", kHangzhou, {{"C", 1}}));
  EXPECT_NE(full.status.message().find("capacity_full"), std::string::npos) << full.status.ToString();
}

TEST_F(EngineRoutingTest, AnOrderWithNowhereToGoKeepsItsStockAndIsReportedStranded) {
  Ok(Stock("A", "BJ", 0));
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  Ok(Disrupt{"t1", "31", true, ""});
  EXPECT_EQ(NodeOf("O1"), "SH");
  EXPECT_EQ(Reserved("A", "SH"), 1);
  EXPECT_NE(e_.LastReplan("t1").find("\"stranded\":1"), std::string::npos) << e_.LastReplan("t1");
}

TEST_F(EngineRoutingTest, AFullReplanMovesOrdersToBetterPlansAsStockArrives) {
  Ok(Stock("A", "SH", 0));
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  Ok(To("O2", kHangzhou, {{"A", 1}}));
  ASSERT_EQ(NodeOf("O1"), "BJ");
  Ok(Stock("A", "SH", 1));  // room for one of them near Hangzhou
  Ok(All("stock arrived"));
  EXPECT_EQ((NodeOf("O1") == "SH") + (NodeOf("O2") == "SH"), 1);
  EXPECT_EQ(Reserved("A", "SH"), 1);
  EXPECT_EQ(Reserved("A", "BJ"), 1);
  const std::string report = e_.LastReplan("t1");
  EXPECT_NE(report.find("\"moved\":1"), std::string::npos) << report;
  EXPECT_NE(report.find("\"cost_change\":-"), std::string::npos) << "cheaper: " << report;
  // Nothing better is left: a second re-plan moves nothing.
  Ok(All());
  EXPECT_NE(e_.LastReplan("t1").find("\"moved\":0"), std::string::npos) << e_.LastReplan("t1");
}

// One unit in Shanghai, one in Beijing. A Nanjing order came first and took
// Shanghai's (nearer for it); a Hangzhou order then got Beijing's. Neither
// moves alone, each other's unit being held; with swaps they trade, as
// Hangzhou gains far more than Nanjing loses.
TEST_F(EngineRoutingTest, SwapsLetTwoOrdersTradeStockNeitherCouldTakeAlone) {
  Ok(Stock("A", "SH", 1));
  Ok(Stock("A", "BJ", 1));
  Ok(To("O1", "320102", {{"A", 1}}));  // Nanjing
  Ok(To("O2", kHangzhou, {{"A", 1}}));
  ASSERT_EQ(NodeOf("O1"), "SH");
  ASSERT_EQ(NodeOf("O2"), "BJ");
  Replan all = All();
  all.every_order = true;
  Ok(all);
  EXPECT_EQ(NodeOf("O2"), "BJ") << "no single move helps";
  all.swaps = true;
  Ok(all);
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(NodeOf("O2"), "SH");
  EXPECT_EQ(Reserved("A", "SH"), 1);
  EXPECT_EQ(Reserved("A", "BJ"), 1);
  const std::string report = e_.LastReplan("t1");
  EXPECT_NE(report.find(R"("moved":2,"stranded":0,"swaps":1)"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("order_id":"O2","broken":false,"swap_with":"O1")"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("cost_change":-)"), std::string::npos) << report;
  EXPECT_NE(LastEventData().find(R"("swap_with":)"), std::string::npos) << LastEventData();
  // Traded once: the next re-plan with swaps finds nothing better.
  Ok(all);
  EXPECT_NE(e_.LastReplan("t1").find(R"("moved":0,"stranded":0,"swaps":0)"), std::string::npos)
      << e_.LastReplan("t1");
}

TEST_F(EngineRoutingTest, ReplansRespectOverrides) {
  Ok(Stock("A", "SH", 0));
  Ok(To("O1", kHangzhou, {{"A", 1}}));
  Reroute pin = Again("O1");
  pin.pin_node = "BJ";
  Ok(pin);
  Ok(Stock("A", "SH", 5));
  Ok(All());
  EXPECT_EQ(NodeOf("O1"), "BJ") << "pinned";
  // A closure that breaks the pinned plan strands it rather than break the pin.
  Ok(Disrupt{"t1", "11", true, ""});
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_NE(e_.LastReplan("t1").find("\"stranded\":1"), std::string::npos) << e_.LastReplan("t1");
}

TEST_F(EngineRoutingTest, NoReservationIsLeftDanglingAfterReplans) {
  for (int i = 0; i < 8; ++i) Ok(To("O" + std::to_string(i), i % 2 ? kHangzhou : kTianjin, {{"A", 1}}));
  Ok(Disrupt{"t1", "31", true, ""});
  Ok(Disrupt{"t1", "31", false, ""});
  Ok(All());
  Ok(Fire("O0", "cancel"));
  int64_t held = 0;
  for (int i = 0; i < 8; ++i) {
    for (const LineRecord& l : e_.FindOrder("t1", "O" + std::to_string(i))->lines()) held += l.reserved;
  }
  EXPECT_EQ(held, 7);
  EXPECT_EQ(Reserved("A", "SH") + Reserved("A", "BJ"), held);
}

TEST_F(EngineRoutingTest, AReplanIsReplayedExactly) {
  std::vector<Command> log = {At(kT0, To("O1", kHangzhou, {{"A", 1}})), At(kT0, To("O2", kTianjin, {{"A", 1}})),
                              At(kT0 + 1, Disrupt{"t1", "31", true, ""}), At(kT0 + 2, All())};
  Engine a(&lifecycles_), b(&lifecycles_);
  for (Engine* e : {&a, &b}) {
    for (CommandBody body : {CommandBody(Placed("SH", "310115", 31.22, 121.54)),
                             CommandBody(Placed("BJ", "110105", 39.92, 116.44)), CommandBody(Sku("A")),
                             CommandBody(Stock("A", "SH", 10)), CommandBody(Stock("A", "BJ", 10))}) {
      ASSERT_TRUE(e->Apply(At(kT0, body), nullptr).status.ok());
    }
    for (const Command& c : log) ASSERT_TRUE(e->Apply(c, nullptr).status.ok());
  }
  std::string sa, sb;
  a.Save([&](std::string_view s) { sa.append(s); });
  b.Save([&](std::string_view s) { sb.append(s); });
  EXPECT_EQ(sa, sb);
  EXPECT_EQ(a.LastReplan("t1"), b.LastReplan("t1"));
}

// ---- priority and backorders ---------------------------------------------------

class PriorityTest : public EngineRoutingTest {
 protected:
  PriorityTest() {
    const std::string text = "backorder: true\npriority_tiers: {vip: 100}\npriority_per_hour: 2\n";
    Ok(SetPolicy{"t1", text, *routing::Policy::Parse(text, "policy")});
    Ok(Stock("A", "SH", 0));
    Ok(Stock("A", "BJ", 0));
  }
  CreateOrder Tiered(std::string id, std::string tier, Micros promise_at = 0) {
    CreateOrder c = To(std::move(id), kHangzhou, {{"A", 1}});
    c.customer_tier = std::move(tier);
    c.order.promise_at = promise_at;
    return c;
  }
  std::vector<std::string> Waiting() {
    std::vector<std::string> ids;
    for (const Engine::Queued& q : e_.Backorders("t1", kT0)) ids.emplace_back(e_.OrderAt(q.order).id());
    return ids;
  }
};

TEST_F(PriorityTest, OrdersWithoutStockWaitHoldingNothingAndAreFilledByPriority) {
  Ok(Tiered("O1", ""));
  Ok(Tiered("O2", "vip"));
  Ok(Tiered("O3", ""));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"O2", "O1", "O3"}));
  EXPECT_EQ(NodeOf("O2"), "") << "holds nothing while it waits";
  EXPECT_EQ(Reserved("A", "SH"), 0);
  Ok(Stock("A", "SH", 1));
  EXPECT_EQ(NodeOf("O2"), "SH") << "the vip gets the one unit";
  EXPECT_EQ(changes_.events.back().kind, "filled");
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"O1", "O3"}));
  Ok(Adjust("A", "BJ", 5, "receipt"));
  EXPECT_EQ(NodeOf("O1"), "BJ");
  EXPECT_EQ(NodeOf("O3"), "BJ");
  EXPECT_TRUE(Waiting().empty());
  EXPECT_EQ(Reserved("A", "SH") + Reserved("A", "BJ"), 3);
}

TEST_F(PriorityTest, ANearerPromiseComesFirst) {
  Ok(Tiered("LATER", "", kT0 + 70 * 3600 * kMicrosPerSecond));
  Ok(Tiered("SOON", "", kT0 + 6 * 3600 * kMicrosPerSecond));
  EXPECT_EQ(Waiting(), (std::vector<std::string>{"SOON", "LATER"}));
  Ok(Stock("A", "SH", 1));
  EXPECT_EQ(NodeOf("SOON"), "SH");
  EXPECT_EQ(NodeOf("LATER"), "");
}

TEST_F(PriorityTest, ACancelledBackorderLeavesTheQueue) {
  Ok(Tiered("O1", ""));
  Ok(Fire("O1", "cancel"));
  EXPECT_TRUE(Waiting().empty());
  Ok(Stock("A", "SH", 1));
  EXPECT_EQ(Reserved("A", "SH"), 0);
}

// A backorder no node can fill alone is filled once the nodes together can,
// in parts.
TEST_F(PriorityTest, ABackorderIsFilledInPartsWhenNoNodeHasEnoughAlone) {
  Ok(To("O1", kHangzhou, {{"A", 3}}));
  ASSERT_EQ(Waiting(), std::vector<std::string>{"O1"});
  Ok(Stock("A", "SH", 2));
  EXPECT_EQ(Waiting(), std::vector<std::string>{"O1"}) << "2 of 3 in reach: still waiting, holding nothing";
  EXPECT_EQ(Reserved("A", "SH"), 0);
  Ok(Stock("A", "BJ", 2));
  EXPECT_TRUE(Waiting().empty());
  const OrderView o = *e_.FindOrder("t1", "O1");
  ASSERT_EQ(o.line_parts(0).size(), 2u);
  EXPECT_EQ(o.line_parts(0)[0].quantity + o.line_parts(0)[1].quantity, 3);
  EXPECT_EQ(Reserved("A", "SH"), 2);
  EXPECT_EQ(Reserved("A", "BJ"), 1);
  EXPECT_NE(LastEventData().find(R"("quantities":[2])"), std::string::npos) << LastEventData();
}

TEST_F(PriorityTest, ANodesReleaseQueueIsInPriorityOrder) {
  Ok(Stock("A", "SH", 10));
  Ok(Tiered("O1", ""));
  Ok(Tiered("O2", "vip"));
  Ok(Tiered("O3", "", kT0 + 6 * 3600 * kMicrosPerSecond));
  std::vector<std::string> ids;
  for (const Engine::Queued& q : e_.ReleaseQueue("t1", "SH", kT0, 10)) ids.emplace_back(e_.OrderAt(q.order).id());
  // vip 100 points; the 6-hour promise (policy 72 h) 2 x 66 = 132 points.
  EXPECT_EQ(ids, (std::vector<std::string>{"O3", "O2", "O1"}));
  Ok(Fire("O3", "confirm"));
  Ok(Fire("O3", "allocate"));
  Ok(Fire("O3", "release_to_warehouse"));
  EXPECT_EQ(e_.ReleaseQueue("t1", "SH", kT0, 10).size(), 2u) << "released: no longer queued";
}

TEST_F(PriorityTest, BackordersSurviveASnapshot) {
  Ok(Tiered("O1", "vip"));
  std::string bytes;
  e_.Save([&](std::string_view s) { bytes.append(s); });
  Engine loaded(&lifecycles_);
  ASSERT_TRUE(loaded.Load(bytes).ok());
  ASSERT_EQ(loaded.Backorders("t1", kT0).size(), 1u);
  EXPECT_EQ(loaded.Backorders("t1", kT0)[0].priority, e_.Backorders("t1", kT0)[0].priority);
  ASSERT_TRUE(loaded.Apply(At(kT0, Stock("A", "SH", 1)), nullptr).status.ok());
  EXPECT_EQ(loaded.FindOrder("t1", "O1")->line_node(0), "SH");
}

}  // namespace
}  // namespace orderhub::engine
