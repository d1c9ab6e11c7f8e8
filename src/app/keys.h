// API keys: random, shown once, stored only as a SHA-256 hash.
#pragma once

#include <string>

#include "base/status.h"
#include "store/store.h"

namespace orderhub::app {

// The demo tenant's key, fixed so that the README's tour works verbatim.
// `serve --demo` only; never valid in a store that was not seeded as a demo.
inline constexpr const char* kDemoKey = "ohk_demo_0123456789abcdef";
inline constexpr const char* kDemoTenant = "demo";

struct KeyOptions {
  Micros expires_at = 0;   // 0: never
  int64_t rate_per_s = 0;  // 0: the hub's rate_limit_per_key
  std::string node;        // partner keys (required there): only orders placed at this node
};
// Creates a key for `tenant` with `role`, stores its hash, returns the key.
Result<std::string> CreateKey(store::Store& store, const std::string& tenant, const std::string& role, Micros now,
                              const KeyOptions& options = {});
// Adds a console user with `password` (Argon2id-hashed; at least 12 characters).
Status CreateUser(store::Store& store, const std::string& tenant, const std::string& name, const std::string& role,
                  std::string_view password, Micros now);
// Stores `key` as given (the demo key).
Status PutKey(store::Store& store, const std::string& key, const std::string& tenant, const std::string& role,
              Micros now);

}  // namespace orderhub::app
