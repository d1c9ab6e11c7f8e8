// The README's five-minute tour, run as written against `orderhub serve
// --demo`: the commands are taken from README.md itself, so a change that
// breaks a copy-paste example fails here. The one edit is the port (the
// tour's 8080 may be taken on a test machine); curl is the real client.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "testing/hub_process.h"
#include "testing/test_path.h"

namespace orderhub::app {
namespace {

// The first ```sh block after the tour's heading.
std::string TourScript() {
  std::ifstream in(std::string(OH_SOURCE_DIR) + "/README.md");
  std::string line, script;
  bool in_tour = false, in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("## A five-minute tour", 0) == 0) in_tour = true;
    if (!in_tour) continue;
    if (!in_block) {
      in_block = line == "```sh";
      continue;
    }
    if (line == "```") break;
    script += line + "\n";
  }
  return script;
}

std::string RunShell(const std::string& cmd, int* status) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = WEXITSTATUS(pclose(p));
  return out;
}

bool Has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

TEST(ReadmeTourTest, EveryCommandOfTheTourAnswersAsTheReadmeSays) {
  const std::filesystem::path dir = orderhub::testing::FreshTestDir("oh-tour");
  std::string script = TourScript();
  ASSERT_TRUE(Has(script, "HUB=http://127.0.0.1:8080\n")) << script;
  const orderhub::testing::HubProcess hub = orderhub::testing::StartHubProcess(
      OH_BINARY, {"serve", "--demo", "--data", (dir / "data").string(), "--listen", "127.0.0.1:0"});
  ASSERT_GT(hub.port, 0);
  script.replace(script.find("127.0.0.1:8080"), 14, "127.0.0.1:" + std::to_string(hub.port));
  std::ofstream(dir / "tour.sh") << script;

  int status = -1;
  const std::string out = RunShell("bash " + (dir / "tour.sh").string() + " 2>&1", &status);
  kill(hub.pid, SIGTERM);
  waitpid(hub.pid, nullptr, 0);
  std::filesystem::remove_all(dir);

  EXPECT_EQ(status, 0) << out;
  EXPECT_FALSE(Has(out, "curl: (")) << out;
  // The demo data the tour's first lines describe.
  EXPECT_TRUE(Has(out, R"({"items":[{"code":")")) << out;
  EXPECT_TRUE(Has(out, R"({"sku":"SKU-0042","available":)")) << out;
  // The created order's id was cut from the 201 and used by every later call.
  std::smatch id;
  ASSERT_TRUE(std::regex_search(out, id, std::regex("order ([0-9A-Z]{26})\n"))) << out;
  EXPECT_TRUE(Has(out, R"({"id":")" + id[1].str() + R"(","channel":"tmall","channel_order_id":"TOUR-1")")) << out;
  EXPECT_TRUE(Has(out, R"("name":"张*")")) << out;  // masked by default
  EXPECT_TRUE(Has(out, R"("name":"张三","phone":"13800138000"})")) << out;  // unmasked with a reason
  for (const char* ev : {"confirm", "allocate", "release_to_warehouse", "pick"}) {
    EXPECT_TRUE(Has(out, std::string(ev) + ": 200\n")) << ev << "\n" << out;
  }
  EXPECT_TRUE(Has(out, R"("seq":7,"state":"shipped"})")) << out;  // tracking leaves the state alone
  EXPECT_TRUE(Has(out, R"("seq":8,"state":"shipped"})")) << out;
  EXPECT_TRUE(Has(out, R"("reason":"illegal_transition","pointer":"/event")")) << out;
  EXPECT_TRUE(Has(out, R"("reason":"out_of_range","pointer":"/lines/0/quantity")")) << out;
  // Quotes: a plan with its odds, then 250 units split over two nodes.
  EXPECT_TRUE(Has(out, R"({"routable":true,"plans":[{"rank":0,"chosen":true,)")) << out;
  std::regex part(R"re("node":"[^"]+","lines":\[0\],"quantities":\[([0-9]+)\])re");
  int units = 0, parts = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), part); it != std::sregex_iterator(); ++it) {
    units += std::stoi((*it)[1].str());
    ++parts;
  }
  EXPECT_EQ(parts, 2) << out;
  EXPECT_EQ(units, 250) << out;
  // The second order ships from the Guangzhou DC until the G15 closes; then
  // it is re-planned elsewhere and the history shows the move.
  EXPECT_TRUE(Has(out, R"("origin":"DC-GZ","destination":"35","carrier":"SF","level":"express","open":false)")) << out;
  EXPECT_TRUE(Has(out, R"("lines":[{"sku":"SKU-0018","quantity":1,)")) << out;
  EXPECT_TRUE(Has(out, R"("before":{"nodes":"DC-GZ",)")) << out;
  EXPECT_TRUE(Has(out, "ok\n{\"ready\":true}\n")) << out;
  EXPECT_TRUE(Has(out, "orderhub_orders{order_type=")) << out;
  EXPECT_TRUE(Has(out, "\"openapi\": \"3.1.0\"")) << out;
}

}  // namespace
}  // namespace orderhub::app
