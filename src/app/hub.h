// The composition root: opens the store, loads lifecycles, replays the
// journal into a fresh engine, and runs the writer and the HTTP server.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/http_server.h"
#include "api/router.h"
#include "audit/audit.h"
#include "base/ids.h"
#include "crypto/crypto.h"
#include "base/status.h"
#include "base/time.h"
#include "engine/engine.h"
#include "lifecycle/lifecycle.h"
#include "store/sqlite_store.h"
#include "writer/writer.h"

namespace orderhub::app {

struct HubOptions {
  std::string data_dir = "orderhub-data";
  std::string lifecycles_dir;     // empty: the lifecycles built into the binary
  store::Durability durability = store::Durability::kFull;
  // A snapshot every this many journaled commands, taken by a forked child
  // while the hub keeps serving (0: only at stop). Bounds the journal a
  // restart after a crash replays.
  int64_t snapshot_every = 1'000'000;
  // Every this many seconds each tenant's open orders are re-planned
  // (scope "changed": only what stock or the network improved for since
  // it was decided); 0: on demand and on disruptions only.
  int64_t replan_every_s = 600;
  // A helper thread touches the engine's next memory ahead of the writer
  // (engine/arena.h). `orderhub serve` turns it on; off here for embedders.
  bool prefault_memory = false;
  // The store's WAL is written out to its limit at start (store/sqlite_store.h):
  // no sync of the first 64 MiB of commits waits for a file-system journal
  // commit. `orderhub serve` turns it on; off for embedders and tests.
  bool preallocate_wal = false;
  // The Ed25519 seed that signs audit checkpoints; created when missing.
  // Empty: `<data_dir>/audit.key`. Keep it off the data volume in production.
  std::string audit_key_file;
  // The data key ring that seals personal data (crypto/crypto.h); created
  // when missing. Empty: `<data_dir>/data.keys`. $ORDERHUB_DATA_KEYS wins.
  std::string data_key_file;
  // Requests a second one API key may make over the network (bursts of
  // twice that), unless the key has its own rate; 0: no limit.
  int64_t rate_limit_per_key = 1000;
  // The region this deployment serves (data residency, docs/SECURITY.md):
  // tenants pinned to another region are refused, and a data directory
  // holding another region's data is not opened. Empty: no region.
  std::string region;
  api::ServerOptions server;
};

class Hub {
 public:
  // Opens and replays; does not listen yet. `clock` must outlive the hub.
  static Result<std::unique_ptr<Hub>> Open(const HubOptions& options, const Clock* clock);
  ~Hub();

  Status Serve();   // starts the HTTP server (returns once listening)
  void Stop();

  uint16_t port() const { return server_ ? server_->port() : 0; }
  api::Router& router() { return *router_; }
  store::SqliteStore& store() { return *store_; }
  // Journal records applied at open, after the snapshot if there was one.
  int64_t replayed_records() const { return replayed_; }
  // The journal record the loaded or last written snapshot follows.
  store::JournalPosition snapshot_position() {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    return snapshot_;
  }
  // Where opening spent its time: loading the snapshot, replaying the journal.
  double snapshot_seconds() const { return snapshot_seconds_; }
  double replay_seconds() const { return replay_seconds_; }
  const engine::Engine& engine() const { return *engine_; }
  const writer::WriterStats& writer_stats() const { return writer_->stats(); }

  // Runs one request through the router and waits for its answer (demo
  // seeding, tests, the CLI).
  writer::Reply Call(const api::Request& req);

 private:
  Hub() = default;
  Status Replay(IdGenerator& ids);
  std::string SnapshotPath() const;
  Status WriteSnapshot();  // REQUIRES: the writer is stopped
  // Writer thread: forks a child that writes the engine as of `at`.
  void SnapshotInBackground(const engine::Engine& e, store::JournalPosition at);
  // Collects a finished child; `wait` blocks until it ends.
  void ReapSnapshotChild(bool wait);

  HubOptions options_;
  lifecycle::LifecycleSet lifecycles_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<audit::SigningKey> audit_key_;
  std::unique_ptr<crypto::DataKeys> data_keys_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<writer::Writer> writer_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::HttpServer> server_;
  int64_t replayed_ = 0;
  store::JournalPosition snapshot_;
  double snapshot_seconds_ = 0, replay_seconds_ = 0;
  std::mutex snapshot_mu_;                 // the fields below; writer thread and Stop
  pid_t snapshot_child_ = 0;               // a running snapshot child, 0 when none
  store::JournalPosition child_position_;  // what it writes
  bool stopped_ = false;
};

// Sends requests through the router without waiting for each, then waits for
// all. The writer applies them in submission order, so a later request may
// depend on an earlier one. Used by the demo seeder and the benchmarks.
class RequestPipeline {
 public:
  RequestPipeline(Hub& hub, std::string api_key) : hub_(hub), api_key_(std::move(api_key)) {}
  void Send(std::string method, std::string target, std::string body,
            std::function<void(const writer::Reply&)> on_reply = nullptr);
  // Waits for every answer; the first non-2xx answer becomes the error.
  Status Wait();

 private:
  Hub& hub_;
  std::string api_key_;
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;                 // GUARDED_BY(mu_)
  std::string first_error_;         // GUARDED_BY(mu_)
};

// Where the data key ring is read from (unless $ORDERHUB_DATA_KEYS is set).
std::string DataKeyPath(const HubOptions& o);
// Reads `orderhub serve --config FILE` (YAML) into the options.
Status ApplyConfigFile(const std::string& path, HubOptions* o, std::string* listen);
// The built-in lifecycle documents (config/lifecycles/*.yaml, embedded at build time).
Result<lifecycle::LifecycleSet> BuiltinLifecycles();
// The OpenAPI document (api/openapi.json, embedded at build time).
const std::string& OpenApiJson();

}  // namespace orderhub::app
