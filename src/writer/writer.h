// The write path: one writer thread applies commands to the engine, a
// committer thread writes each batch to the store, a syncer thread makes what
// was written durable, and only then are callers answered (group commit,
// after LevelDB's DBImpl::Write, with the sync as a stage of its own).
//
//   I/O threads ──Submit──▶ queue ──▶ writer: stamp time, Apply, render reply,
//                                     build query-table rows
//                                          │ batch (journal + rows + replies)
//                                          ▼
//                                  committer: Store::Write (one transaction)
//                                          │ replies
//                                          ▼
//                                  syncer: Store::Sync (one fsync for every
//                                  batch written meanwhile) ──▶ answer them
//
// While batch N syncs, the committer writes batch N+1 and the writer applies
// N+2: a commit costs the longer of its CPU and its fsync, not their sum.
// Replies leave in batch order, each after a sync that began after its batch
// was written, so nobody hears of a state that is not durable (a query's
// answer included: it waits behind the commands applied before it).
// A failed commit is final: the writer fail-stops and every later
// submission is answered 503 (the engine is ahead of the store and only a
// restart, replaying the journal, makes them agree again).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit.h"
#include "base/ids.h"
#include "base/time.h"
#include "engine/engine.h"
#include "store/store.h"

namespace orderhub::writer {

struct Reply {
  int status = 200;
  std::string body;                 // JSON (or problem+json when status >= 400)
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for an idempotent replay: the committer answers with the stored
  // original response instead of `body`.
  std::string replay_tenant, replay_key;
  // The body is the call's target exactly as its Describe renders it: the
  // writer digests the body for the audit instead of rendering it again.
  bool body_describes_target = false;
};

// Renders the answer from the engine's state right after the command applied
// (on the writer thread). For a query (no command) `outcome` is OK.
using Render = std::function<Reply(const engine::Engine&, const engine::Outcome&)>;
using Done = std::function<void(Reply)>;
// A document describing a call's target as it is (for audit digests), "" when absent.
using Describe = std::function<std::string(const engine::Engine&)>;
// Checked on the writer thread before a command applies: a reply here
// answers instead and the command is not applied (a partner key's scope).
using Precheck = std::function<std::optional<Reply>(const engine::Engine&)>;

struct Submission {
  bool has_command = false;
  engine::CommandBody command{engine::ExpireReservations{}};
  store::JournalRecord record;      // journaled when the command changes state
  Render render;
  Done done;                        // called on the committer thread
  // When set, the call leaves an audit entry, committed with the batch (so
  // before its answer). The writer fills `at`, the digests of `describe`'s
  // document before and after the command, and prefixes `detail` with the
  // answer's status.
  std::optional<store::AuditEntry> audit;
  Describe describe;
  Precheck precheck;
};

struct WriterStats {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> commit_micros_total{0};  // from the start of a batch's write to the end of its sync
  std::atomic<uint64_t> syncs{0};                // Store::Sync calls, each for one or more batches
  std::atomic<uint64_t> sync_micros_total{0};
  // Histogram buckets of batch sizes (1, 2-8, 9-64, 65-512, >512) and commit latency (ms: <1, <2, <5, <10, <50, >=50).
  std::atomic<uint64_t> batch_size_buckets[5]{};
  std::atomic<uint64_t> commit_ms_buckets[6]{};
};

class Writer {
 public:
  // `engine` and `store` must outlive the writer; the engine must already
  // hold the replayed state. `ids` continues after the replayed ids.
  Writer(engine::Engine* engine, store::Store* store, const Clock* clock, IdGenerator ids);
  ~Writer();  // Stop()s

  void Start();
  // Answers everything queued, then stops its threads.
  void Stop();

  // Thread-safe. The submission's `done` is always called exactly once.
  void Submit(Submission s);
  // A new order id; thread-safe.
  std::string NewOrderId();

  bool failed() const { return failed_.load(); }
  const WriterStats& stats() const { return stats_; }

  // Every `every` journaled commands, at a moment when everything applied is
  // committed (the engine is exactly the journal up to `at`), the writer
  // thread calls `hook(engine, at)`: the hub takes a snapshot there. The hook
  // must be quick (it forks). Call before Start.
  using SnapshotHook = std::function<void(const engine::Engine&, store::JournalPosition at)>;
  void SetSnapshotHook(int64_t every, SnapshotHook hook);
  // Every `every`, the writer re-plans each tenant's open orders that
  // something improved for, as a journaled command of its own (actor
  // "system:timer"). 0: never. Call before Start.
  void SetReplanEvery(Micros every) { replan_every_ = every; }
  // Seals audit entries with `key` (checkpoint signatures), continuing the
  // store's trail. Call before Start; without it entries are chained, unsigned.
  Status SetAuditKey(const audit::SigningKey* key);

 private:
  struct Batch {
    store::Batch rows;
    std::vector<std::pair<Done, Reply>> replies;
  };
  // A batch in the store, waiting for the sync that makes it durable.
  struct Written {
    std::vector<std::pair<Done, Reply>> replies;
    store::JournalPosition last;  // its last journal record; seq 0: none
    int merged = 0;               // batches of the writer it holds
    bool wrote = false;           // something went to the store
    std::chrono::steady_clock::time_point began;  // its write's start
    size_t commands = 0;
  };
  void WriterLoop();
  void CommitterLoop();
  void SyncerLoop();
  void Answer(std::vector<std::pair<Done, Reply>>& replies, bool ok) const;
  void MaybeSnapshot();  // writer thread
  // The timed re-plans when due (writer thread).
  void MaybeReplan(Micros now, engine::Changes* changes, store::Batch* rows);
  void BuildRows(engine::Changes& ch, store::Batch* rows) const;  // moves the events out
  static void Append(Batch&& from, Batch* to);

  engine::Engine* engine_;
  store::Store* store_;
  const Clock* clock_;

  std::mutex ids_mu_;
  IdGenerator ids_;                       // GUARDED_BY(ids_mu_)

  std::mutex in_mu_;
  std::condition_variable in_cv_;
  std::vector<Submission> in_;            // GUARDED_BY(in_mu_)
  bool stopping_ = false;                 // GUARDED_BY(in_mu_)

  std::mutex out_mu_;
  std::condition_variable out_cv_;
  std::deque<Batch> out_;                 // GUARDED_BY(out_mu_)
  bool writer_done_ = false;              // GUARDED_BY(out_mu_)
  int in_flight_ = 0;                     // batches handed over, not yet answered; GUARDED_BY(out_mu_)
  store::JournalPosition committed_;      // last committed record; GUARDED_BY(out_mu_)

  int64_t snapshot_every_ = 0;            // 0: never
  SnapshotHook snapshot_hook_;
  int64_t since_snapshot_ = 0;            // journaled commands; writer thread only

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<Written> written_;           // GUARDED_BY(sync_mu_)
  bool committer_done_ = false;           // GUARDED_BY(sync_mu_)

  std::unique_ptr<audit::Sealer> sealer_;  // committer thread once started

  std::atomic<bool> failed_{false};
  Micros last_now_ = 0;                   // writer thread only
  Micros replan_every_ = 0;               // 0: never
  Micros next_replan_ = 0;                // writer thread only
  WriterStats stats_;
  std::thread writer_thread_, committer_thread_, syncer_thread_;
};

}  // namespace orderhub::writer
