// Personal data end to end: planted raw values never reach the database,
// its WAL or the snapshot; unmasking, phone lookup and a restart all work
// across a key rotation.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/hub.h"
#include "app/keys.h"
#include "codec/order_detail.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::crypto {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

const char* const kPlanted[] = {"张三丰", "13912345678", "世纪大道88号", "李四光", "13698765432", "南京东路1号",
                                "zhang.sanfeng@wudang.example", "li.siguang@geology.example"};

// Each recipient's e-mail goes with their phone.
const char* EmailOf(const char* phone) { return std::string(phone) == kPlanted[1] ? kPlanted[6] : kPlanted[7]; }

std::string Order(const std::string& id, const char* name, const char* phone, const char* street) {
  return R"({"channel":"tmall","channel_order_id":")" + id +
         R"(","customer_id":"C1","currency":"CNY","paid":true,"lines":[{"sku":"A","quantity":1,"unit_price":100}],)"
         R"("ship_to":{"region_code":"310115","address":"浦东新区)" + std::string(street) + R"(","name":")" + name +
         R"(","phone":")" + phone + R"(","email":")" + EmailOf(phone) + R"("}})";
}

std::string FileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PersonalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-pii");
    std::filesystem::remove_all(dir_);
    Open();
    ASSERT_TRUE(key_.empty() == false);
    HttpClient admin = Client();
    ASSERT_EQ(admin.Send("PUT", "/v1/nodes/WH1", R"({"name":"仓","region_code":"310100","lat":31.2,"lng":121.4})").status,
              200);
    ASSERT_EQ(admin.Send("PUT", "/v1/skus/A", R"({"name":"杯"})").status, 200);
    ASSERT_EQ(admin.Send("PUT", "/v1/inventory/A/WH1", R"({"on_hand":100,"reason":"count"})").status, 200);
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    hub_.reset();
    app::HubOptions o;
    o.data_dir = dir_.string();
    o.durability = store::Durability::kNormal;
    o.server.port = 0;
    hub_ = orderhub::testing::ServeHub(o, &clock_);  // reopens: the data stays
    ASSERT_NE(hub_, nullptr);
    if (key_.empty()) key_ = *app::CreateKey(hub_->store(), "t1", "admin", 0);
  }
  HttpClient Client() { return HttpClient(hub_->port(), key_); }
  std::string Create(const std::string& id, const char* name, const char* phone, const char* street) {
    HttpResponse r = Client().Send("POST", "/v1/orders", Order(id, name, phone, street));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.substr(r.body.find("\"id\":\"") + 6, 26);
  }
  HttpResponse Unmasked(const std::string& id) {
    return Client().Send("GET", "/v1/orders/" + id + "?unmask=true", "", {{"X-Unmask-Reason", "test"}});
  }
  uint32_t SealingKeyOf(const std::string& id) {
    codec::OrderDetail d;
    EXPECT_TRUE(codec::DecodeOrderDetail(hub_->engine().FindOrder("t1", id)->detail(), &d));
    return DataKeys::KeyIdOf(d.sealed_personal);
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
  std::string key_;
};

TEST_F(PersonalDataTest, RawValuesNeverReachTheDatabaseTheWalOrTheSnapshot) {
  const std::string a = Create("P1", kPlanted[0], kPlanted[1], kPlanted[2]);
  Create("P2", kPlanted[3], kPlanted[4], kPlanted[5]);
  // Through every path that writes: a replayed create, an unmasking, history.
  Client().Send("POST", "/v1/orders", Order("P1", kPlanted[0], kPlanted[1], kPlanted[2]));
  ASSERT_EQ(Unmasked(a).status, 200);
  ASSERT_EQ(Client().Send("POST", "/v1/orders/" + a + "/events", R"({"event":"confirm"})").status, 200);
  const std::string wal = FileBytes(dir_ / "orderhub.db-wal");
  ASSERT_GT(wal.size(), 0u);
  hub_->Stop();  // writes the snapshot
  const std::string db = FileBytes(dir_ / "orderhub.db"), snapshot = FileBytes(dir_ / "orderhub.snapshot");
  ASSERT_GT(db.size(), 0u);
  ASSERT_GT(snapshot.size(), 0u);
  for (const char* raw : kPlanted) {
    EXPECT_EQ(db.find(raw), std::string::npos) << raw << " in orderhub.db";
    EXPECT_EQ(wal.find(raw), std::string::npos) << raw << " in orderhub.db-wal";
    EXPECT_EQ(snapshot.find(raw), std::string::npos) << raw << " in orderhub.snapshot";
  }
}

TEST_F(PersonalDataTest, OrdersAreFoundByPhoneWithoutStoringIt) {
  const std::string a = Create("P1", kPlanted[0], kPlanted[1], kPlanted[2]);
  Create("P2", kPlanted[3], kPlanted[4], kPlanted[5]);
  HttpResponse r = Client().Send("GET", std::string("/v1/orders?phone=") + kPlanted[1]);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(a), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(R"("channel_order_id":"P2")"), std::string::npos) << r.body;
  EXPECT_EQ(Client().Send("GET", "/v1/orders?phone=13000000000").body, "{\"items\":[],\"next_cursor\":null}");
}

TEST_F(PersonalDataTest, OrdersAreFoundByEmailInAnyCaseAndAnsweredMasked) {
  const std::string a = Create("P1", kPlanted[0], kPlanted[1], kPlanted[2]);
  Create("P2", kPlanted[3], kPlanted[4], kPlanted[5]);
  HttpResponse r = Client().Send("GET", "/v1/orders?email=Zhang.SanFeng@Wudang.example");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(a), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(R"("channel_order_id":"P2")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"email\":\"z***@wudang.example\""), std::string::npos) << r.body;
  // Both filters at once must both match.
  EXPECT_EQ(Client().Send("GET", std::string("/v1/orders?email=") + kPlanted[6] + "&phone=" + kPlanted[4]).body,
            "{\"items\":[],\"next_cursor\":null}");
  HttpResponse raw = Unmasked(a);
  EXPECT_NE(raw.body.find(std::string("\"email\":\"") + kPlanted[6] + "\""), std::string::npos) << raw.body;
  HttpResponse bad = Client().Send("POST", "/v1/orders", R"({"channel":"tmall","channel_order_id":"P9","customer_id":"C1",)"
                                   R"("currency":"CNY","lines":[{"sku":"A","quantity":1,"unit_price":100}],)"
                                   R"("ship_to":{"region_code":"310115","email":"not an address"}})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("\"pointer\":\"/ship_to/email\""), std::string::npos) << bad.body;
}

TEST_F(PersonalDataTest, RotationKeepsEveryOrderReadableAcrossARestart) {
  const std::string a = Create("P1", kPlanted[0], kPlanted[1], kPlanted[2]);
  EXPECT_EQ(SealingKeyOf(a), 1u);
  auto id = DataKeys::Rotate((dir_ / "data.keys").string());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  // The running hub picks up the new key within about a second.
  std::string b;
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    b = Create("P2-" + std::to_string(i), kPlanted[3], kPlanted[4], kPlanted[5]);
    if (SealingKeyOf(b) == 2u) break;
  }
  ASSERT_EQ(SealingKeyOf(b), 2u);
  for (int restart = 0; restart < 2; ++restart) {  // from the journal, then from the snapshot
    HttpResponse ra = Unmasked(a), rb = Unmasked(b);
    EXPECT_NE(ra.body.find(std::string("\"name\":\"") + kPlanted[0] + "\""), std::string::npos) << ra.body;
    EXPECT_NE(rb.body.find(std::string("\"phone\":\"") + kPlanted[4] + "\""), std::string::npos) << rb.body;
    EXPECT_NE(Client().Send("GET", std::string("/v1/orders?phone=") + kPlanted[1]).body.find(a), std::string::npos);
    if (restart == 0) std::filesystem::remove(dir_ / "orderhub.snapshot");
    Open();
  }
}

TEST_F(PersonalDataTest, AMissingKeyStopsStartWithAClearMessage) {
  Create("P1", kPlanted[0], kPlanted[1], kPlanted[2]);
  hub_.reset();
  std::filesystem::remove(dir_ / "orderhub.snapshot");
  std::filesystem::remove(dir_ / "data.keys");  // a fresh ring is made: it lacks key 1's bytes
  app::HubOptions o;
  o.data_dir = dir_.string();
  auto hub = app::Hub::Open(o, &clock_);
  ASSERT_FALSE(hub.ok());
  EXPECT_NE(hub.status().message().find("journal record"), std::string::npos) << hub.status().ToString();
  EXPECT_NE(hub.status().message().find("authentication tag"), std::string::npos) << hub.status().ToString();
}

}  // namespace
}  // namespace orderhub::crypto
