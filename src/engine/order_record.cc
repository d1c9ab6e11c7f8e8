#include "engine/order_record.h"

namespace orderhub::engine {

OrderBlock::OrderBlock(const std::vector<LineRecord>& lines, const std::vector<std::string_view>& segments) {
  const auto n = static_cast<uint32_t>(segments.size());
  const size_t lines_at = sizeof(uint32_t) * (3 + n);
  size_t size = lines_at + sizeof(LineRecord) * lines.size();
  for (std::string_view s : segments) size += s.size();
  data_ = std::make_unique_for_overwrite<char[]>(size);
  auto* header = reinterpret_cast<uint32_t*>(data_.get());
  header[0] = n;
  header[1] = static_cast<uint32_t>(lines.size());
  std::memcpy(data_.get() + lines_at, lines.data(), sizeof(LineRecord) * lines.size());
  auto at = static_cast<uint32_t>(lines_at + sizeof(LineRecord) * lines.size());
  for (uint32_t i = 0; i < n; ++i) {
    header[2 + i] = at;
    std::memcpy(data_.get() + at, segments[i].data(), segments[i].size());
    at += static_cast<uint32_t>(segments[i].size());
  }
  header[2 + n] = at;
}

std::span<LineRecord> OrderBlock::lines() {
  if (data_ == nullptr) return {};
  return {reinterpret_cast<LineRecord*>(data_.get() + LinesOffset()), Header()[1]};
}

std::span<const LineRecord> OrderBlock::lines() const {
  if (data_ == nullptr) return {};
  return {reinterpret_cast<const LineRecord*>(data_.get() + LinesOffset()), Header()[1]};
}

std::string_view OrderBlock::segment(uint32_t i) const {
  if (i >= segment_count()) return {};
  const uint32_t* h = Header();
  return {data_.get() + h[2 + i], h[3 + i] - h[2 + i]};
}

std::string_view OrderBlock::bytes() const {
  if (data_ == nullptr) return {};
  return {data_.get(), Header()[2 + Header()[0]]};
}

bool OrderBlock::FromBytes(std::string_view bytes, OrderBlock* out) {
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
  out->data_ = std::make_unique_for_overwrite<char[]>(bytes.size());
  std::memcpy(out->data_.get(), bytes.data(), bytes.size());
  return true;
}

}  // namespace orderhub::engine
