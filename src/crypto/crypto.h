// Personal data at rest: the data keys that seal it and the keyed hashes
// that let it be found without opening it.
//
// A key ring holds AES-256-GCM keys with small ids; the newest seals, every
// one opens (each sealed value carries its key's id), so `orderhub keys
// rotate` adds a key while the hub runs and nothing sealed before becomes
// unreadable. The ring also holds one index key, never rotated: lookups by
// phone use HMAC-SHA256 under it, and a new index key would orphan every
// stored hash.
//
// The ring comes from a file (created with one key on first start, mode
// 0600) or from the environment variable ORDERHUB_DATA_KEYS, which wins.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace orderhub::crypto {

inline constexpr const char* kKeysEnvVar = "ORDERHUB_DATA_KEYS";

class DataKeys {
 public:
  // The ring from ORDERHUB_DATA_KEYS when set, else from `path`, which is
  // created with a fresh ring when missing. A running hub notices keys
  // added to the file (at most a second late).
  static Result<std::unique_ptr<DataKeys>> Load(const std::string& path);
  // A ring from text in the file format (tests, fuzzers, the environment).
  static Result<std::unique_ptr<DataKeys>> FromText(std::string_view text, const std::string& origin);
  // Appends a fresh key to the ring file; returns its id.
  static Result<uint32_t> Rotate(const std::string& path);
  ~DataKeys();

  // [key id: 4 bytes][nonce: 12][ciphertext][tag: 16]. Thread-safe.
  std::string Seal(std::string_view plaintext) const;
  // Fails when the value was altered, or sealed with a key the ring lacks.
  Result<std::string> Open(std::string_view sealed) const;
  // The key id `sealed` names (0 when too short to carry one).
  static uint32_t KeyIdOf(std::string_view sealed);
  uint32_t current_key_id() const;
  // HMAC-SHA256 under the index key, first 8 bytes.
  uint64_t IndexHash(std::string_view value) const;
  // A 32-byte key for another purpose (session tokens), derived from the
  // index key and `label`: HMAC-SHA256(index key, label).
  std::string DeriveKey(std::string_view label) const;

 private:
  struct Ring;
  DataKeys() = default;
  static Result<std::shared_ptr<const Ring>> ParseRing(std::string_view text, const std::string& origin);
  std::shared_ptr<const Ring> ring() const;  // reloads a changed file, at most once a second

  std::string path_;  // empty: not from a file
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Ring> ring_;  // GUARDED_BY(mu_)
  mutable int64_t checked_at_ = 0;            // GUARDED_BY(mu_): steady-clock seconds
  mutable int64_t file_mtime_ = 0;            // GUARDED_BY(mu_)
};

}  // namespace orderhub::crypto
