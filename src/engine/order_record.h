// How the engine keeps an order in memory.
//
// The engine holds millions of open orders, so it keeps only what its
// decisions read (state, lines with their node and reservation, payment,
// expiry) in a packed record, and the parts it never decides on (address,
// prices, extension attributes...) in one allocation of bytes made once when
// the order is created, in codec/'s compact encoding (codec/order_detail.h).
// A 3-line order with a real address takes about 400 bytes (BENCHMARKS.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <span>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "engine/arena.h"
#include "model/order.h"

namespace orderhub::engine {

// Interned names: tenants, channels and order types are few and repeated by
// every order.
using NameId = uint32_t;

// An order line, or the part of it one node gives when no node can fill it
// alone (a quantity split, routing::Shipment::quantities): the parts of a
// line follow each other, in the order's line order, with the line's index.
struct LineRecord {
  model::SkuIndex sku = model::kNone;
  model::NodeIndex node = model::kNone;  // where the line is reserved
  int32_t quantity = 0;                  // of the line, or of this part of it
  int32_t reserved = 0;                   // units currently reserved at `node`
  int32_t shipped = 0;
  uint16_t is_service = 0;               // not bools: no padding bytes, so snapshots
  uint16_t line = 0;                     // of equal states are equal bytes
  // Where its parcel leaves when its units are transferred there first
  // (routing::Transfer); kNone: it ships from `node`.
  model::NodeIndex ship_node = model::kNone;
  model::NodeIndex ships_from() const { return ship_node != model::kNone ? ship_node : node; }
};

// An order's lines and its immutable bytes, in one allocation:
//   u32 segment count, u32 line count, u32 offsets[count + 1],
//   LineRecord lines[line count], then the segments back to back.
// One block per order: no shared arrays to regrow, and a record's lines stay
// where they are. A block loaded from a snapshot borrows the snapshot's
// mapped bytes (restart touches no new memory for it) and copies them into
// its own allocation on the first write to its lines.
class OrderBlock {
 public:
  // Segments of every order, in this order; then one line detail per line.
  enum Segment : uint32_t { kChannelOrderId = 0, kCustomerId, kAttributes, kDetail, kFirstLine };

  OrderBlock() = default;
  // In `arena` when given (never freed, mutable in place), else on the heap.
  OrderBlock(std::span<const LineRecord> lines, std::span<const std::string_view> segments,
             Arena* arena = nullptr);
  OrderBlock(OrderBlock&& o) noexcept : tagged_(std::exchange(o.tagged_, 0)) {}
  OrderBlock& operator=(OrderBlock&& o) noexcept;
  ~OrderBlock();

  // The mutable lines: a borrowed block becomes owned first.
  std::span<LineRecord> lines();
  std::span<const LineRecord> lines() const;
  // Replaces the lines, in place when their count is the same, else in a
  // new block on the heap (an arena block's bytes are left behind: a split
  // made or undone is rare).
  void SetLines(std::span<const LineRecord> lines);
  std::string_view segment(uint32_t i) const;
  uint32_t segment_count() const { return tagged_ == 0 ? 0 : Header()[0]; }
  // The whole block, position-independent, for snapshots.
  std::string_view bytes() const;
  // A block over bytes() of another, after checking every offset: copied, or
  // borrowed when `borrow` (the bytes must then outlive the block and be
  // aligned for LineRecord). False when the bytes are not a block.
  static bool FromBytes(std::string_view bytes, bool borrow, OrderBlock* out);

 private:
  // Low bits of the pointer (data is 8-aligned): who owns the bytes.
  static constexpr uintptr_t kBorrowed = 1;  // someone else's; copied on first write
  static constexpr uintptr_t kInArena = 2;   // the engine's arena; never freed alone
  static constexpr uintptr_t kTags = kBorrowed | kInArena;
  const char* data() const { return reinterpret_cast<const char*>(tagged_ & ~kTags); }
  const uint32_t* Header() const { return reinterpret_cast<const uint32_t*>(data()); }
  size_t LinesOffset() const { return sizeof(uint32_t) * (3 + Header()[0]); }
  size_t Size() const { return Header()[2 + Header()[0]]; }
  static uintptr_t Own(const char* bytes, size_t size);

  uintptr_t tagged_ = 0;  // an owned new[] buffer, arena bytes | kInArena, or borrowed bytes | kBorrowed
};

// Order ids are printable and at most 26 characters (base/ids.h makes them;
// tests use shorter ones), so they live inline.
struct OrderId {
  static constexpr size_t kMax = 26;
  char chars[kMax] = {};
  uint8_t size = 0;
  std::string_view view() const { return {chars, size}; }
  static bool Fits(std::string_view id) { return id.size() <= kMax; }
  static OrderId Of(std::string_view id) {
    OrderId o;
    o.size = static_cast<uint8_t>(id.size());
    std::memcpy(o.chars, id.data(), id.size());
    return o;
  }
};

struct OrderRecord {
  OrderId id;
  bool paid = false;
  uint8_t type = 0;              // index into the engine's order types
  uint16_t state = 0;            // lifecycle::StateId
  uint16_t held_from = 0;        // state before on_hold, for "@previous"
  NameId tenant = 0;
  NameId channel = 0;
  uint32_t flags = 0;            // model::OrderFlag bits
  uint32_t event_count = 0;      // events recorded so far
  Micros placed_at = 0;
  Micros created_at = 0;
  Micros updated_at = 0;
  Micros reserved_until = 0;     // unpaid orders release stock at this time; 0: never
  Micros promise_at = 0;         // promised delivery, 0: none (routing takes the policy's)
  uint32_t region = 0;           // destination GB/T 2260 code as a number; 0: none or abroad
  OrderBlock block;              // lines and immutable bytes
};

}  // namespace orderhub::engine
