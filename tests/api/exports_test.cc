// Bulk exports end to end: requested, approved by a second person with the
// right role, downloaded once by the requester within the hour, every step
// audited; masked unless an unmasking export was asked for by a role that
// may unmask. A manual clock moves time.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/hub.h"
#include "app/keys.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::api {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

class ExportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-exports");
    hub_ = orderhub::testing::ServeHub(orderhub::testing::TestHubOptions(dir_), &clock_);
    ASSERT_NE(hub_, nullptr);
    admin_ = Client("t1", "admin");
    second_admin_ = Client("t1", "admin");
    analyst_ = Client("t1", "analyst");
    ASSERT_EQ(admin_->Send("PUT", "/v1/nodes/WH1", R"({"name":"仓","region_code":"310100","lat":31,"lng":121})").status, 200);
    ASSERT_EQ(admin_->Send("PUT", "/v1/skus/A", R"({"name":"杯"})").status, 200);
    ASSERT_EQ(admin_->Send("PUT", "/v1/inventory/A/WH1", R"({"on_hand":100,"reason":"count"})").status, 200);
    for (const char* id : {"E1", "E2", "E3"}) {
      ASSERT_EQ(admin_->Send("POST", "/v1/orders",
                             std::string(R"({"channel":"tmall","channel_order_id":")") + id +
                                 R"(","customer_id":"C1","currency":"CNY","lines":[{"sku":"A","quantity":1,"unit_price":100}],)"
                                 R"("ship_to":{"region_code":"310115","address":"浦东新区世纪大道1号","name":"张三","phone":"13800138000","email":"zhangsan@example.com"}})")
                    .status,
                201);
    }
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<HttpClient> Client(const char* tenant, const char* role) {
    return std::make_unique<HttpClient>(hub_->port(), *app::CreateKey(hub_->store(), tenant, role, clock_.Now()));
  }
  static std::string IdOf(const HttpResponse& r) { return r.body.substr(r.body.find("\"id\":\"") + 6, 26); }
  static std::string ReasonOf(const HttpResponse& r) {
    const size_t at = r.body.find("\"reason\":\"");
    return at == std::string::npos ? "" : r.body.substr(at + 10, r.body.find('"', at + 10) - at - 10);
  }
  std::vector<std::string> AuditedActions() {
    std::vector<std::string> out;
    EXPECT_TRUE(hub_->store().ReadAudit(1, [&](const store::AuditEntry& e) {
      if (e.action.find("exports") != std::string::npos) out.push_back(e.action + " " + e.detail.substr(0, 3));
      return Status::OK();
    }).ok());
    return out;
  }

  ManualClock clock_{1'800'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
  std::unique_ptr<HttpClient> admin_, second_admin_, analyst_;
};

TEST_F(ExportsTest, RequestedApprovedByAnotherPersonDownloadedOnce) {
  HttpResponse req = analyst_->Send("POST", "/v1/exports?state=created&channel=tmall", R"({"reason":"月度对账"})");
  ASSERT_EQ(req.status, 201) << req.body;
  EXPECT_NE(req.body.find("\"status\":\"pending\""), std::string::npos) << req.body;
  const std::string id = IdOf(req);
  EXPECT_EQ(ReasonOf(analyst_->Send("GET", "/v1/exports/" + id + "/download")), "not_approved");
  EXPECT_EQ(analyst_->Send("POST", "/v1/exports/" + id + "/approve").status, 403);  // not the analyst's to approve
  HttpResponse ok = admin_->Send("POST", "/v1/exports/" + id + "/approve");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"status\":\"approved\""), std::string::npos) << ok.body;
  EXPECT_EQ(ReasonOf(second_admin_->Send("POST", "/v1/exports/" + id + "/approve")), "not_pending");
  EXPECT_EQ(admin_->Send("GET", "/v1/exports/" + id + "/download").status, 403);  // only the requester
  HttpResponse file = analyst_->Send("GET", "/v1/exports/" + id + "/download");
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.headers["Content-Type"], "application/x-ndjson");
  EXPECT_EQ(std::count(file.body.begin(), file.body.end(), '\n'), 3);
  EXPECT_NE(file.body.find("\"name\":\"张*\""), std::string::npos) << file.body;
  for (const char* raw : {"张三", "13800138000", "世纪大道", "zhangsan@"}) EXPECT_EQ(file.body.find(raw), std::string::npos);
  HttpResponse again = analyst_->Send("GET", "/v1/exports/" + id + "/download");
  EXPECT_EQ(again.status, 410);
  EXPECT_EQ(ReasonOf(again), "already_downloaded");
  EXPECT_EQ(AuditedActions(), (std::vector<std::string>{
                                  "POST /v1/exports 201",
                                  "GET /v1/exports/{id}/download 409",
                                  "POST /v1/exports/{id}/approve 403",
                                  "POST /v1/exports/{id}/approve 200",
                                  "POST /v1/exports/{id}/approve 409",
                                  "GET /v1/exports/{id}/download 403",
                                  "GET /v1/exports/{id}/download 200",
                                  "GET /v1/exports/{id}/download 410",
                              }));
}

TEST_F(ExportsTest, NobodyApprovesTheirOwnExport) {
  const std::string id = IdOf(admin_->Send("POST", "/v1/exports", R"({"reason":"x"})"));
  HttpResponse r = admin_->Send("POST", "/v1/exports/" + id + "/approve");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ReasonOf(r), "second_person_required");
}

TEST_F(ExportsTest, AnApprovedExportExpiresAfterAnHour) {
  const std::string id = IdOf(analyst_->Send("POST", "/v1/exports", R"({"reason":"x"})"));
  ASSERT_EQ(admin_->Send("POST", "/v1/exports/" + id + "/approve").status, 200);
  clock_.Advance(3600 * kMicrosPerSecond);
  HttpResponse r = analyst_->Send("GET", "/v1/exports/" + id + "/download");
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(ReasonOf(r), "export_expired");
}

TEST_F(ExportsTest, UnmaskedExportsNeedTheUnmaskPermission) {
  HttpResponse refused = analyst_->Send("POST", "/v1/exports", R"({"reason":"x","unmask":true})");
  EXPECT_EQ(refused.status, 403) << refused.body;
  const std::string id = IdOf(admin_->Send("POST", "/v1/exports", R"({"reason":"courier handover","unmask":true})"));
  ASSERT_EQ(second_admin_->Send("POST", "/v1/exports/" + id + "/approve").status, 200);
  HttpResponse file = admin_->Send("GET", "/v1/exports/" + id + "/download");
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_NE(file.body.find("\"name\":\"张三\",\"phone\":\"13800138000\",\"email\":\"zhangsan@example.com\""),
            std::string::npos)
      << file.body;
}

TEST_F(ExportsTest, BadRequestsAndOtherTenants) {
  EXPECT_EQ(ReasonOf(analyst_->Send("POST", "/v1/exports?colour=red", R"({"reason":"x"})")), "unknown_parameter");
  EXPECT_EQ(ReasonOf(analyst_->Send("POST", "/v1/exports?limit=5", R"({"reason":"x"})")), "unknown_parameter");
  EXPECT_EQ(ReasonOf(analyst_->Send("POST", "/v1/exports", R"({})")), "missing_field");
  const std::string id = IdOf(analyst_->Send("POST", "/v1/exports", R"({"reason":"x"})"));
  auto other = Client("t2", "admin");
  EXPECT_EQ(other->Send("GET", "/v1/exports/" + id).status, 404);
  EXPECT_EQ(other->Send("POST", "/v1/exports/" + id + "/approve").status, 404);
  EXPECT_EQ(other->Send("GET", "/v1/exports").body, "{\"items\":[]}");
  EXPECT_NE(analyst_->Send("GET", "/v1/exports").body.find(id), std::string::npos);
}

}  // namespace
}  // namespace orderhub::api
