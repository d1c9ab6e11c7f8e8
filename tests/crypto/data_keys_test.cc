// The data key ring: sealing, opening, tampering, rotation while in use,
// and precise errors for a broken ring.
#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/test_keys.h"
#include "testing/test_path.h"

namespace orderhub::crypto {
namespace {

using orderhub::testing::TestKeys;

TEST(DataKeys, SealedValuesOpenAndHideTheirText) {
  const std::string sealed = TestKeys().Seal("13800138000");
  EXPECT_EQ(sealed.find("13800138000"), std::string::npos);
  EXPECT_NE(TestKeys().Seal("13800138000"), sealed);  // a fresh nonce every time
  EXPECT_EQ(DataKeys::KeyIdOf(sealed), 1u);
  auto opened = TestKeys().Open(sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "13800138000");
  EXPECT_EQ(*TestKeys().Open(TestKeys().Seal("")), "");
}

TEST(DataKeys, AnyAlteredByteIsRefused) {
  const std::string sealed = TestKeys().Seal("张三");
  for (size_t i = 4; i < sealed.size(); ++i) {  // the id bytes name a key; see the next test
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(TestKeys().Open(bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(TestKeys().Open(sealed.substr(0, 20)).ok());
}

TEST(DataKeys, AValueOfAnUnknownKeyNamesIt) {
  std::string sealed = TestKeys().Seal("x");
  sealed[0] = 7;
  auto r = TestKeys().Open(sealed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "personal data sealed with data key 7, which the key ring does not hold");
}

TEST(DataKeys, IndexHashesAreKeyedAndStable) {
  EXPECT_EQ(TestKeys().IndexHash("13800138000"), TestKeys().IndexHash("13800138000"));
  EXPECT_NE(TestKeys().IndexHash("13800138000"), TestKeys().IndexHash("13800138001"));
  auto other = DataKeys::FromText(
      "index ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n"
      "key 1 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n",
      "other");
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->IndexHash("13800138000"), TestKeys().IndexHash("13800138000"));
}

// Stored phone hashes must keep matching: the index hash is plain
// HMAC-SHA256 (RFC 2104), the first 8 bytes little-endian, whichever ring the
// calling thread used before. Checked against `openssl dgst -sha256 -mac HMAC`.
TEST(DataKeys, IndexHashesAreHmacSha256WhateverRingTheThreadUsedBefore) {
  constexpr uint64_t kExpected = 0x28739369815c36f0;  // f0365c81699373 28...
  EXPECT_EQ(TestKeys().IndexHash("13800138000"), kExpected);
  auto other = DataKeys::FromText(
      "index ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n"
      "key 1 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n",
      "other");
  ASSERT_TRUE(other.ok());
  const uint64_t theirs = (*other)->IndexHash("13800138000");
  EXPECT_EQ(TestKeys().IndexHash("13800138000"), kExpected);
  EXPECT_EQ((*other)->IndexHash("13800138000"), theirs);
  uint64_t on_another_thread = 0;
  std::thread([&] { on_another_thread = TestKeys().IndexHash("13800138000"); }).join();
  EXPECT_EQ(on_another_thread, kExpected);
}

TEST(DataKeys, EverySealHasItsOwnNonceAlsoAcrossThreadsAndAFork) {
  auto nonce = [](const std::string& sealed) { return sealed.substr(4, 12); };
  std::set<std::string> seen;
  std::vector<std::string> sealed_elsewhere;
  std::thread([&] {
    for (int i = 0; i < 2000; ++i) sealed_elsewhere.push_back(TestKeys().Seal("x"));
  }).join();
  for (int i = 0; i < 2000; ++i) EXPECT_TRUE(seen.insert(nonce(TestKeys().Seal("x"))).second);
  for (const std::string& s : sealed_elsewhere) {
    EXPECT_TRUE(seen.insert(nonce(s)).second);
    EXPECT_EQ(*TestKeys().Open(s), "x");  // opened on another thread than sealed
  }
  // A forked child starts from a copy of this thread's state: its next nonce
  // must not be the one this process draws next.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string n = nonce(TestKeys().Seal("x"));
    _exit(write(fds[1], n.data(), n.size()) == static_cast<ssize_t>(n.size()) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  std::string from_child(12, '\0');
  ASSERT_EQ(read(fds[0], from_child.data(), from_child.size()), 12);
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(from_child, nonce(TestKeys().Seal("x")));
}

TEST(DataKeys, BrokenRingsAreRefusedWithTheirLine) {
  auto expect = [](const char* text, const char* message) {
    auto r = DataKeys::FromText(text, "ring");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().message(), message) << text;
  };
  const std::string k(64, 'a');
  expect("", "ring needs an index key and at least one key");
  expect(("index " + k + "\n").c_str(), "ring needs an index key and at least one key");
  expect(("index " + k + "\nkey 1 abc\n").c_str(), "ring line 2: expected 'key <id> <64 hex digits>'");
  expect(("index " + k + "\nkey 0 " + k + "\n").c_str(), "ring line 2: a key id is a number from 1 to 4294967295");
  expect(("index " + k + "\nkey 2 " + k + "\nkey 1 " + k + "\n").c_str(), "ring line 3: key ids must grow down the file");
  expect(("# c\nsecret " + k + "\n").c_str(), "ring line 2: unknown entry 'secret' (expected index or key)");
  expect(("index " + k + "\nindex " + k + "\n").c_str(), "ring line 2: a second index key");
  expect(("index " + std::string(64, 'G') + "\n").c_str(), "ring line 1: expected 'index <64 hex digits>'");
}

TEST(DataKeys, RotationWhileInUseKeepsOldValuesOpen) {
  const std::filesystem::path dir = orderhub::testing::TestPath("oh-keys");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "data.keys").string();
  auto keys = DataKeys::Load(path);  // creates the ring
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string old_value = (*keys)->Seal("张三");
  const uint64_t old_hash = (*keys)->IndexHash("13800138000");
  auto id = DataKeys::Rotate(path);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 2u);
  // The ring in use notices within a second or so.
  for (int i = 0; i < 30 && (*keys)->current_key_id() != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ((*keys)->current_key_id(), 2u);
  EXPECT_EQ(DataKeys::KeyIdOf((*keys)->Seal("李四")), 2u);
  EXPECT_EQ(*(*keys)->Open(old_value), "张三");
  EXPECT_EQ((*keys)->IndexHash("13800138000"), old_hash);  // lookups survive rotation
  std::filesystem::remove_all(dir);
}

TEST(DataKeys, TheEnvironmentWinsAndCannotBeRotatedFromHere) {
  const std::filesystem::path dir = orderhub::testing::TestPath("oh-keys-env");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  setenv(kKeysEnvVar, orderhub::testing::kTestKeyRing, 1);
  auto keys = DataKeys::Load((dir / "data.keys").string());
  ASSERT_TRUE(keys.ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "data.keys"));  // nothing written
  EXPECT_EQ(*(*keys)->Open(orderhub::testing::TestKeys().Seal("x")), "x");
  auto rotated = DataKeys::Rotate((dir / "data.keys").string());
  EXPECT_FALSE(rotated.ok());
  unsetenv(kKeysEnvVar);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace orderhub::crypto
