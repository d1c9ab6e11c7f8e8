// The tamper-evident audit trail (操作留痕).
//
// Every mutating call, every refused call, every unmasking is one entry. The
// committer seals entries in commit order: each gets the next seq and a hash
// over its fields and the hash of the entry before, so editing, removing or
// reordering any entry breaks the chain from there on. Every
// `kCheckpointEvery` entries (and when the hub stops) an Ed25519 signature
// over (seq, hash) is stored beside them: recomputing the chain after an edit
// does not help without the signing key, which lives outside the database.
// `orderhub audit verify` walks the chain with only the public key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace orderhub::audit {

inline constexpr int64_t kCheckpointEvery = 1024;

// An Ed25519 key pair; the private half only where entries are sealed.
class SigningKey {
 public:
  // Reads the 32-byte seed (64 hex digits) from `path`, creating it (mode
  // 0600) with a fresh random seed when the file does not exist.
  static Result<std::unique_ptr<SigningKey>> LoadOrCreate(const std::string& path);
  ~SigningKey();
  std::string PublicKeyHex() const;
  std::string Sign(std::string_view message) const;  // hex

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SigningKey();
};

// Verifies a hex signature with a hex public key.
bool VerifySignature(const std::string& public_key_hex, std::string_view message, const std::string& signature_hex);

// The hash of `e` chained to `e.prev_hash` (hex SHA-256 over every field,
// each length-prefixed so that no two entries encode alike).
std::string EntryHash(const store::AuditEntry& e);
// What a checkpoint signs.
std::string CheckpointMessage(int64_t seq, const std::string& hash);

// Seals entries in order (committer thread only).
class Sealer {
 public:
  // Continues after `last` (seq 0 and an empty hash for a new trail). With
  // a null `key` entries are chained but never signed.
  Sealer(const SigningKey* key, int64_t last_seq, std::string last_hash, int64_t last_signed_seq);
  // Assigns seq, prev_hash and hash to each entry of `batch.audit` and adds
  // a checkpoint when one is due.
  void Seal(store::Batch& batch);
  // A checkpoint over the last entry, if it is not signed yet (at stop).
  bool Checkpoint(store::Batch& batch);

 private:
  const SigningKey* key_;
  int64_t seq_;
  std::string hash_;
  int64_t signed_seq_;
};

struct Report {
  int64_t entries = 0;
  int64_t checkpoints = 0;
  int64_t unsigned_tail = 0;  // entries after the last checkpoint (only chained, not signed)
  std::vector<std::string> problems;  // empty: intact
};

// Walks the whole trail: seqs without gaps, each hash matches its entry and
// links to the one before, every checkpoint's signature verifies with
// `public_key_hex` and names an entry whose hash it carries.
Result<Report> Verify(store::Store& store, const std::string& public_key_hex);

}  // namespace orderhub::audit
