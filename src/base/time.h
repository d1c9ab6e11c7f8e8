// Time inside OrderHub: UTC microseconds since the Unix epoch in an int64.
// RFC 3339 on the wire. The engine never reads a clock: the writer stamps the
// time into each command from an injected Clock, so a journal replay is exact.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace orderhub {

using Micros = int64_t;
inline constexpr Micros kMicrosPerSecond = 1'000'000;

// Parses "2026-11-11T00:00:01Z", with optional fraction (up to microseconds)
// and a "Z" or "+08:00" style offset. Returns false on anything else.
bool ParseRfc3339(std::string_view text, Micros* out);
// Formats as "2026-11-11T00:00:01.000123Z" (fraction only when non-zero).
std::string FormatRfc3339(Micros t);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros Now() const = 0;
};

// The real wall clock (system_clock). Thread-safe.
class SystemClock final : public Clock {
 public:
  Micros Now() const override;
};

// A clock that tests move by hand; safe to read from the writer thread while
// the test moves it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Micros start) : now_(start) {}
  Micros Now() const override { return now_.load(); }
  void Advance(Micros d) { now_ += d; }
  void Set(Micros t) { now_ = t; }

 private:
  std::atomic<Micros> now_;
};

}  // namespace orderhub
