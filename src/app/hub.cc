#include "app/hub.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "app/snapshot_file.h"
#include "codec/command_codec.h"
#include "embedded_files.h"

namespace orderhub::app {

Result<lifecycle::LifecycleSet> BuiltinLifecycles() {
  lifecycle::LifecycleSet set;
  for (const EmbeddedFile& f : kEmbeddedLifecycles) {
    auto lc = lifecycle::ParseLifecycle(f.text, std::string(f.name));
    if (!lc.ok()) return lc.status();
    set.Add(*lc);
  }
  return set;
}

const std::string& OpenApiJson() {
  static const std::string doc(kEmbeddedOpenApi.text);
  return doc;
}

std::string DataKeyPath(const HubOptions& o) {
  return o.data_key_file.empty() ? o.data_dir + "/data.keys" : o.data_key_file;
}

Result<std::unique_ptr<Hub>> Hub::Open(const HubOptions& options, const Clock* clock) {
  std::unique_ptr<Hub> hub(new Hub());
  hub->options_ = options;
  auto lcs = options.lifecycles_dir.empty() ? BuiltinLifecycles()
                                            : lifecycle::LifecycleSet::LoadDirectory(options.lifecycles_dir);
  if (!lcs.ok()) return lcs.status();
  hub->lifecycles_ = std::move(*lcs);

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Status::IOError("cannot create data directory " + options.data_dir + ": " + ec.message());
  auto st = store::SqliteStore::Open(options.data_dir + "/orderhub.db", options.durability,
                                     store::SqliteStore::kDefaultWalLimit, options.preallocate_wal);
  if (!st.ok()) return st.status();
  hub->store_ = std::move(*st);
  // Data residency: a store holds one region's data; a hub configured for
  // another region, or for none, refuses to open it.
  auto held = hub->store_->DataRegion();
  if (!held.ok()) return held.status();
  auto serving = [&] {
    return options.region.empty() ? std::string("no region") : "region '" + options.region + "'";
  };
  if (!held->empty() && *held != options.region) {
    return Status::WrongRegion(options.data_dir + "/orderhub.db holds the data of region '" + *held +
                               "'; this hub is configured for " + serving() + " (config key `region`, --region)");
  }
  auto keys = crypto::DataKeys::Load(DataKeyPath(options));
  if (!keys.ok()) return keys.status();
  hub->data_keys_ = std::move(*keys);

  if (const int stale = RemoveStaleSnapshotTemps(hub->SnapshotPath()); stale > 0) {
    std::fprintf(stderr, "orderhub: removed %d unfinished snapshot file(s) of stopped processes\n", stale);
  }
  // Restart: the snapshot, if there is a good one, then the journal after it.
  IdGenerator ids(static_cast<uint64_t>(std::random_device{}()));
  // A snapshot that cannot be used only costs time: start over from the journal.
  auto set_aside = [&](const Status& why) {
    std::fprintf(stderr, "orderhub: setting the snapshot aside, replaying the whole journal: %s\n",
                 why.ToString().c_str());
    hub->engine_ = std::make_unique<engine::Engine>(&hub->lifecycles_, options.prefault_memory);
    hub->snapshot_ = store::JournalPosition{};
    hub->replayed_ = 0;
  };
  hub->engine_ = std::make_unique<engine::Engine>(&hub->lifecycles_, options.prefault_memory);
  const auto t0 = std::chrono::steady_clock::now();
  auto snap = ReadSnapshotFile(hub->SnapshotPath(), hub->engine_.get());
  const auto t1 = std::chrono::steady_clock::now();
  hub->snapshot_seconds_ = std::chrono::duration<double>(t1 - t0).count();
  if (snap.ok()) {
    hub->snapshot_ = *snap;
  } else if (snap.status().code() != Code::kNotFound) {
    set_aside(snap.status());
  }
  Status replay = hub->Replay(ids);
  if (!replay.ok() && replay.reason() == "snapshot_not_in_journal") {
    set_aside(replay);
    replay = hub->Replay(ids);
  }
  if (!replay.ok()) return replay;
  if (held->empty() && !options.region.empty()) OH_RETURN_IF_ERROR(hub->store_->SetDataRegion(options.region));
  ids.Observe(hub->engine_->MaxOrderId());
  hub->replay_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  const std::string key_path = options.audit_key_file.empty() ? options.data_dir + "/audit.key" : options.audit_key_file;
  auto signing = audit::SigningKey::LoadOrCreate(key_path);
  if (!signing.ok()) return signing.status();
  hub->audit_key_ = std::move(*signing);
  // The public half, for `orderhub audit verify` (auditors should keep their own copy).
  if (std::ofstream pub(options.data_dir + "/audit.pub"); pub) pub << hub->audit_key_->PublicKeyHex() << "\n";

  hub->writer_ = std::make_unique<writer::Writer>(hub->engine_.get(), hub->store_.get(), clock, std::move(ids));
  if (Status s = hub->writer_->SetAuditKey(hub->audit_key_.get()); !s.ok()) return s;
  Hub* h = hub.get();
  hub->writer_->SetReplanEvery(options.replan_every_s * kMicrosPerSecond);
  hub->writer_->SetSnapshotHook(options.snapshot_every, [h](const engine::Engine& e, store::JournalPosition at) {
    h->SnapshotInBackground(e, at);
  });
  hub->writer_->Start();
  hub->router_ =
      std::make_unique<api::Router>(hub->writer_.get(), hub->store_.get(), hub->data_keys_.get(), clock,
                                    api::RouterOptions{options.rate_limit_per_key, options.region, OpenApiJson()});
  return hub;
}

Status Hub::Replay(IdGenerator& ids) {
  // Every record applied before must apply again, the same way.
  const int64_t anchor = snapshot_.seq;
  bool anchored = anchor == 0;
  auto not_in_journal = [&](const char* why) {
    return Status::NotFound("snapshot_not_in_journal",
                            "the snapshot follows journal record " + std::to_string(anchor) + ", " + why, "");
  };
  Status st = store_->ReadJournal(anchor == 0 ? 1 : anchor, [&](const store::JournalRecord& r) -> Status {
    if (!anchored) {
      if (r.seq != anchor || r.crc != snapshot_.crc) return not_in_journal("which this journal does not hold");
      anchored = true;
      return Status::OK();
    }
    if (!r.region.empty() && r.region != options_.region) {
      return Status::WrongRegion("journal record " + std::to_string(r.seq) + " belongs to tenant '" + r.tenant +
                                 "' of region '" + r.region + "'; this hub is configured for " +
                                 (options_.region.empty() ? std::string("no region")
                                                          : "region '" + options_.region + "'"));
    }
    auto body = codec::DecodeCommand(r, *data_keys_);
    if (!body.ok()) {
      return Status::Corruption("journal record " + std::to_string(r.seq) + " (" + r.kind +
                                ") no longer decodes: " + body.status().ToString());
    }
    engine::Outcome out = engine_->Apply(engine::Command{r.at, std::move(*body)}, nullptr);
    if (!out.status.ok() || !out.mutated) {
      return Status::Corruption("journal record " + std::to_string(r.seq) + " (" + r.kind +
                                ") no longer applies: " + out.status.ToString());
    }
    if (r.kind == codec::kCreateOrder) ids.Observe(r.target);
    ++replayed_;
    return Status::OK();
  });
  if (st.ok() && !anchored) return not_in_journal("beyond the end of this journal");
  return st;
}

std::string Hub::SnapshotPath() const { return options_.data_dir + "/orderhub.snapshot"; }

Status Hub::WriteSnapshot() {
  ReapSnapshotChild(/*wait=*/true);  // one writer of the file at a time
  if (writer_ == nullptr || writer_->failed()) return Status::Unavailable("the writer failed: no snapshot");
  auto last = store_->LastJournalPosition();
  if (!last.ok()) return last.status();
  if (last->seq == snapshot_position().seq) return Status::OK();  // nothing new
  OH_RETURN_IF_ERROR(WriteSnapshotFile(SnapshotPath(), *engine_, *last));
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = *last;
  return Status::OK();
}

void Hub::SnapshotInBackground(const engine::Engine& e, store::JournalPosition at) {
  ReapSnapshotChild(/*wait=*/false);
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  if (snapshot_child_ != 0) return;  // the last one is still writing: skip this turn
  // fork() gives the child a frozen copy of the engine (copy-on-write): the
  // writer goes on at once while the child writes the file. The child is
  // single-threaded and touches nothing but the engine and the file, then
  // leaves with _exit (no destructors, no atexit handlers of the parent).
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Dies with the thread that forked it: an orphan (the hub killed -9)
    // must not live on holding the hub's descriptors. Under ASan a child
    // forked from many threads can block forever in the allocator, and
    // did, keeping the test runner's output pipe open. The alarm bounds
    // any such hang while the hub lives.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    alarm(1800);
    const Status st = WriteSnapshotFile(SnapshotPath(), e, at);
    if (!st.ok()) std::fprintf(stderr, "orderhub: background snapshot failed: %s\n", st.ToString().c_str());
    _exit(st.ok() ? 0 : 1);
  }
  if (pid < 0) {
    std::fprintf(stderr, "orderhub: cannot fork for a snapshot: %s\n", std::strerror(errno));
    return;
  }
  snapshot_child_ = pid;
  child_position_ = at;
}

void Hub::ReapSnapshotChild(bool wait) {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  if (snapshot_child_ == 0) return;
  int status = 0;
  pid_t r = waitpid(snapshot_child_, &status, WNOHANG);
  // Stopping waits for a child at most 30 s: one that has not finished by
  // then is stuck (the stop writes a snapshot of its own right after).
  for (int i = 0; wait && r == 0 && i < 3000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = waitpid(snapshot_child_, &status, WNOHANG);
  }
  if (r == 0 && wait) {
    std::fprintf(stderr, "orderhub: the background snapshot did not finish in 30 s; stopping it\n");
    kill(snapshot_child_, SIGKILL);
    r = waitpid(snapshot_child_, &status, 0);
  }
  if (r == 0) return;  // still writing
  if (r == snapshot_child_ && WIFEXITED(status) && WEXITSTATUS(status) == 0) snapshot_ = child_position_;
  snapshot_child_ = 0;
}

Hub::~Hub() { Stop(); }

Status Hub::Serve() {
  server_ = std::make_unique<api::HttpServer>(router_.get(), options_.server);
  return server_->Start();
}

void Hub::Stop() {
  // Sign-ins answer from threads of their own, through the server: they end first.
  if (router_) router_->StopSignIns();
  if (server_) server_->Stop();
  if (writer_ == nullptr || stopped_) return;
  stopped_ = true;
  writer_->Stop();
  // Every acknowledged command is committed and applied now: the engine is
  // exactly the journal, the moment for a snapshot.
  if (Status st = WriteSnapshot(); !st.ok()) {
    std::fprintf(stderr, "orderhub: no snapshot written, the next start replays more: %s\n",
                 st.ToString().c_str());
  }
}

writer::Reply Hub::Call(const api::Request& req) {
  std::promise<writer::Reply> p;
  auto f = p.get_future();
  router_->Handle(req, [&p](writer::Reply r) { p.set_value(std::move(r)); });
  return f.get();
}

void RequestPipeline::Send(std::string method, std::string target, std::string body,
                           std::function<void(const writer::Reply&)> on_reply) {
  api::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.api_key = api_key_;
  req.source = "in-process";
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++pending_;
  }
  hub_.router().Handle(req, [this, on_reply = std::move(on_reply)](writer::Reply r) {
    if (on_reply) on_reply(r);
    std::lock_guard<std::mutex> lock(mu_);
    if (r.status >= 300 && first_error_.empty()) first_error_ = std::to_string(r.status) + " " + r.body;
    if (--pending_ == 0) cv_.notify_all();
  });
}

Status RequestPipeline::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return pending_ == 0; });
  if (!first_error_.empty()) return Status::Internal("a request failed: " + first_error_);
  return Status::OK();
}

}  // namespace orderhub::app
