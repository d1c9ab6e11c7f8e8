// Routing over the REST API against a real hub: quotes, the plan of an
// order, disruptions and re-routes, lanes and policy, bad input, and that a
// restart keeps the network as it was.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "app/hub.h"
#include "app/keys.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::api {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

class RoutingApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-routing-api");
    Open(/*fresh=*/true);
    Expect(200, "PUT", "/v1/nodes/SH",
           R"({"name":"上海仓","region_code":"310115","lat":31.22,"lng":121.54,"capacity_orders":5000,)"
           R"("cost_per_order":150,"cutoff":"18:00"})");
    Expect(200, "PUT", "/v1/nodes/BJ", R"({"name":"北京仓","region_code":"110105","lat":39.92,"lng":116.44})");
    Expect(200, "PUT", "/v1/skus/A", R"({"name":"保温杯","weight_g":450})");
    Expect(200, "PUT", "/v1/inventory/A/SH", R"({"on_hand":10,"reason":"count"})");
    Expect(200, "PUT", "/v1/inventory/A/BJ", R"({"on_hand":10,"reason":"count"})");
  }
  void TearDown() override {
    client_.reset();
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(bool fresh, int64_t replan_every_s = 600) {
    app::HubOptions o = fresh ? orderhub::testing::TestHubOptions(dir_) : app::HubOptions{};
    o.replan_every_s = replan_every_s;
    if (!fresh) {
      o.data_dir = dir_.string();
      o.durability = store::Durability::kNormal;
      o.server.port = 0;
    }
    hub_ = orderhub::testing::ServeHub(o, &clock_);
    ASSERT_NE(hub_, nullptr);
    if (fresh) key_ = *app::CreateKey(hub_->store(), "t1", "operations", 0);
    client_ = std::make_unique<HttpClient>(hub_->port(), key_);
  }

  HttpResponse Expect(int status, const std::string& method, const std::string& target, const std::string& body = "") {
    HttpResponse r = client_->Send(method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target << " -> " << r.body << r.error;
    return r;
  }
  // Creates an order for one unit of A to `region`; its id.
  std::string Create(const std::string& ref, const std::string& region) {
    HttpResponse r = Expect(201, "POST", "/v1/orders",
                            R"({"channel":"tmall","channel_order_id":")" + ref +
                                R"(","customer_id":"C1","currency":"CNY","paid":true,)"
                                R"("lines":[{"sku":"A","quantity":1,"unit_price":100}],)"
                                R"("ship_to":{"region_code":")" + region + R"(","address":"某路1号","name":"李四","phone":"13900139000"}})");
    return r.body.substr(r.body.find("\"id\":\"") + 6, 26);
  }
  int64_t Reserved(const std::string& node) {
    const HttpResponse r = Expect(200, "GET", "/v1/inventory/A/" + node);
    const size_t at = r.body.find("\"reserved\":");
    return std::stoll(r.body.substr(at + 11));
  }
  static bool Has(const HttpResponse& r, const std::string& s) { return r.body.find(s) != std::string::npos; }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
  std::string key_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(RoutingApiTest, NodesAndSkusKeepTheirRoutingFields) {
  const HttpResponse node = Expect(200, "GET", "/v1/nodes/SH");
  EXPECT_TRUE(Has(node, R"("capacity_orders":5000)")) << node.body;
  EXPECT_TRUE(Has(node, R"("cost_per_order":150)")) << node.body;
  EXPECT_TRUE(Has(node, R"("cutoff":"18:00")")) << node.body;
  EXPECT_TRUE(Has(Expect(200, "GET", "/v1/skus/A"), R"("weight_g":450)"));
}

TEST_F(RoutingApiTest, AQuoteAnswersWithoutReserving) {
  const HttpResponse q = Expect(200, "POST", "/v1/quote",
                                R"({"region_code":"120101","lines":[{"sku":"A","quantity":2}]})");
  EXPECT_TRUE(Has(q, R"("routable":true)")) << q.body;
  EXPECT_TRUE(Has(q, R"("shipments":[{"node":"BJ")")) << "Tianjin is next to Beijing: " << q.body;
  EXPECT_TRUE(Has(q, R"("eta_p50":")"));
  EXPECT_EQ(Reserved("BJ"), 0);
  EXPECT_EQ(Reserved("SH"), 0);
}

TEST_F(RoutingApiTest, AnOrdersPlanIsItsDecisionWithAlternatives) {
  const std::string id = Create("P1", "330106");  // Hangzhou
  const HttpResponse plan = Expect(200, "GET", "/v1/orders/" + id + "/plan");
  EXPECT_TRUE(Has(plan, R"("event":"created")")) << plan.body;
  EXPECT_TRUE(Has(plan, R"("decision":{"routable":true)")) << plan.body;
  EXPECT_TRUE(Has(plan, R"("chosen":true)")) << plan.body;
  EXPECT_TRUE(Has(plan, R"("chosen":false)")) << "an alternative: " << plan.body;
  EXPECT_EQ(Reserved("SH"), 1);
}

// A line whose units a transfer brings to the node of the other: the order
// says where each line is reserved and where it ships from, the plan why.
TEST_F(RoutingApiTest, ATransferredLineShowsWhereItShipsFrom) {
  Expect(200, "PUT", "/v1/skus/B", R"({"name":"杯盖","weight_g":50})");
  Expect(200, "PUT", "/v1/inventory/B/BJ", R"({"on_hand":5,"reason":"count"})");
  Expect(200, "PUT", "/v1/routing/lanes",
         R"({"transfers":[{"from":"BJ","to":"SH","hours":8,"cost_per_order":100,"cost_per_unit":5}]})");
  EXPECT_TRUE(Has(Expect(200, "GET", "/v1/routing/network"), R"("transfers":[{"from":"BJ","to":"SH","hours":8,)"));
  const HttpResponse r = Expect(201, "POST", "/v1/orders",
                                R"({"channel":"tmall","channel_order_id":"T1","customer_id":"C1","currency":"CNY",)"
                                R"("paid":true,"lines":[{"sku":"A","quantity":1,"unit_price":100},)"
                                R"({"sku":"B","quantity":1,"unit_price":100}],"ship_to":{"region_code":"310104",)"
                                R"("address":"某路1号","name":"李四","phone":"13900139000"}})");
  const std::string id = r.body.substr(r.body.find("\"id\":\"") + 6, 26);
  const HttpResponse order = Expect(200, "GET", "/v1/orders/" + id);
  EXPECT_TRUE(Has(order, R"("sku":"B")")) << order.body;
  EXPECT_TRUE(Has(order, R"("node":"BJ","ships_from":"SH","reserved":1)")) << order.body;
  EXPECT_TRUE(Has(order, R"("node":"SH","reserved":1)")) << order.body;
  const HttpResponse plan = Expect(200, "GET", "/v1/orders/" + id + "/plan");
  EXPECT_TRUE(Has(plan, R"("transfers":[{"line":1,"from":"BJ","hours":8}],"transfer_cost":105)")) << plan.body;
}

// A quantity no node holds alone: the order's line shows each node's part,
// and the plan the units of each parcel; after a restart too.
TEST_F(RoutingApiTest, ALineSplitBetweenNodesShowsItsAllocations) {
  const std::string body = R"({"channel":"tmall","channel_order_id":"Q1","customer_id":"C1","currency":"CNY",)"
                           R"("paid":true,"lines":[{"sku":"A","quantity":15,"unit_price":100}],)"
                           R"("ship_to":{"region_code":"310104","address":"某路1号","name":"李四","phone":"13900139000"}})";
  const HttpResponse quote = Expect(200, "POST", "/v1/quote",
                                    R"({"region_code":"310104","lines":[{"sku":"A","quantity":15}]})");
  EXPECT_TRUE(Has(quote, R"("node":"SH","lines":[0],"quantities":[10])")) << quote.body;
  const HttpResponse r = Expect(201, "POST", "/v1/orders", body);
  const std::string id = r.body.substr(r.body.find("\"id\":\"") + 6, 26);
  EXPECT_EQ(Reserved("SH"), 10);
  EXPECT_EQ(Reserved("BJ"), 5);
  auto check = [&] {
    const HttpResponse order = Expect(200, "GET", "/v1/orders/" + id);
    EXPECT_TRUE(Has(order, R"("sku":"A","quantity":15,"unit_price":100,"discount":0,"total":1500,"node":"SH",)"
                           R"("reserved":15,"shipped":0,"allocations":[{"node":"SH","quantity":10,"reserved":10,)"
                           R"("shipped":0},{"node":"BJ","quantity":5,"reserved":5,"shipped":0}])"))
        << order.body;
    const HttpResponse plan = Expect(200, "GET", "/v1/orders/" + id + "/plan");
    EXPECT_TRUE(Has(plan, R"("node":"BJ","lines":[0],"quantities":[5])")) << plan.body;
    EXPECT_TRUE(Has(plan, "line 0 split between 2 nodes")) << plan.body;
  };
  check();
  client_.reset();
  hub_.reset();
  Open(/*fresh=*/false);
  check();
  // More than the nodes hold together: refused, nothing reserved.
  const HttpResponse more = Expect(409, "POST", "/v1/orders",
                                   R"({"channel":"tmall","channel_order_id":"Q2","customer_id":"C1","currency":"CNY",)"
                                   R"("paid":true,"lines":[{"sku":"A","quantity":6,"unit_price":100}],)"
                                   R"("ship_to":{"region_code":"310104","address":"某路1号","name":"李四","phone":"13900139000"}})");
  EXPECT_TRUE(Has(more, R"("pointer":"/lines/0/quantity")")) << more.body;
  EXPECT_EQ(Reserved("SH"), 10);
  EXPECT_EQ(Reserved("BJ"), 5);
}

TEST_F(RoutingApiTest, ADisruptionAndARerouteMoveTheOrderAndSurviveARestart) {
  const std::string id = Create("D1", "330106");
  ASSERT_EQ(Reserved("SH"), 1);
  const HttpResponse closed = Expect(200, "POST", "/v1/routing/disruptions", R"({"close":"31","reason":"台风"})");
  EXPECT_TRUE(Has(closed, R"("closed":["31"])")) << closed.body;
  Expect(200, "POST", "/v1/orders/" + id + "/reroute", R"({"reason":"typhoon in Shanghai"})");
  EXPECT_EQ(Reserved("SH"), 0);
  EXPECT_EQ(Reserved("BJ"), 1);
  const HttpResponse plan = Expect(200, "GET", "/v1/orders/" + id + "/plan");
  EXPECT_TRUE(Has(plan, R"("event":"rerouted")")) << plan.body;
  const HttpResponse history = Expect(200, "GET", "/v1/orders/" + id + "/events");
  EXPECT_TRUE(Has(history, R"("before":{"nodes":"SH")")) << history.body;
  EXPECT_TRUE(Has(history, R"("after":{"nodes":"BJ")")) << history.body;

  client_.reset();
  hub_.reset();
  Open(/*fresh=*/false);
  EXPECT_TRUE(Has(Expect(200, "GET", "/v1/routing/network"), R"("closed":["31"])"));
  EXPECT_EQ(Reserved("BJ"), 1);
  // A new order to Hangzhou still avoids Shanghai, until it reopens.
  Create("D2", "330106");
  EXPECT_EQ(Reserved("BJ"), 2);
  Expect(200, "POST", "/v1/routing/disruptions", R"({"reopen":"31"})");
  Create("D3", "330106");
  EXPECT_EQ(Reserved("SH"), 1);
}

TEST_F(RoutingApiTest, LanesAndPolicyAreSetWhole) {
  const HttpResponse lanes =
      Expect(200, "PUT", "/v1/routing/lanes",
             "lanes:\n  - origin: BJ\n    destination: '33'\n    carrier: SF\n    level: air\n"
             "    rate: {first_weight: 2000}\n    transit: {mean_hours: 8, sd_hours: 2}\n");
  EXPECT_TRUE(Has(lanes, R"("lanes":[{"origin":"BJ","destination":"33","carrier":"SF","level":"air","open":true}])"))
      << lanes.body;
  const HttpResponse policy = Expect(200, "PUT", "/v1/routing/policy", R"({"name":"fast","hour_value":50})");
  EXPECT_TRUE(Has(policy, R"("policy":"fast")")) << policy.body;
}

TEST_F(RoutingApiTest, BadInputNamesTheField) {
  struct Case {
    const char *method, *target, *body;
    int status;
    const char* pointer;
  };
  const std::string id = Create("B1", "330106");
  const Case cases[] = {
      {"POST", "/v1/routing/disruptions", R"({})", 400, "/close"},
      {"POST", "/v1/routing/disruptions", R"({"close":"31","reopen":"31"})", 400, "/reopen"},
      {"POST", "/v1/routing/disruptions", R"({"close":"315"})", 400, "/close"},
      {"POST", "/v1/routing/disruptions", R"({"close":"G4","when":"now"})", 400, "/when"},
      {"POST", "/v1/routing/disruptions", R"({"reopen":"44"})", 404, "/reopen"},
      {"PUT", "/v1/routing/lanes", R"({"lanes":[{"origin":"NOPE","destination":"33","carrier":"SF","level":"air",)"
                                   R"("rate":{"first_weight":1},"transit":{"mean_hours":8,"sd_hours":2}}]})",
       400, "/lanes/0/origin"},
      {"PUT", "/v1/routing/lanes", R"({"lanes":[{"origin":"BJ","destination":"99","carrier":"SF","level":"air",)"
                                   R"("rate":{"first_weight":1},"transit":{"mean_hours":8,"sd_hours":2}}]})",
       400, "/lanes/0/destination"},
      {"PUT", "/v1/routing/lanes", R"({"transfers":[{"from":"BJ","to":"SH","hours":8},{"from":"SH","to":"BJ","hours":8}]})",
       400, "/transfers/0"},  // a cycle
      {"PUT", "/v1/routing/lanes", R"({"transfers":[{"from":"BJ","to":"GZ","hours":8}]})", 400, "/transfers/0/to"},
      {"PUT", "/v1/routing/lanes", R"({"transfers":[{"from":"BJ","to":"SH","hours":-1}]})", 400, "/transfers/0/hours"},
      {"PUT", "/v1/routing/lanes", R"({"transfers":[{"from":"BJ","to":"SH"}]})", 400, "/transfers/0/hours"},
      {"PUT", "/v1/routing/policy", R"({"max_shipments":0})", 400, "/max_shipments"},
      {"PUT", "/v1/routing/policy", R"({"speed":1})", 400, "/speed"},
      {"POST", "/v1/quote", R"({"lines":[{"sku":"A","quantity":1}]})", 400, "/region_code"},
      {"POST", "/v1/quote", R"({"region_code":"120101","lines":[{"sku":"A","quantity":0}]})", 400, "/lines/0/quantity"},
      {"POST", "/v1/quote", R"({"region_code":"120101","lines":[{"sku":"NOPE","quantity":1}]})", 404, "/lines/0/sku"},
      {"POST", "/v1/quote", R"({"region_code":"120101","lines":[{"sku":"A","quantity":1000}]})", 409, "/lines/0/quantity"},
      {"POST", "/v1/orders/B1-NOT-AN-ID/reroute", "", 404, ""},
  };
  for (const Case& c : cases) {
    const HttpResponse r = Expect(c.status, c.method, c.target, c.body);
    EXPECT_TRUE(Has(r, std::string("\"pointer\":\"") + c.pointer + "\"")) << c.target << " " << c.body << " -> " << r.body;
  }
  const HttpResponse pin = Expect(404, "POST", "/v1/orders/" + id + "/reroute", R"({"pin_node":"NOPE"})");
  EXPECT_TRUE(Has(pin, R"("pointer":"/pin_node")")) << pin.body;
  // Nothing of that changed the order or the network.
  EXPECT_EQ(Reserved("SH"), 1);
  EXPECT_TRUE(Has(Expect(200, "GET", "/v1/routing/network"), R"("closed":[])"));
}

TEST_F(RoutingApiTest, ScarceStockWaitsInTheBackorderQueueAndIsFilledByPriority) {
  Expect(200, "PUT", "/v1/routing/policy", R"({"backorder":true,"priority_tiers":{"vip":100}})");
  Expect(200, "PUT", "/v1/inventory/A/SH", R"({"on_hand":0,"reason":"count"})");
  Expect(200, "PUT", "/v1/inventory/A/BJ", R"({"on_hand":0,"reason":"count"})");
  const std::string regular = Create("W1", "330106");
  const HttpResponse vip = Expect(
      201, "POST", "/v1/orders",
      R"({"channel":"tmall","channel_order_id":"W2","customer_id":"C2","currency":"CNY","paid":true,)"
      R"("lines":[{"sku":"A","quantity":1,"unit_price":100}],"attributes":{"customer_tier":"vip"},)"
      R"("ship_to":{"region_code":"330106","address":"某路2号","name":"王五","phone":"13700137000"}})");
  const std::string vip_id = vip.body.substr(vip.body.find("\"id\":\"") + 6, 26);
  const HttpResponse waiting = Expect(200, "GET", "/v1/routing/backorders");
  ASSERT_LT(waiting.body.find(vip_id), waiting.body.find(regular)) << "vip first: " << waiting.body;
  Expect(200, "PUT", "/v1/inventory/A/SH", R"({"on_hand":1,"reason":"receipt"})");
  EXPECT_TRUE(Has(Expect(200, "GET", "/v1/orders/" + vip_id), R"("node":"SH","reserved":1)"));
  const HttpResponse left = Expect(200, "GET", "/v1/routing/backorders");
  EXPECT_TRUE(Has(left, regular)) << left.body;
  EXPECT_FALSE(Has(left, vip_id)) << left.body;
  const HttpResponse queue = Expect(200, "GET", "/v1/nodes/SH/queue?limit=5");
  EXPECT_TRUE(Has(queue, vip_id)) << queue.body;
  Expect(400, "GET", "/v1/nodes/SH/queue?limit=0");
  Expect(404, "GET", "/v1/nodes/NOPE/queue");
}

TEST_F(RoutingApiTest, OpenOrdersAreReplannedOnDemandAndOnATimer) {
  Expect(200, "PUT", "/v1/inventory/A/SH", R"({"on_hand":0,"reason":"count"})");
  const std::string id = Create("R1", "330106");
  ASSERT_EQ(Reserved("BJ"), 1);
  // On demand: nothing better yet, so nothing moves.
  const HttpResponse idle = Expect(200, "POST", "/v1/routing/replan", R"({"scope":"all","passes":2})");
  EXPECT_TRUE(Has(idle, R"("moved":0)")) << idle.body;
  EXPECT_TRUE(Has(Expect(400, "POST", "/v1/routing/replan", R"({"passes":4})"), R"("pointer":"/passes")"));
  EXPECT_TRUE(Has(Expect(400, "POST", "/v1/routing/replan", R"({"scope":"some"})"), R"("pointer":"/scope")"));
  const HttpResponse swaps = Expect(200, "POST", "/v1/routing/replan", R"({"scope":"all","swaps":true})");
  EXPECT_TRUE(Has(swaps, R"("moved":0,"stranded":0,"swaps":0)")) << swaps.body;
  EXPECT_TRUE(Has(Expect(400, "POST", "/v1/routing/replan", R"({"scope":"broken","swaps":true})"),
                  R"("pointer":"/swaps")"));
  EXPECT_TRUE(Has(Expect(400, "POST", "/v1/routing/replan", R"({"swaps":"yes"})"), R"("pointer":"/swaps")"));

  // Stock arrives near the customer; the timer (every second here) moves the order there.
  client_.reset();
  hub_.reset();
  Open(/*fresh=*/false, /*replan_every_s=*/1);
  Expect(200, "PUT", "/v1/inventory/A/SH", R"({"on_hand":10,"reason":"receipt"})");
  HttpResponse report;
  for (int i = 0; i < 50 && !Has(report, R"("reason":"timer")"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    report = client_->Send("GET", "/v1/routing/replan", "");
  }
  ASSERT_TRUE(Has(report, R"("reason":"timer")")) << report.body;
  EXPECT_TRUE(Has(report, R"("moved":1)")) << report.body;
  EXPECT_EQ(Reserved("SH"), 1);
  EXPECT_EQ(Reserved("BJ"), 0);
  EXPECT_TRUE(Has(Expect(200, "GET", "/v1/orders/" + id + "/plan"), R"("event":"replanned")"));

  // Journaled like any command: a restart (no timer) finds the order where the timer put it.
  client_.reset();
  hub_.reset();
  Open(/*fresh=*/false, /*replan_every_s=*/0);
  EXPECT_EQ(Reserved("SH"), 1);
  EXPECT_EQ(Reserved("BJ"), 0);
}

}  // namespace
}  // namespace orderhub::api
