// The SQLite store on its own: journal round trip with checksums, and
// checkpoints that happen off the commit path.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "testing/builders.h"
#include "testing/test_path.h"

namespace orderhub::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::FreshTestDir("oh-store");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path() const { return (dir_ / "orderhub.db").string(); }

  static Batch Records(int n, int from) { return orderhub::testing::JournalBatch(n, from); }

  // A store holding records 0..2, then `sql` run on its file as another
  // program (or an earlier build) would.
  void ThreeRecordsThen(const char* sql) {
    {
      auto s = SqliteStore::Open(Path(), Durability::kNormal);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      Batch b = Records(3, 0);
      ASSERT_TRUE((*s)->Commit(b).ok());
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  fs::path dir_;
};

TEST_F(SqliteStoreTest, JournalComesBackInOrderFromAnySeqWithItsChecksum) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Batch b = Records(10, 0);
  ASSERT_TRUE((*s)->Commit(b).ok());
  EXPECT_EQ(b.journal.back().seq, 10);
  auto last = (*s)->LastJournalPosition();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->seq, 10);
  EXPECT_EQ(last->crc, b.journal.back().crc);
  std::vector<int64_t> seqs;
  ASSERT_TRUE((*s)->ReadJournal(7, [&](const JournalRecord& r) {
    seqs.push_back(r.seq);
    EXPECT_EQ(r.target, "O" + std::to_string(r.seq - 1));
    return Status::OK();
  }).ok());
  EXPECT_EQ(seqs, (std::vector<int64_t>{7, 8, 9, 10}));
}

// A sealed create body is binary, NULs included; it must come back byte for
// byte, checksum and all, not cut at its first NUL as TEXT would be.
TEST_F(SqliteStoreTest, BinaryBodiesComeBackWholeWithTheirChecksum) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Batch b = Records(2, 0);
  b.journal[0].body = std::string("\0\x01\x02\0sealed\xff\0", 12);
  ASSERT_TRUE((*s)->Commit(b).ok());
  std::vector<std::string> bodies;
  ASSERT_TRUE((*s)->ReadJournal(1, [&](const JournalRecord& r) {
    bodies.push_back(r.body);
    return Status::OK();
  }).ok());
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], b.journal[0].body);
  EXPECT_EQ(bodies[1], b.journal[1].body);
}

// Audit digests are stored as their bytes but read back as the hex the chain
// hashes; a value that is not a lowercase SHA-256 hex (an empty "before", or a
// digest from elsewhere) is kept exactly as given.
TEST_F(SqliteStoreTest, AuditDigestsReadBackExactlyAsWritten) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::string digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  std::string upper = digest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Batch b;
  for (const std::string& before : {std::string(), upper, digest.substr(1) + "g"}) {
    AuditEntry a;
    a.seq = static_cast<int64_t>(b.audit.size()) + 1;
    a.at = 1;
    a.tenant = "t1";
    a.before = before;
    a.after = digest;
    a.prev_hash = b.audit.empty() ? "" : b.audit.back().hash;
    a.hash = digest.substr(0, 63) + std::to_string(a.seq);
    b.audit.push_back(a);
  }
  ASSERT_TRUE((*s)->Commit(b).ok());
  size_t i = 0;
  ASSERT_TRUE((*s)->ReadAudit(1, [&](const AuditEntry& a) {
    EXPECT_EQ(a.before, b.audit[i].before);
    EXPECT_EQ(a.after, b.audit[i].after);
    EXPECT_EQ(a.prev_hash, b.audit[i].prev_hash);
    EXPECT_EQ(a.hash, b.audit[i].hash);
    ++i;
    return Status::OK();
  }).ok());
  EXPECT_EQ(i, 3u);
  auto tail = (*s)->LastAudit();
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->hash, b.audit.back().hash);
}

// An expired key's answer is deleted before the batch's own answers are
// stored, so the key can be taken again by a create in the same batch.
TEST_F(SqliteStoreTest, AVersion5StoreIsUpgradedInPlaceAndItsRecordsStillCheckOut) {
  // Take the file back to version 5 as an earlier build wrote it.
  ThreeRecordsThen(
      "DROP TABLE tenants; DROP TABLE settings; ALTER TABLE journal DROP COLUMN region; PRAGMA user_version=5;");

  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int n = 0;
  ASSERT_TRUE((*s)->ReadJournal(1, [&](const JournalRecord& r) {
    EXPECT_EQ(r.region, "");
    ++n;
    return Status::OK();
  }).ok());
  EXPECT_EQ(n, 3);
  ASSERT_TRUE((*s)->PutTenant(Tenant{"t1", "cn-north", 1}).ok());
  EXPECT_EQ((*s)->PutTenant(Tenant{"t1", "eu-central", 2}).code(), Code::kAlreadyExists);  // never moved in place
  Batch b = Records(1, 3);
  b.journal[0].region = "cn-north";
  ASSERT_TRUE((*s)->Commit(b).ok());
  ASSERT_TRUE((*s)->ReadJournal(4, [&](const JournalRecord& r) {
    EXPECT_EQ(r.region, "cn-north");
    return Status::OK();
  }).ok());
}

TEST_F(SqliteStoreTest, ExpiredIdempotencyAnswersAreDroppedAndTheKeyCanBeTakenAgain) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Batch first = Records(1, 0);
  first.idempotency.push_back(IdempotencyRow{"t1", "k1", 201, "first"});
  first.idempotency.push_back(IdempotencyRow{"t1", "k2", 201, "kept"});
  ASSERT_TRUE((*s)->Commit(first).ok());
  Batch second = Records(1, 1);
  second.expired_idempotency.emplace_back("t1", "k1");
  second.idempotency.push_back(IdempotencyRow{"t1", "k1", 201, "second"});
  ASSERT_TRUE((*s)->Commit(second).ok());
  auto k1 = (*s)->GetIdempotency("t1", "k1");
  ASSERT_TRUE(k1.ok() && k1->has_value());
  EXPECT_EQ((*k1)->body, "second");
  auto k2 = (*s)->GetIdempotency("t1", "k2");
  ASSERT_TRUE(k2.ok() && k2->has_value());
  EXPECT_EQ((*k2)->body, "kept");
  Batch third;
  third.expired_idempotency.emplace_back("t1", "k2");
  ASSERT_TRUE((*s)->Commit(third).ok());
  k2 = (*s)->GetIdempotency("t1", "k2");
  ASSERT_TRUE(k2.ok());
  EXPECT_FALSE(k2->has_value());
}

TEST_F(SqliteStoreTest, CheckpointsMoveTheLogIntoTheDatabaseWithoutACommitDoingIt) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto empty = fs::file_size(Path());
  for (int i = 0; i < 20; ++i) {
    Batch b = Records(100, i * 100);
    ASSERT_TRUE((*s)->Commit(b).ok());
  }
  // Commits alone never checkpoint (autocheckpoint is off); the checkpointer
  // thread copies the log into the file within its period, possibly over
  // several passive passes on a busy machine. Bounded wait.
  for (int i = 0; i < 500 && fs::file_size(Path()) <= empty + 500'000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(fs::file_size(Path()), empty + 500'000);
}

// Under a load with no pause between commits the checkpointer never finds
// the WAL all copied at the moment a write begins, which is when SQLite
// starts it over: without the committer's help the log grows by everything
// written (and a restart after a crash reads all of it).
TEST_F(SqliteStoreTest, TheLogStartsOverUnderASteadyLoadInsteadOfGrowingWithIt) {
  constexpr int64_t kLimit = 1 << 20;
  // Durable commits, as the hub makes them: each waits for its fsync, which
  // paces them as a real load is paced.
  auto s = SqliteStore::Open(Path(), Durability::kFull, kLimit);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // At least 8 MiB of journal, and for at least a second: ten of the
  // checkpointer's periods.
  const auto start = std::chrono::steady_clock::now();
  int64_t written = 0;
  for (int i = 0; written < (int64_t{8} << 20) || std::chrono::steady_clock::now() - start < std::chrono::seconds(1);
       ++i) {
    Batch b = Records(20, i * 20);
    ASSERT_TRUE((*s)->Commit(b).ok());
    written += 20 * 400;
  }
  const fs::path wal = Path() + "-wal";
  ASSERT_TRUE(fs::exists(wal));
  // Cut back to the limit when it starts over; a start-over every few
  // periods at most leaves it a few limits long.
  EXPECT_LT(static_cast<int64_t>(fs::file_size(wal)), 6 * kLimit) << written << " bytes written";
  // Nothing of it lost.
  auto last = (*s)->LastJournalPosition();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->seq, written / 400);
}

int PageSize(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  int size = 0;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    size = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return size;
}

// A store switched out of WAL mode by hand, with pages of another size:
// it opens in WAL mode again, its log written out to the limit in bytes.
TEST_F(SqliteStoreTest, AStoreTakenOutOfWalModeWithOtherPagesOpensAndGoesOn) {
  ThreeRecordsThen("PRAGMA journal_mode=DELETE; PRAGMA page_size=8192; VACUUM;");
  ASSERT_EQ(PageSize(Path()), 8192);
  ASSERT_FALSE(fs::exists(Path() + "-wal"));
  {
    auto s = SqliteStore::Open(Path(), Durability::kFull, 1 << 20, /*preallocate_wal=*/true);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(Path() + "-wal")), 1 << 20);
    Batch b = Records(1, 3);
    ASSERT_TRUE((*s)->Commit(b).ok());
    int n = 0;
    ASSERT_TRUE((*s)->ReadJournal(1, [&](const JournalRecord&) {
      ++n;
      return Status::OK();
    }).ok());
    EXPECT_EQ(n, 4);
  }
  EXPECT_EQ(PageSize(Path()), 8192);
}

// A server writes its WAL out to the limit at start; SQLite must still read
// back exactly what was committed, zeros after it, also after a crash (the
// files copied as they are while the store is open: no checkpoint at close).
TEST_F(SqliteStoreTest, ALogWrittenOutAheadReadsBackEverythingCommittedAfterACrash) {
  constexpr int64_t kLimit = 1 << 20;
  auto s = SqliteStore::Open(Path(), Durability::kFull, kLimit, /*preallocate_wal=*/true);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(Path() + "-wal")), kLimit);
  for (int i = 0; i < 3; ++i) {
    Batch b = Records(20, i * 20);
    ASSERT_TRUE((*s)->Commit(b).ok());
  }
  const fs::path crashed = dir_ / "crashed";
  fs::create_directories(crashed);
  fs::copy_file(Path(), crashed / "orderhub.db");
  fs::copy_file(Path() + "-wal", crashed / "orderhub.db-wal");
  s->reset();
  auto after = SqliteStore::Open((crashed / "orderhub.db").string(), Durability::kFull, kLimit, true);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  int records = 0;
  ASSERT_TRUE((*after)->ReadJournal(1, [&](const JournalRecord& r) {
    EXPECT_EQ(r.target, "O" + std::to_string(records));
    ++records;
    return Status::OK();
  }).ok());
  EXPECT_EQ(records, 60);
  // And it goes on: the next commit follows the last one read back.
  Batch more = Records(1, 60);
  ASSERT_TRUE((*after)->Commit(more).ok());
  EXPECT_EQ(more.journal[0].seq, 61);
}

}  // namespace
}  // namespace orderhub::store
