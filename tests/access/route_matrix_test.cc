// Every route x every role against a real hub: a role lacking a route's
// permission gets 403 and nothing else does. The expected matrix below is
// written out independently of the grant table in src/access/roles.cc, so a
// change to who may do what has to be made, deliberately, in both.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "access/access.h"
#include "api/router.h"
#include "app/hub.h"
#include "app/keys.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::access {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

constexpr const char* kOpen = "*";  // no key needed
const std::string kReaders = "admin operations customer_service analyst warehouse partner channel finance";
const std::string kCatalogReaders = "admin operations customer_service analyst warehouse channel finance";
const std::string kStockReaders = "admin operations customer_service analyst warehouse channel";
const std::string kExporters = "admin operations analyst finance";

const std::map<std::string, std::string>& Expected() {
  static const std::map<std::string, std::string> m = {
      {"GET /healthz", kOpen},
      {"GET /readyz", kOpen},
      {"GET /v1/openapi.json", kOpen},
      {"POST /v1/sessions", kOpen},  // signing in is how a console user gets credentials
      {"GET /metrics", "admin operations analyst"},
      {"POST /v1/orders", "admin operations channel"},
      {"GET /v1/orders", kReaders},
      {"GET /v1/orders/{id}", kReaders},
      {"GET /v1/orders/{id}/events", kReaders},
      {"POST /v1/orders/{id}/cancel", "admin operations customer_service warehouse partner channel"},
      {"POST /v1/orders/{id}/events", "admin operations customer_service warehouse partner channel"},
      {"POST /v1/orders/{id}/tracking", "admin operations warehouse partner carrier"},
      {"PUT /v1/nodes/{code}", "admin operations"},
      {"GET /v1/nodes", kCatalogReaders},
      {"GET /v1/nodes/{code}", kCatalogReaders},
      {"PUT /v1/skus/{code}", "admin operations"},
      {"GET /v1/skus", kCatalogReaders},
      {"GET /v1/skus/{code}", kCatalogReaders},
      {"PUT /v1/inventory/{sku}/{node}", "admin operations warehouse"},
      {"GET /v1/inventory/{sku}/{node}", kStockReaders},
      {"POST /v1/inventory/{sku}/{node}/adjustments", "admin operations warehouse"},
      {"GET /v1/inventory/{sku}", kStockReaders},
      {"POST /v1/quote", kStockReaders},
      {"GET /v1/orders/{id}/plan", kReaders},
      {"POST /v1/orders/{id}/reroute", "admin operations"},
      {"GET /v1/routing/network", kCatalogReaders},
      {"PUT /v1/routing/lanes", "admin operations"},
      {"PUT /v1/routing/policy", "admin operations"},
      {"POST /v1/routing/disruptions", "admin operations"},
      {"POST /v1/routing/replan", "admin operations"},
      {"GET /v1/routing/replan", kCatalogReaders},
      {"GET /v1/routing/backorders", kReaders},
      {"GET /v1/nodes/{code}/queue", kReaders},
      {"POST /v1/exports", kExporters},
      {"GET /v1/exports", kExporters},
      {"GET /v1/exports/{id}", kExporters},
      {"POST /v1/exports/{id}/approve", "admin"},
      {"GET /v1/exports/{id}/download", kExporters},
  };
  return m;
}

bool Listed(const std::string& roles, std::string_view role) {
  std::istringstream in(roles);
  std::string r;
  while (in >> r) {
    if (r == role) return true;
  }
  return false;
}

class RouteMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-matrix");
    hub_ = orderhub::testing::ServeHub(orderhub::testing::TestHubOptions(dir_), &clock_);
    ASSERT_NE(hub_, nullptr);
    HttpClient admin(hub_->port(), *app::CreateKey(hub_->store(), "t1", "admin", 0));
    ASSERT_EQ(admin.Send("PUT", "/v1/nodes/WH1", R"({"name":"仓","region_code":"310100","lat":31.2,"lng":121.4})").status,
              200);
    ASSERT_EQ(admin.Send("PUT", "/v1/skus/A", R"({"name":"杯"})").status, 200);
    ASSERT_EQ(admin.Send("PUT", "/v1/inventory/A/WH1", R"({"on_hand":1000,"reason":"count"})").status, 200);
    ASSERT_TRUE(app::CreateUser(hub_->store(), "t1", "alice", "analyst", "correct horse battery", 0).ok());
    HttpResponse created = admin.Send("POST", "/v1/orders", Order("SEED"));
    ASSERT_EQ(created.status, 201) << created.body;
    order_id_ = created.body.substr(created.body.find("\"id\":\"") + 6, 26);
    HttpResponse exported = admin.Send("POST", "/v1/exports", R"({"reason":"matrix"})");
    ASSERT_EQ(exported.status, 201) << exported.body;
    export_id_ = exported.body.substr(exported.body.find("\"id\":\"") + 6, 26);
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::string Order(const std::string& channel_order_id) {
    return R"({"channel":"tmall","channel_order_id":")" + channel_order_id +
           R"(","customer_id":"C1","currency":"CNY","paid":true,"lines":[{"sku":"A","quantity":1,"unit_price":100}],)"
           R"("ship_to":{"region_code":"310115","address":"浦东新区世纪大道1号","name":"张三","phone":"13800138000","email":"zhangsan@example.com"}})";
  }

  // A request on `route` that a permitted role could make.
  std::pair<std::string, std::string> Sample(const std::string& route, const std::string& role) {
    const std::string method = route.substr(0, route.find(' '));
    std::string target = route.substr(route.find(' ') + 1);
    auto replace = [&](const std::string& from, const std::string& to) {
      if (size_t at = target.find(from); at != std::string::npos) target.replace(at, from.size(), to);
    };
    replace("{id}", route.find("/exports/") != std::string::npos ? export_id_ : order_id_);
    replace("{code}", route.find("/skus/") != std::string::npos ? "A" : "WH1");
    replace("{sku}", "A");
    replace("{node}", "WH1");
    std::string body;
    if (route == "POST /v1/orders") body = Order("M-" + role);
    if (route.find("/cancel") != std::string::npos) body = R"({"reason":"matrix"})";
    if (route == "POST /v1/orders/{id}/events") body = R"({"event":"confirm"})";
    if (route.find("/tracking") != std::string::npos) body = R"({"at":"2026-11-11T14:22:07+08:00","code":"loaded"})";
    if (route == "PUT /v1/nodes/{code}") body = R"({"name":"仓","region_code":"310100","lat":31.2,"lng":121.4})";
    if (route == "PUT /v1/skus/{code}") body = R"({"name":"杯"})";
    if (route == "POST /v1/sessions") body = R"({"tenant":"t1","user":"alice","password":"correct horse battery"})";
    if (route == "PUT /v1/inventory/{sku}/{node}") body = R"({"on_hand":1000,"reason":"count"})";
    if (route.find("/adjustments") != std::string::npos) body = R"({"delta":1,"reason":"found"})";
    if (route == "POST /v1/exports") body = R"({"reason":"matrix"})";
    if (route == "POST /v1/quote") body = R"({"region_code":"310115","lines":[{"sku":"A","quantity":1}]})";
    if (route == "PUT /v1/routing/lanes") body = R"({"lanes":[]})";
    if (route == "PUT /v1/routing/policy") body = R"({"max_shipments":2})";
    if (route == "POST /v1/routing/disruptions") body = R"({"close":"G4","reason":"matrix"})";
    return {target, body};
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
  std::string order_id_, export_id_;
};

TEST_F(RouteMatrixTest, EveryRouteHasARowInTheExpectedMatrix) {
  std::set<std::string> routes, rows;
  for (const std::string& r : api::Router::Routes()) routes.insert(r);
  for (const auto& [route, roles] : Expected()) rows.insert(route);
  EXPECT_EQ(routes, rows);
}

TEST_F(RouteMatrixTest, EachRoleGetsExactlyItsRoutes) {
  for (Role role : AllRoles()) {
    const std::string name(RoleName(role));
    // A partner sees the orders of its node; the seed order is placed at WH1.
    app::KeyOptions ko;
    if (role == Role::kPartner) ko.node = "WH1";
    HttpClient client(hub_->port(), *app::CreateKey(hub_->store(), "t1", name, 0, ko));
    // Only its requester downloads an export: each exporting role asks for its own.
    std::string own_export = export_id_;
    if (Listed(kExporters, name)) {
      const HttpResponse r = client.Send("POST", "/v1/exports", R"({"reason":"matrix"})");
      ASSERT_EQ(r.status, 201) << r.body;
      own_export = r.body.substr(r.body.find("\"id\":\"") + 6, 26);
    }
    for (const std::string& route : api::Router::Routes()) {
      const std::string& allowed = Expected().at(route);
      auto [target, body] = Sample(route, name);
      if (route == "GET /v1/exports/{id}/download") target = "/v1/exports/" + own_export + "/download";
      const HttpResponse r = client.Send(route.substr(0, route.find(' ')), target, body);
      ASSERT_TRUE(r.error.empty()) << r.error;
      if (allowed == kOpen || Listed(allowed, name)) {
        EXPECT_NE(r.status, 403) << name << " on " << route << ": " << r.body;
        EXPECT_NE(r.status, 401) << name << " on " << route << ": " << r.body;
        EXPECT_LT(r.status, 500) << name << " on " << route << ": " << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << name << " on " << route << ": " << r.body;
        EXPECT_NE(r.body.find("\"reason\":\"permission_denied\""), std::string::npos) << r.body;
      }
      // No role sees raw personal data without unmasking.
      for (const char* raw : {"张三", "13800138000", "世纪大道", "zhangsan@"}) {
        EXPECT_EQ(r.body.find(raw), std::string::npos) << name << " on " << route << ": " << r.body;
      }
    }
  }
}

TEST_F(RouteMatrixTest, WithoutAKeyOnlyOpenRoutesAnswer) {
  HttpClient anonymous(hub_->port());
  for (const std::string& route : api::Router::Routes()) {
    const auto [target, body] = Sample(route, "anonymous");
    const int status = anonymous.Send(route.substr(0, route.find(' ')), target, body).status;
    if (Expected().at(route) == kOpen) {
      EXPECT_TRUE(status == 200 || status == 201) << route << ": " << status;
    } else {
      EXPECT_EQ(status, 401) << route;
    }
  }
}

}  // namespace
}  // namespace orderhub::access
