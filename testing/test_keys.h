// A fixed data key ring for tests, benchmarks and fuzzers: sealing works as
// in production, with keys that are public and therefore worthless.
#pragma once

#include "crypto/crypto.h"

namespace orderhub::testing {

inline constexpr const char* kTestKeyRing =
    "index 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "key 1 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n";

inline const crypto::DataKeys& TestKeys() {
  static const auto* keys = crypto::DataKeys::FromText(kTestKeyRing, "test keys")->release();
  return *keys;
}

}  // namespace orderhub::testing
