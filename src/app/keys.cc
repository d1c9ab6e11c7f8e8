#include "app/keys.h"

#include <openssl/rand.h>

#include <algorithm>

#include "access/access.h"
#include "base/hex.h"
#include "codec/json_reader.h"

namespace orderhub::app {

Status PutKey(store::Store& store, const std::string& key, const std::string& tenant, const std::string& role,
              Micros now) {
  const std::string hash = codec::Sha256Hex(key);
  auto existing = store.FindApiKey(hash);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return Status::OK();
  store::ApiKey k;
  k.hash = hash;
  k.tenant = tenant;
  k.role = role;
  k.created_at = now;
  return store.PutApiKey(k);
}

Status CreateUser(store::Store& store, const std::string& tenant, const std::string& name, const std::string& role,
                  std::string_view password, Micros now) {
  if (!access::ParseRole(role)) return Status::InvalidArgument("unknown_role", "unknown role '" + role + "'", "");
  auto printable = [](const std::string& s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
  };
  if (!printable(tenant) || !printable(name)) {
    return Status::InvalidArgument("invalid_name", "tenant and user name are 1-64 printable ASCII characters", "");
  }
  auto hash = access::HashPassword(password);
  if (!hash.ok()) return hash.status();
  return store.PutUser(store::User{tenant, name, role, *hash, now, 0});
}

Result<std::string> CreateKey(store::Store& store, const std::string& tenant, const std::string& role, Micros now,
                              const KeyOptions& options) {
  if (!access::ParseRole(role)) return Status::InvalidArgument("unknown_role", "unknown role '" + role + "'", "");
  if (tenant.empty() || tenant.size() > 64) {
    return Status::InvalidArgument("invalid_tenant", "tenant must be 1-64 characters", "");
  }
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) return Status::Internal("no randomness for a key");
  const std::string key = "ohk_" + HexEncode(raw, sizeof raw);
  if (options.rate_per_s < 0) return Status::InvalidArgument("invalid_rate", "a key's rate is 0 or more", "");
  if ((role == "partner") != !options.node.empty()) {
    return Status::InvalidArgument("invalid_scope", "a partner key needs a node (--node), and only a partner key has one",
                                   "");
  }
  store::ApiKey k;
  k.hash = codec::Sha256Hex(key);
  k.tenant = tenant;
  k.role = role;
  k.created_at = now;
  k.expires_at = options.expires_at;
  k.rate_per_s = options.rate_per_s;
  k.node = options.node;
  OH_RETURN_IF_ERROR(store.PutApiKey(k));
  return key;
}

}  // namespace orderhub::app
