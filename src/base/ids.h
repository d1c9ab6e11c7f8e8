// Order ids: time-sortable and printable, in the spirit of ULID.
//
// 26 characters of Crockford base32: 48 bits of milliseconds since the epoch
// followed by 80 bits of a per-process sequence seeded from the clock. Ids made
// by one generator are strictly increasing, so the id order is creation order.
// The writer thread owns the generator; the engine only receives ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/time.h"

namespace orderhub {

class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed) : hi_(seed), lo_(0) {}
  // REQUIRES: called from one thread.
  std::string Next(Micros now);
  // Ids restored from a journal: later ids must sort after them.
  void Observe(std::string_view id);

 private:
  uint64_t last_ms_ = 0;
  uint16_t hi_;  // top 16 bits of the 80-bit tail
  uint64_t lo_;  // low 64 bits of the tail
};

// True for a 26-character Crockford base32 string.
bool IsValidOrderId(std::string_view id);

}  // namespace orderhub
