// The syncer stage of the write path: nobody is answered before the sync
// that covers their batch, the committer writes the next batch while a sync
// runs, answers leave in order, and a failed sync stops the hub.
//
// The store is the real SQLite store behind a decorator that can hold or
// fail Sync: the one test double here, standing in for a disk whose flush
// takes as long as the test wants (no real disk can be told to).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "engine/engine.h"
#include "store/sqlite_store.h"
#include "testing/test_path.h"
#include "writer/writer.h"

namespace orderhub::writer {
namespace {

using namespace std::chrono_literals;

class HeldSyncStore final : public store::Store {
 public:
  explicit HeldSyncStore(store::Store* inner) : inner_(inner) {}

  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release(bool fail = false) {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    fail_ = fail;
    cv_.notify_all();
  }
  int writes() {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }
  // Waits until `n` writes happened (or five seconds passed); returns the count.
  int AwaitWrites(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return writes_ >= n; });
    return writes_;
  }
  bool AwaitSyncHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return syncs_waiting_ > 0; });
  }

  Status Commit(store::Batch& b) override {
    OH_RETURN_IF_ERROR(Write(b));
    return Sync();
  }
  Status Write(store::Batch& b) override {
    Status st = inner_->Write(b);
    std::lock_guard<std::mutex> lock(mu_);
    ++writes_;
    cv_.notify_all();
    return st;
  }
  Status Sync() override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++syncs_waiting_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_; });
      --syncs_waiting_;
      if (fail_) return Status::IOError("the disk refused the flush");
    }
    return inner_->Sync();
  }

  Status ReadJournal(int64_t from, const std::function<Status(const store::JournalRecord&)>& fn) override {
    return inner_->ReadJournal(from, fn);
  }
  Result<store::JournalPosition> LastJournalPosition() override { return inner_->LastJournalPosition(); }
  Result<std::vector<model::OrderEvent>> OrderEvents(const std::string& t, const std::string& id) override {
    return inner_->OrderEvents(t, id);
  }
  Result<std::optional<store::IdempotencyRow>> GetIdempotency(const std::string& t, const std::string& k) override {
    return inner_->GetIdempotency(t, k);
  }
  Status ReadAudit(int64_t from, const std::function<Status(const store::AuditEntry&)>& fn) override {
    return inner_->ReadAudit(from, fn);
  }
  Result<std::vector<store::AuditCheckpoint>> AuditCheckpoints() override { return inner_->AuditCheckpoints(); }
  Result<AuditTail> LastAudit() override { return inner_->LastAudit(); }
  Status PutApiKey(const store::ApiKey& k) override { return inner_->PutApiKey(k); }
  Result<std::optional<store::ApiKey>> FindApiKey(const std::string& h) override { return inner_->FindApiKey(h); }
  Result<std::vector<store::ApiKey>> ListApiKeys() override { return inner_->ListApiKeys(); }
  Status PutExport(const store::Export& e) override { return inner_->PutExport(e); }
  Result<std::optional<store::Export>> GetExport(const std::string& t, const std::string& id) override {
    return inner_->GetExport(t, id);
  }
  Result<std::vector<store::Export>> ListExports(const std::string& t) override { return inner_->ListExports(t); }
  Result<bool> ApproveExport(const std::string& t, const std::string& id, const std::string& a, Micros now,
                             Micros expires) override {
    return inner_->ApproveExport(t, id, a, now, expires);
  }
  Result<bool> ClaimExportDownload(const std::string& t, const std::string& id, const std::string& r,
                                   Micros now) override {
    return inner_->ClaimExportDownload(t, id, r, now);
  }
  Status PutUser(const store::User& u) override { return inner_->PutUser(u); }
  Result<std::optional<store::User>> FindUser(const std::string& t, const std::string& n) override {
    return inner_->FindUser(t, n);
  }
  Result<bool> DisableUser(const std::string& t, const std::string& n, Micros at) override {
    return inner_->DisableUser(t, n, at);
  }
  Result<bool> RevokeApiKey(const std::string& id, Micros at) override { return inner_->RevokeApiKey(id, at); }
  Status PutTenant(const store::Tenant& t) override { return inner_->PutTenant(t); }
  Result<std::vector<store::Tenant>> ListTenants() override { return inner_->ListTenants(); }
  Result<std::string> DataRegion() override { return inner_->DataRegion(); }
  Status SetDataRegion(const std::string& r) override { return inner_->SetDataRegion(r); }

 private:
  store::Store* inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, fail_ = false;  // GUARDED_BY(mu_)
  int writes_ = 0, syncs_waiting_ = 0;  // GUARDED_BY(mu_)
};

class WriterSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::FreshTestDir("oh-writer-sync");
    auto s = store::SqliteStore::Open((dir_ / "orderhub.db").string(), store::Durability::kFull);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sqlite_ = std::move(*s);
    held_ = std::make_unique<HeldSyncStore>(sqlite_.get());
    writer_ = std::make_unique<Writer>(&engine_, held_.get(), &clock_, IdGenerator(7));
    writer_->Start();
  }
  void TearDown() override {
    held_->Release();
    writer_.reset();
    held_.reset();
    sqlite_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Submits an sku upsert; its answer (status and sku code) lands in answers_.
  void SubmitSku(const std::string& code) {
    Submission s;
    s.has_command = true;
    model::Sku sku;
    sku.tenant = "t1";
    sku.code = code;
    sku.name = code;
    s.command = engine::UpsertSku{sku};
    s.record.tenant = "t1";
    s.record.kind = "upsert_sku";
    s.record.target = code;
    s.render = [code](const engine::Engine&, const engine::Outcome&) {
      Reply r;
      r.body = code;
      return r;
    };
    s.done = [this](Reply r) {
      std::lock_guard<std::mutex> lock(mu_);
      answers_.push_back(std::to_string(r.status) + " " + (r.status == 200 ? r.body : ""));
      cv_.notify_all();
    };
    writer_->Submit(std::move(s));
  }
  std::vector<std::string> AwaitAnswers(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return answers_.size() >= n; });
    return answers_;
  }
  size_t AnswerCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return answers_.size();
  }

  lifecycle::LifecycleSet lifecycles_;
  engine::Engine engine_{&lifecycles_};
  ManualClock clock_{1'800'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<HeldSyncStore> held_;
  std::unique_ptr<Writer> writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> answers_;  // GUARDED_BY(mu_)
};

TEST_F(WriterSyncTest, NobodyIsAnsweredBeforeTheSyncAndTheNextBatchIsWrittenMeanwhile) {
  held_->Hold();
  SubmitSku("A");
  ASSERT_TRUE(held_->AwaitSyncHeld());
  // The committer is not held by the sync: B is written while A's flush runs.
  SubmitSku("B");
  EXPECT_EQ(held_->AwaitWrites(2), 2);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(AnswerCount(), 0u);  // both written, neither durable: neither answered
  held_->Release();
  EXPECT_EQ(AwaitAnswers(2), (std::vector<std::string>{"200 A", "200 B"}));
  // What was answered is in the journal.
  int records = 0;
  ASSERT_TRUE(sqlite_->ReadJournal(1, [&](const store::JournalRecord&) {
    ++records;
    return Status::OK();
  }).ok());
  EXPECT_EQ(records, 2);
}

TEST_F(WriterSyncTest, AFailedSyncAnswersUnavailableAndStopsTheWrites) {
  held_->Hold();
  SubmitSku("A");
  ASSERT_TRUE(held_->AwaitSyncHeld());
  held_->Release(/*fail=*/true);
  EXPECT_EQ(AwaitAnswers(1), std::vector<std::string>{"503 "});
  EXPECT_TRUE(writer_->failed());
  SubmitSku("B");
  EXPECT_EQ(AwaitAnswers(2), (std::vector<std::string>{"503 ", "503 "}));
  EXPECT_EQ(held_->writes(), 1);  // B never reached the store (its answer came after the committer passed it)
}

}  // namespace
}  // namespace orderhub::writer
