// The embedded store: one SQLite file in WAL mode under the data directory.
//
// One writer connection (the committer thread), a pool of reader
// connections, and a checkpointer thread with its own connection; WAL lets
// readers run while a batch commits. Checkpoints (copying the WAL into the
// database file, with its fsync) run on the checkpointer soon after commits,
// in small steps (at most one per 5 ms), not inside a commit, where they
// would stall every client of that batch; an idle store does none. Opening checks
// that the file is ours (PRAGMA application_id) and of a schema version we
// know, and refuses anything else with a message that names the file.
//
// Durability kFull: the writer connection commits without a sync (SQLite's
// synchronous=NORMAL) and Sync() fdatasyncs the WAL file, so that the
// committer writes batch N+1 while the disk flushes batch N. SQLite's WAL
// keeps its own consistency either way (frames carry checksums chained from
// the header; a start-over of the log happens only after a checkpoint made
// the database file durable); the explicit sync only decides when a
// transaction is acknowledged.
#pragma once

#include <condition_variable>
#include <memory>
#include <atomic>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "store/store.h"

struct sqlite3;

namespace orderhub::store {

enum class Durability {
  kFull,    // fsync every commit: nothing acknowledged is lost, even on power loss
  kNormal,  // WAL sync at checkpoints: survives a process crash, may lose the last commits on power loss
};

class SqliteStore final : public Store {
 public:
  // Past `wal_limit_bytes` the WAL starts over as soon as the checkpointer
  // has caught up, and a WAL that grew beyond it is cut back to it then.
  static constexpr int64_t kDefaultWalLimit = int64_t{64} << 20;
  // `preallocate_wal` (a server's choice; kFull only): the WAL file is
  // written out to the limit at once, so that no later sync carries a change
  // of its size (a file-system journal commit: the slowest syncs of a fresh
  // store, until the log first started over).
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, Durability durability,
                                                   int64_t wal_limit_bytes = kDefaultWalLimit,
                                                   bool preallocate_wal = false);
  ~SqliteStore() override;

  Status Commit(Batch& batch) override;  // Write, then Sync
  Status Write(Batch& batch) override;
  Status Sync() override;
  Status ReadJournal(int64_t from, const std::function<Status(const JournalRecord&)>& fn) override;
  Result<JournalPosition> LastJournalPosition() override;
  Result<std::vector<model::OrderEvent>> OrderEvents(const std::string& tenant, const std::string& order_id) override;
  Result<std::optional<IdempotencyRow>> GetIdempotency(const std::string& tenant, const std::string& key) override;
  Status ReadAudit(int64_t from, const std::function<Status(const AuditEntry&)>& fn) override;
  Result<std::vector<AuditCheckpoint>> AuditCheckpoints() override;
  Result<AuditTail> LastAudit() override;
  Status PutApiKey(const ApiKey& key) override;
  Result<std::optional<ApiKey>> FindApiKey(const std::string& hash) override;
  Result<std::vector<ApiKey>> ListApiKeys() override;
  Status PutExport(const Export& e) override;
  Result<std::optional<Export>> GetExport(const std::string& tenant, const std::string& id) override;
  Result<std::vector<Export>> ListExports(const std::string& tenant) override;
  Result<bool> ApproveExport(const std::string& tenant, const std::string& id, const std::string& approver, Micros now,
                             Micros expires_at) override;
  Result<bool> ClaimExportDownload(const std::string& tenant, const std::string& id, const std::string& requester,
                                   Micros now) override;
  Status PutUser(const User& user) override;
  Result<std::optional<User>> FindUser(const std::string& tenant, const std::string& name) override;
  Result<bool> DisableUser(const std::string& tenant, const std::string& name, Micros at) override;
  Result<bool> RevokeApiKey(const std::string& id, Micros at) override;
  Status PutTenant(const Tenant& tenant) override;
  Result<std::vector<Tenant>> ListTenants() override;
  Result<std::string> DataRegion() override;
  Status SetDataRegion(const std::string& region) override;

  class Conn;  // a connection with its cached statements

 private:
  explicit SqliteStore(std::string path);
  Result<Conn*> AcquireReader();
  void ReleaseReader(Conn* c);
  void CheckpointLoop();
  void MaybeRestartWal();
  Status PreallocateWal();
  Status WalError(const char* what) const;  // names the WAL file and errno

  std::string path_;
  Durability durability_ = Durability::kFull;
  int wal_fd_ = -1;  // the WAL file, for Sync
  std::unique_ptr<Conn> writer_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Conn>> all_readers_;  // GUARDED_BY(readers_mu_)
  std::vector<Conn*> idle_readers_;                 // GUARDED_BY(readers_mu_)
  std::unique_ptr<Conn> checkpointer_conn_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;                           // GUARDED_BY(checkpoint_mu_)
  std::atomic<bool> checkpoint_due_{false};         // a commit came since the last checkpoint began
  std::thread checkpointer_;
  // Frames in the WAL after the last commit, and how many of them the
  // checkpointer had copied into the database when it last stopped.
  int64_t wal_limit_bytes_ = 0;
  int wal_limit_frames_ = 0;
  std::atomic<int> wal_frames_{0};
  std::atomic<int> wal_copied_{0};
};

}  // namespace orderhub::store
