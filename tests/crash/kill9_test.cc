// Crash safety: the real `orderhub` binary under load is killed with SIGKILL;
// after a restart every acknowledged order is there exactly once and the
// stock adds up. The server takes background snapshots every 50 commands, so
// the restart loads one taken under load and replays the journal after it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "testing/http_client.h"
#include "testing/hub_process.h"

namespace orderhub {
namespace {

using testing::HttpClient;

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  char buf[512];
  while (f != nullptr && fgets(buf, sizeof buf, f) != nullptr) out += buf;
  if (f != nullptr) pclose(f);
  return out;
}

// Starts `orderhub serve` with its background snapshots configured.
testing::HubProcess Start(const std::string& dir, const std::string& config) {
  return testing::StartHubProcess(OH_BINARY, {"serve", "--data", dir, "--listen", "127.0.0.1:0", "--durability",
                                              "full", "--config", config});
}

TEST(Kill9Test, EveryAcknowledgedOrderSurvivesExactlyOnceAndStockAddsUp) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("oh-kill9-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(dir);
  std::string key = RunCommand(std::string(OH_BINARY) + " keys create --data " + dir + " --tenant t1");
  while (!key.empty() && key.back() == '\n') key.pop_back();
  ASSERT_EQ(key.rfind("ohk_", 0), 0u) << key;
  const std::string config = dir + "/orderhub.yaml";
  std::ofstream(config) << "snapshot_every: 50\n";

  testing::HubProcess s = Start(dir, config);
  ASSERT_NE(s.port, 0);
  HttpClient setup(s.port, key);
  ASSERT_EQ(setup.Send("PUT", "/v1/nodes/WH1", R"({"name":"a","region_code":"310100","lat":31,"lng":121})").status, 200);
  ASSERT_EQ(setup.Send("PUT", "/v1/skus/A", R"({"name":"a"})").status, 200);
  constexpr int64_t kOnHand = 1'000'000;
  ASSERT_EQ(setup.Send("PUT", "/v1/inventory/A/WH1", R"({"on_hand":1000000,"reason":"count"})").status, 200);

  // 16 clients create orders of 1-3 units until the server dies.
  std::mutex mu;
  std::map<std::string, int> acked;  // channel order id -> quantity
  std::atomic<bool> dead{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      HttpClient c(s.port, key);
      for (int i = 0; !dead.load() && i < 100000; ++i) {
        const std::string id = "K" + std::to_string(t) + "-" + std::to_string(i);
        const int qty = 1 + (i % 3);
        const auto r = c.Send("POST", "/v1/orders",
                              R"({"channel":"pos","channel_order_id":")" + id +
                                  R"(","customer_id":"C","currency":"CNY","paid":true,"lines":[{"sku":"A","quantity":)" +
                                  std::to_string(qty) + R"(,"unit_price":100}],"ship_to":{"region_code":"310115"}})");
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          acked[id] = qty;
        }
        if (!r.error.empty()) break;
      }
    });
  }
  // Kill in the middle of the load, once a few hundred orders are acknowledged.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acked.size() >= 300) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(kill(s.pid, SIGKILL), 0);
  waitpid(s.pid, nullptr, 0);
  dead.store(true);
  for (std::thread& c : clients) c.join();
  ASSERT_GT(acked.size(), 0u);

  testing::HubProcess again = Start(dir, config);
  ASSERT_NE(again.port, 0);
  // "snapshot after journal record N, M records replayed": a snapshot taken
  // while serving, not at a stop (there was none).
  const size_t at = again.banner.find("snapshot after journal record ");
  ASSERT_NE(at, std::string::npos) << again.banner;
  EXPECT_GT(std::atoll(again.banner.c_str() + at + 30), 0) << again.banner;
  HttpClient c(again.port, key);
  std::map<std::string, int> seen;  // channel order id -> times listed
  int64_t quantity_in_orders = 0;
  std::string cursor;
  for (;;) {
    const auto page = c.Send("GET", "/v1/orders?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    for (size_t p = page.body.find("\"channel_order_id\":\""); p != std::string::npos;
         p = page.body.find("\"channel_order_id\":\"", p + 1)) {
      const size_t start = p + 20;
      ++seen[page.body.substr(start, page.body.find('"', start) - start)];
    }
    for (size_t p = page.body.find("\"reserved\":"); p != std::string::npos; p = page.body.find("\"reserved\":", p + 1)) {
      quantity_in_orders += std::atoll(page.body.c_str() + p + 11);
    }
    const size_t nc = page.body.find("\"next_cursor\":\"");
    if (nc == std::string::npos) break;
    cursor = page.body.substr(nc + 15, 26);
  }
  for (const auto& [id, qty] : acked) {
    ASSERT_EQ(seen[id], 1) << "acknowledged order " << id << " listed " << seen[id] << " times";
  }
  for (const auto& [id, n] : seen) ASSERT_EQ(n, 1) << id;
  const auto stock = c.Send("GET", "/v1/inventory/A/WH1");
  EXPECT_NE(stock.body.find("\"on_hand\":" + std::to_string(kOnHand) + ",\"reserved\":" +
                            std::to_string(quantity_in_orders)),
            std::string::npos)
      << stock.body << " vs " << quantity_in_orders << " units in " << seen.size() << " orders (" << acked.size()
      << " acknowledged)";
  kill(again.pid, SIGTERM);
  waitpid(again.pid, nullptr, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace orderhub
