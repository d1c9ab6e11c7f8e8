// The network and policy files: a good one loads; each kind of bad one is refused with
// the file, the line and the field.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "model/order.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

constexpr const char* kGood = R"(version: 1
nodes:
  - code: SH-DC
    type: dc
    region_code: "310115"
    lat: 31.22
    lng: 121.54
    capacity_orders: 20000
    cost_per_order: 150
    cutoff: "18:30"
    capabilities: [cold_chain]
    on_time_rate: 0.98
  - code: GZ-3PL
    type: 3pl
    region_code: "440106"
    lat: 23.12
    lng: 113.36
    status: degraded
lanes:
  - origin: GZ-3PL
    destination: "31"
    carrier: SF
    level: express
    rate: {first_weight: 900, additional_per_kg: 400}
    transit: {mean_hours: 30, sd_hours: 5}
    via: [G15, "35"]
)";

std::string Error(const std::string& text) {
  auto n = Network::Parse(text, "net.yaml");
  EXPECT_FALSE(n.ok()) << text;
  return n.ok() ? "" : n.status().message();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(NetworkFile, AGoodFileLoadsEveryField) {
  auto n = Network::Parse(kGood, "net.yaml");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(n->nodes().size(), 2u);
  const Node& sh = n->nodes()[0];
  EXPECT_EQ(sh.type, "dc");
  EXPECT_EQ(sh.cutoff_minute, 18 * 60 + 30);
  EXPECT_EQ(sh.capabilities, model::kColdChain);
  EXPECT_EQ(sh.capacity_orders, 20000);
  EXPECT_DOUBLE_EQ(sh.on_time_rate, 0.98);
  EXPECT_EQ(n->nodes()[1].status, NodeStatus::kDegraded);
  ASSERT_EQ(n->LanesFrom(n->FindNode("GZ-3PL")).size(), 1u);
  const Lane& l = n->lanes()[0];
  EXPECT_EQ(l.carrier, "SF");
  EXPECT_EQ(l.level, ServiceLevel::kExpress);
  EXPECT_EQ(l.rate.PriceOf(2500), 900 + 2 * 400);
  EXPECT_EQ(l.via, (std::vector<std::string>{"G15", "35"}));
  EXPECT_EQ(n->FindNode("nowhere"), kNoNode);
}

TEST(NetworkFile, ALaneMayServeCountiesDirectlyUnderAProvince) {
  // 4690: Hainan's counties that belong to no prefecture.
  auto n = Network::Parse(Replace(kGood, "destination: \"31\"", "destination: \"4690\""), "net.yaml");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
}

TEST(NetworkFile, JsonIsReadToo) {
  auto n = Network::Parse(
      R"({"nodes":[{"code":"A","region_code":"110105","lat":39.9,"lng":116.4}],"lanes":[]})", "net.json");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->nodes()[0].code, "A");
}

TEST(NetworkFile, BadFilesAreRefusedWithFileLineAndField) {
  EXPECT_EQ(Error(Replace(kGood, "\"440106\"", "\"990000\"")),
            "net.yaml:13: /nodes/1/region_code: unknown region '990000' (GB/T 2260 county or city code)");
  EXPECT_EQ(Error(Replace(kGood, "capacity_orders: 20000", "capacity_orders: -5")),
            "net.yaml:3: /nodes/0/capacity_orders: must not be negative");
  EXPECT_EQ(Error(Replace(kGood, "cost_per_order: 150", "cost_per_order: -1")),
            "net.yaml:3: /nodes/0/cost_per_order: must not be negative");
  EXPECT_EQ(Error(Replace(kGood, "destination: \"31\"", "destination: \"98\"")),
            "net.yaml:20: /lanes/0/destination: '98' is no province, city or county code: a lane to nowhere");
  EXPECT_EQ(Error(Replace(kGood, "origin: GZ-3PL", "origin: XX")), "net.yaml:20: /lanes/0/origin: no node 'XX'");
  EXPECT_EQ(Error(Replace(kGood, "    lat: 23.12\n", "")), "net.yaml:13: /nodes/1/lat: missing coordinates");
  EXPECT_EQ(Error(Replace(kGood, "capacity_orders: 20000", "capacity_orders: lots")),
            "net.yaml:8: /nodes/0/capacity_orders: must be an integer");
  EXPECT_EQ(Error(Replace(kGood, "cutoff: \"18:30\"", "cutoff: \"25:00\"")),
            "net.yaml:10: /nodes/0/cutoff: must be a time HH:MM, e.g. \"16:00\"");
  EXPECT_EQ(Error(Replace(kGood, "    on_time_rate: 0.98", "    on_time: 0.98")),
            "net.yaml:12: /nodes/0/on_time: unknown field");
  EXPECT_EQ(Error(Replace(kGood, "code: GZ-3PL", "code: SH-DC")), "net.yaml:13: /nodes/1/code: node 'SH-DC' is defined twice");
  EXPECT_EQ(Error(Replace(kGood, "capabilities: [cold_chain]", "capabilities: [frozen]")),
            "net.yaml:11: /nodes/0/capabilities/0: unknown capability 'frozen'");
  EXPECT_EQ(Error(Replace(kGood, "mean_hours: 30", "mean_hours: 0")),
            "net.yaml:20: /lanes/0/transit/mean_hours: must be more than 0 and less than 60 days");
  EXPECT_EQ(Error(Replace(kGood, "on_time_rate: 0.98", "on_time_rate: 1.5")),
            "net.yaml:3: /nodes/0/on_time_rate: must be 0..1");
  EXPECT_EQ(Error("nodes: {a: 1}"), "net.yaml:1: /nodes: must be a list");
  EXPECT_EQ(Error("nodez: []"), "net.yaml:1: /nodez: unknown field (expected version, nodes, lanes, transfers)");
  EXPECT_NE(Error("nodes: [").find("net.yaml:1"), std::string::npos);
  EXPECT_EQ(Error(Replace(kGood, "first_weight: 900", "first_weight: 90000000000")),
            "net.yaml:20: /lanes/0/rate/first_weight: must be at most 1000000000");
}

// A supply chain: the Shanghai DC feeds the Hangzhou warehouse, which feeds a store.
constexpr const char* kChain = R"(nodes:
  - {code: SH-DC, region_code: "310115", lat: 31.22, lng: 121.54}
  - {code: HZ-RDC, region_code: "330106", lat: 30.26, lng: 120.13}
  - {code: HZ-STORE, region_code: "330102", lat: 30.25, lng: 120.17}
transfers:
  - {from: SH-DC, to: HZ-RDC, hours: 10, cost_per_order: 300, cost_per_unit: 20}
  - {from: HZ-RDC, to: HZ-STORE, hours: 4, cost_per_order: 100}
)";

TEST(NetworkFile, TransfersChainIntoSuppliersAndMayNotLoop) {
  auto n = Network::Parse(kChain, "net.yaml");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  const uint32_t dc = n->FindNode("SH-DC"), rdc = n->FindNode("HZ-RDC"), store = n->FindNode("HZ-STORE");
  EXPECT_TRUE(n->SuppliersOf(dc).empty());
  ASSERT_EQ(n->SuppliersOf(store).size(), 2u);  // the warehouse directly, the DC through it; fastest first
  EXPECT_EQ(n->SuppliersOf(store)[0].node, rdc);
  EXPECT_DOUBLE_EQ(n->SuppliersOf(store)[0].hours, 4);
  EXPECT_EQ(n->SuppliersOf(store)[1].node, dc);
  EXPECT_DOUBLE_EQ(n->SuppliersOf(store)[1].hours, 14);
  EXPECT_EQ(n->SuppliersOf(store)[1].cost_per_order, 400);
  EXPECT_EQ(n->SuppliersOf(store)[1].cost_per_unit, 20);
  EXPECT_EQ(std::vector<uint32_t>(n->TransferHubs().begin(), n->TransferHubs().end()),
            (std::vector<uint32_t>{rdc, store}));

  const std::string loop = std::string(kChain) + "  - {from: HZ-STORE, to: SH-DC, hours: 12}\n";
  EXPECT_EQ(Error(loop), "net.yaml:8: /transfers/2: transfers form a cycle: SH-DC -> HZ-RDC -> HZ-STORE -> SH-DC");
  EXPECT_EQ(Error(Replace(kChain, "to: HZ-STORE, hours: 4", "to: HZ-SHOP, hours: 4")),
            "net.yaml:7: /transfers/1/to: no node 'HZ-SHOP': a transfer to nowhere");
  EXPECT_EQ(Error(Replace(kChain, "from: HZ-RDC, to: HZ-STORE", "from: HZ-RDC, to: HZ-RDC")),
            "net.yaml:7: /transfers/1/to: a transfer from 'HZ-RDC' to itself");
  EXPECT_EQ(Error(Replace(kChain, "hours: 10", "hours: -2")),
            "net.yaml:6: /transfers/0/hours: must be more than 0 and less than 60 days");
  EXPECT_EQ(Error(Replace(kChain, "cost_per_unit: 20", "cost_per_unit: -20")),
            "net.yaml:6: /transfers/0/cost_per_unit: must not be negative");
  EXPECT_EQ(Error(Replace(kChain, "from: HZ-RDC, to: HZ-STORE", "from: SH-DC, to: HZ-RDC")),
            "net.yaml:7: /transfers/1/to: a second transfer from 'SH-DC' to 'HZ-RDC'");
  EXPECT_EQ(Error(Replace(kChain, "hours: 4, ", "")), "net.yaml:7: /transfers/1/hours: missing");
  EXPECT_EQ(Error(Replace(kChain, "hours: 4,", "hours: 4, by: truck,")),
            "net.yaml:7: /transfers/1/by: unknown field (expected from, to, hours, cost_per_order, cost_per_unit, via)");
}

TEST(NetworkFile, AMissingFileIsAnIoError) {
  auto n = Network::LoadFile("/nonexistent/net.yaml");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Code::kIOError);
}


std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PolicyFile, TheShippedDefaultIsTheBuiltInDefault) {
  auto p = Policy::Parse(ReadFile(std::string(OH_SOURCE_DIR) + "/config/routing/default_policy.yaml"),
                         "default_policy.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const Policy d;
  EXPECT_EQ(p->name, d.name);
  EXPECT_EQ(p->max_shipments, d.max_shipments);
  EXPECT_EQ(p->split_penalty, d.split_penalty);
  EXPECT_EQ(p->late_penalty, d.late_penalty);
  EXPECT_EQ(p->hour_value, d.hour_value);
  EXPECT_EQ(p->carbon_price, d.carbon_price);
  EXPECT_EQ(p->load_penalty, d.load_penalty);
  EXPECT_EQ(p->promise_hours, d.promise_hours);
  EXPECT_EQ(p->candidates, d.candidates);
  EXPECT_EQ(p->split_candidates, d.split_candidates);
  EXPECT_EQ(p->alternatives, d.alternatives);
  EXPECT_EQ(p->backorder, d.backorder);
  EXPECT_EQ(p->priority_per_yuan, d.priority_per_yuan);
  EXPECT_EQ(p->priority_per_hour, d.priority_per_hour);
  EXPECT_EQ(p->priority_tiers, d.priority_tiers);
  EXPECT_EQ(p->priority_channels, d.priority_channels);
}

TEST(PolicyFile, BadValuesAreRefusedWithLineAndField) {
  auto p = Policy::Parse("name: x\nmax_shipments: 0\n", "p.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "p.yaml:2: /max_shipments: must be 1..8");
  p = Policy::Parse("late_penalty: cheap\n", "p.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "p.yaml:1: /late_penalty: must be a number");
  p = Policy::Parse("split_penalty: 5\nsplit_penalties: 6\n", "p.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "p.yaml:2: /split_penalties: unknown field");
}

}  // namespace
}  // namespace orderhub::routing
