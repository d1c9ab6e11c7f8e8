// `orderhub route` on the example files (examples/routing) and on bad ones:
// the real binary, its exit status and its output.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "testing/test_path.h"

namespace orderhub::app {
namespace {

int RunOrderhub(const std::string& args, std::string* out) {
  FILE* p = popen((std::string(OH_BINARY) + " " + args + " 2>&1").c_str(), "r");
  char buf[512];
  out->clear();
  while (std::fgets(buf, sizeof buf, p) != nullptr) *out += buf;
  return WEXITSTATUS(pclose(p));
}

const std::string kExamples = std::string(OH_SOURCE_DIR) + "/examples/routing/";

class RouteCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::FreshTestDir("oh-route-cli");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string Decide(const std::string& stock, const std::string& order, int* status) {
    std::string out;
    *status = RunOrderhub("route decide --network " + kExamples + "network.yaml --stock " + stock + " --order " + order, &out);
    return out;
  }
  std::filesystem::path dir_;
};

TEST_F(RouteCliTest, DecidesTheExampleOrderWithAlternatives) {
  std::string out;
  ASSERT_EQ(RunOrderhub("route check --network " + kExamples + "network.yaml", &out), 0) << out;
  EXPECT_NE(out.find("5 nodes, 1 explicit lanes, 1 transfers"), std::string::npos) << out;
  int status = -1;
  out = Decide(kExamples + "stock.csv", kExamples + "order.yaml", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.rfind("{\"routable\":true,\"plans\":[{\"rank\":0,\"chosen\":true,", 0), 0u) << out;
  // The tea is in Hangzhou, the cup in Shanghai: the shuttle brings the tea to
  // Shanghai and one parcel leaves there; GZ-3PL, the only node holding both,
  // is the runner-up, then the split.
  EXPECT_NE(out.find("\"shipments\":[{\"node\":\"SH-DC\",\"lines\":[0,1],"), std::string::npos) << out;
  EXPECT_NE(out.find("\"transfers\":[{\"line\":0,\"from\":\"HZ-WH\",\"hours\":6}],\"transfer_cost\":220"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"shipments\":[{\"node\":\"GZ-3PL\",\"lines\":[0,1],\"carrier\":\"SF\",\"level\":\"express\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("{\"rank\":1,\"chosen\":false"), std::string::npos) << out;
  EXPECT_NE(out.find("\"node\":\"HZ-WH\""), std::string::npos) << out;
  EXPECT_NE(out.find("lowest score"), std::string::npos) << out;
}

TEST_F(RouteCliTest, AnUnroutableOrderExitsOneWithTheReasonPerLine) {
  int status = -1;
  const std::string out = Decide(kExamples + "stock.csv", Write("o.yaml", R"(now: "2026-11-24T10:00:00+08:00"
region_code: "310104"
lines: [{sku: TEA-001, quantity: 1}, {sku: NOPE, quantity: 1}]
)"),
                                 &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("{\"routable\":false,\"plans\":[],\"problems\":[{\"line\":1,\"reason\":\"no_stock\""),
            std::string::npos)
      << out;
}

TEST_F(RouteCliTest, BadFilesNameTheFileLineAndField) {
  const std::string order = kExamples + "order.yaml";
  int status = -1;
  std::string out = Decide(Write("s.csv", "sku,node,available\nTEA-001,XX-DC,3\n"), order, &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("s.csv:2: no node 'XX-DC' in the network"), std::string::npos) << out;
  out = Decide(Write("s.csv", "sku,node,available\nTEA-001,SH-DC,-3\n"), order, &status);
  EXPECT_NE(out.find("s.csv:2: available must be a whole number 0..1000000000, not '-3'"), std::string::npos) << out;
  out = Decide(Write("s.csv", "sku,node,available\nTEA-001,SH-DC,3\nTEA-001,SH-DC,4\n"), order, &status);
  EXPECT_NE(out.find("s.csv:3: sku 'TEA-001' at node 'SH-DC' is listed twice"), std::string::npos) << out;
  out = Decide(Write("s.csv", "sku;node;available\n"), order, &status);
  EXPECT_NE(out.find("s.csv:1: the header must be sku,node,available"), std::string::npos) << out;

  const std::string stock = kExamples + "stock.csv";
  out = Decide(stock, Write("o.yaml", "now: \"2026-11-24T10:00:00+08:00\"\nregion_code: \"310104\"\nlines: [{sku: A, quantity: 0}]\n"),
               &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("o.yaml:3: /lines/0/quantity: must be 1..1000000"), std::string::npos) << out;
  out = Decide(stock, Write("o.yaml", "now: yesterday\n"), &status);
  EXPECT_NE(out.find("o.yaml:1: /now: must be an RFC 3339 time"), std::string::npos) << out;
  out = Decide(stock, Write("o.yaml", "now: \"2026-11-24T10:00:00Z\"\nregion_code: \"310104\"\ncolour: red\n"), &status);
  EXPECT_NE(out.find("o.yaml:3: /colour: unknown field"), std::string::npos) << out;
  out = Decide(stock, Write("o.yaml", "now: \"2026-11-24T10:00:00Z\"\nregion_code: \"000000\"\nlines: [{sku: A, quantity: 1}]\n"),
               &status);
  EXPECT_NE(out.find("/region_code: unknown region '000000'"), std::string::npos) << out;
  out = Decide(stock, Write("o.yaml", "now: \"2026-11-24T10:00:00Z\"\npinned_node: NOWHERE\n"), &status);
  EXPECT_NE(out.find("o.yaml:2: /pinned_node: no such node in the network"), std::string::npos) << out;

  ASSERT_EQ(RunOrderhub("route check --network " + Write("n.yaml", "nodes: [{code: A, region_code: \"310115\", lat: 31}]\n"), &out),
            1);
  EXPECT_NE(out.find("n.yaml:1: /nodes/0/lng: missing coordinates"), std::string::npos) << out;
  EXPECT_EQ(RunOrderhub("route decide --network " + kExamples + "network.yaml", &out), 2);  // usage
}

}  // namespace
}  // namespace orderhub::app
