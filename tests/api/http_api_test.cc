// The REST API end to end: a real hub (SQLite store, writer, Beast server on
// a free port) and real HTTP requests.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>

#include <gtest/gtest.h>

#include <filesystem>

#include "app/hub.h"
#include "app/keys.h"
#include "testing/http_client.h"
#include "testing/raw_socket.h"
#include "testing/test_path.h"

namespace orderhub::api {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-http");
    std::filesystem::remove_all(dir_);
    app::HubOptions o;
    o.data_dir = dir_.string();
    o.durability = store::Durability::kNormal;
    o.server.port = 0;
    o.server.max_body_bytes = 64 * 1024;
    auto hub = app::Hub::Open(o, &clock_);
    ASSERT_TRUE(hub.ok()) << hub.status().ToString();
    hub_ = std::move(*hub);
    ASSERT_TRUE(hub_->Serve().ok());
    key_ = *app::CreateKey(hub_->store(), "t1", "admin", 0);
    other_key_ = *app::CreateKey(hub_->store(), "t2", "admin", 0);
    client_ = std::make_unique<HttpClient>(hub_->port(), key_);
    // No answer may carry the personal data planted by OrderBody, unless the
    // request asked for it unmasked.
    HttpClient::observer = [](const std::map<std::string, std::string>& request_headers, const HttpResponse& r) {
      if (request_headers.count("X-Unmask-Reason")) return;
      for (const char* raw : {"张三", "13800138000", "世纪大道", "zhangsan@"}) {
        EXPECT_EQ(r.body.find(raw), std::string::npos) << "raw personal data '" << raw << "' in " << r.body;
      }
    };
    Expect(200, "PUT", "/v1/nodes/WH1", R"({"name":"上海仓","region_code":"310100","lat":31.23,"lng":121.47})");
    Expect(200, "PUT", "/v1/skus/A", R"({"name":"保温杯"})");
    Expect(200, "PUT", "/v1/skus/B", R"({"name":"耳机"})");
    Expect(200, "PUT", "/v1/inventory/A/WH1", R"({"on_hand":10,"reason":"count"})");
    Expect(200, "PUT", "/v1/inventory/B/WH1", R"({"on_hand":10,"reason":"count"})");
  }
  void TearDown() override {
    HttpClient::observer = nullptr;
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {}) {
    return client_->Send(method, target, body, headers);
  }

  HttpResponse Expect(int status, const std::string& method, const std::string& target, const std::string& body = "",
                      const std::map<std::string, std::string>& headers = {}) {
    HttpResponse r = client_->Send(method, target, body, headers);
    EXPECT_EQ(r.status, status) << method << " " << target << " -> " << r.body << r.error;
    return r;
  }

  static std::string OrderBody(const std::string& channel_order_id, const std::string& lines = R"([{"sku":"A","quantity":2,"unit_price":1999}])",
                               const std::string& extra = "") {
    return R"({"channel":"tmall","channel_order_id":")" + channel_order_id +
           R"(","customer_id":"C1","currency":"CNY","paid":true,"lines":)" + lines +
           R"(,"ship_to":{"region_code":"310115","address":"浦东新区世纪大道1号","name":"张三","phone":"13800138000",)"
           R"("email":"zhangsan@example.com"})" +
           extra + "}";
  }

  static std::string IdOf(const HttpResponse& r) {
    const size_t at = r.body.find("\"id\":\"");
    return at == std::string::npos ? "" : r.body.substr(at + 6, 26);
  }

  // A rejected request must leave the pool as it was.
  void ExpectStockUnchanged() {
    HttpResponse r = Expect(200, "GET", "/v1/inventory/A/WH1");
    EXPECT_NE(r.body.find("\"on_hand\":10,\"reserved\":0"), std::string::npos) << r.body;
    EXPECT_EQ(Send("GET", "/healthz").status, 200);
  }

  void ExpectProblem(const HttpResponse& r, int status, const std::string& reason, const std::string& pointer) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.count("Content-Type") ? r.headers.at("Content-Type") : "", "application/problem+json");
    EXPECT_NE(r.body.find("\"reason\":\"" + reason + "\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"pointer\":\"" + pointer + "\""), std::string::npos) << r.body;
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
  std::string key_, other_key_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpApiTest, CreateThenGetReturnsTheSameOrder) {
  HttpResponse created = Expect(201, "POST", "/v1/orders", OrderBody("T1"));
  const std::string id = IdOf(created);
  ASSERT_EQ(id.size(), 26u);
  EXPECT_EQ(created.headers["Location"], "/v1/orders/" + id);
  HttpResponse got = Expect(200, "GET", "/v1/orders/" + id);
  EXPECT_EQ(got.body, created.body);
  EXPECT_NE(got.body.find("\"state\":\"created\""), std::string::npos);
  EXPECT_NE(got.body.find("\"total\":3998"), std::string::npos);
  HttpResponse stock = Expect(200, "GET", "/v1/inventory/A/WH1");
  EXPECT_NE(stock.body.find("\"reserved\":2"), std::string::npos) << stock.body;
}

TEST_F(HttpApiTest, MalformedJsonIsRefused) {
  ExpectProblem(Send("POST", "/v1/orders", "{\"channel\": "), 400, "malformed_json", "");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, BodyOverTheLimitIsRefused) {
  const std::string huge = OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":1}])",
                                     R"(,"attributes":{"x":")" + std::string(70 * 1024, 'x') + "\"}");
  HttpResponse r = Send("POST", "/v1/orders", huge);
  ExpectProblem(r, 413, "body_too_large", "");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, MoreLinesThanTheLimitAreRefused) {
  std::string lines = "[";
  for (int i = 0; i < 501; ++i) lines += std::string(i ? "," : "") + R"({"sku":"A","quantity":1,"unit_price":1})";
  lines += "]";
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", lines)), 413, "too_many_lines", "/lines");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, NegativeZeroAndFractionalQuantitiesAreRefused) {
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":-1,"unit_price":1}])")),
                400, "out_of_range", "/lines/0/quantity");
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":0,"unit_price":1}])")),
                400, "out_of_range", "/lines/0/quantity");
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":1.5,"unit_price":1}])")),
                400, "not_integer", "/lines/0/quantity");
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":"2","unit_price":1}])")),
                400, "wrong_type", "/lines/0/quantity");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, UnknownSkuAndNodeAreNamed) {
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"NOPE","quantity":1,"unit_price":1}])")),
                404, "unknown_sku", "/lines/0/sku");
  ExpectProblem(
      Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":1,"node":"WH9"}])")),
      404, "unknown_node", "/lines/0/node");
  ExpectProblem(Send("PUT", "/v1/inventory/A/WH9", R"({"on_hand":1,"reason":"x"})"), 404, "unknown_node",
                "/node");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, CurrencyMismatchIsRefused) {
  ExpectProblem(Send("POST", "/v1/orders",
                              OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":1,"currency":"USD"}])")),
                400, "currency_mismatch", "/lines/0/currency");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, PriceOverflowIsRefused) {
  ExpectProblem(Send("POST", "/v1/orders",
                              OrderBody("T1", R"([{"sku":"A","quantity":1000000,"unit_price":99999999999}])")),
                400, "price_overflow", "/lines/0/unit_price");
  ExpectProblem(Send("POST", "/v1/orders",
                              OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":99999999999999999999999}])")),
                400, "out_of_range", "/lines/0/unit_price");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, UnknownAndIllegalLifecycleEventsAreRefused) {
  const std::string id = IdOf(Expect(201, "POST", "/v1/orders", OrderBody("T1")));
  ExpectProblem(Send("POST", "/v1/orders/" + id + "/events", R"({"event":"teleport"})"), 400,
                "unknown_event", "/event");
  ExpectProblem(Send("POST", "/v1/orders/" + id + "/events", R"({"event":"ship"})"), 409,
                "illegal_transition", "/event");
  EXPECT_NE(Expect(200, "GET", "/v1/orders/" + id).body.find("\"state\":\"created\""), std::string::npos);
}

TEST_F(HttpApiTest, MissingOrWrongApiKeyIsRefused) {
  HttpClient anonymous(hub_->port());
  HttpResponse r = anonymous.Send("GET", "/v1/orders");
  ExpectProblem(r, 401, "unauthenticated", "");
  EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
  HttpClient wrong(hub_->port(), "ohk_wrong");
  ExpectProblem(wrong.Send("POST", "/v1/orders", OrderBody("T1")), 401, "unauthenticated", "");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, AnotherTenantsOrderIsNotFound) {
  const std::string id = IdOf(Expect(201, "POST", "/v1/orders", OrderBody("T1")));
  HttpClient other(hub_->port(), other_key_);
  ExpectProblem(other.Send("GET", "/v1/orders/" + id), 404, "order_not_found", "");
  ExpectProblem(other.Send("POST", "/v1/orders/" + id + "/cancel"), 404, "order_not_found", "");
  ExpectProblem(other.Send("GET", "/v1/orders/" + id + "/events"), 404, "order_not_found", "");
  EXPECT_EQ(other.Send("GET", "/v1/orders").body, "{\"items\":[],\"next_cursor\":null}");
  EXPECT_NE(Expect(200, "GET", "/v1/orders/" + id).body.find("\"state\":\"created\""), std::string::npos);
}

TEST_F(HttpApiTest, UnknownFieldIsRefusedWithItsPointer) {
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":1,"colour":"red"}])")),
                400, "unknown_field", "/lines/0/colour");
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":1}])", R"(,"vip":true)")),
                400, "unknown_field", "/vip");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, DuplicateFieldIsRefused) {
  ExpectProblem(Send("POST", "/v1/orders",
                              OrderBody("T1", R"([{"sku":"A","quantity":1,"quantity":5,"unit_price":1}])")),
                400, "duplicate_field", "/lines/0/quantity");
}

TEST_F(HttpApiTest, OverlongAndInvalidUtf8StringsAreRefused) {
  ExpectProblem(Send("POST", "/v1/orders", OrderBody(std::string(65, 'x'))), 400, "too_long",
                "/channel_order_id");
  std::string bad = OrderBody("T1");
  bad.replace(bad.find("张三"), 3, "\xC0\xAF\x80");  // an overlong encoding
  HttpResponse r = Send("POST", "/v1/orders", bad);
  ExpectProblem(r, 400, "invalid_utf8", "");
  EXPECT_NE(r.body.find("byte offset"), std::string::npos);
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, DeeplyNestedAttributesAreRefused) {
  std::string nested = std::string(100, '[') + std::string(100, ']');
  HttpResponse r = Send("POST", "/v1/orders",
                                 OrderBody("T1", R"([{"sku":"A","quantity":1,"unit_price":1}])", R"(,"attributes":{"x":)" + nested + "}"));
  EXPECT_EQ(r.status, 400) << r.body;
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, DuplicateChannelOrderIdAnswersWithTheExistingOrder) {
  const std::string id = IdOf(Expect(201, "POST", "/v1/orders", OrderBody("T1")));
  HttpResponse r = Send("POST", "/v1/orders", OrderBody("T1"));
  ExpectProblem(r, 409, "duplicate_channel_order", "/channel_order_id");
  EXPECT_NE(r.body.find("\"existing_order_id\":\"" + id + "\""), std::string::npos);
  EXPECT_NE(r.body.find("\"order\":{\"id\":\"" + id + "\""), std::string::npos);
  HttpResponse stock = Expect(200, "GET", "/v1/inventory/A/WH1");
  EXPECT_NE(stock.body.find("\"reserved\":2"), std::string::npos) << stock.body;
}

TEST_F(HttpApiTest, IdempotentReplayReturnsTheOriginalResponse) {
  const std::map<std::string, std::string> key{{"Idempotency-Key", "abc-1"}};
  HttpResponse first = Expect(201, "POST", "/v1/orders", OrderBody("T1"), key);
  // The order moves on; a replay still answers what the first call answered.
  Expect(200, "POST", "/v1/orders/" + IdOf(first) + "/events", R"({"event":"confirm"})");
  HttpResponse again = Expect(201, "POST", "/v1/orders", OrderBody("T1"), key);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["Idempotency-Replayed"], "true");
  HttpResponse other = Send("POST", "/v1/orders", OrderBody("T2"), key);
  ExpectProblem(other, 409, "idempotency_key_reused", "");
  HttpResponse stock = Expect(200, "GET", "/v1/inventory/A/WH1");
  EXPECT_NE(stock.body.find("\"reserved\":2"), std::string::npos) << stock.body;
}

TEST_F(HttpApiTest, InsufficientStockIsAConflictAndReservesNothing) {
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1", R"([{"sku":"A","quantity":11,"unit_price":1}])")),
                409, "insufficient_stock", "/lines/0/quantity");
  ExpectStockUnchanged();
}

TEST_F(HttpApiTest, LifecycleTrackingAndHistory) {
  const std::string id = IdOf(Expect(201, "POST", "/v1/orders", OrderBody("T1")));
  for (const char* ev : {"confirm", "allocate", "release_to_warehouse", "pick"}) {
    Expect(200, "POST", "/v1/orders/" + id + "/events", std::string(R"({"event":")") + ev + "\"}");
  }
  Expect(200, "POST", "/v1/orders/" + id + "/events", R"({"event":"ship","carrier":"SF","tracking_number":"SF123"})");
  Expect(201, "POST", "/v1/orders/" + id + "/tracking",
         R"({"at":"2026-11-11T14:22:07+08:00","code":"loaded","description":"装车","location":"上海"})");
  Expect(201, "POST", "/v1/orders/" + id + "/tracking",
         R"({"at":"2026-11-11T14:33:19+08:00","code":"entered_expressway","location":"G2"})");
  HttpResponse order = Expect(200, "GET", "/v1/orders/" + id);
  EXPECT_NE(order.body.find("\"state\":\"shipped\""), std::string::npos);
  EXPECT_NE(order.body.find("\"tracking_number\":\"SF123\""), std::string::npos);
  HttpResponse history = Expect(200, "GET", "/v1/orders/" + id + "/events");
  EXPECT_NE(history.body.find("\"kind\":\"created\""), std::string::npos);
  EXPECT_NE(history.body.find("\"event\":\"ship\""), std::string::npos);
  EXPECT_NE(history.body.find("\"at\":\"2026-11-11T06:22:07Z\",\"kind\":\"tracking\",\"event\":\"loaded\""),
            std::string::npos)
      << history.body;
  ExpectProblem(Send("POST", "/v1/orders/" + id + "/cancel", R"({"reason":"too late"})"), 409,
                "illegal_transition", "/event");
  HttpResponse stock = Expect(200, "GET", "/v1/inventory/A/WH1");
  EXPECT_NE(stock.body.find("\"on_hand\":8,\"reserved\":0"), std::string::npos) << stock.body;
}

TEST_F(HttpApiTest, ListFiltersAndPaginates) {
  for (int i = 0; i < 5; ++i) {
    const std::string extra = std::string(R"(,"attributes":{"shop":")") + (i % 2 ? "flagship" : "outlet") + "\"}";
    Expect(201, "POST", "/v1/orders",
           OrderBody("L" + std::to_string(i), R"([{"sku":"B","quantity":1,"unit_price":100}])", extra));
  }
  Expect(201, "POST", "/v1/orders", OrderBody("LA"));
  HttpResponse page1 = Expect(200, "GET", "/v1/orders?sku=B&limit=2");
  ASSERT_NE(page1.body.find("\"next_cursor\":\""), std::string::npos);
  const size_t c = page1.body.find("\"next_cursor\":\"") + 15;
  const std::string cursor = page1.body.substr(c, 26);
  HttpResponse page2 = Expect(200, "GET", "/v1/orders?sku=B&limit=2&cursor=" + cursor);
  HttpResponse page3 = Expect(200, "GET", "/v1/orders?sku=B&limit=2&cursor=" + page2.body.substr(page2.body.find("\"next_cursor\":\"") + 15, 26));
  EXPECT_NE(page3.body.find("\"next_cursor\":null"), std::string::npos);
  auto count = [](const std::string& body) {
    size_t n = 0;
    for (size_t p = body.find("\"channel_order_id\""); p != std::string::npos; p = body.find("\"channel_order_id\"", p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(page1.body) + count(page2.body) + count(page3.body), 5u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?attr.shop=flagship").body), 2u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?state=created&channel=tmall").body), 6u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?customer_id=C2").body), 0u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?customer_id=C1").body), 6u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?sku=B&attr.shop=flagship").body), 2u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?sku=B&customer_id=C1&state=created&channel=tmall").body), 5u);
  EXPECT_EQ(count(Expect(200, "GET", "/v1/orders?sku=B&state=cancelled").body), 0u);
  HttpClient other(hub_->port(), other_key_);
  EXPECT_EQ(count(other.Send("GET", "/v1/orders?sku=B").body), 0u);
  EXPECT_EQ(count(other.Send("GET", "/v1/orders?customer_id=C1").body), 0u);
  HttpResponse bad = Send("GET", "/v1/orders?colour=red");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"parameter\":\"colour\""), std::string::npos);
  EXPECT_EQ(Send("GET", "/v1/orders?limit=0").status, 400);
  EXPECT_EQ(Send("GET", "/v1/orders?state=x%27%20OR%201%3D1--").body, "{\"items\":[],\"next_cursor\":null}");
}

TEST_F(HttpApiTest, ChannelPauseIsVisibleInInventory) {
  Expect(200, "PUT", "/v1/skus/A", R"({"name":"保温杯","channel_pause_below":{"douyin":10}})");
  Expect(201, "POST", "/v1/orders", OrderBody("T1"));
  HttpResponse inv = Expect(200, "GET", "/v1/inventory/A");
  EXPECT_NE(inv.body.find("\"available\":8,\"paused_channels\":[\"douyin\"]"), std::string::npos) << inv.body;
}

TEST_F(HttpApiTest, AdjustmentsNeedAReasonAndKeepStockNonNegative) {
  ExpectProblem(Send("POST", "/v1/inventory/A/WH1/adjustments", R"({"delta":-3})"), 400, "missing_field",
                "/reason");
  ExpectProblem(Send("POST", "/v1/inventory/A/WH1/adjustments", R"({"delta":-30,"reason":"lost"})"), 409,
                "negative_stock", "/delta");
  HttpResponse r = Expect(200, "POST", "/v1/inventory/A/WH1/adjustments", R"({"delta":5,"reason":"receipt"})");
  EXPECT_NE(r.body.find("\"on_hand\":15"), std::string::npos);
}

TEST_F(HttpApiTest, OperationalEndpoints) {
  HttpClient anonymous(hub_->port());
  EXPECT_EQ(anonymous.Send("GET", "/healthz").status, 200);
  EXPECT_EQ(anonymous.Send("GET", "/readyz").body, "{\"ready\":true}");
  Expect(201, "POST", "/v1/orders", OrderBody("T1"));
  // Metrics name tenants and volumes: a key with metrics.read only.
  EXPECT_EQ(anonymous.Send("GET", "/metrics").status, 401);
  HttpResponse m = Expect(200, "GET", "/metrics");
  EXPECT_NE(m.body.find("orderhub_http_request_duration_seconds_bucket{route=\"POST /v1/orders\""), std::string::npos);
  EXPECT_NE(m.body.find("orderhub_orders{order_type=\"standard\",state=\"created\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("orderhub_commit_batch_size_count"), std::string::npos);
  // The order above was answered after a flush of the store.
  const size_t syncs = m.body.find("orderhub_sync_duration_seconds_count ");
  ASSERT_NE(syncs, std::string::npos);
  EXPECT_GE(std::atoi(m.body.c_str() + syncs + std::strlen("orderhub_sync_duration_seconds_count ")), 1);
  HttpResponse doc = anonymous.Send("GET", "/v1/openapi.json");
  EXPECT_EQ(doc.status, 200);
  EXPECT_NE(doc.body.find("\"openapi\": \"3.1"), std::string::npos);
  EXPECT_EQ(anonymous.Send("DELETE", "/v1/orders").status, 405);
  EXPECT_EQ(anonymous.Send("GET", "/v2/nothing").status, 404);
}

// A client may send its next request before the answer to the last
// (pipelining): the server reads it from what it already buffered instead of
// waiting for the socket to have more.
TEST_F(HttpApiTest, PipelinedRequestsAreAllAnswered) {
  const std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
  const int fd = orderhub::testing::ConnectAndSend(hub_->port(), two);
  ASSERT_GE(fd, 0);
  timeval five{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  std::string got;
  char buf[4096];
  ssize_t n;
  while (got.find("{\"ready\":true}") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  EXPECT_NE(got.find("{\"ready\":true}"), std::string::npos) << got;
}

TEST_F(HttpApiTest, PersonalFieldsAreMaskedUnlessUnmaskedWithAReason) {
  const std::string id = IdOf(Expect(201, "POST", "/v1/orders", OrderBody("T1")));
  HttpResponse masked = Expect(200, "GET", "/v1/orders/" + id);
  EXPECT_NE(masked.body.find(R"("address":"浦东新区***","name":"张*","phone":"138****8000")"), std::string::npos)
      << masked.body;
  // Unmasking needs a reason...
  ExpectProblem(Send("GET", "/v1/orders/" + id + "?unmask=true"), 400, "unmask_reason_required", "");
  ExpectProblem(Send("GET", "/v1/orders/" + id + "?unmask=true", "", {{"X-Unmask-Reason", std::string(513, 'x')}}),
                400, "unmask_reason_required", "");
  ExpectProblem(Send("GET", "/v1/orders/" + id + "?reveal=1"), 400, "unknown_parameter", "");
  // ...and the permission: analysts never see raw personal data.
  HttpClient analyst(hub_->port(), *app::CreateKey(hub_->store(), "t1", "analyst", 0));
  ExpectProblem(analyst.Send("GET", "/v1/orders/" + id + "?unmask=true", "", {{"X-Unmask-Reason", "curious"}}), 403,
                "permission_denied", "");
  HttpClient service(hub_->port(), *app::CreateKey(hub_->store(), "t1", "customer_service", 0));
  HttpResponse raw = service.Send("GET", "/v1/orders/" + id + "?unmask=true", "",
                                  {{"X-Unmask-Reason", "客户来电要求核对收货电话"}});
  EXPECT_EQ(raw.status, 200) << raw.body;
  EXPECT_NE(raw.body.find(R"("address":"浦东新区世纪大道1号","name":"张三","phone":"13800138000")"),
            std::string::npos)
      << raw.body;
}

// Connects and sends `bytes` (maybe a request's beginning), then waits up to
// `wait_s` for the server to close; returns how long that took, or -1.
double SecondsUntilClosed(uint16_t port, const std::string& bytes, int wait_s) {
  const int fd = orderhub::testing::ConnectAndSend(port, bytes);
  if (fd < 0) return -1;
  const auto t0 = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  char buf[256];
  double closed_after = -1;
  while (::poll(&p, 1, wait_s * 1000) > 0) {
    if (::recv(fd, buf, sizeof buf, 0) <= 0) {
      closed_after = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      break;
    }
  }
  ::close(fd);
  return closed_after;
}

// Idle connections and clients trickling a request (slowloris) are cut off
// at the deadline, while others are served meanwhile.
TEST_F(HttpApiTest, IdleAndTricklingConnectionsAreClosedAtTheDeadline) {
  hub_.reset();
  app::HubOptions o;
  o.data_dir = dir_.string();
  o.server.port = 0;
  o.server.idle_timeout_s = 1;
  auto hub = app::Hub::Open(o, &clock_);
  ASSERT_TRUE(hub.ok()) << hub.status().ToString();
  hub_ = std::move(*hub);
  ASSERT_TRUE(hub_->Serve().ok());
  const uint16_t port = hub_->port();
  auto idle = std::async(std::launch::async, [&] { return SecondsUntilClosed(port, "", 10); });
  auto trickle = std::async(std::launch::async, [&] {
    return SecondsUntilClosed(port, "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", 10);
  });
  client_ = std::make_unique<HttpClient>(port, key_);
  Expect(200, "GET", "/v1/nodes");
  const double idle_s = idle.get(), trickle_s = trickle.get();
  // The deadline is 1 s, checked once a second: closed within 1 to 3 s.
  EXPECT_GE(idle_s, 0.9);
  EXPECT_LE(idle_s, 3.5);
  EXPECT_GE(trickle_s, 0.9);
  EXPECT_LE(trickle_s, 3.5);
  // The server keeps serving new connections.
  client_ = std::make_unique<HttpClient>(port, key_);
  Expect(200, "GET", "/v1/nodes");
}

// Sends `bytes` on a new connection and reads for up to a second after the
// last byte arrives; `closed` tells whether the server closed it meanwhile.
std::string Exchange(uint16_t port, const std::string& bytes, bool* closed) {
  std::string got;
  *closed = false;
  const int fd = orderhub::testing::ConnectAndSend(port, bytes);
  if (fd < 0) return got;
  pollfd p{fd, POLLIN, 0};
  char buf[4096];
  while (::poll(&p, 1, 1000) > 0) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// Answers follow HTTP/1.1 and 1.0 on the wire: each names its length, a
// connection stays open unless the client asked otherwise (or spoke 1.0
// without asking to keep it), and a closing answer says so.
TEST_F(HttpApiTest, AnswersOnTheWireFollowTheConnectionRules) {
  const uint16_t port = hub_->port();
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  bool closed = false;
  std::string got = Exchange(port, get + get, &closed);
  EXPECT_EQ(Count(got, "HTTP/1.1 200 OK\r\n"), 2) << got;
  EXPECT_EQ(Count(got, "\r\nContent-Length: 3\r\n\r\nok\n"), 2) << got;
  EXPECT_EQ(got.find("Connection:"), std::string::npos) << got;
  EXPECT_FALSE(closed);

  got = Exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get, &closed);
  EXPECT_EQ(Count(got, "HTTP/1.1 200 OK\r\n"), 1) << got;
  EXPECT_NE(got.find("\r\nConnection: close\r\n"), std::string::npos) << got;
  EXPECT_TRUE(closed);

  got = Exchange(port, "GET /healthz HTTP/1.0\r\n\r\n", &closed);
  EXPECT_EQ(got.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << got;
  EXPECT_TRUE(closed);

  const std::string keep = "GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  got = Exchange(port, keep + keep, &closed);
  EXPECT_EQ(Count(got, "HTTP/1.0 404 Not Found\r\n"), 2) << got;
  EXPECT_EQ(Count(got, "\r\nConnection: keep-alive\r\n"), 2) << got;
  EXPECT_EQ(Count(got, "\r\nContent-Type: application/problem+json\r\n"), 2) << got;
  EXPECT_FALSE(closed);
}

TEST_F(HttpApiTest, RestartKeepsEverythingAcknowledged) {
  const std::string id = IdOf(Expect(201, "POST", "/v1/orders", OrderBody("T1")));
  Expect(200, "POST", "/v1/orders/" + id + "/events", R"({"event":"confirm"})");
  const std::string before = Expect(200, "GET", "/v1/orders/" + id).body;
  hub_.reset();
  app::HubOptions o;
  o.data_dir = dir_.string();
  o.server.port = 0;
  auto hub = app::Hub::Open(o, &clock_);
  ASSERT_TRUE(hub.ok()) << hub.status().ToString();
  hub_ = std::move(*hub);
  ASSERT_TRUE(hub_->Serve().ok());
  client_ = std::make_unique<HttpClient>(hub_->port(), key_);
  EXPECT_EQ(Expect(200, "GET", "/v1/orders/" + id).body, before);
  HttpResponse stock = Expect(200, "GET", "/v1/inventory/A/WH1");
  EXPECT_NE(stock.body.find("\"reserved\":2"), std::string::npos) << stock.body;
  // The replayed engine still knows the channel order id.
  ExpectProblem(Send("POST", "/v1/orders", OrderBody("T1")), 409, "duplicate_channel_order", "/channel_order_id");
}

}  // namespace
}  // namespace orderhub::api
