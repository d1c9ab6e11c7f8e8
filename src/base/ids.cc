#include "base/ids.h"

namespace orderhub {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int DecodeChar(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

}  // namespace

std::string IdGenerator::Next(Micros now) {
  uint64_t ms = now < 0 ? 0 : static_cast<uint64_t>(now / 1000);
  if (ms <= last_ms_) {
    // Same (or an earlier) millisecond: keep the timestamp and bump the tail so
    // ids stay strictly increasing even if the clock steps back.
    ms = last_ms_;
    if (++lo_ == 0) ++hi_;
  } else {
    last_ms_ = ms;
  }
  // 128 bits: ms (48) | hi (16) | lo (64), printed as 26 base32 digits (130 bits, top 2 zero).
  char out[26];
  uint64_t a = ms << 16 | hi_;  // top 64 bits
  uint64_t b = lo_;             // low 64 bits
  for (int i = 25; i >= 0; --i) {
    out[i] = kAlphabet[b & 31];
    b = (b >> 5) | (a << 59);
    a >>= 5;
  }
  return std::string(out, 26);
}

void IdGenerator::Observe(std::string_view id) {
  if (!IsValidOrderId(id)) return;
  uint64_t a = 0, b = 0;
  for (char c : id) {
    const uint64_t v = static_cast<uint64_t>(DecodeChar(c));
    a = (a << 5) | (b >> 59);
    b = (b << 5) | v;
  }
  const uint64_t ms = a >> 16;
  const uint16_t hi = static_cast<uint16_t>(a & 0xffff);
  if (ms > last_ms_ || (ms == last_ms_ && (hi > hi_ || (hi == hi_ && b > lo_)))) {
    last_ms_ = ms;
    hi_ = hi;
    lo_ = b;
  }
}

bool IsValidOrderId(std::string_view id) {
  if (id.size() != 26 || id[0] > '7') return false;
  for (char c : id) {
    if (DecodeChar(c) < 0) return false;
  }
  return true;
}

}  // namespace orderhub
