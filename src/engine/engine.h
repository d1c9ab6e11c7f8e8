// The engine: the single writer that owns orders, the inventory pool and the
// catalog of nodes and skus, and applies commands to them.
//
// Pure and deterministic: no I/O, no threads, no clock. Time and ids arrive
// stamped in each Command, so the same commands in the same order always give
// the same state (that is how a journal replay rebuilds it). A command applies
// whole or not at all: every check runs before the first mutation.
//
// Thread safety: none. REQUIRES: one thread calls Apply and the readers (the
// writer thread of app/, or a test).
//
// An order's state follows its type's lifecycle (config/lifecycles/*.yaml);
// for the standard type:
//
//   created ─confirm→ confirmed ─allocate→ allocated ─release_to_warehouse→ released
//      │                  │  ↕hold/resume       │                              │
//      └──────cancel──────┴────────cancel───────┴──────────cancel──────────────┘→ cancelled
//   released ─pick→ picked ─ship→ shipped ─deliver→ delivered ─close→ closed
//
// Stock is reserved when an order is created (unpaid orders until
// reserved_until), released on cancel or expiry, consumed on ship.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/command.h"
#include "engine/inventory_pool.h"
#include "lifecycle/lifecycle.h"
#include "model/order.h"

namespace orderhub::engine {

class Engine {
 public:
  // `lifecycles` must outlive the engine.
  explicit Engine(const lifecycle::LifecycleSet* lifecycles);

  // Applies one command. Appends what changed to `changes` (may be null).
  Outcome Apply(const Command& cmd, Changes* changes);

  // Readers. Pointers stay valid until the next Apply.
  const model::Order* FindOrder(std::string_view tenant, std::string_view id) const;
  // Any tenant's order: for the writer's own bookkeeping, never for answers.
  const model::Order* FindOrderById(std::string_view id) const;
  const model::Node* FindNode(std::string_view tenant, std::string_view code) const;
  const model::Sku* FindSku(std::string_view tenant, std::string_view code) const;
  // Levels of a sku at every node that holds it: (node code, level).
  std::vector<std::pair<std::string, model::StockLevel>> StockOf(std::string_view tenant,
                                                                 std::string_view sku) const;
  const model::StockLevel* Stock(std::string_view tenant, std::string_view sku, std::string_view node) const;
  // Channels paused for this sku right now (available below their threshold).
  std::vector<std::string> PausedChannels(const model::Sku& sku) const;
  std::string_view StateName(const model::Order& o) const;
  bool IsTerminal(const model::Order& o) const;
  const lifecycle::LifecycleSet& lifecycles() const { return *lifecycles_; }
  // Earliest reserved_until among unpaid open orders, 0 when none.
  Micros NextExpiry() const { return expiries_.empty() ? 0 : expiries_.begin()->first; }
  size_t order_count() const { return orders_.size(); }
  // Open and closed orders per (order type, state), for /metrics.
  const std::map<std::pair<std::string, std::string>, int64_t>& state_counts() const { return state_counts_; }
  template <typename F>
  void ForEachNode(std::string_view tenant, F&& f) const {
    for (const model::Node& n : nodes_) if (n.tenant == tenant) f(n);
  }
  template <typename F>
  void ForEachSku(std::string_view tenant, F&& f) const {
    for (const SkuEntry& s : skus_) if (s.sku.tenant == tenant) f(s.sku);
  }

 private:
  struct SkuEntry {
    model::Sku sku;
  };
  struct IdempotencyEntry {
    std::string request_hash;
    uint32_t order = 0;
  };

  Outcome ApplyCreate(const CreateOrder& c, Micros now, Changes* ch);
  Outcome ApplyFire(const FireEvent& c, Micros now, Changes* ch);
  Outcome ApplyTracking(const AttachTracking& c, Micros now, Changes* ch);
  Outcome ApplyUpsertNode(const UpsertNode& c, Changes* ch);
  Outcome ApplyUpsertSku(const UpsertSku& c, Changes* ch);
  Outcome ApplySetStock(const SetStock& c, Changes* ch);
  Outcome ApplyAdjustStock(const AdjustStock& c, Changes* ch);
  Outcome ApplyExpire(Micros now, Changes* ch);

  // Chooses a node for each line that does not name one and checks every line
  // can be reserved. Fills node_index of the lines; mutates nothing else.
  Status PlanReservations(const std::string& tenant, std::vector<model::Line>& lines, uint32_t flags) const;
  Status ResolveSkuNode(std::string_view tenant, std::string_view sku, std::string_view node,
                        model::SkuIndex* s, model::NodeIndex* n) const;
  void ReleaseStock(model::Order& o, Changes* ch);
  void ConsumeStock(model::Order& o, Changes* ch);
  void SetState(model::Order& o, uint16_t to);
  void Record(model::Order& o, Micros at, std::string kind, std::string event, uint16_t from, uint16_t to,
              std::string actor, std::string reason, std::string data, Changes* ch);
  void Touch(const model::Order& o, Changes* ch) const;
  void TouchStock(const model::Order& o, const model::Line& l, Changes* ch) const;
  model::Order* MutableOrder(std::string_view tenant, std::string_view id);

  const lifecycle::LifecycleSet* lifecycles_;
  std::vector<model::Order> orders_;
  std::unordered_map<std::string, uint32_t> order_by_id_;
  std::unordered_map<std::string, uint32_t> order_by_channel_id_;  // tenant, channel, channel order id
  std::unordered_map<std::string, IdempotencyEntry> idempotency_;  // tenant, key
  std::vector<model::Node> nodes_;
  std::unordered_map<std::string, model::NodeIndex> node_by_code_;  // tenant, code
  std::vector<SkuEntry> skus_;
  std::unordered_map<std::string, model::SkuIndex> sku_by_code_;    // tenant, code
  InventoryPool pool_;
  std::set<std::pair<Micros, uint32_t>> expiries_;                  // (reserved_until, order)
  std::map<std::pair<std::string, std::string>, int64_t> state_counts_;
};

// "a\x1fb\x1fc": the composite keys of the engine's maps.
std::string JoinKey(std::string_view a, std::string_view b);
std::string JoinKey(std::string_view a, std::string_view b, std::string_view c);

}  // namespace orderhub::engine
