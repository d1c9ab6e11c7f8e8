#include "audit/audit.h"

#include "codec/json_reader.h"

namespace orderhub::audit {
namespace {

constexpr const char* kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

void Put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

}  // namespace

std::string EntryHash(const store::AuditEntry& e) {
  std::string buf;
  buf.reserve(512);
  Put(buf, std::to_string(e.seq));
  Put(buf, std::to_string(e.at));
  for (const std::string* f : {&e.tenant, &e.actor, &e.source, &e.action, &e.target, &e.detail, &e.before, &e.after,
                               &e.prev_hash}) {
    Put(buf, *f);
  }
  return codec::Sha256Hex(buf);
}

std::string CheckpointMessage(int64_t seq, const std::string& hash) {
  return "orderhub-audit-checkpoint:" + std::to_string(seq) + ":" + hash;
}

Sealer::Sealer(const SigningKey* key, int64_t last_seq, std::string last_hash, int64_t last_signed_seq)
    : key_(key), seq_(last_seq), hash_(last_hash.empty() ? kGenesis : std::move(last_hash)),
      signed_seq_(last_signed_seq) {}

void Sealer::Seal(store::Batch& batch) {
  for (store::AuditEntry& e : batch.audit) {
    e.seq = ++seq_;
    e.prev_hash = hash_;
    e.hash = EntryHash(e);
    hash_ = e.hash;
    if (seq_ - signed_seq_ >= kCheckpointEvery) Checkpoint(batch);
  }
}

bool Sealer::Checkpoint(store::Batch& batch) {
  if (key_ == nullptr || seq_ == signed_seq_ || seq_ == 0) return false;
  batch.audit_checkpoints.push_back(store::AuditCheckpoint{seq_, hash_, key_->Sign(CheckpointMessage(seq_, hash_))});
  signed_seq_ = seq_;
  return true;
}

Result<Report> Verify(store::Store& store, const std::string& public_key_hex) {
  Report rep;
  auto checkpoints = store.AuditCheckpoints();
  if (!checkpoints.ok()) return checkpoints.status();
  rep.checkpoints = static_cast<int64_t>(checkpoints->size());
  size_t next_checkpoint = 0;
  int64_t expected = 1, last_signed = 0;
  std::string prev = kGenesis;
  constexpr size_t kMaxProblems = 20;
  auto problem = [&](std::string p) {
    if (rep.problems.size() < kMaxProblems) rep.problems.push_back(std::move(p));
  };
  Status st = store.ReadAudit(1, [&](const store::AuditEntry& e) {
    ++rep.entries;
    const std::string at = "entry " + std::to_string(e.seq);
    if (e.seq > expected) {
      problem(e.seq == expected + 1 ? "entry " + std::to_string(expected) + " was removed"
                                    : "entries " + std::to_string(expected) + " to " + std::to_string(e.seq - 1) +
                                          " were removed");
    } else if (e.seq < expected) {
      problem(at + " is out of order");
    }
    if (EntryHash(e) != e.hash) {
      problem(at + " was edited: its contents do not match its hash");
    } else if (e.prev_hash != prev && e.seq == expected) {
      problem(at + " does not link to entry " + std::to_string(e.seq - 1) +
              ": entries were reordered, or replaced with recomputed hashes");
    }
    while (next_checkpoint < checkpoints->size() && (*checkpoints)[next_checkpoint].seq <= e.seq) {
      const store::AuditCheckpoint& k = (*checkpoints)[next_checkpoint++];
      const std::string where = "checkpoint at entry " + std::to_string(k.seq);
      if (k.seq != e.seq) {
        problem(where + " names an entry that is missing");
      } else if (k.hash != e.hash) {
        problem(where + " signed a different hash: the chain up to entry " + std::to_string(k.seq) +
                " was rewritten");
      } else if (!VerifySignature(public_key_hex, CheckpointMessage(k.seq, k.hash), k.signature)) {
        problem(where + " has an invalid signature (forged, or signed with another key)");
      } else {
        last_signed = k.seq;
      }
    }
    prev = e.hash;
    expected = e.seq + 1;
    return Status::OK();
  });
  if (!st.ok()) return st;
  for (; next_checkpoint < checkpoints->size(); ++next_checkpoint) {
    problem("checkpoint at entry " + std::to_string((*checkpoints)[next_checkpoint].seq) +
            " names an entry past the end of the trail: entries at its end were removed");
  }
  rep.unsigned_tail = expected - 1 - last_signed;
  return rep;
}

}  // namespace orderhub::audit
