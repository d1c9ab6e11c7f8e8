// The WAL-write VFS holds a transaction's frames until its commit frame and
// writes them at once: another connection must still see every commit as
// soon as Write returns, and a copy of the files taken then (the process
// killed) must hold it, across the log starting over and for transactions
// larger than what the VFS holds back.
#include "store/wal_write_vfs.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>

#include "store/sqlite_store.h"
#include "testing/builders.h"
#include "testing/test_path.h"

namespace orderhub::store {
namespace {

namespace fs = std::filesystem;

Batch Records(int n, int64_t from) { return orderhub::testing::JournalBatch(n, from); }

// Opened with SQLite's default VFS: another program, or a reader that knows
// nothing of what the writer holds back.
int64_t CountAndCheck(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db,
                         "SELECT count(*), sum(length(body) = 400 AND substr(body, 400, 1) = "
                         "char(97 + (CAST(substr(target, 2) AS INTEGER) % 26))) FROM journal",
                         -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    // Every body whole and the one its record was given, or -2.
    n = sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1) ? sqlite3_column_int64(st, 0) : -2;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

class WalWriteVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::FreshTestDir("oh-walvfs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path() const { return (dir_ / "orderhub.db").string(); }
  fs::path dir_;
};

TEST_F(WalWriteVfsTest, IsRegisteredBesideTheDefault) {
  ASSERT_NE(WalWriteVfs(), nullptr);
  EXPECT_NE(sqlite3_vfs_find(WalWriteVfs()), nullptr);
  EXPECT_NE(sqlite3_vfs_find(nullptr), sqlite3_vfs_find(WalWriteVfs()));
}

TEST_F(WalWriteVfsTest, AnotherConnectionSeesEveryCommitAsSoonAsWriteReturns) {
  // A small log that starts over many times under these commits.
  auto s = SqliteStore::Open(Path(), Durability::kNormal, 256 << 10);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int64_t written = 0;
  for (int i = 0; i < 300; ++i) {
    const int n = 1 + (i * 7) % 40;
    Batch b = Records(n, written);
    ASSERT_TRUE((*s)->Write(b).ok());
    written += n;
    ASSERT_EQ(CountAndCheck(Path()), written) << "after commit " << i;
  }
}

TEST_F(WalWriteVfsTest, ATransactionLargerThanWhatIsHeldBackIsWholeToo) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Batch big = Records(30'000, 0);  // about 14 MiB of pages
  const Status st = (*s)->Write(big);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(CountAndCheck(Path()), 30'000);
  Batch small = Records(3, 30'000);
  ASSERT_TRUE((*s)->Write(small).ok());
  EXPECT_EQ(CountAndCheck(Path()), 30'003);
}

// The process killed right after Write: its files, as the kernel has them,
// are copied before the store closes (a close would checkpoint).
TEST_F(WalWriteVfsTest, FilesCopiedRightAfterAWriteHoldIt) {
  auto s = SqliteStore::Open(Path(), Durability::kNormal);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int64_t written = 0;
  for (int i = 0; i < 25; ++i) {
    Batch b = Records(17, written);
    ASSERT_TRUE((*s)->Write(b).ok());
    written += 17;
  }
  const fs::path copy = dir_ / "copy";
  fs::create_directories(copy);
  for (const char* suffix : {"", "-wal"}) {
    fs::copy_file(Path() + suffix, (copy / "orderhub.db").string() + suffix);
  }
  EXPECT_EQ(CountAndCheck((copy / "orderhub.db").string()), written);
}

}  // namespace
}  // namespace orderhub::store
