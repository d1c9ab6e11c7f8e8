// Restart: a stopped hub leaves a snapshot and the next start loads it and
// replays only the journal after it; a snapshot that is damaged or belongs to
// another journal is set aside and the whole journal replayed. Either way the
// hub comes back with exactly what it acknowledged.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "app/hub.h"
#include "app/keys.h"
#include "app/snapshot_file.h"
#include "testing/test_path.h"

namespace orderhub::app {
namespace {

namespace fs = std::filesystem;

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-restart");
    fs::remove_all(dir_);
    Open();
    key_ = *CreateKey(hub_->store(), "t1", "admin", 0);
    Call(200, "PUT", "/v1/nodes/WH1", R"({"name":"上海仓","region_code":"310100","lat":31.23,"lng":121.47})");
    Call(200, "PUT", "/v1/skus/A", R"({"name":"保温杯"})");
    Call(200, "PUT", "/v1/inventory/A/WH1", R"({"on_hand":100,"reason":"count"})");
  }
  void TearDown() override {
    hub_.reset();
    fs::remove_all(dir_);
  }
  void Open(int64_t snapshot_every = 1'000'000) {
    HubOptions o;
    o.data_dir = dir_.string();
    o.snapshot_every = snapshot_every;
    o.durability = store::Durability::kNormal;
    auto hub = Hub::Open(o, &clock_);
    ASSERT_TRUE(hub.ok()) << hub.status().ToString();
    hub_ = std::move(*hub);
  }
  void Reopen() {
    hub_.reset();  // a graceful stop: writes the snapshot
    Open();
  }
  writer::Reply Call(int status, const std::string& method, const std::string& target, const std::string& body = "") {
    api::Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.api_key = key_;
    writer::Reply r = hub_->Call(req);
    EXPECT_EQ(r.status, status) << method << " " << target << " -> " << r.body;
    return r;
  }
  std::string Create(const std::string& channel_order_id, bool paid = true) {
    const std::string body = R"({"channel":"tmall","channel_order_id":")" + channel_order_id +
                             R"(","customer_id":"C1","currency":"CNY","paid":)" + (paid ? "true" : "false") +
                             R"(,"lines":[{"sku":"A","quantity":2,"unit_price":1999}],)"
                             R"("ship_to":{"region_code":"310115","address":"浦东新区世纪大道1号","name":"张三","phone":"13800138000"}})";
    const std::string reply = Call(201, "POST", "/v1/orders", body).body;
    const size_t at = reply.find("\"id\":\"") + 6;
    return reply.substr(at, reply.find('"', at) - at);
  }
  // What a client can see: every order document and the stock level.
  std::string Everything() { return Call(200, "GET", "/v1/orders?limit=200").body + Call(200, "GET", "/v1/inventory/A/WH1").body; }
  std::string Engine(const std::string& id) {
    return std::string(hub_->engine().FindOrder("t1", id)->state()) + "/" +
           std::to_string(hub_->engine().Stock("t1", "A", "WH1")->reserved);
  }
  fs::path Snapshot() const { return dir_ / "orderhub.snapshot"; }

  ManualClock clock_{1'800'000'000'000'000};
  fs::path dir_;
  std::unique_ptr<Hub> hub_;
  std::string key_;
};

TEST_F(RestartTest, AStoppedHubRestartsFromItsSnapshotWithoutReplaying) {
  const std::string a = Create("T1");
  Call(200, "POST", "/v1/orders/" + a + "/events", R"({"event":"confirm"})");
  Create("T2", /*paid=*/false);
  const std::string before = Everything();
  Reopen();
  EXPECT_TRUE(fs::exists(Snapshot()));
  EXPECT_GT(hub_->snapshot_position().seq, 0);
  EXPECT_EQ(hub_->replayed_records(), 0);
  EXPECT_EQ(Everything(), before);
  EXPECT_EQ(Engine(a), "confirmed/4");
  // The loaded engine still refuses a duplicate and issues ids after the old ones.
  Call(409, "POST", "/v1/orders", R"({"channel":"tmall","channel_order_id":"T1","customer_id":"C1","currency":"CNY","lines":[{"sku":"A","quantity":1,"unit_price":1}],"ship_to":{"region_code":"310115"}})");
  EXPECT_GT(Create("T3"), a);
}

TEST_F(RestartTest, CommandsAfterTheSnapshotAreReplayedOnTopOfIt) {
  const std::string a = Create("T1");
  Reopen();                                   // snapshot S1 after T1
  const fs::path s1 = dir_ / "s1";
  fs::copy_file(Snapshot(), s1);
  Call(200, "POST", "/v1/orders/" + a + "/events", R"({"event":"cancel","reason":"customer"})");
  Create("T2");
  const std::string before = Everything();
  hub_.reset();                               // writes S2
  fs::copy_file(s1, Snapshot(), fs::copy_options::overwrite_existing);  // as if S2 was never written
  Open();
  EXPECT_EQ(hub_->replayed_records(), 2);     // the cancel and T2, not T1
  EXPECT_EQ(Everything(), before);
  EXPECT_EQ(Engine(a), "cancelled/2");
}

TEST_F(RestartTest, ADamagedSnapshotIsSetAsideAndTheJournalReplayed) {
  const std::string a = Create("T1");
  Create("T2");
  const std::string before = Everything();
  hub_.reset();
  {
    std::fstream f(Snapshot(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(Snapshot()) / 2));
    f.put('\x7f');
  }
  Open();
  EXPECT_EQ(hub_->snapshot_position().seq, 0);
  EXPECT_GT(hub_->replayed_records(), 2);     // catalog, stock and both orders
  EXPECT_EQ(Everything(), before);
  EXPECT_EQ(Engine(a), "created/4");
}

// A hub or snapshot child killed while writing leaves its temporary file;
// the next start deletes those of processes that are gone, not others'.
TEST_F(RestartTest, UnfinishedSnapshotFilesOfStoppedProcessesAreRemovedAtStart) {
  hub_.reset();
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  ASSERT_GT(gone, 0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  const fs::path dead = Snapshot().string() + ".tmp." + std::to_string(gone);
  const fs::path live = Snapshot().string() + ".tmp." + std::to_string(getpid());
  const fs::path other = Snapshot().string() + ".tmp.notapid";
  for (const fs::path& p : {dead, live, other}) std::ofstream(p) << "half a snapshot";
  Open();
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
  fs::remove(live);
  fs::remove(other);
}

TEST_F(RestartTest, ASnapshotOfAnotherJournalIsNotLoaded) {
  Create("T1");
  hub_.reset();
  // A fresh database beside an old snapshot: the snapshot names a journal
  // record this database does not have.
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path() != Snapshot()) fs::remove(e.path());
  }
  Open();
  EXPECT_EQ(hub_->engine().order_count(), 0u);
  EXPECT_EQ(hub_->engine().FindSku("t1", "A"), nullptr);
}

TEST_F(RestartTest, ARunningHubSnapshotsInTheBackground) {
  hub_.reset();
  fs::remove(Snapshot());
  Open(/*snapshot_every=*/4);
  for (int i = 0; i < 6; ++i) Create("T" + std::to_string(i));
  // The child writes while the hub serves: wait for its file, bounded.
  for (int i = 0; i < 200 && !fs::exists(Snapshot()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(Snapshot()));
  lifecycle::LifecycleSet lifecycles = *BuiltinLifecycles();
  engine::Engine e(&lifecycles);
  Result<store::JournalPosition> at = ReadSnapshotFile(Snapshot().string(), &e);
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  // Taken at a quiet moment after 4 journaled commands: the engine of that moment.
  EXPECT_GE(at->seq, 4);
  EXPECT_GE(e.order_count(), 1u);
  EXPECT_LE(e.order_count(), 6u);
  EXPECT_EQ(e.Stock("t1", "A", "WH1")->reserved, 2 * static_cast<int64_t>(e.order_count()));
}

}  // namespace
}  // namespace orderhub::app
