// API keys over HTTP: rates (429 with Retry-After), expiry and revocation
// take effect on a running hub; keys are stored hashed. A manual clock moves
// time, so nothing here sleeps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/hub.h"
#include "app/keys.h"
#include "codec/json_reader.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::access {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

app::KeyOptions Options(Micros expires_at, int64_t rate_per_s, std::string node = "") {
  app::KeyOptions o;
  o.expires_at = expires_at;
  o.rate_per_s = rate_per_s;
  o.node = std::move(node);
  return o;
}

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-apikeys");
    app::HubOptions o = orderhub::testing::TestHubOptions(dir_);
    o.rate_limit_per_key = 5;
    hub_ = orderhub::testing::ServeHub(o, &clock_);
    ASSERT_NE(hub_, nullptr);
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Key(const app::KeyOptions& ko = {}) {
    return *app::CreateKey(hub_->store(), "t1", "analyst", clock_.Now(), ko);
  }

  ManualClock clock_{1'800'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
};

TEST_F(ApiKeysTest, AKeyOverItsRateGets429WithRetryAfterAndOthersAreServed) {
  HttpClient busy(hub_->port(), Key()), other(hub_->port(), Key());
  // A burst of twice the rate passes, the next is refused.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(busy.Send("GET", "/v1/nodes").status, 200) << i;
  HttpResponse r = busy.Send("GET", "/v1/nodes");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.headers["Retry-After"], "1");
  EXPECT_NE(r.body.find("\"reason\":\"rate_limited\""), std::string::npos) << r.body;
  EXPECT_EQ(other.Send("GET", "/v1/nodes").status, 200);  // per key, not per hub
  clock_.Advance(kMicrosPerSecond);                       // five more tokens
  for (int i = 0; i < 5; ++i) EXPECT_EQ(busy.Send("GET", "/v1/nodes").status, 200) << i;
  EXPECT_EQ(busy.Send("GET", "/v1/nodes").status, 429);
}

TEST_F(ApiKeysTest, AKeysOwnRateOverridesTheDefault) {
  HttpClient fast(hub_->port(), Key(Options(0, 100)));
  for (int i = 0; i < 50; ++i) ASSERT_EQ(fast.Send("GET", "/v1/nodes").status, 200) << i;
}

TEST_F(ApiKeysTest, AnExpiredKeyIsRefused) {
  HttpClient c(hub_->port(), Key(Options(clock_.Now() + 3600 * kMicrosPerSecond, 0)));
  EXPECT_EQ(c.Send("GET", "/v1/nodes").status, 200);
  clock_.Advance(3600 * kMicrosPerSecond);
  HttpResponse r = c.Send("GET", "/v1/nodes");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("the API key expired at 2027-01-15T09:00:00Z"), std::string::npos) << r.body;
}

TEST_F(ApiKeysTest, ARevokedKeyIsRefusedByTheRunningHubWithinSeconds) {
  const std::string key = Key();
  HttpClient c(hub_->port(), key);
  EXPECT_EQ(c.Send("GET", "/v1/nodes").status, 200);
  auto keys = hub_->store().ListApiKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(*hub_->store().RevokeApiKey(keys->front().id(), clock_.Now()));
  clock_.Advance(5 * kMicrosPerSecond);
  HttpResponse r = c.Send("GET", "/v1/nodes");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("the API key was revoked"), std::string::npos) << r.body;
  EXPECT_FALSE(*hub_->store().RevokeApiKey(keys->front().id(), clock_.Now()));  // once
}

TEST_F(ApiKeysTest, KeysAreStoredOnlyAsHashes) {
  const std::string key = Key();
  hub_.reset();
  std::ifstream in(dir_ / "orderhub.db", std::ios::binary);
  std::stringstream db;
  db << in.rdbuf();
  EXPECT_EQ(db.str().find(key), std::string::npos);
  EXPECT_EQ(db.str().find(key.substr(4)), std::string::npos);
  EXPECT_NE(db.str().find(codec::Sha256Hex(key)), std::string::npos);
}

}  // namespace
}  // namespace orderhub::access

namespace orderhub::access {
namespace {

TEST_F(ApiKeysTest, APartnerSeesOnlyOrdersPlacedAtItsNode) {
  HttpClient admin(hub_->port(), *app::CreateKey(hub_->store(), "t1", "admin", clock_.Now(), Options(0, 1000)));
  for (const char* n : {"WH1", "WH2"}) {
    ASSERT_EQ(admin.Send("PUT", std::string("/v1/nodes/") + n, R"({"name":"仓","region_code":"310100","lat":31,"lng":121})")
                  .status,
              200);
  }
  ASSERT_EQ(admin.Send("PUT", "/v1/skus/A", R"({"name":"杯"})").status, 200);
  ASSERT_EQ(admin.Send("PUT", "/v1/skus/B", R"({"name":"碗"})").status, 200);
  ASSERT_EQ(admin.Send("PUT", "/v1/inventory/A/WH1", R"({"on_hand":5,"reason":"count"})").status, 200);
  ASSERT_EQ(admin.Send("PUT", "/v1/inventory/B/WH2", R"({"on_hand":5,"reason":"count"})").status, 200);
  auto order = [&](const char* id, const char* sku) {
    HttpResponse r = admin.Send("POST", "/v1/orders",
                                std::string(R"({"channel":"jd","channel_order_id":")") + id +
                                    R"(","customer_id":"C1","currency":"CNY","lines":[{"sku":")" + sku +
                                    R"(","quantity":1,"unit_price":100}],"ship_to":{"region_code":"310115"}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.substr(r.body.find("\"id\":\"") + 6, 26);
  };
  const std::string at_wh1 = order("O1", "A"), at_wh2 = order("O2", "B");
  EXPECT_FALSE(app::CreateKey(hub_->store(), "t1", "partner", clock_.Now()).ok());  // a partner needs a node
  HttpClient partner(hub_->port(), *app::CreateKey(hub_->store(), "t1", "partner", clock_.Now(), Options(0, 1000, "WH2")));
  HttpResponse list = partner.Send("GET", "/v1/orders");
  EXPECT_NE(list.body.find(at_wh2), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find(at_wh1), std::string::npos) << list.body;
  EXPECT_EQ(partner.Send("GET", "/v1/orders/" + at_wh2).status, 200);
  EXPECT_EQ(partner.Send("GET", "/v1/orders/" + at_wh2 + "/events").status, 200);
  EXPECT_EQ(partner.Send("POST", "/v1/orders/" + at_wh2 + "/tracking",
                         R"({"at":"2026-11-11T14:22:07+08:00","code":"loaded"})")
                .status,
            201);
  // Another node's order does not exist for the partner, and stays as it was.
  EXPECT_EQ(partner.Send("GET", "/v1/orders/" + at_wh1).status, 404);
  EXPECT_EQ(partner.Send("GET", "/v1/orders/" + at_wh1 + "/events").status, 404);
  EXPECT_EQ(partner.Send("POST", "/v1/orders/" + at_wh1 + "/events", R"({"event":"confirm"})").status, 404);
  EXPECT_EQ(partner.Send("POST", "/v1/orders/" + at_wh1 + "/cancel", R"({"reason":"x"})").status, 404);
  EXPECT_EQ(partner.Send("POST", "/v1/orders/" + at_wh1 + "/tracking",
                         R"({"at":"2026-11-11T14:22:07+08:00","code":"loaded"})")
                .status,
            404);
  EXPECT_NE(admin.Send("GET", "/v1/orders/" + at_wh1).body.find("\"state\":\"created\""), std::string::npos);
}

}  // namespace
}  // namespace orderhub::access
