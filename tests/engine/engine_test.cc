#include "engine/engine.h"

#include <gtest/gtest.h>

#include "testing/builders.h"

namespace orderhub::engine {
namespace {

using namespace orderhub::testing;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : lifecycles_(ShippedLifecycles()), e_(&lifecycles_) {
    Ok(Node("WH1"));
    Ok(Node("WH2"));
    Ok(Sku("A"));
    Ok(Sku("B"));
    Ok(Stock("A", "WH1", 10));
    Ok(Stock("B", "WH1", 5));
    Ok(Stock("A", "WH2", 3));
  }

  Outcome Apply(CommandBody body, Micros now = kT0) { return e_.Apply(At(now, std::move(body)), &changes_); }
  void Ok(CommandBody body) { ASSERT_TRUE(Apply(std::move(body)).status.ok()); }
  int64_t Reserved(const char* sku, const char* node) { return e_.Stock("t1", sku, node)->reserved; }
  int64_t OnHand(const char* sku, const char* node) { return e_.Stock("t1", sku, node)->on_hand; }
  std::string State(const std::string& id) { return std::string(e_.FindOrder("t1", id)->state()); }

  lifecycle::LifecycleSet lifecycles_;
  Engine e_;
  Changes changes_;
};

TEST_F(EngineTest, CreateReservesStockOnOneNodeWhenItHasEverything) {
  Outcome out = Apply(Order("O1", "c1", {{"A", 2}, {"B", 1}}));
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(Reserved("A", "WH1"), 2);
  EXPECT_EQ(Reserved("B", "WH1"), 1);
  EXPECT_EQ(State("O1"), "created");
  const auto o = e_.FindOrder("t1", "O1");
  EXPECT_EQ(o->line_node(0), "WH1");
  EXPECT_EQ(o->line_node(1), "WH1");
}

TEST_F(EngineTest, InsufficientStockRejectsTheWholeOrderAndReservesNothing) {
  Outcome out = Apply(Order("O1", "c1", {{"A", 2}, {"B", 6}}));
  EXPECT_EQ(out.status.reason(), "insufficient_stock");
  EXPECT_EQ(out.status.pointer(), "/lines/1/quantity");
  EXPECT_EQ(Reserved("A", "WH1"), 0);
  EXPECT_FALSE(e_.FindOrder("t1", "O1").has_value());
}

TEST_F(EngineTest, TwoLinesOfTheSameSkuAreNotPromisedTheSameUnits) {
  Ok(Stock("A", "WH2", 0));
  Outcome out = Apply(Order("O1", "c1", {{"A", 6}, {"A", 6}}));
  // Each line alone fits at WH1; both together do not, and no other node has A.
  EXPECT_EQ(out.status.reason(), "unroutable");
  EXPECT_NE(out.status.message().find("no_single_plan"), std::string::npos) << out.status.message();
  EXPECT_EQ(Reserved("A", "WH1"), 0);
}

TEST_F(EngineTest, SplitsAcrossNodesWhenNoSingleNodeHasAll) {
  Ok(Sku("C"));
  Ok(Stock("C", "WH2", 4));
  Outcome out = Apply(Order("O1", "c1", {{"B", 1}, {"C", 4}}));
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const auto o = e_.FindOrder("t1", "O1");
  EXPECT_EQ(o->line_node(0), "WH1");
  EXPECT_EQ(o->line_node(1), "WH2");
}

// Sourced by stock alone (here: an order abroad, outside routing), a line no
// node can fill alone is split between the nodes with the most, three at most.
TEST_F(EngineTest, StockAloneSplitsALineNoNodeFillsBetweenTheNodesWithTheMost) {
  Ok(Node("WH3"));
  Ok(Node("WH4"));
  Ok(Stock("A", "WH3", 2));
  Ok(Stock("A", "WH4", 1));  // A: WH1 10, WH2 3, WH3 2, WH4 1
  auto abroad = [](std::string id, int32_t quantity) {
    CreateOrder c = Order(id, "c-" + id, {{"A", quantity}});
    c.order.ship_to.country = "US";
    c.order.ship_to.region_code = "";
    return c;
  };
  Outcome out = Apply(abroad("O1", 16));
  EXPECT_EQ(out.status.reason(), "insufficient_stock");
  EXPECT_EQ(out.status.pointer(), "/lines/0/quantity");
  EXPECT_NE(out.status.message().find("16 available but spread over more than 3 nodes"), std::string::npos)
      << out.status.message();
  EXPECT_EQ(Reserved("A", "WH1"), 0);
  Ok(abroad("O2", 14));
  const auto o = e_.FindOrder("t1", "O2");
  ASSERT_EQ(o->line_count(), 1u);
  ASSERT_EQ(o->line_parts(0).size(), 3u);
  EXPECT_EQ(Reserved("A", "WH1"), 10);
  EXPECT_EQ(Reserved("A", "WH2"), 3);
  EXPECT_EQ(Reserved("A", "WH3"), 1);
  EXPECT_EQ(Reserved("A", "WH4"), 0);
  out = Apply(abroad("O3", 3));
  EXPECT_NE(out.status.message().find("at most 2 available"), std::string::npos) << out.status.message();
  Ok(Fire("O2", "cancel"));
  for (const char* n : {"WH1", "WH2", "WH3", "WH4"}) EXPECT_EQ(Reserved("A", n), 0) << n;
}

TEST_F(EngineTest, UnknownSkuNamesTheLine) {
  Outcome out = Apply(Order("O1", "c1", {{"A", 1}, {"NOPE", 1}}));
  EXPECT_EQ(out.status.reason(), "unknown_sku");
  EXPECT_EQ(out.status.pointer(), "/lines/1/sku");
}

TEST_F(EngineTest, UnknownPinnedNodeNamesTheLine) {
  Outcome out = Apply(Order("O1", "c1", {{"A", 1, "WH9"}}));
  EXPECT_EQ(out.status.reason(), "unknown_node");
  EXPECT_EQ(out.status.pointer(), "/lines/0/node");
}

TEST_F(EngineTest, StandardLifecycleConsumesStockOnShipment) {
  Ok(Order("O1", "c1", {{"A", 2}}));
  for (const char* ev : {"confirm", "allocate", "release_to_warehouse", "pick", "ship"}) {
    Outcome out = Apply(Fire("O1", ev));
    ASSERT_TRUE(out.status.ok()) << ev << ": " << out.status.ToString();
  }
  EXPECT_EQ(State("O1"), "shipped");
  EXPECT_EQ(OnHand("A", "WH1"), 8);
  EXPECT_EQ(Reserved("A", "WH1"), 0);
  EXPECT_EQ(e_.FindOrder("t1", "O1")->shipments().size(), 1u);
}

TEST_F(EngineTest, CannotCancelAfterShipmentAndSaysToUseAReturn) {
  Ok(Order("O1", "c1", {{"A", 2}}));
  for (const char* ev : {"confirm", "allocate", "release_to_warehouse", "pick", "ship"}) Ok(Fire("O1", ev));
  Outcome out = Apply(Fire("O1", "cancel"));
  EXPECT_EQ(out.status.reason(), "illegal_transition");
  EXPECT_NE(out.status.message().find("use a return"), std::string::npos);
  EXPECT_EQ(State("O1"), "shipped");
  EXPECT_EQ(OnHand("A", "WH1"), 8);
}

TEST_F(EngineTest, CannotShipBeforeAllocation) {
  Ok(Order("O1", "c1", {{"A", 2}}));
  Ok(Fire("O1", "confirm"));
  Outcome out = Apply(Fire("O1", "ship"));
  EXPECT_EQ(out.status.reason(), "illegal_transition");
  EXPECT_EQ(State("O1"), "confirmed");
}

TEST_F(EngineTest, CancelReleasesReservedStock) {
  Ok(Order("O1", "c1", {{"A", 4}}));
  ASSERT_EQ(Reserved("A", "WH1"), 4);
  Ok(Fire("O1", "cancel"));
  EXPECT_EQ(State("O1"), "cancelled");
  EXPECT_EQ(Reserved("A", "WH1"), 0);
  EXPECT_EQ(OnHand("A", "WH1"), 10);
}

TEST_F(EngineTest, UnknownEventIsInvalidNotIllegal) {
  Ok(Order("O1", "c1", {{"A", 1}}));
  EXPECT_EQ(Apply(Fire("O1", "teleport")).status.reason(), "unknown_event");
}

TEST_F(EngineTest, ActorOutsideTheTransitionsListIsRefused) {
  Ok(Order("O1", "c1", {{"A", 1}}));
  Outcome out = Apply(Fire("O1", "confirm", "warehouse"));
  EXPECT_EQ(out.status.code(), Code::kPermissionDenied);
  EXPECT_EQ(State("O1"), "created");
}

TEST_F(EngineTest, HoldThenResumeReturnsToThePreviousState) {
  Ok(Order("O1", "c1", {{"A", 1}}));
  Ok(Fire("O1", "confirm"));
  Ok(Fire("O1", "allocate"));
  Ok(Fire("O1", "hold"));
  EXPECT_EQ(State("O1"), "on_hold");
  Ok(Fire("O1", "resume"));
  EXPECT_EQ(State("O1"), "allocated");
}

TEST_F(EngineTest, UnpaidReservationExpiresAndCancelsTheOrder) {
  CreateOrder c = Order("O1", "c1", {{"A", 3}}, /*paid=*/false);
  c.reservation_ttl = 60 * kMicrosPerSecond;
  ASSERT_TRUE(Apply(c).status.ok());
  EXPECT_EQ(e_.NextExpiry(), kT0 + 60 * kMicrosPerSecond);
  Apply(ExpireReservations{}, kT0 + 59 * kMicrosPerSecond);
  EXPECT_EQ(Reserved("A", "WH1"), 3);
  Outcome out = Apply(ExpireReservations{}, kT0 + 60 * kMicrosPerSecond);
  EXPECT_TRUE(out.mutated);
  EXPECT_EQ(Reserved("A", "WH1"), 0);
  EXPECT_EQ(State("O1"), "cancelled");
  EXPECT_EQ(e_.NextExpiry(), 0);
}

TEST_F(EngineTest, PaymentStopsTheExpiry) {
  CreateOrder c = Order("O1", "c1", {{"A", 3}}, /*paid=*/false);
  c.reservation_ttl = 60 * kMicrosPerSecond;
  ASSERT_TRUE(Apply(c).status.ok());
  Ok(Fire("O1", "confirm"));  // marks paid
  EXPECT_EQ(e_.NextExpiry(), 0);
  EXPECT_FALSE(Apply(ExpireReservations{}, kT0 + 3600 * kMicrosPerSecond).mutated);
  EXPECT_EQ(Reserved("A", "WH1"), 3);
}

TEST_F(EngineTest, IdempotentReplayReturnsTheOriginalOrderAndChangesNothing) {
  CreateOrder c = Order("O1", "c1", {{"A", 1}});
  c.idempotency_key = "k1";
  c.request_hash = "h1";
  ASSERT_TRUE(Apply(c).status.ok());
  CreateOrder again = Order("O2", "c1", {{"A", 1}});
  again.idempotency_key = "k1";
  again.request_hash = "h1";
  Outcome out = Apply(again);
  EXPECT_TRUE(out.status.ok());
  EXPECT_TRUE(out.replayed);
  EXPECT_FALSE(out.mutated);
  EXPECT_EQ(out.order_id, "O1");
  EXPECT_EQ(Reserved("A", "WH1"), 1);
}

TEST_F(EngineTest, IdempotencyKeyExpiresAfterItsTtlAndIsReportedForTheStore) {
  CreateOrder c = Order("O1", "c1", {{"A", 1}});
  c.idempotency_key = "k1";
  c.request_hash = "h1";
  ASSERT_TRUE(Apply(c, kT0).status.ok());
  CreateOrder later = Order("O2", "c2", {{"A", 1}});
  later.idempotency_key = "k2";
  later.request_hash = "h2";
  ASSERT_TRUE(Apply(later, kT0 + 3600 * kMicrosPerSecond).status.ok());
  // Within the TTL a retry is answered with the original order.
  CreateOrder retry = Order("O3", "c3", {{"A", 1}});
  retry.idempotency_key = "k1";
  retry.request_hash = "h3";
  changes_.Clear();
  EXPECT_EQ(Apply(retry, kT0 + Engine::kIdempotencyTtl - 1).status.reason(), "idempotency_key_reused");
  EXPECT_TRUE(changes_.expired_idempotency_keys.empty());
  // After it, k1 is free again (k2 is not yet) and the store is told to drop k1.
  Outcome out = Apply(retry, kT0 + Engine::kIdempotencyTtl);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_FALSE(out.replayed);
  EXPECT_EQ(out.order_id, "O3");
  ASSERT_EQ(changes_.expired_idempotency_keys.size(), 1u);
  EXPECT_EQ(changes_.expired_idempotency_keys[0], (std::pair<std::string, std::string>{"t1", "k1"}));
  CreateOrder k2_again = Order("O4", "c4", {{"A", 1}});
  k2_again.idempotency_key = "k2";
  k2_again.request_hash = "h2";
  EXPECT_TRUE(Apply(k2_again, kT0 + Engine::kIdempotencyTtl).replayed);
}

TEST_F(EngineTest, IdempotencyKeyWithAnotherBodyIsRefused) {
  CreateOrder c = Order("O1", "c1", {{"A", 1}});
  c.idempotency_key = "k1";
  c.request_hash = "h1";
  ASSERT_TRUE(Apply(c).status.ok());
  CreateOrder other = Order("O2", "c2", {{"A", 2}});
  other.idempotency_key = "k1";
  other.request_hash = "h2";
  EXPECT_EQ(Apply(other).status.reason(), "idempotency_key_reused");
  EXPECT_FALSE(e_.FindOrder("t1", "O2").has_value());
}

TEST_F(EngineTest, DuplicateChannelOrderIdAnswersWithTheExistingOrder) {
  Ok(Order("O1", "c1", {{"A", 1}}));
  Outcome out = Apply(Order("O2", "c1", {{"A", 1}}));
  EXPECT_EQ(out.status.reason(), "duplicate_channel_order");
  EXPECT_EQ(out.order_id, "O1");
  EXPECT_EQ(Reserved("A", "WH1"), 1);
}

TEST_F(EngineTest, AnotherTenantCannotSeeOrTouchAnOrder) {
  Ok(Order("O1", "c1", {{"A", 1}}));
  EXPECT_FALSE(e_.FindOrder("t2", "O1").has_value());
  EXPECT_EQ(Apply(Fire("O1", "cancel", "admin", "t2")).status.reason(), "order_not_found");
  EXPECT_EQ(State("O1"), "created");
}

TEST_F(EngineTest, ChannelPausesBelowThresholdAndResumesWhenStockReturns) {
  UpsertSku s = Sku("A");
  s.sku.channel_pause_below = {{"tmall", 12}};
  Ok(s);
  // 13 available (10 + 3): tmall may sell.
  Ok(Order("O1", "c1", {{"A", 2}}));
  // 11 available now: below 12, tmall is paused.
  Outcome out = Apply(Order("O2", "c2", {{"A", 1}}));
  EXPECT_EQ(out.status.reason(), "channel_paused");
  EXPECT_EQ(out.status.pointer(), "/lines/0/sku");
  EXPECT_EQ(e_.PausedChannels("t1", "A"), std::vector<std::string>{"tmall"});
  Ok(Adjust("A", "WH1", 5, "receipt"));
  EXPECT_TRUE(Apply(Order("O2", "c2", {{"A", 1}})).status.ok());
}

TEST_F(EngineTest, AdjustmentCannotMakeStockNegativeOrUndercutReservations) {
  EXPECT_EQ(Apply(Adjust("A", "WH1", -11, "damaged")).status.reason(), "negative_stock");
  Ok(Order("O1", "c1", {{"A", 6}}));
  EXPECT_EQ(Apply(Adjust("A", "WH1", -5, "damaged")).status.reason(), "below_reserved");
  EXPECT_EQ(OnHand("A", "WH1"), 10);
  EXPECT_EQ(Apply(Stock("A", "WH1", 5)).status.reason(), "below_reserved");
}

TEST_F(EngineTest, SafetyStockIsNotPromised) {
  SetStock s = Stock("A", "WH1", 10);
  s.safety = 8;
  Ok(s);
  Ok(Stock("A", "WH2", 0));
  EXPECT_EQ(Apply(Order("O1", "c1", {{"A", 3}})).status.reason(), "insufficient_stock");
  EXPECT_TRUE(Apply(Order("O1", "c1", {{"A", 2}})).status.ok());
}

TEST_F(EngineTest, DownNodeIsNotUsed) {
  UpsertNode n = Node("WH1");
  n.node.status = "down";
  Ok(n);
  Outcome out = Apply(Order("O1", "c1", {{"A", 3}}));
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(e_.FindOrder("t1", "O1")->line_node(0), "WH2");
}

TEST_F(EngineTest, ColdChainOrderNeedsACapableNode) {
  Ok(Node("COLD", "t1", model::kColdChain));
  Ok(Stock("A", "COLD", 1));
  CreateOrder c = Order("O1", "c1", {{"A", 1}});
  c.order.flags = model::kColdChain;
  ASSERT_TRUE(Apply(c).status.ok());
  EXPECT_EQ(e_.FindOrder("t1", "O1")->line_node(0), "COLD");
  CreateOrder d = Order("O2", "c2", {{"A", 1}});
  d.order.flags = model::kColdChain;
  // WH1 has A but no cold chain: the answer says so rather than "no stock".
  const Outcome out = Apply(d);
  EXPECT_EQ(out.status.reason(), "unroutable");
  EXPECT_NE(out.status.message().find("line 0 (sku 'A'): no_capability"), std::string::npos) << out.status.message();
}

TEST_F(EngineTest, ReplayingTheSameCommandsGivesTheSameState) {
  std::vector<Command> log;
  auto run = [&](Engine& e) {
    for (const Command& c : log) e.Apply(c, nullptr);
  };
  log.push_back(At(kT0, Node("N")));
  log.push_back(At(kT0, Sku("S")));
  log.push_back(At(kT0, Stock("S", "N", 7)));
  log.push_back(At(kT0 + 1, Order("O1", "c1", {{"S", 2}}, false)));
  log.push_back(At(kT0 + 2, Order("O2", "c2", {{"S", 3}})));
  log.push_back(At(kT0 + 3, Fire("O2", "confirm")));
  log.push_back(At(kT0 + 3600 * kMicrosPerSecond, ExpireReservations{}));
  Engine a(&lifecycles_), b(&lifecycles_);
  run(a);
  run(b);
  EXPECT_EQ(a.Stock("t1", "S", "N")->reserved, 3);
  EXPECT_EQ(a.Stock("t1", "S", "N")->reserved, b.Stock("t1", "S", "N")->reserved);
  EXPECT_EQ(a.FindOrder("t1", "O1")->state(), "cancelled");
  EXPECT_EQ(b.FindOrder("t1", "O1")->state(), "cancelled");
  EXPECT_EQ(a.StateCounts(), b.StateCounts());
}

TEST_F(EngineTest, FindOrdersIsNewestFirstByIdEvenWhenCreatesArriveOutOfOrder) {
  // Ids are issued before commands are applied: O3 may be applied before O2.
  for (const char* id : {"O1", "O3", "O2", "O4"}) Ok(Order(id, std::string("c") + id, {{"A", 1}, {"B", 1}}));
  Ok(Fire("O4", "cancel"));
  OrderFilter f;
  f.tenant = "t1";
  f.sku = "A";
  f.limit = 2;
  auto ids = [&](const OrderMatches& m) {
    std::string s;
    for (uint32_t i : m.orders) s += std::string(e_.OrderAt(i).id()) + " ";
    return s;
  };
  OrderMatches page = e_.FindOrders(f);
  EXPECT_EQ(ids(page), "O4 O3 ");
  EXPECT_EQ(page.next_cursor, "O3");
  f.before = page.next_cursor;
  page = e_.FindOrders(f);
  EXPECT_EQ(ids(page), "O2 O1 ");
  EXPECT_EQ(page.next_cursor, "");
  f.before.clear();
  f.state = "created";
  f.customer_id = "C1";
  f.limit = 10;
  EXPECT_EQ(ids(e_.FindOrders(f)), "O3 O2 O1 ");
  f.sku = "nope";
  EXPECT_EQ(ids(e_.FindOrders(f)), "");
}

TEST_F(EngineTest, FindOrdersStopsAtItsScanBudgetAndSaysWhereToGoOn) {
  for (int i = 0; i < 6; ++i) Ok(Order("O" + std::to_string(i), "c" + std::to_string(i), {{"A", 1}}));
  OrderFilter f;
  f.tenant = "t1";
  f.sku = "A";
  f.state = "shipped";  // matches nothing: every candidate is examined
  OrderMatches page = e_.FindOrders(f, /*scan_budget=*/4);
  EXPECT_TRUE(page.orders.empty());
  EXPECT_EQ(page.next_cursor, "O2");  // O5..O2 examined, go on below O2
  f.before = page.next_cursor;
  page = e_.FindOrders(f, 4);
  EXPECT_TRUE(page.orders.empty());
  EXPECT_EQ(page.next_cursor, "");
}

}  // namespace
}  // namespace orderhub::engine
