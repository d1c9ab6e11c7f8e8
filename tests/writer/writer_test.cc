// The write path under concurrency: many callers through the router and the
// single writer, a real SQLite store underneath.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "app/hub.h"
#include "app/keys.h"
#include "testing/test_path.h"

namespace orderhub::writer {
namespace {

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-writer");
    std::filesystem::remove_all(dir_);
    Open();
    key_ = *app::CreateKey(hub_->store(), "t1", "admin", 0);
    ASSERT_EQ(Call("PUT", "/v1/nodes/WH1", R"({"name":"a","region_code":"310100","lat":31,"lng":121})").status, 200);
    ASSERT_EQ(Call("PUT", "/v1/nodes/WH2", R"({"name":"b","region_code":"110100","lat":39,"lng":116})").status, 200);
    ASSERT_EQ(Call("PUT", "/v1/skus/A", R"({"name":"a"})").status, 200);
    ASSERT_EQ(Call("PUT", "/v1/inventory/A/WH1", R"({"on_hand":6,"reason":"count"})").status, 200);
    ASSERT_EQ(Call("PUT", "/v1/inventory/A/WH2", R"({"on_hand":4,"reason":"count"})").status, 200);
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    app::HubOptions o;
    o.data_dir = dir_.string();
    o.durability = store::Durability::kNormal;
    auto hub = app::Hub::Open(o, &clock_);
    ASSERT_TRUE(hub.ok()) << hub.status().ToString();
    hub_ = std::move(*hub);
  }
  Reply Call(const std::string& method, const std::string& target, const std::string& body = "") {
    api::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.api_key = key_;
    return hub_->Call(r);
  }
  static std::string Order(int i, int qty, bool paid = true) {
    return R"({"channel":"jd","channel_order_id":"R)" + std::to_string(i) +
           R"(","customer_id":"C","currency":"CNY","paid":)" + (paid ? "true" : "false") +
           R"(,"reservation_ttl_s":60,"lines":[{"sku":"A","quantity":)" + std::to_string(qty) +
           R"(,"unit_price":100}],"ship_to":{"region_code":"310115"}})";
  }

  ManualClock clock_{1'800'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
  std::string key_;
};

TEST_F(WriterTest, SixtyFourClientsRacingForTheLastUnitsNeverOversell) {
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 64; ++t) {
    clients.emplace_back([&, t] {
      for (int k = 0; k < 4; ++k) {
        const Reply r = Call("POST", "/v1/orders", Order(t * 10 + k, 1));
        if (r.status == 201) {
          ++created;
        } else if (r.status == 409 && r.body.find("insufficient_stock") != std::string::npos) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& c : clients) c.join();
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(refused.load(), 246);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(hub_->engine().Stock("t1", "A", "WH1")->reserved, 6);
  EXPECT_EQ(hub_->engine().Stock("t1", "A", "WH2")->reserved, 4);
  // The same after a restart: the journal holds exactly the acknowledged orders.
  hub_.reset();
  Open();
  EXPECT_EQ(hub_->engine().order_count(), 10u);
  EXPECT_EQ(hub_->engine().Stock("t1", "A", "WH1")->reserved, 6);
  EXPECT_EQ(hub_->engine().Stock("t1", "A", "WH2")->reserved, 4);
}

TEST_F(WriterTest, UnpaidReservationExpiresOnTheWritersClock) {
  ASSERT_EQ(Call("POST", "/v1/orders", Order(1, 5, /*paid=*/false)).status, 201);
  EXPECT_NE(Call("GET", "/v1/inventory/A").body.find("\"available\":5"), std::string::npos);
  clock_.Advance(61 * kMicrosPerSecond);
  Call("GET", "/v1/inventory/A");  // the batch that notices the expiry
  EXPECT_NE(Call("GET", "/v1/inventory/A").body.find("\"available\":10"), std::string::npos);
  const Reply list = Call("GET", "/v1/orders?state=cancelled");
  EXPECT_NE(list.body.find("\"channel_order_id\":\"R1\""), std::string::npos) << list.body;
  // Replay applies the expiry at the same point.
  hub_.reset();
  Open();
  EXPECT_EQ(hub_->engine().Stock("t1", "A", "WH1")->reserved + hub_->engine().Stock("t1", "A", "WH2")->reserved, 0);
}

}  // namespace
}  // namespace orderhub::writer
