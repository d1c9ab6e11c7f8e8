#include "store/sqlite_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "base/hex.h"
#include "store/wal_write_vfs.h"

namespace orderhub::store {
namespace {

// The checkpointer has caught up when it left no more than this (1 MiB) to copy.
constexpr int kWalCaughtUpFrames = 256;

// Checkpoints follow commits at most this often. Each one writes the pages
// copied since the last into the database file and flushes it; a commit's
// sync that meets it waits for those writes too (the device's flush covers
// everything written before it). Every 100 ms, a checkpoint wrote megabytes
// and a sync meeting it took 10-200 ms: a few commits of every second, all
// of their clients waiting. Every 5 ms it writes a twentieth of that.
constexpr auto kCheckpointPace = std::chrono::milliseconds(5);

// 'OHB1': marks a file as an OrderHub store.
constexpr int kApplicationId = 0x4F484231;
constexpr int kSchemaVersion = 6;

// Version 5 added the audit trail and console users; a version 4 store gains these tables.
constexpr const char* kVersion5Tables = R"SQL(
CREATE TABLE exports(tenant TEXT, id TEXT, requested_by TEXT NOT NULL, filter TEXT NOT NULL, unmask INTEGER NOT NULL,
  reason TEXT NOT NULL, status TEXT NOT NULL, requested_at INTEGER NOT NULL, approved_by TEXT NOT NULL DEFAULT '',
  approved_at INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL DEFAULT 0, downloaded_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(tenant, id)) WITHOUT ROWID;
CREATE TABLE users(tenant TEXT, name TEXT, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL, disabled_at INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(tenant, name)) WITHOUT ROWID;
CREATE TABLE audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, tenant TEXT NOT NULL, actor TEXT NOT NULL,
  source TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, before TEXT NOT NULL,
  after TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE audit_checkpoints(seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, signature TEXT NOT NULL);
)SQL";

constexpr const char* kSchema = R"SQL(
CREATE TABLE journal(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, tenant TEXT NOT NULL, kind TEXT NOT NULL,
  target TEXT NOT NULL, actor TEXT NOT NULL, idempotency_key TEXT NOT NULL, body TEXT NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE order_events(order_id TEXT, seq INTEGER, tenant TEXT, at INTEGER, kind TEXT, event TEXT,
  from_state TEXT, to_state TEXT, actor TEXT, reason TEXT, data TEXT, PRIMARY KEY(order_id, seq)) WITHOUT ROWID;
CREATE TABLE nodes(tenant TEXT, code TEXT, doc TEXT, PRIMARY KEY(tenant, code)) WITHOUT ROWID;
CREATE TABLE skus(tenant TEXT, code TEXT, doc TEXT, PRIMARY KEY(tenant, code)) WITHOUT ROWID;
CREATE TABLE idempotency(tenant TEXT, key TEXT, status INTEGER, body TEXT, PRIMARY KEY(tenant, key)) WITHOUT ROWID;
CREATE TABLE api_keys(hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL)
  WITHOUT ROWID;
)SQL";

// Version 5 also gave keys an expiry, a revocation, a rate and a node scope.
constexpr const char* kKeyColumns = R"SQL(
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN rate_per_s INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN node TEXT NOT NULL DEFAULT '';
)SQL";

// Version 6 pinned tenants to regions (data residency) and tagged journal
// records with theirs; a version 4 or 5 store gains both.
constexpr const char* kVersion6 = R"SQL(
CREATE TABLE tenants(id TEXT PRIMARY KEY, region TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE settings(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
ALTER TABLE journal ADD COLUMN region TEXT NOT NULL DEFAULT '';
)SQL";

uint32_t RecordCrc(const JournalRecord& r) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto add = [&](std::string_view s) {
    crc = crc32(crc, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>("\0"), 1);
  };
  const std::string at = std::to_string(r.at);
  add(at);
  add(r.tenant);
  add(r.kind);
  add(r.target);
  add(r.actor);
  add(r.idempotency_key);
  add(r.body);
  // Only when set, so that records written before version 6 keep their checksum.
  if (!r.region.empty()) add(r.region);
  return static_cast<uint32_t>(crc);
}

}  // namespace

// A connection and its prepared statements, reused across calls.
class SqliteStore::Conn {
 public:
  ~Conn() {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }
  sqlite3* db_ = nullptr;

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Status st = Status::IOError(std::string("sqlite: ") + (err ? err : "?"));
      sqlite3_free(err);
      return st;
    }
    return Status::OK();
  }
  // A reset statement for `sql`, prepared once per connection.
  sqlite3_stmt* Prepare(const std::string& sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
      return nullptr;
    }
    stmts_.emplace(sql, st);
    return st;
  }
  Status Error(const char* what) { return Status::IOError(std::string(what) + ": " + sqlite3_errmsg(db_)); }

 private:
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

namespace {

void BindText(sqlite3_stmt* st, int i, std::string_view s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

// Text with a NUL in it (a sealed journal body) is a blob: as TEXT, SQLite
// and its tools would treat it as ending at the NUL.
void BindTextOrBlob(sqlite3_stmt* st, int i, std::string_view s) {
  if (s.find('\0') == std::string_view::npos) return BindText(st, i, s);
  sqlite3_bind_blob(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

std::string ColBytes(sqlite3_stmt* st, int i) {
  const void* p = sqlite3_column_blob(st, i);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p),
                                                    static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

std::string ColText(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                    static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

// An audit digest (lowercase hex SHA-256) is kept as its 32 bytes: half the
// room, in a row written for every change. Anything else stays text, and
// trails written before hold text digests; both read back as hex.
constexpr size_t kDigestBytes = 32;

void BindDigest(sqlite3_stmt* st, int i, std::string_view hex) {
  unsigned char raw[kDigestBytes];
  if (!HexDecode(hex, raw, sizeof raw)) return BindText(st, i, hex);
  sqlite3_bind_blob(st, i, raw, sizeof raw, SQLITE_TRANSIENT);
}

std::string ColDigest(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) != SQLITE_BLOB) return ColText(st, i);
  return HexEncode(static_cast<const unsigned char*>(sqlite3_column_blob(st, i)),
                   static_cast<size_t>(sqlite3_column_bytes(st, i)));
}

// Runs a prepared statement that returns no rows.
Status Step(SqliteStore::Conn& c, sqlite3_stmt* st, const char* what) {
  if (st == nullptr) return c.Error(what);
  const int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) return c.Error(what);
  return Status::OK();
}

Result<std::unique_ptr<SqliteStore::Conn>> OpenConn(const std::string& path, bool create) {
  auto c = std::make_unique<SqliteStore::Conn>();
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &c->db_, flags, WalWriteVfs()) != SQLITE_OK) {
    return Status::IOError("cannot open " + path + ": " + sqlite3_errmsg(c->db_));
  }
  sqlite3_busy_timeout(c->db_, 5000);
  return c;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, Durability durability,
                                                       int64_t wal_limit_bytes, bool preallocate_wal) {
  std::unique_ptr<SqliteStore> s(new SqliteStore(path));
  s->wal_limit_bytes_ = std::max<int64_t>(wal_limit_bytes, 1);
  auto w = OpenConn(path, true);
  if (!w.ok()) return w.status();
  s->writer_ = std::move(*w);
  Conn& c = *s->writer_;
  // Reading the header is the first access: a foreign file fails here.
  sqlite3_stmt* st = c.Prepare("PRAGMA application_id");
  if (st == nullptr || sqlite3_step(st) != SQLITE_ROW) {
    return Status::Corruption(path + " is not an OrderHub store (not a SQLite database: " + sqlite3_errmsg(c.db_) +
                              ")");
  }
  const int app_id = sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  st = c.Prepare("SELECT count(*) FROM sqlite_schema");
  if (st == nullptr || sqlite3_step(st) != SQLITE_ROW) {
    return Status::Corruption(path + " is damaged: " + sqlite3_errmsg(c.db_));
  }
  const int objects = sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  if (objects == 0 && app_id == 0) {
    OH_RETURN_IF_ERROR(c.Exec("PRAGMA journal_mode=WAL"));
    OH_RETURN_IF_ERROR(c.Exec("BEGIN"));
    OH_RETURN_IF_ERROR(c.Exec(kSchema));
    OH_RETURN_IF_ERROR(c.Exec(kVersion5Tables));
    OH_RETURN_IF_ERROR(c.Exec(kKeyColumns));
    OH_RETURN_IF_ERROR(c.Exec(kVersion6));
    OH_RETURN_IF_ERROR(c.Exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str()));
    OH_RETURN_IF_ERROR(c.Exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str()));
    OH_RETURN_IF_ERROR(c.Exec("COMMIT"));
  } else if (app_id != kApplicationId) {
    return Status::Corruption(path + " is a SQLite database of another application (application_id " +
                              std::to_string(app_id) + "); refusing to use it");
  } else {
    st = c.Prepare("PRAGMA user_version");
    const int version = st != nullptr && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    if (version == 4 || version == 5) {
      OH_RETURN_IF_ERROR(c.Exec("BEGIN"));
      if (version == 4) {
        OH_RETURN_IF_ERROR(c.Exec(kVersion5Tables));
        OH_RETURN_IF_ERROR(c.Exec(kKeyColumns));
      }
      OH_RETURN_IF_ERROR(c.Exec(kVersion6));
      OH_RETURN_IF_ERROR(c.Exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str()));
      OH_RETURN_IF_ERROR(c.Exec("COMMIT"));
    } else if (version != kSchemaVersion) {
      return Status::Corruption(path + " has schema version " + std::to_string(version) + ", this build knows " +
                                std::to_string(kSchemaVersion));
    }
    OH_RETURN_IF_ERROR(c.Exec("PRAGMA journal_mode=WAL"));
  }
  // kFull too: Sync() makes commits durable (see the header).
  OH_RETURN_IF_ERROR(c.Exec("PRAGMA synchronous=NORMAL"));
  s->durability_ = durability;
  OH_RETURN_IF_ERROR(c.Exec("PRAGMA cache_size=-65536"));
  OH_RETURN_IF_ERROR(c.Exec("PRAGMA wal_autocheckpoint=0"));  // the checkpointer thread does it
  // The limit counts frames of the store's own page size (4 KiB unless the
  // file was made otherwise).
  st = c.Prepare("PRAGMA page_size");
  const int page_bytes = st != nullptr && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 4096;
  sqlite3_reset(st);
  s->wal_limit_frames_ =
      static_cast<int>(std::clamp<int64_t>(s->wal_limit_bytes_ / std::max(page_bytes, 512), 1, int64_t{1} << 30));
  OH_RETURN_IF_ERROR(c.Exec(("PRAGMA journal_size_limit=" + std::to_string(s->wal_limit_bytes_)).c_str()));
  sqlite3_wal_hook(
      c.db_,
      [](void* store, sqlite3*, const char*, int frames) {
        static_cast<SqliteStore*>(store)->wal_frames_.store(frames, std::memory_order_relaxed);
        return SQLITE_OK;
      },
      s.get());
  // A read in WAL mode has the connection create the WAL file if it is not
  // there (a store that was switched out of WAL mode by hand). Its directory
  // entry is made durable here, once: SQLite would do that at its first sync
  // of the file, which Sync() now does instead.
  st = c.Prepare("SELECT count(*) FROM sqlite_schema");
  if (st == nullptr || sqlite3_step(st) != SQLITE_ROW) return c.Error("reading the schema in WAL mode");
  sqlite3_reset(st);
  s->wal_fd_ = ::open((path + "-wal").c_str(), O_RDWR | O_CLOEXEC);
  if (s->wal_fd_ < 0) return s->WalError("open");
  if (durability == Durability::kFull) {
    if (preallocate_wal) OH_RETURN_IF_ERROR(s->PreallocateWal());
    const std::string dir = std::filesystem::path(path).parent_path().string();
    const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dir_fd >= 0 && ::fsync(dir_fd) == 0;
    if (dir_fd >= 0) ::close(dir_fd);
    if (!synced) return Status::IOError("cannot sync the directory of " + path + ": " + std::strerror(errno));
  }
  auto ck = OpenConn(path, false);
  if (!ck.ok()) return ck.status();
  s->checkpointer_conn_ = std::move(*ck);
  // A connection learns the file is in WAL mode by reading it; until then a
  // checkpoint on it does nothing.
  OH_RETURN_IF_ERROR(s->checkpointer_conn_->Exec("PRAGMA journal_mode=WAL"));
  s->checkpointer_ = std::thread([p = s.get()] { p->CheckpointLoop(); });
  return s;
}

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

void SqliteStore::CheckpointLoop() {
  pthread_setname_np(pthread_self(), "oh-checkpoint");
  std::unique_lock<std::mutex> lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [&] { return stopping_ || checkpoint_due_.load(std::memory_order_relaxed); });
    if (stopping_) return;
    checkpoint_due_.store(false, std::memory_order_relaxed);
    lock.unlock();
    // PASSIVE: copies what it can without waiting for the writer or readers.
    // Rounds repeat while they gain on the commits arriving meanwhile, so
    // that the backlog left for MaybeRestartWal is a commit or two.
    int log = 0, copied = 0, before = -1;
    for (int round = 0; round < 64; ++round) {
      if (sqlite3_wal_checkpoint_v2(checkpointer_conn_->db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) !=
              SQLITE_OK ||
          copied >= log || copied <= before) {
        break;
      }
      before = copied;
    }
    wal_copied_.store(copied, std::memory_order_relaxed);
    // A reader on an old snapshot held the copy back: try again, so that an
    // idle store's log still reaches the file (and, under kNormal, the disk).
    if (copied < log) checkpoint_due_.store(true, std::memory_order_relaxed);
    lock.lock();
    if (checkpoint_cv_.wait_for(lock, kCheckpointPace, [&] { return stopping_; })) return;
  }
}

Result<SqliteStore::Conn*> SqliteStore::AcquireReader() {
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (!idle_readers_.empty()) {
    Conn* c = idle_readers_.back();
    idle_readers_.pop_back();
    return c;
  }
  auto c = OpenConn(path_, false);
  if (!c.ok()) return c.status();
  all_readers_.push_back(std::move(*c));
  return all_readers_.back().get();
}

void SqliteStore::ReleaseReader(Conn* c) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  idle_readers_.push_back(c);
}

namespace {
// Gives a reader connection back to the pool on every return path.
template <typename Release>
struct ReaderLease {
  SqliteStore::Conn* c;
  Release release;
  ~ReaderLease() { release(c); }
};
}  // namespace

#define OH_WITH_READER(name)                                 \
  auto name##_r = AcquireReader();                           \
  if (!name##_r.ok()) return name##_r.status();              \
  Conn& name = **name##_r;                                   \
  auto name##_release = [this](Conn* c) { ReleaseReader(c); }; \
  ReaderLease<decltype(name##_release)> name##_lease{&name, name##_release}

// The WAL starts over only when a write begins with every frame already in
// the database, a moment the checkpointer never sees while commits follow
// each other without a pause: under a steady load the file would grow
// without end (every commit then extends the file, and its fsync carries the
// file system's metadata too; a restart after a crash reads all of it). So
// the committer, the one writer, copies the last few frames itself (PASSIVE
// waits for nobody; a reader still on old frames just postpones the restart).
void SqliteStore::MaybeRestartWal() {
  const int frames = wal_frames_.load(std::memory_order_relaxed);
  const int copied = wal_copied_.load(std::memory_order_relaxed);
  // A count copied from before the last start-over exceeds the frames now.
  if (frames < wal_limit_frames_ || copied > frames || frames - copied > kWalCaughtUpFrames) return;
  wal_frames_.store(0, std::memory_order_relaxed);  // the next commit's hook tells the truth
  sqlite3_wal_checkpoint_v2(writer_->db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

Status SqliteStore::WalError(const char* what) const {
  return Status::IOError(std::string("cannot ") + what + " " + path_ + "-wal: " + std::strerror(errno));
}

// Zeros from the file's end to the limit, written (not fallocated: the first
// write into an unwritten extent changes metadata too) and synced. SQLite
// reads a log only up to its first frame that fails its checksum, and a
// zeroed header is an empty log, so the zeros are never taken for frames.
Status SqliteStore::PreallocateWal() {
  struct stat st {};
  if (::fstat(wal_fd_, &st) != 0) return WalError("stat");
  if (st.st_size >= wal_limit_bytes_) return Status::OK();
  const std::string zeros(size_t{1} << 20, '\0');
  for (int64_t at = st.st_size; at < wal_limit_bytes_;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(zeros.size()), wal_limit_bytes_ - at));
    const ssize_t w = ::pwrite(wal_fd_, zeros.data(), n, at);
    if (w <= 0) return WalError("preallocate");
    at += w;
  }
  if (::fdatasync(wal_fd_) != 0) return WalError("sync");
  return Status::OK();
}

Status SqliteStore::Commit(Batch& b) {
  OH_RETURN_IF_ERROR(Write(b));
  return Sync();
}

// Any descriptor of the file flushes its pages: the kernel keeps them per
// file, not per descriptor, so this one covers what the writer connection wrote.
Status SqliteStore::Sync() {
  if (durability_ != Durability::kFull) return Status::OK();
  if (::fdatasync(wal_fd_) != 0) return WalError("sync");
  return Status::OK();
}

Status SqliteStore::Write(Batch& b) {
  Conn& c = *writer_;
  MaybeRestartWal();
  OH_RETURN_IF_ERROR(c.Exec("BEGIN"));
  auto fail = [&](Status st) {
    c.Exec("ROLLBACK");
    return st;
  };
  sqlite3_stmt* st = c.Prepare(
      "INSERT INTO journal(at, tenant, kind, target, actor, idempotency_key, body, crc, region) "
      "VALUES(?,?,?,?,?,?,?,?,?)");
  for (JournalRecord& r : b.journal) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, r.at);
    BindText(st, 2, r.tenant);
    BindText(st, 3, r.kind);
    BindText(st, 4, r.target);
    BindText(st, 5, r.actor);
    BindText(st, 6, r.idempotency_key);
    BindTextOrBlob(st, 7, r.body);
    r.crc = RecordCrc(r);
    sqlite3_bind_int64(st, 8, r.crc);
    BindText(st, 9, r.region);
    if (Status s = Step(c, st, "journal insert"); !s.ok()) return fail(s);
    r.seq = sqlite3_last_insert_rowid(c.db_);
  }
  st = c.Prepare(
      "INSERT INTO order_events(order_id, seq, tenant, at, kind, event, from_state, to_state, actor, reason, data)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  for (const model::NewOrderEvent& e : b.events) {
    sqlite3_reset(st);
    BindText(st, 1, e.order_id());
    sqlite3_bind_int64(st, 2, e.seq);
    BindText(st, 3, e.tenant);
    sqlite3_bind_int64(st, 4, e.at);
    BindText(st, 5, e.kind);
    BindText(st, 6, e.event);
    BindText(st, 7, e.from_state);
    BindText(st, 8, e.to_state);
    BindText(st, 9, e.actor);
    BindText(st, 10, e.reason);
    if (!e.data.empty() && e.data[0] == model::kPackedEventData) {  // binary: a blob, as Postgres would need
      sqlite3_bind_blob(st, 11, e.data.data(), static_cast<int>(e.data.size()), SQLITE_STATIC);
    } else {
      BindText(st, 11, e.data);
    }
    if (Status s = Step(c, st, "order_events insert"); !s.ok()) return fail(s);
  }

  for (auto [table, rows] : {std::pair{"nodes", &b.nodes}, std::pair{"skus", &b.skus}}) {
    st = c.Prepare(std::string("INSERT OR REPLACE INTO ") + table + "(tenant, code, doc) VALUES(?,?,?)");
    for (const DocRow& r : *rows) {
      sqlite3_reset(st);
      BindText(st, 1, r.tenant);
      BindText(st, 2, r.code);
      BindText(st, 3, r.doc);
      if (Status s = Step(c, st, "catalog upsert"); !s.ok()) return fail(s);
    }
  }
  // Deletes first: a key that expired may be taken again in the same batch.
  st = c.Prepare("DELETE FROM idempotency WHERE tenant = ? AND key = ?");
  for (const auto& [tenant, key] : b.expired_idempotency) {
    sqlite3_reset(st);
    BindText(st, 1, tenant);
    BindText(st, 2, key);
    if (Status s = Step(c, st, "idempotency expiry"); !s.ok()) return fail(s);
  }
  st = c.Prepare("INSERT OR IGNORE INTO idempotency(tenant, key, status, body) VALUES(?,?,?,?)");
  for (const IdempotencyRow& r : b.idempotency) {
    sqlite3_reset(st);
    BindText(st, 1, r.tenant);
    BindText(st, 2, r.key);
    sqlite3_bind_int(st, 3, r.status);
    BindText(st, 4, r.body);
    if (Status s = Step(c, st, "idempotency insert"); !s.ok()) return fail(s);
  }
  st = c.Prepare(
      "INSERT INTO audit(seq, at, tenant, actor, source, action, target, detail, before, after, prev_hash, hash)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const AuditEntry& a : b.audit) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, a.seq);
    sqlite3_bind_int64(st, 2, a.at);
    int i = 3;
    for (const std::string* f : {&a.tenant, &a.actor, &a.source, &a.action, &a.target, &a.detail}) {
      BindText(st, i++, *f);
    }
    for (const std::string* f : {&a.before, &a.after, &a.prev_hash, &a.hash}) BindDigest(st, i++, *f);
    if (Status s = Step(c, st, "audit insert"); !s.ok()) return fail(s);
  }
  st = c.Prepare("INSERT INTO audit_checkpoints(seq, hash, signature) VALUES(?,?,?)");
  for (const AuditCheckpoint& k : b.audit_checkpoints) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, k.seq);
    BindText(st, 2, k.hash);
    BindText(st, 3, k.signature);
    if (Status s = Step(c, st, "audit checkpoint insert"); !s.ok()) return fail(s);
  }
  if (Status s = c.Exec("COMMIT"); !s.ok()) return fail(s);
  // The checkpointer, if it waits, has frames to copy now.
  if (!checkpoint_due_.exchange(true, std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_cv_.notify_one();
  }
  return Status::OK();
}

Status SqliteStore::ReadAudit(int64_t from, const std::function<Status(const AuditEntry&)>& fn) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(
      "SELECT seq, at, tenant, actor, source, action, target, detail, before, after, prev_hash, hash FROM audit "
      "WHERE seq >= ? ORDER BY seq");
  if (st == nullptr) return c.Error("audit read");
  sqlite3_bind_int64(st, 1, from);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    AuditEntry a;
    a.seq = sqlite3_column_int64(st, 0);
    a.at = sqlite3_column_int64(st, 1);
    int i = 2;
    for (std::string* f : {&a.tenant, &a.actor, &a.source, &a.action, &a.target, &a.detail}) *f = ColText(st, i++);
    for (std::string* f : {&a.before, &a.after, &a.prev_hash, &a.hash}) *f = ColDigest(st, i++);
    if (Status s = fn(a); !s.ok()) {
      sqlite3_reset(st);
      return s;
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return c.Error("audit read");
  return Status::OK();
}

Result<Store::AuditTail> SqliteStore::LastAudit() {
  OH_WITH_READER(c);
  AuditTail tail;
  sqlite3_stmt* st = c.Prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (st == nullptr) return c.Error("audit read");
  if (sqlite3_step(st) == SQLITE_ROW) {
    tail.seq = sqlite3_column_int64(st, 0);
    tail.hash = ColDigest(st, 1);
  }
  sqlite3_reset(st);
  st = c.Prepare("SELECT max(seq) FROM audit_checkpoints");
  if (st == nullptr) return c.Error("audit read");
  if (sqlite3_step(st) == SQLITE_ROW) tail.signed_seq = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return tail;
}

Result<std::vector<AuditCheckpoint>> SqliteStore::AuditCheckpoints() {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("SELECT seq, hash, signature FROM audit_checkpoints ORDER BY seq");
  if (st == nullptr) return c.Error("audit checkpoint read");
  std::vector<AuditCheckpoint> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back(AuditCheckpoint{sqlite3_column_int64(st, 0), ColText(st, 1), ColText(st, 2)});
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return c.Error("audit checkpoint read");
  return out;
}

Status SqliteStore::ReadJournal(int64_t from, const std::function<Status(const JournalRecord&)>& fn) {
  Conn& c = *writer_;
  sqlite3_stmt* st = c.Prepare(
      "SELECT seq, at, tenant, kind, target, actor, idempotency_key, body, crc, region FROM journal WHERE seq >= ? "
      "ORDER BY seq");
  if (st == nullptr) return c.Error("journal read");
  from = std::max<int64_t>(from, 1);
  sqlite3_bind_int64(st, 1, from);
  int64_t expected = from;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    JournalRecord r;
    r.seq = sqlite3_column_int64(st, 0);
    r.at = sqlite3_column_int64(st, 1);
    r.tenant = ColText(st, 2);
    r.kind = ColText(st, 3);
    r.target = ColText(st, 4);
    r.actor = ColText(st, 5);
    r.idempotency_key = ColText(st, 6);
    r.body = ColBytes(st, 7);
    r.crc = static_cast<uint32_t>(sqlite3_column_int64(st, 8));
    r.region = ColText(st, 9);
    if (r.seq != expected) {
      sqlite3_reset(st);
      return Status::Corruption(path_ + ": journal record " + std::to_string(expected) +
                                " is missing (next is " + std::to_string(r.seq) + ")");
    }
    if (r.crc != RecordCrc(r)) {
      sqlite3_reset(st);
      return Status::Corruption(path_ + ": journal record " + std::to_string(r.seq) + " fails its checksum");
    }
    ++expected;
    if (Status s = fn(r); !s.ok()) {
      sqlite3_reset(st);
      return s;
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return Status::Corruption(path_ + ": journal unreadable: " + sqlite3_errmsg(c.db_));
  return Status::OK();
}

Result<JournalPosition> SqliteStore::LastJournalPosition() {
  Conn& c = *writer_;
  sqlite3_stmt* st = c.Prepare("SELECT seq, crc FROM journal ORDER BY seq DESC LIMIT 1");
  if (st == nullptr) return c.Error("journal read");
  JournalPosition p;
  if (sqlite3_step(st) == SQLITE_ROW) {
    p.seq = sqlite3_column_int64(st, 0);
    p.crc = static_cast<uint32_t>(sqlite3_column_int64(st, 1));
  }
  sqlite3_reset(st);
  return p;
}

Result<std::vector<model::OrderEvent>> SqliteStore::OrderEvents(const std::string& tenant,
                                                                const std::string& order_id) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(
      "SELECT seq, at, kind, event, from_state, to_state, actor, reason, data FROM order_events"
      " WHERE order_id = ? AND tenant = ? ORDER BY seq");
  if (st == nullptr) return c.Error("events read");
  BindText(st, 1, order_id);
  BindText(st, 2, tenant);
  std::vector<model::OrderEvent> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    model::OrderEvent e;
    e.tenant = tenant;
    e.order_id = order_id;
    e.seq = static_cast<uint32_t>(sqlite3_column_int64(st, 0));
    e.at = sqlite3_column_int64(st, 1);
    e.kind = ColText(st, 2);
    e.event = ColText(st, 3);
    e.from_state = ColText(st, 4);
    e.to_state = ColText(st, 5);
    e.actor = ColText(st, 6);
    e.reason = ColText(st, 7);
    e.data = ColText(st, 8);
    out.push_back(std::move(e));
  }
  sqlite3_reset(st);
  return out;
}

Result<std::optional<IdempotencyRow>> SqliteStore::GetIdempotency(const std::string& tenant, const std::string& key) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("SELECT status, body FROM idempotency WHERE tenant = ? AND key = ?");
  if (st == nullptr) return c.Error("idempotency read");
  BindText(st, 1, tenant);
  BindText(st, 2, key);
  std::optional<IdempotencyRow> out;
  if (sqlite3_step(st) == SQLITE_ROW) out = IdempotencyRow{tenant, key, sqlite3_column_int(st, 0), ColText(st, 1)};
  sqlite3_reset(st);
  return out;
}

Status SqliteStore::PutApiKey(const ApiKey& key) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(
      "INSERT INTO api_keys(hash, tenant, role, created_at, expires_at, revoked_at, rate_per_s, node)"
      " VALUES(?,?,?,?,?,?,?,?)");
  if (st == nullptr) return c.Error("api key insert");
  BindText(st, 1, key.hash);
  BindText(st, 2, key.tenant);
  BindText(st, 3, key.role);
  sqlite3_bind_int64(st, 4, key.created_at);
  sqlite3_bind_int64(st, 5, key.expires_at);
  sqlite3_bind_int64(st, 6, key.revoked_at);
  sqlite3_bind_int64(st, 7, key.rate_per_s);
  BindText(st, 8, key.node);
  Status s = Step(c, st, "api key insert");
  sqlite3_reset(st);
  return s;
}

namespace {
constexpr const char* kKeyFields = "hash, tenant, role, created_at, expires_at, revoked_at, rate_per_s, node";
ApiKey ReadKey(sqlite3_stmt* st) {
  return ApiKey{ColText(st, 0),
                ColText(st, 1),
                ColText(st, 2),
                sqlite3_column_int64(st, 3),
                sqlite3_column_int64(st, 4),
                sqlite3_column_int64(st, 5),
                sqlite3_column_int64(st, 6),
                ColText(st, 7)};
}
}  // namespace

Result<std::optional<ApiKey>> SqliteStore::FindApiKey(const std::string& hash) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(std::string("SELECT ") + kKeyFields + " FROM api_keys WHERE hash = ?");
  if (st == nullptr) return c.Error("api key read");
  BindText(st, 1, hash);
  std::optional<ApiKey> out;
  if (sqlite3_step(st) == SQLITE_ROW) out = ReadKey(st);
  sqlite3_reset(st);
  return out;
}

Result<std::vector<ApiKey>> SqliteStore::ListApiKeys() {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(std::string("SELECT ") + kKeyFields + " FROM api_keys ORDER BY tenant, created_at");
  if (st == nullptr) return c.Error("api key read");
  std::vector<ApiKey> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.push_back(ReadKey(st));
  sqlite3_reset(st);
  return out;
}

namespace {
constexpr const char* kExportFields =
    "id, tenant, requested_by, filter, unmask, reason, status, requested_at, approved_by, approved_at, expires_at, "
    "downloaded_at";
Export ReadExport(sqlite3_stmt* st) {
  Export e;
  e.id = ColText(st, 0);
  e.tenant = ColText(st, 1);
  e.requested_by = ColText(st, 2);
  e.filter = ColText(st, 3);
  e.unmask = sqlite3_column_int(st, 4) != 0;
  e.reason = ColText(st, 5);
  e.status = ColText(st, 6);
  e.requested_at = sqlite3_column_int64(st, 7);
  e.approved_by = ColText(st, 8);
  e.approved_at = sqlite3_column_int64(st, 9);
  e.expires_at = sqlite3_column_int64(st, 10);
  e.downloaded_at = sqlite3_column_int64(st, 11);
  return e;
}
}  // namespace

Status SqliteStore::PutExport(const Export& e) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(std::string("INSERT INTO exports(") + kExportFields + ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  if (st == nullptr) return c.Error("export insert");
  BindText(st, 1, e.id);
  BindText(st, 2, e.tenant);
  BindText(st, 3, e.requested_by);
  BindText(st, 4, e.filter);
  sqlite3_bind_int(st, 5, e.unmask ? 1 : 0);
  BindText(st, 6, e.reason);
  BindText(st, 7, e.status);
  sqlite3_bind_int64(st, 8, e.requested_at);
  BindText(st, 9, e.approved_by);
  sqlite3_bind_int64(st, 10, e.approved_at);
  sqlite3_bind_int64(st, 11, e.expires_at);
  sqlite3_bind_int64(st, 12, e.downloaded_at);
  Status s = Step(c, st, "export insert");
  sqlite3_reset(st);
  return s;
}

Result<std::optional<Export>> SqliteStore::GetExport(const std::string& tenant, const std::string& id) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(std::string("SELECT ") + kExportFields + " FROM exports WHERE tenant = ? AND id = ?");
  if (st == nullptr) return c.Error("export read");
  BindText(st, 1, tenant);
  BindText(st, 2, id);
  std::optional<Export> out;
  if (sqlite3_step(st) == SQLITE_ROW) out = ReadExport(st);
  sqlite3_reset(st);
  return out;
}

Result<std::vector<Export>> SqliteStore::ListExports(const std::string& tenant) {
  OH_WITH_READER(c);
  sqlite3_stmt* st =
      c.Prepare(std::string("SELECT ") + kExportFields + " FROM exports WHERE tenant = ? ORDER BY id DESC LIMIT 200");
  if (st == nullptr) return c.Error("export read");
  BindText(st, 1, tenant);
  std::vector<Export> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.push_back(ReadExport(st));
  sqlite3_reset(st);
  return out;
}

Result<bool> SqliteStore::ApproveExport(const std::string& tenant, const std::string& id, const std::string& approver,
                                        Micros now, Micros expires_at) {
  OH_WITH_READER(c);
  // One conditional statement: two approvals racing cannot both win.
  sqlite3_stmt* st = c.Prepare(
      "UPDATE exports SET status = 'approved', approved_by = ?, approved_at = ?, expires_at = ? "
      "WHERE tenant = ? AND id = ? AND status = 'pending' AND requested_by <> ?");
  if (st == nullptr) return c.Error("export approve");
  BindText(st, 1, approver);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, expires_at);
  BindText(st, 4, tenant);
  BindText(st, 5, id);
  BindText(st, 6, approver);
  Status s = Step(c, st, "export approve");
  sqlite3_reset(st);
  if (!s.ok()) return s;
  return sqlite3_changes(c.db_) == 1;
}

Result<bool> SqliteStore::ClaimExportDownload(const std::string& tenant, const std::string& id,
                                              const std::string& requester, Micros now) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(
      "UPDATE exports SET status = 'downloaded', downloaded_at = ? "
      "WHERE tenant = ? AND id = ? AND status = 'approved' AND requested_by = ? AND expires_at > ?");
  if (st == nullptr) return c.Error("export download");
  sqlite3_bind_int64(st, 1, now);
  BindText(st, 2, tenant);
  BindText(st, 3, id);
  BindText(st, 4, requester);
  sqlite3_bind_int64(st, 5, now);
  Status s = Step(c, st, "export download");
  sqlite3_reset(st);
  if (!s.ok()) return s;
  return sqlite3_changes(c.db_) == 1;
}

Status SqliteStore::PutUser(const User& u) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(
      "INSERT INTO users(tenant, name, role, password_hash, created_at, disabled_at) VALUES(?,?,?,?,?,?)");
  if (st == nullptr) return c.Error("user insert");
  BindText(st, 1, u.tenant);
  BindText(st, 2, u.name);
  BindText(st, 3, u.role);
  BindText(st, 4, u.password_hash);
  sqlite3_bind_int64(st, 5, u.created_at);
  sqlite3_bind_int64(st, 6, u.disabled_at);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_CONSTRAINT) {
    return Status::AlreadyExists("user_exists", "tenant '" + u.tenant + "' already has a user '" + u.name + "'");
  }
  return rc == SQLITE_DONE ? Status::OK() : c.Error("user insert");
}

Status SqliteStore::PutTenant(const Tenant& t) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("INSERT INTO tenants(id, region, created_at) VALUES(?,?,?)");
  if (st == nullptr) return c.Error("tenant insert");
  BindText(st, 1, t.id);
  BindText(st, 2, t.region);
  sqlite3_bind_int64(st, 3, t.created_at);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_CONSTRAINT) {
    return Status::AlreadyExists("tenant_exists", "tenant '" + t.id + "' is already registered");
  }
  return rc == SQLITE_DONE ? Status::OK() : c.Error("tenant insert");
}

Result<std::vector<Tenant>> SqliteStore::ListTenants() {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("SELECT id, region, created_at FROM tenants ORDER BY id");
  if (st == nullptr) return c.Error("tenant read");
  std::vector<Tenant> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back(Tenant{ColText(st, 0), ColText(st, 1), sqlite3_column_int64(st, 2)});
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return c.Error("tenant read");
  return out;
}

Result<std::string> SqliteStore::DataRegion() {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("SELECT value FROM settings WHERE name = 'region'");
  if (st == nullptr) return c.Error("settings read");
  const int rc = sqlite3_step(st);
  std::string region = rc == SQLITE_ROW ? ColText(st, 0) : "";
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return c.Error("settings read");
  return region;
}

Status SqliteStore::SetDataRegion(const std::string& region) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("INSERT OR REPLACE INTO settings(name, value) VALUES('region', ?)");
  if (st == nullptr) return c.Error("settings write");
  BindText(st, 1, region);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? Status::OK() : c.Error("settings write");
}

Result<std::optional<User>> SqliteStore::FindUser(const std::string& tenant, const std::string& name) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare(
      "SELECT role, password_hash, created_at, disabled_at FROM users WHERE tenant = ? AND name = ?");
  if (st == nullptr) return c.Error("user read");
  BindText(st, 1, tenant);
  BindText(st, 2, name);
  std::optional<User> out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    out = User{tenant, name, ColText(st, 0), ColText(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)};
  }
  sqlite3_reset(st);
  return out;
}

Result<bool> SqliteStore::DisableUser(const std::string& tenant, const std::string& name, Micros at) {
  OH_WITH_READER(c);
  sqlite3_stmt* st =
      c.Prepare("UPDATE users SET disabled_at = ? WHERE tenant = ? AND name = ? AND disabled_at = 0");
  if (st == nullptr) return c.Error("user disable");
  sqlite3_bind_int64(st, 1, at);
  BindText(st, 2, tenant);
  BindText(st, 3, name);
  Status s = Step(c, st, "user disable");
  sqlite3_reset(st);
  if (!s.ok()) return s;
  return sqlite3_changes(c.db_) > 0;
}

Result<bool> SqliteStore::RevokeApiKey(const std::string& id, Micros at) {
  OH_WITH_READER(c);
  sqlite3_stmt* st = c.Prepare("UPDATE api_keys SET revoked_at = ? WHERE substr(hash, 1, 16) = ? AND revoked_at = 0");
  if (st == nullptr) return c.Error("api key revoke");
  sqlite3_bind_int64(st, 1, at);
  BindText(st, 2, id);
  Status s = Step(c, st, "api key revoke");
  sqlite3_reset(st);
  if (!s.ok()) return s;
  return sqlite3_changes(c.db_) > 0;
}

}  // namespace orderhub::store
