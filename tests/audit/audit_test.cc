// The audit trail: sealed entries verify; every kind of tampering with the
// SQLite file is found and named. Tampering is done with SQL on the real
// store file, as an attacker with the file would.
#include "audit/audit.h"

#include <sqlite3.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "app/hub.h"
#include "app/keys.h"
#include "codec/json_reader.h"
#include "store/sqlite_store.h"
#include "testing/http_client.h"
#include "testing/test_path.h"

namespace orderhub::audit {
namespace {

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::FreshTestDir("oh-audit");
    auto key = SigningKey::LoadOrCreate((dir_ / "audit.key").string());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = std::move(*key);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = store::SqliteStore::Open((dir_ / "orderhub.db").string(), store::Durability::kNormal);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  // Appends `n` entries through a sealer continuing the stored trail, then
  // signs the end (as a stopping hub does) when `sign_end`.
  void Append(int n, bool sign_end) {
    auto tail = store_->LastAudit();
    ASSERT_TRUE(tail.ok());
    Sealer sealer(key_.get(), tail->seq, tail->hash, tail->signed_seq);
    store::Batch b;
    for (int i = 0; i < n; ++i) {
      store::AuditEntry e;
      e.at = 1'700'000'000'000'000 + i;
      e.tenant = "t1";
      e.actor = "admin/0123456789abcdef";
      e.source = "127.0.0.1:5000";
      e.action = "POST /v1/orders";
      e.target = "/v1/orders";
      e.detail = "201";
      e.after = std::string(64, 'a');
      b.audit.push_back(e);
    }
    sealer.Seal(b);
    if (sign_end) sealer.Checkpoint(b);
    ASSERT_TRUE(store_->Commit(b).ok());
  }
  void Sql(const std::string& sql) {
    store_.reset();  // the attacker works on the file, not through the hub
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "orderhub.db").string().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    Reopen();
  }
  Report Check() {
    auto r = Verify(*store_, key_->PublicKeyHex());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Report{};
  }
  static std::string Problems(const Report& r) {
    std::string all;
    for (const std::string& p : r.problems) all += p + "\n";
    return all;
  }

  std::filesystem::path dir_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(AuditTrailTest, AnUntouchedTrailVerifiesAcrossSealersAndCheckpoints) {
  Append(kCheckpointEvery + 10, false);  // one periodic checkpoint, 10 entries after it
  Append(5, true);                       // a "restarted hub" continues the chain and signs its end
  const Report r = Check();
  EXPECT_TRUE(r.problems.empty()) << Problems(r);
  EXPECT_EQ(r.entries, kCheckpointEvery + 15);
  EXPECT_EQ(r.checkpoints, 2);
  EXPECT_EQ(r.unsigned_tail, 0);
}

TEST_F(AuditTrailTest, TheUnsignedTailIsReported) {
  Append(kCheckpointEvery + 10, false);
  const Report r = Check();
  EXPECT_TRUE(r.problems.empty()) << Problems(r);
  EXPECT_EQ(r.unsigned_tail, 10);
}

TEST_F(AuditTrailTest, AnEditedEntryIsNamed) {
  Append(20, true);
  Sql("UPDATE audit SET actor = 'analyst/ffffffffffffffff' WHERE seq = 7");
  const Report r = Check();
  ASSERT_EQ(r.problems.size(), 1u) << Problems(r);
  EXPECT_EQ(r.problems[0], "entry 7 was edited: its contents do not match its hash");
}

TEST_F(AuditTrailTest, RemovedEntriesAreNamed) {
  Append(20, true);
  Sql("DELETE FROM audit WHERE seq = 5; DELETE FROM audit WHERE seq BETWEEN 10 AND 12");
  const Report r = Check();
  EXPECT_EQ(Problems(r), "entry 5 was removed\nentries 10 to 12 were removed\n");
}

TEST_F(AuditTrailTest, SwappedEntriesAreFound) {
  Append(20, true);
  // Exchange the rows of 8 and 9 whole (each keeps its own hash).
  Sql("UPDATE audit SET seq = -1 WHERE seq = 8; UPDATE audit SET seq = 8 WHERE seq = 9;"
      "UPDATE audit SET seq = 9 WHERE seq = -1");
  const Report r = Check();
  EXPECT_NE(Problems(r).find("entry 8 was edited"), std::string::npos) << Problems(r);
  EXPECT_NE(Problems(r).find("entry 9 was edited"), std::string::npos) << Problems(r);
}

TEST_F(AuditTrailTest, ARecomputedChainDoesNotMatchItsSignedCheckpoint) {
  Append(20, true);
  // The attacker edits entry 3 and recomputes every hash after it, so the
  // chain itself is consistent again; only the signature can tell.
  std::vector<store::AuditEntry> all;
  ASSERT_TRUE(store_->ReadAudit(1, [&](const store::AuditEntry& e) {
    all.push_back(e);
    return Status::OK();
  }).ok());
  all[2].detail = "403";
  std::string sql;
  for (size_t i = 2; i < all.size(); ++i) {
    all[i].prev_hash = all[i - 1].hash;
    all[i].hash = EntryHash(all[i]);
    sql += "UPDATE audit SET detail = '" + all[i].detail + "', prev_hash = '" + all[i].prev_hash + "', hash = '" +
           all[i].hash + "' WHERE seq = " + std::to_string(all[i].seq) + ";";
  }
  Sql(sql);
  const Report r = Check();
  EXPECT_EQ(Problems(r), "checkpoint at entry 20 signed a different hash: the chain up to entry 20 was rewritten\n");
}

TEST_F(AuditTrailTest, ACheckpointSignedWithAnotherKeyIsRefused) {
  Append(20, true);
  auto other = SigningKey::LoadOrCreate((dir_ / "other.key").string());
  ASSERT_TRUE(other.ok());
  auto tail = store_->LastAudit();
  ASSERT_TRUE(tail.ok());
  Sql("UPDATE audit_checkpoints SET signature = '" +
      (*other)->Sign(CheckpointMessage(tail->seq, tail->hash)) + "' WHERE seq = 20");
  const Report r = Check();
  EXPECT_EQ(Problems(r), "checkpoint at entry 20 has an invalid signature (forged, or signed with another key)\n");
}

TEST_F(AuditTrailTest, ACutOffEndIsFoundByItsCheckpoint) {
  Append(20, true);
  Sql("DELETE FROM audit WHERE seq > 15");
  const Report r = Check();
  EXPECT_EQ(Problems(r),
            "checkpoint at entry 20 names an entry past the end of the trail: entries at its end were removed\n");
}

TEST_F(AuditTrailTest, AKeyFileThatIsNotAKeyIsRefused) {
  std::FILE* f = std::fopen((dir_ / "bad.key").c_str(), "w");
  std::fputs("not a key\n", f);
  std::fclose(f);
  auto k = SigningKey::LoadOrCreate((dir_ / "bad.key").string());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("bad.key is not an audit signing key"), std::string::npos);
}

// A hub on `dir`, serving on a free port.
Result<std::unique_ptr<app::Hub>> ServeHub(const std::filesystem::path& dir, const Clock* clock) {
  app::HubOptions o;
  o.data_dir = dir.string();
  o.durability = store::Durability::kNormal;
  o.server.port = 0;
  auto hub = app::Hub::Open(o, clock);
  if (!hub.ok()) return hub.status();
  OH_RETURN_IF_ERROR((*hub)->Serve());
  return hub;
}

// The hub end to end: mutations, refusals and unmasking leave entries that
// `orderhub audit verify` accepts, and it names an entry edited afterwards.
TEST(AuditEndToEnd, CallsAreAuditedAndTheCommandFindsTampering) {
  const std::filesystem::path dir = orderhub::testing::TestPath("oh-audit-e2e");
  std::filesystem::remove_all(dir);
  {
    SystemClock clock;
    auto hub = ServeHub(dir, &clock);
    ASSERT_TRUE(hub.ok()) << hub.status().ToString();
    orderhub::testing::HttpClient admin((*hub)->port(), *app::CreateKey((*hub)->store(), "t1", "admin", 0));
    orderhub::testing::HttpClient carrier((*hub)->port(), *app::CreateKey((*hub)->store(), "t1", "carrier", 0));
    EXPECT_EQ(admin.Send("PUT", "/v1/skus/A", R"({"name":"杯"})").status, 200);
    EXPECT_EQ(carrier.Send("PUT", "/v1/skus/A", R"({"name":"偷改"})").status, 403);
    EXPECT_EQ(admin.Send("PUT", "/v1/skus/A", R"({"name":)").status, 400);
    EXPECT_EQ(admin.Send("GET", "/v1/skus/A").status, 200);  // a plain read: not audited
    std::vector<store::AuditEntry> all;
    ASSERT_TRUE((*hub)->store().ReadAudit(1, [&](const store::AuditEntry& e) {
      all.push_back(e);
      return Status::OK();
    }).ok());
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].action, "PUT /v1/skus/{code}");
    EXPECT_EQ(all[0].detail, "200");
    EXPECT_EQ(all[0].before, "");  // the sku did not exist
    EXPECT_EQ(all[0].after.size(), 64u);
    EXPECT_EQ(all[0].actor.rfind("admin/", 0), 0u);
    EXPECT_EQ(all[0].source.rfind("127.0.0.1:", 0), 0u);
    EXPECT_EQ(all[1].detail, "403");
    EXPECT_EQ(all[1].actor.rfind("carrier/", 0), 0u);
    EXPECT_EQ(all[2].detail, "400");
  }  // the hub stops and signs the end of the trail
  const std::string verify = std::string(OH_BINARY) + " audit verify --data " + dir.string() + " 2>&1";
  auto run = [](const std::string& cmd, std::string* out) {
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    out->clear();
    while (std::fgets(buf, sizeof buf, p) != nullptr) *out += buf;
    return WEXITSTATUS(pclose(p));
  };
  std::string out;
  EXPECT_EQ(run(verify, &out), 0) << out;
  EXPECT_NE(out.find("3 entries, 1 signed checkpoints"), std::string::npos) << out;
  EXPECT_NE(out.find("intact"), std::string::npos) << out;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "orderhub.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit SET detail = '200' WHERE seq = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(run(verify, &out), 1) << out;
  EXPECT_NE(out.find("TAMPERED: entry 2 was edited"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

// An order's entries carry digests of the order's document as the API shows
// it: the create's "after" is the document answered (and read back), the
// cancel's "before" is that same document and its "after" the cancelled one.
TEST(AuditEndToEnd, OrderEntriesDigestTheDocumentsTheApiAnswers) {
  const std::filesystem::path dir = orderhub::testing::TestPath("oh-audit-orders");
  std::filesystem::remove_all(dir);
  SystemClock clock;
  auto hub = ServeHub(dir, &clock);
  ASSERT_TRUE(hub.ok()) << hub.status().ToString();
  orderhub::testing::HttpClient admin((*hub)->port(), *app::CreateKey((*hub)->store(), "t1", "admin", 0));
  ASSERT_EQ(admin.Send("PUT", "/v1/nodes/WH1", R"({"name":"仓","region_code":"310100","lat":31,"lng":121})").status, 200);
  ASSERT_EQ(admin.Send("PUT", "/v1/skus/A", R"({"name":"杯"})").status, 200);
  ASSERT_EQ(admin.Send("PUT", "/v1/inventory/A/WH1", R"({"on_hand":5,"reason":"count"})").status, 200);
  const std::string order =
      R"({"channel":"tmall","channel_order_id":"D1","customer_id":"C1","currency":"CNY",)"
      R"("lines":[{"sku":"A","quantity":1,"unit_price":100}],)"
      R"("ship_to":{"region_code":"310115","address":"浦东新区世纪大道1号","name":"张三","phone":"13800138000"}})";
  const auto created = admin.Send("POST", "/v1/orders", order);
  ASSERT_EQ(created.status, 201) << created.body;
  const size_t at = created.body.find("\"id\":\"") + 6;
  const std::string id = created.body.substr(at, created.body.find('"', at) - at);
  const auto read = admin.Send("GET", "/v1/orders/" + id);
  ASSERT_EQ(read.status, 200);
  const auto cancelled = admin.Send("POST", "/v1/orders/" + id + "/cancel", R"({"reason":"customer asked"})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  // The same order again: a duplicate, answered with the existing one; nothing was created.
  ASSERT_EQ(admin.Send("POST", "/v1/orders", order).status, 409);
  std::vector<store::AuditEntry> all;
  ASSERT_TRUE((*hub)->store().ReadAudit(1, [&](const store::AuditEntry& e) {
    if (e.action.find("/v1/orders") != std::string::npos) all.push_back(e);
    return Status::OK();
  }).ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].before, "");
  EXPECT_EQ(all[0].after, codec::Sha256Hex(created.body));
  EXPECT_EQ(all[0].after, codec::Sha256Hex(read.body));
  EXPECT_EQ(all[1].before, all[0].after);
  EXPECT_EQ(all[1].after, codec::Sha256Hex(cancelled.body));
  EXPECT_NE(all[1].after, all[1].before);
  EXPECT_EQ(all[2].detail, "409");
  EXPECT_EQ(all[2].after, "");  // the id it would have had does not exist
  (*hub)->Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace orderhub::audit
