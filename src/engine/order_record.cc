#include "engine/order_record.h"

#include <algorithm>

namespace orderhub::engine {

uintptr_t OrderBlock::Own(const char* bytes, size_t size) {
  char* p = new char[size];
  std::memcpy(p, bytes, size);
  return reinterpret_cast<uintptr_t>(p);
}

OrderBlock::OrderBlock(std::span<const LineRecord> lines, std::span<const std::string_view> segments,
                       Arena* arena) {
  const auto n = static_cast<uint32_t>(segments.size());
  const size_t lines_at = sizeof(uint32_t) * (3 + n);
  size_t size = lines_at + sizeof(LineRecord) * lines.size();
  for (std::string_view s : segments) size += s.size();
  char* data = arena != nullptr ? static_cast<char*>(arena->Allocate(size)) : new char[size];
  auto* header = reinterpret_cast<uint32_t*>(data);
  header[0] = n;
  header[1] = static_cast<uint32_t>(lines.size());
  std::memcpy(data + lines_at, lines.data(), sizeof(LineRecord) * lines.size());
  auto at = static_cast<uint32_t>(lines_at + sizeof(LineRecord) * lines.size());
  for (uint32_t i = 0; i < n; ++i) {
    header[2 + i] = at;
    std::memcpy(data + at, segments[i].data(), segments[i].size());
    at += static_cast<uint32_t>(segments[i].size());
  }
  header[2 + n] = at;
  tagged_ = reinterpret_cast<uintptr_t>(data) | (arena != nullptr ? kInArena : 0);
}

OrderBlock& OrderBlock::operator=(OrderBlock&& o) noexcept {
  if (this != &o) {
    this->~OrderBlock();
    tagged_ = std::exchange(o.tagged_, 0);
  }
  return *this;
}

OrderBlock::~OrderBlock() {
  if (tagged_ != 0 && (tagged_ & kTags) == 0) delete[] reinterpret_cast<char*>(tagged_);
}

std::span<LineRecord> OrderBlock::lines() {
  if (tagged_ == 0) return {};
  if (tagged_ & kBorrowed) tagged_ = Own(data(), Size());
  return {reinterpret_cast<LineRecord*>(const_cast<char*>(data()) + LinesOffset()), Header()[1]};
}

std::span<const LineRecord> OrderBlock::lines() const {
  if (tagged_ == 0) return {};
  return {reinterpret_cast<const LineRecord*>(data() + LinesOffset()), Header()[1]};
}

void OrderBlock::SetLines(std::span<const LineRecord> lines) {
  if (lines.size() == this->lines().size()) {
    std::copy(lines.begin(), lines.end(), this->lines().begin());
    return;
  }
  std::vector<std::string_view> segments(segment_count());
  for (uint32_t i = 0; i < segments.size(); ++i) segments[i] = segment(i);
  *this = OrderBlock(lines, segments);
}

std::string_view OrderBlock::segment(uint32_t i) const {
  if (i >= segment_count()) return {};
  const uint32_t* h = Header();
  return {data() + h[2 + i], h[3 + i] - h[2 + i]};
}

std::string_view OrderBlock::bytes() const {
  if (tagged_ == 0) return {};
  return {data(), Size()};
}

bool OrderBlock::FromBytes(std::string_view bytes, bool borrow, OrderBlock* out) {
  // Check every offset before trusting the block: a snapshot is outside input.
  uint32_t n, lines;
  if (bytes.size() < 3 * sizeof(uint32_t)) return false;
  std::memcpy(&n, bytes.data(), sizeof n);
  std::memcpy(&lines, bytes.data() + sizeof n, sizeof lines);
  if (n > bytes.size() / sizeof(uint32_t)) return false;
  const size_t lines_at = sizeof(uint32_t) * (3 + static_cast<size_t>(n));
  size_t prev = lines_at + sizeof(LineRecord) * static_cast<size_t>(lines);
  if (prev > bytes.size()) return false;
  for (uint32_t i = 0; i <= n; ++i) {
    uint32_t off;
    std::memcpy(&off, bytes.data() + sizeof(uint32_t) * (2 + i), sizeof off);
    if (off < prev || off > bytes.size()) return false;
    prev = off;
  }
  if (prev != bytes.size()) return false;
  const auto at = reinterpret_cast<uintptr_t>(bytes.data());
  *out = OrderBlock();
  out->tagged_ = borrow && at % alignof(LineRecord) == 0 ? at | kBorrowed : Own(bytes.data(), bytes.size());
  return true;
}

}  // namespace orderhub::engine
