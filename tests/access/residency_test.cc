// Data residency: a tenant pinned to a region is served only by a hub of
// that region. Another region's hub refuses its requests before storing
// anything (no journal record, no audit entry), records carry the region,
// and a data directory holding one region's data is not opened by a hub of
// another.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/hub.h"
#include "app/keys.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::access {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

constexpr const char* kSku = R"({"name":"杯"})";

class ResidencyTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = orderhub::testing::TestPath("oh-residency"); }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Serve(const std::string& region, bool fresh = true) {
    app::HubOptions o = fresh ? orderhub::testing::TestHubOptions(dir_) : Reopen();
    o.region = region;
    hub_ = orderhub::testing::ServeHub(o, &clock_);
    ASSERT_NE(hub_, nullptr);
  }
  app::HubOptions Reopen() {
    app::HubOptions o;
    o.data_dir = dir_.string();
    o.durability = store::Durability::kNormal;
    o.server.port = 0;
    return o;
  }
  std::string Key(const std::string& tenant) {
    return *app::CreateKey(hub_->store(), tenant, "admin", clock_.Now(), app::KeyOptions{});
  }
  int64_t JournalRecords(std::string* last_region = nullptr) {
    int64_t n = 0;
    EXPECT_TRUE(hub_->store()
                    .ReadJournal(1,
                                 [&](const store::JournalRecord& r) {
                                   ++n;
                                   if (last_region != nullptr) *last_region = r.region;
                                   return Status::OK();
                                 })
                    .ok());
    return n;
  }

  ManualClock clock_{1'800'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
};

TEST_F(ResidencyTest, AnotherRegionsTenantIsRefusedAndNothingOfItsIsStored) {
  Serve("cn-north");
  ASSERT_TRUE(hub_->store().PutTenant(store::Tenant{"acme-eu", "eu-central", clock_.Now()}).ok());
  HttpClient eu(hub_->port(), Key("acme-eu"));
  const auto audit_before = hub_->store().LastAudit();
  HttpResponse r = eu.Send("PUT", "/v1/skus/A", kSku);
  EXPECT_EQ(r.status, 421) << r.body;
  EXPECT_NE(r.body.find("\"reason\":\"region_mismatch\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("tenant 'acme-eu' is pinned to region 'eu-central'; this deployment serves region "
                        "'cn-north'"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(eu.Send("GET", "/v1/orders").status, 421);  // reads too: the data is not here
  EXPECT_EQ(JournalRecords(), 0);
  EXPECT_EQ(hub_->store().LastAudit()->seq, audit_before->seq);
}

TEST_F(ResidencyTest, RecordsOfAPinnedTenantCarryItsRegion) {
  Serve("cn-north");
  ASSERT_TRUE(hub_->store().PutTenant(store::Tenant{"acme-cn", "cn-north", clock_.Now()}).ok());
  HttpClient cn(hub_->port(), Key("acme-cn")), unpinned(hub_->port(), Key("local"));
  ASSERT_EQ(cn.Send("PUT", "/v1/skus/A", kSku).status, 200);
  std::string region;
  EXPECT_EQ(JournalRecords(&region), 1);
  EXPECT_EQ(region, "cn-north");
  ASSERT_EQ(unpinned.Send("PUT", "/v1/skus/A", kSku).status, 200);  // unpinned tenants: any region
  EXPECT_EQ(JournalRecords(&region), 2);
  EXPECT_EQ(region, "");
  // The tag survives a restart (it is part of the record's checksum).
  hub_.reset();
  Serve("cn-north", /*fresh=*/false);
  EXPECT_EQ(hub_->replayed_records() + hub_->snapshot_position().seq, 2);
}

TEST_F(ResidencyTest, AHubWithoutARegionRefusesPinnedTenants) {
  Serve("");
  ASSERT_TRUE(hub_->store().PutTenant(store::Tenant{"acme-cn", "cn-north", clock_.Now()}).ok());
  HttpResponse r = HttpClient(hub_->port(), Key("acme-cn")).Send("PUT", "/v1/skus/A", kSku);
  EXPECT_EQ(r.status, 421) << r.body;
  EXPECT_NE(r.body.find("this deployment serves no region"), std::string::npos) << r.body;
}

TEST_F(ResidencyTest, APinningTakesEffectOnARunningHubWithinSeconds) {
  Serve("cn-north");
  HttpClient c(hub_->port(), Key("acme"));
  ASSERT_EQ(c.Send("PUT", "/v1/skus/A", kSku).status, 200);
  ASSERT_TRUE(hub_->store().PutTenant(store::Tenant{"acme", "eu-central", clock_.Now()}).ok());
  clock_.Advance(5 * kMicrosPerSecond);
  EXPECT_EQ(c.Send("PUT", "/v1/skus/B", kSku).status, 421);
}

TEST_F(ResidencyTest, ADataDirectoryOfOneRegionIsNotOpenedForAnother) {
  Serve("cn-north");
  hub_.reset();
  for (const char* other : {"eu-central", ""}) {
    app::HubOptions o = Reopen();
    o.region = other;
    auto h = app::Hub::Open(o, &clock_);
    ASSERT_FALSE(h.ok()) << other;
    EXPECT_EQ(h.status().reason(), "region_mismatch");
    EXPECT_NE(h.status().message().find("holds the data of region 'cn-north'"), std::string::npos)
        << h.status().message();
  }
  Serve("cn-north", /*fresh=*/false);  // its own region still opens it
}

TEST_F(ResidencyTest, AJournalRecordOfAnotherRegionStopsStartNamingIt) {
  // A store written before it was pinned to a region (no region held), whose
  // journal has another region's record: replay refuses it.
  Serve("eu-central");
  ASSERT_TRUE(hub_->store().PutTenant(store::Tenant{"acme-eu", "eu-central", clock_.Now()}).ok());
  ASSERT_EQ(HttpClient(hub_->port(), Key("acme-eu")).Send("PUT", "/v1/skus/A", kSku).status, 200);
  ASSERT_TRUE(hub_->store().SetDataRegion("").ok());
  hub_.reset();
  std::filesystem::remove(dir_ / "orderhub.snapshot");  // replay the record itself
  app::HubOptions o = Reopen();
  o.region = "cn-north";
  auto h = app::Hub::Open(o, &clock_);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().reason(), "region_mismatch");
  EXPECT_NE(h.status().message().find("journal record 1 belongs to tenant 'acme-eu' of region 'eu-central'"),
            std::string::npos)
      << h.status().message();
}

TEST(RegionNames, AreShortLowercaseWords) {
  EXPECT_TRUE(IsRegionName("cn-north"));
  EXPECT_TRUE(IsRegionName("eu-central-1"));
  EXPECT_FALSE(IsRegionName(""));
  EXPECT_FALSE(IsRegionName("CN"));
  EXPECT_FALSE(IsRegionName("cn north"));
  EXPECT_FALSE(IsRegionName("cn/../eu"));
  EXPECT_FALSE(IsRegionName(std::string(33, 'a')));
}

}  // namespace
}  // namespace orderhub::access
