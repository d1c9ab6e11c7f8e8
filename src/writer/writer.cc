#include "writer/writer.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "base/json_writer.h"
#include "codec/command_codec.h"
#include "codec/json_reader.h"
#include "codec/resource_codec.h"

namespace orderhub::writer {
namespace {

// Batches are capped so one giant burst cannot hold every caller hostage to a
// single long transaction.
constexpr size_t kMaxBatch = 4096;
// Applied-but-uncommitted batches the writer may run ahead of the committer.
constexpr size_t kMaxInFlight = 8;

Reply Unavailable(const std::string& why) {
  Reply r;
  r.status = 503;
  r.content_type = "application/problem+json";
  JsonWriter w(&r.body);
  w.BeginObject().Field("type", "https://orderhub.dev/problems/unavailable").Field("title", "Service Unavailable");
  w.Field("status", 503).Field("detail", why).Field("reason", "unavailable").Field("pointer", "").EndObject();
  return r;
}

std::string Digest(const std::string& doc) { return doc.empty() ? "" : codec::Sha256Hex(doc); }

template <typename T>
void MoveAppend(std::vector<T>&& from, std::vector<T>* to) {
  to->insert(to->end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

void Writer::Append(Batch&& from, Batch* to) {
  MoveAppend(std::move(from.rows.journal), &to->rows.journal);
  MoveAppend(std::move(from.rows.events), &to->rows.events);
  MoveAppend(std::move(from.rows.nodes), &to->rows.nodes);
  MoveAppend(std::move(from.rows.skus), &to->rows.skus);
  MoveAppend(std::move(from.rows.idempotency), &to->rows.idempotency);
  MoveAppend(std::move(from.rows.expired_idempotency), &to->rows.expired_idempotency);
  MoveAppend(std::move(from.rows.audit), &to->rows.audit);
  MoveAppend(std::move(from.replies), &to->replies);
}

Writer::Writer(engine::Engine* engine, store::Store* store, const Clock* clock, IdGenerator ids)
    : engine_(engine), store_(store), clock_(clock), ids_(std::move(ids)) {}

Writer::~Writer() { Stop(); }

void Writer::Start() {
  if (replan_every_ > 0) next_replan_ = clock_->Now() + replan_every_;
  // Entries are chained even without a signing key; without the trail's
  // tail nothing may be audited, so nothing is accepted.
  if (!sealer_ && !SetAuditKey(nullptr).ok()) failed_.store(true);
  // Named, so that top and perf tell the two apart.
  writer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oh-writer");
    WriterLoop();
  });
  committer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oh-committer");
    CommitterLoop();
  });
  syncer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oh-syncer");
    SyncerLoop();
  });
}

Status Writer::SetAuditKey(const audit::SigningKey* key) {
  auto tail = store_->LastAudit();
  if (!tail.ok()) return tail.status();
  sealer_ = std::make_unique<audit::Sealer>(key, tail->seq, tail->hash, tail->signed_seq);
  return Status::OK();
}

void Writer::SetSnapshotHook(int64_t every, SnapshotHook hook) {
  snapshot_every_ = every;
  snapshot_hook_ = std::move(hook);
}

void Writer::MaybeSnapshot() {
  if (snapshot_every_ <= 0 || since_snapshot_ < snapshot_every_ || failed_.load()) return;
  store::JournalPosition at;
  {
    // Wait for the batches in flight: then the engine holds nothing the
    // journal does not. New submissions queue meanwhile.
    std::unique_lock<std::mutex> lock(out_mu_);
    out_cv_.wait(lock, [&] { return in_flight_ == 0; });
    at = committed_;
  }
  if (failed_.load() || at.seq == 0) return;
  since_snapshot_ = 0;
  snapshot_hook_(*engine_, at);
}

void Writer::MaybeReplan(Micros now, engine::Changes* changes, store::Batch* rows) {
  if (next_replan_ == 0 || now < next_replan_) return;
  next_replan_ = now + replan_every_;
  for (std::string& tenant : engine_->RoutedTenants()) {
    // Journaled as POST /v1/routing/replan journals it, so replay re-plans alike.
    store::JournalRecord r;
    r.at = now;
    r.tenant = tenant;
    r.kind = codec::kReplan;
    r.actor = "system:timer";
    r.body = R"({"reason":"timer"})";
    engine::Replan c;
    c.tenant = std::move(tenant);
    c.actor = r.actor;
    c.reason = "timer";
    if (engine_->Apply(engine::Command{now, std::move(c)}, changes).mutated) {
      rows->journal.push_back(std::move(r));
      ++since_snapshot_;
    }
  }
}

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> lock(in_mu_);
    stopping_ = true;
  }
  in_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  if (committer_thread_.joinable()) committer_thread_.join();
  if (syncer_thread_.joinable()) syncer_thread_.join();
}

void Writer::Submit(Submission s) {
  {
    std::lock_guard<std::mutex> lock(in_mu_);
    if (!stopping_) {
      in_.push_back(std::move(s));
      in_cv_.notify_one();
      return;
    }
  }
  s.done(Unavailable("the hub is shutting down"));
}

std::string Writer::NewOrderId() {
  std::lock_guard<std::mutex> lock(ids_mu_);
  return ids_.Next(clock_->Now());
}

void Writer::BuildRows(engine::Changes& ch, store::Batch* rows) const {
  MoveAppend(std::move(ch.events), &rows->events);
  MoveAppend(std::move(ch.expired_idempotency_keys), &rows->expired_idempotency);
  for (const model::NodeIndex n : ch.nodes) {
    const model::Node& node = engine_->NodeAt(n);
    store::DocRow r{node.tenant, node.code, ""};
    JsonWriter w(&r.doc);
    codec::WriteNode(node, w);
    rows->nodes.push_back(std::move(r));
  }
  for (const model::SkuIndex s : ch.skus) {
    const model::Sku& sku = engine_->SkuAt(s);
    store::DocRow r{sku.tenant, sku.code, ""};
    JsonWriter w(&r.doc);
    codec::WriteSku(sku, w);
    rows->skus.push_back(std::move(r));
  }
}

void Writer::WriterLoop() {
  std::vector<Submission> work;
  engine::Changes changes;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(in_mu_);
      Micros next_timer = engine_->NextExpiry();
      if (next_replan_ != 0) next_timer = next_timer == 0 ? next_replan_ : std::min(next_timer, next_replan_);
      auto ready = [&] { return stopping_ || !in_.empty(); };
      if (next_timer == 0) {
        in_cv_.wait(lock, ready);
      } else {
        // Sleep until the next reservation expires or re-plan is due, at most
        // a second (the wall clock may jump; a second is precise enough).
        const Micros wait = std::clamp<Micros>(next_timer - clock_->Now(), 0, kMicrosPerSecond);
        in_cv_.wait_for(lock, std::chrono::microseconds(wait), ready);
      }
      if (in_.empty() && stopping_) break;
      const size_t n = std::min(in_.size(), kMaxBatch);
      work.assign(std::make_move_iterator(in_.begin()), std::make_move_iterator(in_.begin() + n));
      in_.erase(in_.begin(), in_.begin() + n);
    }
    Batch batch;
    if (failed_.load()) {
      for (Submission& s : work) batch.replies.emplace_back(std::move(s.done), Unavailable("the store failed"));
    } else {
      // Time never goes backwards inside the engine, whatever the wall clock does.
      const Micros now = std::max(last_now_, clock_->Now());
      last_now_ = now;
      changes.Clear();
      for (Submission& s : work) {
        engine::Outcome out;
        std::optional<Reply> refused = s.precheck ? s.precheck(*engine_) : std::nullopt;
        const bool apply = !refused.has_value();
        std::string before;
        if (s.audit && s.describe && apply) before = Digest(s.describe(*engine_));
        if (s.has_command && apply) out = engine_->Apply(engine::Command{now, std::move(s.command)}, &changes);
        Reply reply = apply ? s.render(*engine_, out) : std::move(*refused);
        if (s.audit) {
          store::AuditEntry& a = *s.audit;
          a.at = now;
          a.before = std::move(before);
          if (s.describe && apply) a.after = Digest(reply.body_describes_target ? reply.body : s.describe(*engine_));
          a.detail = a.detail.empty() ? std::to_string(reply.status) : std::to_string(reply.status) + " " + a.detail;
          batch.rows.audit.push_back(std::move(a));
        }
        if (out.mutated) {
          // The original answer is kept with the key, so a replay gets it verbatim.
          if (!s.record.idempotency_key.empty()) {
            batch.rows.idempotency.push_back(
                store::IdempotencyRow{s.record.tenant, s.record.idempotency_key, reply.status, reply.body});
          }
          s.record.at = now;
          batch.rows.journal.push_back(std::move(s.record));
          ++since_snapshot_;
        }
        batch.replies.emplace_back(std::move(s.done), std::move(reply));
      }
      if (engine_->NextExpiry() != 0 && engine_->NextExpiry() <= now) {
        const engine::Outcome out = engine_->Apply(engine::Command{now, engine::ExpireReservations{}}, &changes);
        if (out.mutated) {
          store::JournalRecord r;
          r.at = now;
          r.kind = codec::kExpire;
          batch.rows.journal.push_back(std::move(r));
        }
      }
      MaybeReplan(now, &changes, &batch.rows);
      BuildRows(changes, &batch.rows);
    }
    work.clear();
    if (batch.replies.empty() && batch.rows.empty()) continue;
    std::unique_lock<std::mutex> lock(out_mu_);
    out_cv_.wait(lock, [&] { return out_.size() < kMaxInFlight; });
    out_.push_back(std::move(batch));
    ++in_flight_;
    out_cv_.notify_all();
    lock.unlock();
    MaybeSnapshot();
  }
  std::lock_guard<std::mutex> lock(out_mu_);
  writer_done_ = true;
  out_cv_.notify_all();
}

void Writer::CommitterLoop() {
  for (;;) {
    Batch batch;
    int merged = 0;
    {
      std::unique_lock<std::mutex> lock(out_mu_);
      out_cv_.wait(lock, [&] { return writer_done_ || !out_.empty(); });
      if (out_.empty()) break;
      // Every batch the writer applied while the last write ran goes into
      // this one transaction.
      batch = std::move(out_.front());
      out_.pop_front();
      merged = 1;
      for (; !out_.empty(); out_.pop_front(), ++merged) Append(std::move(out_.front()), &batch);
      out_cv_.notify_all();
    }
    Written w;
    w.merged = merged;
    w.began = std::chrono::steady_clock::now();
    // Here and not on the writer: the writer's thread is the hub's bottleneck.
    for (model::NewOrderEvent& e : batch.rows.events) e.RenderLate();
    if (sealer_) sealer_->Seal(batch.rows);
    if (!failed_.load() && !batch.rows.empty()) {
      w.wrote = true;
      if (!store_->Write(batch.rows).ok()) failed_.store(true);
      if (!batch.rows.journal.empty()) {
        w.last = store::JournalPosition{batch.rows.journal.back().seq, batch.rows.journal.back().crc};
      }
      w.commands = batch.rows.journal.size();
    }
    w.replies = std::move(batch.replies);
    std::lock_guard<std::mutex> lock(sync_mu_);
    written_.push_back(std::move(w));
    sync_cv_.notify_one();
  }
  // The trail's last entries get their signature before the hub stops.
  store::Batch last;
  if (sealer_ && !failed_.load() && sealer_->Checkpoint(last)) store_->Commit(last);
  std::lock_guard<std::mutex> lock(sync_mu_);
  committer_done_ = true;
  sync_cv_.notify_one();
}

void Writer::SyncerLoop() {
  std::vector<Written> taken;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return committer_done_ || !written_.empty(); });
      if (written_.empty()) return;
      taken.assign(std::make_move_iterator(written_.begin()), std::make_move_iterator(written_.end()));
      written_.clear();
    }
    // One sync for every batch written since the last one began.
    const bool wrote = std::any_of(taken.begin(), taken.end(), [](const Written& w) { return w.wrote; });
    if (wrote && !failed_.load()) {
      const auto t0 = std::chrono::steady_clock::now();
      if (!store_->Sync().ok()) failed_.store(true);
      stats_.syncs.fetch_add(1);
      stats_.sync_micros_total.fetch_add(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count()));
    }
    const bool ok = !failed_.load();
    const auto now = std::chrono::steady_clock::now();
    for (Written& w : taken) {
      if (w.wrote && ok) {
        const uint64_t us =
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - w.began).count());
        stats_.batches.fetch_add(1);
        stats_.commands.fetch_add(w.commands);
        stats_.commit_micros_total.fetch_add(us);
        const size_t n = w.commands;
        stats_.batch_size_buckets[n <= 1 ? 0 : n <= 8 ? 1 : n <= 64 ? 2 : n <= 512 ? 3 : 4].fetch_add(1);
        const uint64_t ms = us / 1000;
        stats_.commit_ms_buckets[ms < 1 ? 0 : ms < 2 ? 1 : ms < 5 ? 2 : ms < 10 ? 3 : ms < 50 ? 4 : 5].fetch_add(1);
        if (w.last.seq != 0) {
          std::lock_guard<std::mutex> lock(out_mu_);
          committed_ = w.last;
        }
      }
      Answer(w.replies, ok);
      std::lock_guard<std::mutex> lock(out_mu_);
      in_flight_ -= w.merged;
      out_cv_.notify_all();
    }
    taken.clear();
  }
}

void Writer::Answer(std::vector<std::pair<Done, Reply>>& replies, bool ok) const {
  for (auto& [done, reply] : replies) {
    if (!ok) {
      done(Unavailable("the store failed to commit; the hub stopped accepting writes"));
      continue;
    }
    if (!reply.replay_key.empty()) {
      auto stored = store_->GetIdempotency(reply.replay_tenant, reply.replay_key);
      if (stored.ok() && stored->has_value()) {
        reply.status = (*stored)->status;
        reply.body = (*stored)->body;
      }
    }
    done(std::move(reply));
  }
}

}  // namespace orderhub::writer
