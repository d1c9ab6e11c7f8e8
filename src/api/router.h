// The REST API v1: authenticates, validates, turns requests into engine
// commands (through the journal-record codec, the same path a restart
// replays) and renders answers. Transport-free: http_server.cc feeds it.
//
// Thread-safe: any I/O thread may call Handle concurrently.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "access/access.h"
#include "api/metrics.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "writer/writer.h"

namespace orderhub::api {

struct Request {
  std::string method;           // "GET", "POST", ...
  std::string target;           // path and query, as sent
  std::string body;
  std::string authorization;    // Authorization header
  std::string api_key;          // X-API-Key header
  std::string idempotency_key;  // Idempotency-Key header
  std::string unmask_reason;    // X-Unmask-Reason header: why personal fields are shown raw
  std::string source;           // the client's address:port, for the audit trail
  bool from_network = false;    // rate limits apply (not to in-process callers: seeding, tools)
};

struct Principal {
  std::string tenant;
  std::string region;  // the tenant's pinned region; empty when it is not pinned
  access::Role role;
  std::string key_id;  // the first 16 hex digits of the key's hash: names the key in the audit trail
  std::string node;    // a partner key's node: it sees only orders with a line placed there
};

struct RouterOptions {
  // Requests a second a key without a rate of its own may make (bursts of
  // twice that); 0: no limit.
  int64_t rate_limit_per_key = 1000;
  // The region this deployment serves (data residency). Tenants pinned to
  // another region are refused before anything of theirs is stored; with
  // no region, every pinned tenant is.
  std::string region;
  std::string openapi_json;
};

class Router {
 public:
  // `keys` seal personal data and open it for unmasking; all must outlive
  // the router.
  Router(writer::Writer* writer, store::Store* store, const crypto::DataKeys* keys, const Clock* clock,
         RouterOptions options);
  ~Router();  // StopSignIns()
  // Refuses new sign-ins (503) and waits for those in progress.
  void StopSignIns();

  // Calls `done` exactly once, on this thread or on the committer thread.
  void Handle(const Request& req, writer::Done done);

  // Every route as "METHOD pattern", e.g. "GET /v1/orders/{id}".
  static std::vector<std::string> Routes();
  Metrics& metrics() { return metrics_; }
  bool ready() const { return !writer_->failed(); }

 private:
  // The caller's principal; refuses unknown, revoked, expired keys and, with
  // `retry_after_s` set, keys over their rate.
  Result<Principal> Authenticate(const Request& req, int64_t* retry_after_s);
  void Dispatch(const Request& req, size_t route, const std::vector<std::string>& path, const Principal& who,
                writer::Done done);
  // Every mutating call is audited: `describe` gives the target's document
  // for the before/after digests.
  void SubmitCommand(store::JournalRecord record, writer::Render render, writer::Done done, store::AuditEntry audit,
                     writer::Describe describe, writer::Precheck precheck = nullptr);
  // A call answered by `render` after its audit entry commits.
  void Audited(store::AuditEntry audit, writer::Render render, writer::Done done);
  store::AuditEntry AuditEntryFor(const Request& req, size_t route, const Principal& who);
  store::AuditEntry AuditEntryFor(const Request& req, std::string action, const Principal& who);
  // /v1/exports routes (api/exports.cc); `which` counts from POST /v1/exports.
  void Exports(const Request& req, size_t which, const std::vector<std::string>& p, const Principal& who,
               writer::Done done);
  // POST /v1/sessions: checks the password on a thread of its own.
  void SignIn(const Request& req, writer::Done done);
  // A valid session token as the key it acts as, and its user's name.
  Result<std::optional<store::ApiKey>> SessionAsKey(const std::string& token, const std::string& hash, Micros now,
                                                    std::string* user_name);
  void Query(writer::Render render, writer::Done done);
  // The order filters of GET /v1/orders (and exports) from a query string;
  // `paging` allows limit and cursor. An error answer when one is wrong.
  std::optional<writer::Reply> ParseOrderFilter(std::string_view qs, bool paging, engine::OrderFilter* q);

  writer::Writer* writer_;
  store::Store* store_;
  const crypto::DataKeys* data_keys_;
  RouterOptions options_;
  Metrics metrics_;
  const Clock* clock_;
  // Keys seen recently, re-read from the store every few seconds so that a
  // revocation takes effect on a running hub; with each its token bucket.
  struct CachedKey {
    Principal who;
    store::ApiKey key;
    Micros read_at = 0;
    double tokens = 0;
    Micros refilled_at = 0;
  };
  std::mutex keys_mu_;
  std::unordered_map<std::string, CachedKey> keys_;  // GUARDED_BY(keys_mu_): key hash -> entry
  // Pinned tenants -> region, re-read with the keys (a registration while
  // the hub runs takes effect within the same few seconds).
  std::unordered_map<std::string, std::string> tenant_regions_;  // GUARDED_BY(keys_mu_)
  Micros tenants_read_at_ = -1;                                   // GUARDED_BY(keys_mu_)
  access::SessionTokens sessions_;
  static constexpr int kMaxConcurrentSignIns = 4;
  std::atomic<int> sign_ins_{0};
  std::atomic<bool> sign_ins_stopped_{false};
};

}  // namespace orderhub::api
