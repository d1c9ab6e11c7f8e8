// The channel-independent order (订单元模型): plain data, no behaviour.
//
// Five parts, as the industry describes an order:
//   initiator      tenant, channel, channel order id, customer, placed-at time
//   deliverables   lines: sku, quantity, prices in integer minor units; a line
//                  may be a service with an appointment window
//   constraints    ship-to address, delivery window, promise time, carrier
//                  preference, flags (cold chain, hazardous, ...)
//   fulfilment     node per line, reservations, shipments (filled by the engine)
//   lifecycle      order type and current state; the event history lives in
//                  the store (query table order_events), not in memory
// plus extension attributes: a JSON object per order and per line, kept as
// the exact text the channel sent.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace orderhub::model {

using SkuIndex = uint32_t;
using NodeIndex = uint32_t;
inline constexpr uint32_t kNone = UINT32_MAX;

// Order flags, a bit set (wire names in codec/order_codec.cc).
enum OrderFlag : uint32_t {
  kColdChain = 1u << 0,
  kHazardous = 1u << 1,
  kCrossBorder = 1u << 2,
  kInvoiceRequired = 1u << 3,
  kFragile = 1u << 4,
  kGift = 1u << 5,
};

struct Line {
  std::string sku;
  int32_t quantity = 0;
  int64_t unit_price = 0;       // minor units of the order currency
  int64_t discount = 0;         // for the whole line, minor units
  bool is_service = false;      // installation, test drive, training...
  Micros appointment_start = 0; // service lines only
  Micros appointment_end = 0;
  std::string attributes;       // raw JSON object text, empty when none
  // Fulfilment, filled by the engine.
  SkuIndex sku_index = kNone;
  NodeIndex node_index = kNone;  // where the line is reserved / ships from
  std::string node;              // requested node (input) or chosen node code
  int32_t reserved = 0;          // units currently reserved at node_index
  int32_t shipped = 0;

  int64_t Total() const { return unit_price * quantity - discount; }
};

struct Address {
  std::string country = "CN";   // ISO 3166-1 alpha-2
  std::string region_code;      // GB/T 2260, six digits, in China
  std::string postal_code;
  std::string detail;           // street address
  std::string name;             // recipient (personal data)
  std::string phone;            // recipient (personal data)
  std::string email;            // recipient (personal data), optional
};

struct Shipment {
  std::string node;
  std::string carrier;
  std::string tracking_number;
  Micros shipped_at = 0;
};

struct Order {
  // Initiator.
  std::string id;               // time-sortable, see base/ids.h
  std::string tenant;
  std::string channel;
  std::string channel_order_id;
  std::string customer_id;
  Micros placed_at = 0;
  Micros created_at = 0;        // when the hub accepted it
  Micros updated_at = 0;
  // Deliverables.
  std::array<char, 4> currency{};  // ISO 4217, NUL-terminated
  std::vector<Line> lines;
  // Constraints.
  Address ship_to;
  Micros window_start = 0;      // delivery window, 0 when none
  Micros window_end = 0;
  Micros promise_at = 0;        // promised delivery time, 0 when none
  std::string carrier_preference;
  uint32_t flags = 0;
  // Payment and reservations.
  bool paid = false;
  Micros reserved_until = 0;    // unpaid orders release stock at this time; 0: never
  // Fulfilment.
  std::vector<Shipment> shipments;
  // Lifecycle.
  std::string order_type = "standard";
  uint16_t state = 0;           // lifecycle::StateId in the type's lifecycle
  uint16_t held_from = 0;       // state before on_hold, for "@previous"
  uint32_t event_count = 0;     // events recorded so far (next seq = event_count + 1)
  // Extensions.
  std::string attributes;       // raw JSON object text, empty when none

  int64_t Total() const {
    int64_t t = 0;
    for (const Line& l : lines) t += l.Total();
    return t;
  }
};

// One entry of an order's history: a lifecycle transition, or an action-level
// tracking event that does not change the state.
struct OrderEvent {
  std::string tenant;           // the order's; a history is read only by its tenant
  std::string order_id;
  uint32_t seq = 0;             // 1, 2, ... per order
  Micros at = 0;
  std::string kind;             // "created", "transition", "tracking", "expired", ...
  std::string event;            // lifecycle event name or tracking code
  std::string from_state;
  std::string to_state;
  std::string actor;
  std::string reason;
  std::string data;             // a JSON object with details, may be empty; or packed (below)
};

// The first byte of event data stored packed rather than as JSON (a routed
// change's decision: engine::EventDataJson renders it). JSON never starts so.
constexpr char kPackedEventData = '\x01';

// Event data that costs more to render than the command that made it (a
// routing decision with its alternatives): the engine keeps it as values
// and the committer renders it (packed: kPackedEventData), off the single
// writer's thread.
class LateData {
 public:
  virtual ~LateData() = default;
  virtual std::string Render() const = 0;
};

// The same entry as the engine emits it, until the store has written it.
// Names point at storage that outlives any batch (the lifecycle's state
// names, the engine's interned tenants, string literals) and the order id is
// held inline, so emitting one costs no allocation; what is the event's own
// (actor, reason, data) it owns.
struct NewOrderEvent {
  std::string_view tenant;
  char order_id_chars[32] = {};
  uint8_t order_id_size = 0;
  uint32_t seq = 0;
  Micros at = 0;
  std::string_view kind;
  std::string_view from_state;
  std::string_view to_state;
  std::string event;
  std::string actor;
  std::string reason;
  std::string data;
  std::unique_ptr<const LateData> late;  // when set, renders `data` (RenderLate)

  std::string_view order_id() const { return {order_id_chars, order_id_size}; }
  void RenderLate() {
    if (late == nullptr) return;
    data = late->Render();
    late.reset();
  }
};

struct Node {
  std::string code;
  std::string tenant;
  std::string name;
  std::string type = "warehouse";  // warehouse, store, 3pl, dc, bonded
  std::string region_code;
  double lat = 0, lng = 0;
  std::string status = "up";       // up, degraded, down
  uint32_t capabilities = 0;       // OrderFlag bits it can handle
  // What routing weighs (routing/routing.h has the meaning of each).
  int64_t capacity_orders = 0;     // a day; 0: unlimited
  int64_t capacity_lines = 0;
  int64_t cost_per_order = 0;      // handling, minor units
  int64_t cost_per_line = 0;
  int32_t cutoff_minute = 16 * 60; // local time (China) of the day's last pickup
  double on_time_rate = 0.97;      // share of its parcels handed over by the cut-off
};

struct Sku {
  std::string code;
  std::string tenant;
  std::string name;
  int64_t weight_g = 0;            // a unit, packed; 0: unknown (routing assumes 500 g)
  // Pause a channel for this sku when the pool's available quantity falls
  // below the threshold; it resumes by itself when stock returns.
  std::vector<std::pair<std::string, int64_t>> channel_pause_below;
};

struct StockLevel {
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t safety = 0;
  int64_t Available() const {
    const int64_t a = on_hand - reserved - safety;
    return a > 0 ? a : 0;
  }
};

}  // namespace orderhub::model
