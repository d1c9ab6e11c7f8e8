#pragma once

// Zigzag varints, for the compact binary encodings the engine keeps in
// memory or in the store (order details, routing decisions): small
// magnitudes of either sign take few bytes.

#include <cstdint>
#include <string>
#include <string_view>

namespace orderhub {

inline void PutVarint(std::string& out, int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (u >= 0x80) {
    out.push_back(static_cast<char>(u | 0x80));
    u >>= 7;
  }
  out.push_back(static_cast<char>(u));
}

// Length first, then the bytes.
inline void PutBytes(std::string& out, std::string_view s) {
  PutVarint(out, static_cast<int64_t>(s.size()));
  out.append(s);
}

// Reads what PutVarint and PutBytes wrote; every call says whether the input
// held it, so a truncated or foreign encoding is refused, never overrun.
class VarintReader {
 public:
  explicit VarintReader(std::string_view in) : in_(in) {}
  bool Int(int64_t* v) {
    uint64_t u = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      u |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string_view* s) {
    int64_t n;
    if (!Int(&n) || n < 0 || static_cast<uint64_t>(n) > in_.size()) return false;
    *s = in_.substr(0, static_cast<size_t>(n));
    in_.remove_prefix(static_cast<size_t>(n));
    return true;
  }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

}  // namespace orderhub
