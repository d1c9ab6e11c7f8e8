// The storage interface: a journal of applied commands plus query tables.
//
// The journal is the truth; query tables (order histories, the catalog,
// idempotent answers) are derived from it and written in the same
// transaction, so a reader never sees one without the other. Orders
// themselves are read from the engine, which holds every one. A Store is what a backend implements: SQLite is the
// embedded default (sqlite_store.h); PostgreSQL implements the same interface.
// No SQL crosses this header.
//
// Threads: Commit and ReadJournal from the committer thread only; the query
// methods from any thread (backends keep a connection per reader).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "model/order.h"

namespace orderhub::store {

// One applied command, enough to apply it again on replay. The record format
// is documented in docs/JOURNAL.md.
struct JournalRecord {
  int64_t seq = 0;          // assigned by the store, 1, 2, ...
  Micros at = 0;            // the `now` the engine applied it with
  std::string tenant;
  std::string kind;         // create_order, fire_event, tracking, put_node, put_sku, set_stock, adjust_stock, expire
  std::string target;       // order id, node or sku code, "sku/node"
  std::string actor;        // role of the caller
  std::string idempotency_key;
  std::string body;         // the request body as received (JSON)
  std::string region;       // the tenant's region when it is pinned to one (data residency); else empty
  uint32_t crc = 0;         // checksum, filled by Commit and when read back
};

// A journal record's place: its seq and checksum (a snapshot names the
// record it follows, and checks it is the same record on load).
struct JournalPosition {
  int64_t seq = 0;          // 0: the journal is empty
  uint32_t crc = 0;
};

struct DocRow {  // nodes and skus
  std::string tenant, code, doc;
};

struct IdempotencyRow {
  std::string tenant, key;
  int status = 0;
  std::string body;
};

// One entry of the tamper-evident audit trail (src/audit): who did what to
// which target, when, from where, with digests of the target before and
// after. `hash` chains it to the entry before (docs/SECURITY.md).
struct AuditEntry {
  int64_t seq = 0;            // 1, 2, ... without gaps
  Micros at = 0;
  std::string tenant;
  std::string actor;          // "role/key id"
  std::string source;         // client address:port
  std::string action;         // the route, e.g. "POST /v1/orders", or "unmask"
  std::string target;         // the path as requested
  std::string detail;         // answer status; the reason given for unmasking
  std::string before, after;  // SHA-256 hex of the target's document; empty when it did not exist
  std::string prev_hash, hash;
};

// A signature over the chain up to an entry: whoever edits entries and
// recomputes the hashes after them cannot forge it without the signing key.
struct AuditCheckpoint {
  int64_t seq = 0;            // the entry it covers (and every one before)
  std::string hash;           // that entry's hash
  std::string signature;      // Ed25519 over "seq:hash", hex
};

// Everything one group commit writes, in one transaction.
struct Batch {
  std::vector<JournalRecord> journal;
  std::vector<model::NewOrderEvent> events;
  std::vector<DocRow> nodes, skus;
  std::vector<IdempotencyRow> idempotency;
  std::vector<std::pair<std::string, std::string>> expired_idempotency;  // (tenant, key) to delete first
  std::vector<AuditEntry> audit;                 // sealed (seq, hashes) by the committer before Commit
  std::vector<AuditCheckpoint> audit_checkpoints;
  bool empty() const { return journal.empty() && expired_idempotency.empty() && audit.empty(); }
};

struct ApiKey {
  std::string hash;                          // SHA-256 hex of the key
  std::string tenant;
  std::string role;
  Micros created_at = 0;
  Micros expires_at = 0;                     // 0: never
  Micros revoked_at = 0;                     // 0: not revoked
  int64_t rate_per_s = 0;                    // requests per second; 0: the hub's default
  std::string node;                          // a partner's node: the key sees only orders placed there
  std::string id() const { return hash.substr(0, 16); }  // names the key in lists and the audit trail
};

// A bulk export: requested by one key, approved by another, downloaded once
// by its requester before it expires (api/exports.cc).
struct Export {
  std::string id, tenant;
  std::string requested_by;  // key id ("user:<name>" for a console session)
  std::string filter;        // the query string of GET /v1/orders it selects by
  bool unmask = false;
  std::string reason;
  std::string status;        // pending, approved, downloaded
  Micros requested_at = 0;
  std::string approved_by;
  Micros approved_at = 0, expires_at = 0, downloaded_at = 0;
};

// A console user: signs in with a password (only its Argon2id hash is kept).
struct User {
  std::string tenant, name, role;
  std::string password_hash;
  Micros created_at = 0;
  Micros disabled_at = 0;  // 0: active
};

// A tenant pinned to a region (data residency): only a deployment serving
// that region stores its data. Tenants not registered are not pinned.
struct Tenant {
  std::string id;
  std::string region;  // e.g. "cn-north", "eu-central"
  Micros created_at = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes the batch in one durable transaction and assigns journal seqs.
  // A failure is final: the caller must stop accepting writes (fail-stop).
  virtual Status Commit(Batch& batch) = 0;
  // Commit in two steps, so that a committer can write the next batch while
  // the disk makes the last one durable: Write returns once the transaction
  // is in the store and visible; Sync (callable from another thread, also
  // while a Write runs) returns once everything written before it began is
  // durable. Failures are final as for Commit. A store whose commits are
  // durable anyway keeps these.
  virtual Status Write(Batch& batch) { return Commit(batch); }
  virtual Status Sync() { return Status::OK(); }
  // Calls `fn` for every journal record from seq `from` on, in seq order.
  virtual Status ReadJournal(int64_t from, const std::function<Status(const JournalRecord&)>& fn) = 0;
  // The last committed record (seq 0 when none). Committer thread, or when
  // no writer runs.
  virtual Result<JournalPosition> LastJournalPosition() = 0;

  // An order's history, oldest first; empty when the tenant has no such order.
  virtual Result<std::vector<model::OrderEvent>> OrderEvents(const std::string& tenant,
                                                             const std::string& order_id) = 0;
  virtual Result<std::optional<IdempotencyRow>> GetIdempotency(const std::string& tenant, const std::string& key) = 0;

  // The audit trail in seq order from `from`, and its checkpoints.
  virtual Status ReadAudit(int64_t from, const std::function<Status(const AuditEntry&)>& fn) = 0;
  virtual Result<std::vector<AuditCheckpoint>> AuditCheckpoints() = 0;
  // Where the trail ends: the last entry's seq and hash, the last signed seq.
  struct AuditTail {
    int64_t seq = 0;
    std::string hash;
    int64_t signed_seq = 0;
  };
  virtual Result<AuditTail> LastAudit() = 0;

  virtual Status PutApiKey(const ApiKey& key) = 0;
  virtual Result<std::optional<ApiKey>> FindApiKey(const std::string& hash) = 0;
  virtual Result<std::vector<ApiKey>> ListApiKeys() = 0;
  virtual Status PutExport(const Export& e) = 0;
  virtual Result<std::optional<Export>> GetExport(const std::string& tenant, const std::string& id) = 0;
  virtual Result<std::vector<Export>> ListExports(const std::string& tenant) = 0;
  // Pending -> approved by `approver` (not the requester), downloadable until
  // `expires_at`; false when the export was not pending or the approver asked for it.
  virtual Result<bool> ApproveExport(const std::string& tenant, const std::string& id, const std::string& approver,
                                     Micros now, Micros expires_at) = 0;
  // Approved -> downloaded, only by the requester and before it expires;
  // false otherwise. Exactly one caller ever gets true.
  virtual Result<bool> ClaimExportDownload(const std::string& tenant, const std::string& id,
                                           const std::string& requester, Micros now) = 0;
  // Adds a user; AlreadyExists when (tenant, name) is taken.
  virtual Status PutUser(const User& user) = 0;
  virtual Result<std::optional<User>> FindUser(const std::string& tenant, const std::string& name) = 0;
  // Disables an active user; false when there is none.
  virtual Result<bool> DisableUser(const std::string& tenant, const std::string& name, Micros at) = 0;
  // Revokes the key whose id (ApiKey::id) is `id`; false when there is none.
  virtual Result<bool> RevokeApiKey(const std::string& id, Micros at) = 0;
  // Registers a tenant; AlreadyExists when it is (a region is never changed
  // in place: moving a tenant's data is a migration, not an update).
  virtual Status PutTenant(const Tenant& tenant) = 0;
  virtual Result<std::vector<Tenant>> ListTenants() = 0;
  // The region whose data this store holds (empty: none yet). Set once, by
  // the first hub configured with a region; a hub of another region refuses it.
  virtual Result<std::string> DataRegion() = 0;
  virtual Status SetDataRegion(const std::string& region) = 0;
};

}  // namespace orderhub::store
