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
//
// Memory: orders are packed records, one allocation each (order_record.h); names are interned;
// maps are open-addressing (absl) keyed by record index, so an id or a
// channel order id is stored once, in its record.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/arena.h"
#include "engine/command.h"
#include "engine/huge_pages.h"
#include "engine/inventory_pool.h"
#include "engine/order_record.h"
#include "engine/sourcing.h"
#include "lifecycle/lifecycle.h"
#include "model/order.h"

namespace orderhub::engine {

class Engine;

// A search among a tenant's orders (engine/order_search.cc). The engine
// keeps postings (record indices sorted by id) per tenant, sku and customer,
// so order reads need no SQL index written on every commit.
struct OrderFilter {
  std::string tenant;
  std::string sku, customer_id;                // empty: any
  std::string state, channel, order_type;      // empty: any
  Micros created_from = 0, created_to = 0;     // 0: open
  std::string before;                          // cursor: ids sorting before this one
  int limit = 50;
  // Extension-attribute filter on the raw attributes JSON; empty: any.
  std::function<bool(std::string_view attributes)> attributes_match;
  // A filter on the order's codec-encoded details (codec/order_detail.h); empty: any.
  std::function<bool(std::string_view detail)> detail_match;
  std::string node;  // orders with a line placed at this node (a partner's view); empty: any
};

struct OrderMatches {
  std::vector<uint32_t> orders;                // newest first
  std::string next_cursor;                     // empty when there is no more
};

// A read-only look at one order. Valid until the next Apply.
class OrderView {
 public:
  OrderView(const Engine* e, uint32_t index);

  const OrderRecord& record() const { return *r_; }
  std::string_view id() const { return r_->id.view(); }
  std::string_view tenant() const;
  std::string_view channel() const;
  std::string_view order_type() const;
  std::string_view state() const;
  std::string_view channel_order_id() const { return r_->block.segment(OrderBlock::kChannelOrderId); }
  std::string_view customer_id() const { return r_->block.segment(OrderBlock::kCustomerId); }
  std::string_view attributes() const { return r_->block.segment(OrderBlock::kAttributes); }
  // codec/'s encoding of the rest of the order and of each line.
  std::string_view detail() const { return r_->block.segment(OrderBlock::kDetail); }
  std::string_view line_detail(size_t i) const {
    return r_->block.segment(OrderBlock::kFirstLine + static_cast<uint32_t>(i));
  }
  // The line records: one per line, more for a line split between nodes.
  std::span<const LineRecord> lines() const;
  size_t line_count() const;  // the order's lines
  std::span<const LineRecord> line_parts(size_t line) const;  // the records of one
  std::string_view line_sku(size_t line) const;
  // Where a line is placed (empty: nowhere yet) and where its parcel leaves
  // when its units are transferred there first (else empty); for a line
  // split between nodes, its first part's.
  std::string_view line_node(size_t line) const { return node_code(line_parts(line)[0].node); }
  std::string_view line_ship_node(size_t line) const { return node_code(line_parts(line)[0].ship_node); }
  std::string_view node_code(model::NodeIndex n) const;  // empty for kNone
  // Whether a line of the order is placed at `node`, or ships from it.
  bool AssignedTo(std::string_view node) const;
  const std::vector<model::Shipment>& shipments() const;

 private:
  const Engine* e_;
  uint32_t index_;
  const OrderRecord* r_;
};

class Engine {
 public:
  // `lifecycles` must outlive the engine. `prefault_memory`: a helper thread
  // touches the memory orders will need ahead of time (engine/arena.h);
  // for servers on virtual machines, off in tests.
  explicit Engine(const lifecycle::LifecycleSet* lifecycles, bool prefault_memory = false);

  // An Idempotency-Key answers replays this long after its create, as the
  // payment APIs clients know do (Stripe: 24 hours): long enough for any
  // retry, and memory stays bounded. Later, the key is free again.
  static constexpr Micros kIdempotencyTtl = 24 * 3600 * kMicrosPerSecond;

  // Bytes of order records and blocks (engine/arena.h); the rest is heap.
  size_t arena_bytes() const { return arena_.used(); }

  // Applies one command. Appends what changed to `changes` (may be null).
  Outcome Apply(const Command& cmd, Changes* changes);

  // Snapshots (engine/snapshot.cc): the whole state as bytes handed to
  // `sink` piece by piece, and back. Load requires a fresh engine with the
  // same lifecycles; on any error the engine must be discarded. With
  // `backing` (which keeps `bytes` alive, 8-aligned), orders borrow their
  // blocks from `bytes` instead of copying them.
  void Save(const std::function<void(std::string_view)>& sink) const;
  Status Load(std::string_view bytes, std::shared_ptr<const void> backing = nullptr);
  // Greatest order id, so that new ids sort after every loaded one.
  std::string_view MaxOrderId() const { return max_id_.view(); }

  // Readers. Views and pointers stay valid until the next Apply.
  std::optional<OrderView> FindOrder(std::string_view tenant, std::string_view id) const;
  OrderView OrderAt(uint32_t index) const { return OrderView(this, index); }
  const model::Node* FindNode(std::string_view tenant, std::string_view code) const;
  const model::Sku* FindSku(std::string_view tenant, std::string_view code) const;
  const model::Node& NodeAt(model::NodeIndex n) const { return nodes_[n]; }
  const model::Sku& SkuAt(model::SkuIndex s) const { return skus_[s]; }
  // Levels of a sku at every node that holds it: (node code, level).
  std::vector<std::pair<std::string, model::StockLevel>> StockOf(std::string_view tenant,
                                                                 std::string_view sku) const;
  const model::StockLevel* Stock(std::string_view tenant, std::string_view sku, std::string_view node) const;
  // Channels paused for this sku right now (available below their threshold).
  std::vector<std::string> PausedChannels(std::string_view tenant, std::string_view sku) const;
  // Newest first. Examines at most `scan_budget` candidates: a page can come
  // back short with a next_cursor, and the caller goes on from there.
  OrderMatches FindOrders(const OrderFilter& f, size_t scan_budget = 100'000) const;
  // Earliest reserved_until among unpaid open orders, 0 when none.
  Micros NextExpiry() const { return expiries_.empty() ? 0 : expiries_.begin()->first; }
  size_t order_count() const { return orders_.size(); }
  // Orders per (order type, state), for /metrics.
  std::map<std::pair<std::string, std::string>, int64_t> StateCounts() const;
  // Routing (engine/engine_routing.cc). A quote answers, for a basket and
  // an address, what routing an order would decide now, and reserves
  // nothing: the decision as JSON (routing::DecisionJson).
  struct QuoteLine {
    std::string sku;
    int64_t quantity = 0;
  };
  struct QuoteRequest {
    std::string tenant;
    std::string region_code;
    Micros now = 0;
    Micros promise_at = 0;  // 0: the policy's
    uint32_t flags = 0;     // model::OrderFlag
    std::vector<QuoteLine> lines;
  };
  Result<std::string> Quote(const QuoteRequest& q) const;
  // The network the tenant's orders are routed on now (nodes with their
  // load, lanes, closures, policy) as JSON; NotFound when it has none.
  Result<std::string> NetworkJson(std::string_view tenant) const;
  // The report of the tenant's last re-plan (engine/replan.cc) as JSON; empty when none ran.
  std::string LastReplan(std::string_view tenant) const;
  // The tenants that route their orders (have a node), for timed re-plans.
  std::vector<std::string> RoutedTenants() const;
  // Priority (engine/priority.cc): orders waiting for stock, and the orders
  // a node is to ship (holding stock there, not yet released), highest
  // priority first, priority as of `now`.
  struct Queued {
    uint32_t order = 0;
    double priority = 0;
    Micros since = 0;  // backorders: waiting since
  };
  std::vector<Queued> Backorders(std::string_view tenant, Micros now) const;
  std::vector<Queued> ReleaseQueue(std::string_view tenant, std::string_view node, Micros now, size_t limit) const;
  template <typename F>
  void ForEachNode(std::string_view tenant, F&& f) const {
    for (const model::Node& n : nodes_) if (n.tenant == tenant) f(n);
  }
  template <typename F>
  void ForEachSku(std::string_view tenant, F&& f) const {
    for (const model::Sku& s : skus_) if (s.tenant == tenant) f(s);
  }

 private:
  friend class OrderView;

  // Debian's absl has its own string_view, so std::string_view lookups need
  // their own transparent hash.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  // Interned names, ids dense from 0.
  class Names {
   public:
    static constexpr NameId kNone = UINT32_MAX;
    NameId Find(std::string_view name) const;
    NameId Intern(std::string_view name);
    const std::string& Name(NameId id) const { return names_[id]; }
    size_t size() const { return names_.size(); }

   private:
    absl::flat_hash_map<std::string, NameId, StringHash, StringHash> ids_;
    std::deque<std::string> names_;  // a deque: events point at these (model::NewOrderEvent)
  };
  using Records = std::deque<OrderRecord, ArenaAllocator<OrderRecord>>;
  // Order lookup by id and by (tenant, channel, channel order id): sets of
  // record indices, each beside 32 bits of its key's hash. Keys are read
  // through the records, so none is stored twice; and the stored hash lets a
  // growing table rehash, and a probe skip non-matches, without reading a
  // record (each read would be a cache miss).
  struct Slot {
    uint32_t index;
    uint32_t hash;
  };
  struct IdKey {
    std::string_view id;
    uint32_t hash;
  };
  struct ChannelKey {
    NameId tenant, channel;
    std::string_view channel_order_id;
    uint32_t hash;
  };
  static uint32_t HashId(std::string_view id);
  static uint32_t HashChannel(NameId tenant, NameId channel, std::string_view channel_order_id);
  struct ById {
    using is_transparent = void;
    const Records* orders;
    std::string_view Id(Slot s) const { return (*orders)[s.index].id.view(); }
    size_t operator()(Slot s) const { return s.hash; }
    size_t operator()(const IdKey& k) const { return k.hash; }
    bool operator()(Slot a, Slot b) const { return a.hash == b.hash && Id(a) == Id(b); }
    bool operator()(Slot a, const IdKey& k) const { return a.hash == k.hash && Id(a) == k.id; }
    bool operator()(const IdKey& k, Slot a) const { return (*this)(a, k); }
  };
  struct ByChannel {
    using is_transparent = void;
    const Records* orders;
    bool Same(Slot a, NameId tenant, NameId channel, std::string_view channel_order_id) const {
      const OrderRecord& r = (*orders)[a.index];
      return r.tenant == tenant && r.channel == channel &&
             r.block.segment(OrderBlock::kChannelOrderId) == channel_order_id;
    }
    size_t operator()(Slot s) const { return s.hash; }
    size_t operator()(const ChannelKey& k) const { return k.hash; }
    bool operator()(Slot a, Slot b) const {
      const OrderRecord& r = (*orders)[b.index];
      return a.hash == b.hash && Same(a, r.tenant, r.channel, r.block.segment(OrderBlock::kChannelOrderId));
    }
    bool operator()(Slot a, const ChannelKey& k) const {
      return a.hash == k.hash && Same(a, k.tenant, k.channel, k.channel_order_id);
    }
    bool operator()(const ChannelKey& k, Slot a) const { return (*this)(a, k); }
  };
  struct IdempotencyEntry {
    std::string request_hash;
    uint32_t order = 0;
    Micros at = 0;  // when the create was applied
  };
  using CodeMap = absl::flat_hash_map<std::string, uint32_t, StringHash, StringHash>;

  Outcome ApplyCreate(const CreateOrder& c, Micros now, Changes* ch);
  Outcome ApplyFire(const FireEvent& c, Micros now, Changes* ch);
  Outcome ApplyTracking(const AttachTracking& c, Micros now, Changes* ch);
  Outcome ApplyUpsertNode(const UpsertNode& c, Micros now, Changes* ch);
  Outcome ApplyUpsertSku(const UpsertSku& c, Changes* ch);
  Outcome ApplySetStock(const SetStock& c, Micros now, Changes* ch);
  Outcome ApplyAdjustStock(const AdjustStock& c, Micros now, Changes* ch);
  Outcome ApplyExpire(Micros now, Changes* ch);
  Outcome ApplySetLanes(const SetLanes& c);
  Outcome ApplySetPolicy(const SetPolicy& c);
  Outcome ApplyDisrupt(const Disrupt& c, Micros now, Changes* ch);
  Outcome ApplyReroute(const Reroute& c, Micros now, Changes* ch);
  Outcome ApplyReplan(const Replan& c, Micros now, Changes* ch);
  // One order routed again against everyone else's current plan; true when
  // it moved. `broken`: its current plan cannot ship as planned.
  struct ReplanTally;
  bool ReplanOrder(uint32_t idx, Micros now, std::string_view actor, std::string_view reason, bool only_broken,
                   bool every_order, ReplanTally* tally, Changes* ch);
  // Orders taking units other open orders hold (replan.cc). Returns the swaps made.
  int64_t Swaps(std::span<const uint32_t> open, Micros now, const Replan& c, ReplanTally* tally, Changes* ch);
  // What an order reserves, by (sku << 32 | node): the credits of a re-route.
  std::vector<std::pair<uint64_t, int64_t>> Holdings(uint32_t idx) const;

  // What routing an order's lines needs besides the lines.
  struct RouteContext {
    NameId tenant = 0;
    std::string_view region;      // six digits; empty: not routed (abroad, none)
    Micros now = 0, promise_at = 0;
    const RoutingOverride* overrides = nullptr;
    // Units reserved by the order itself that count as free: (sku << 32 | node, units).
    std::span<const std::pair<uint64_t, int64_t>> credits;
    bool all_stock = false;  // as if nothing were reserved (PoolStock::IgnoreReservations)
  };
  struct RouteResult {
    bool lean = false;  // no alternatives (re-plans)
    routing::Decision decision;  // lines numbered as in the order; nodes as in `network`
    const routing::Network* network = nullptr;
    int64_t cost = 0;  // the chosen plan's
    double p_on_time = 0;
    double score = 0;
    bool routed = false;  // the network decided (else: outside routing)
  };
  // Routes the open lines with the tenant's network and fills their nodes;
  // lines already placed are priced where they are. nullopt: the order is
  // outside routing (no network, an unknown region, a line placed at a node
  // outside the network): source by stock alone.
  std::optional<Status> Route(std::vector<LineRecord>& lines, std::span<const uint32_t> open, uint32_t flags,
                              const RouteContext& rc, RouteResult* result) const;
  TenantRouting& RoutingFor(NameId tenant);
  // Node loads count what was assigned on the current day (China time):
  // a command on a new day starts them from zero.
  void RollLoadDay(Micros now);
  // `applied`, when given, gets per line the (orders, units) added, for
  // UndoLoad: loads stop at zero, so minus one is not always undone by plus one.
  using LoadDeltas = std::vector<std::pair<int64_t, int64_t>>;
  void AddLoad(NameId tenant, std::span<const LineRecord> lines, int sign, LoadDeltas* applied = nullptr);
  void UndoLoad(NameId tenant, std::span<const LineRecord> lines, const LoadDeltas& applied);
  // Puts the order's lines where `placed` (the same lines, routed again:
  // Unplaced, then PlanReservations) puts them: the old reservations
  // released, the new taken, the day's load moved, its plan's cost and stamp
  // updated. Returns the nodes before and after, as comma-separated codes.
  std::pair<std::string, std::string> MovePlan(uint32_t idx, std::span<LineRecord> placed, const RouteResult& plan);
  // MovePlan's halves, for two orders trading stock (a re-plan's swaps):
  // Unhold releases what the order holds and its load (`next`: where it goes,
  // so that a sku it keeps at a node is not reported freed); Hold takes
  // `placed`. Each returns the order's nodes then.
  std::string Unhold(uint32_t idx, std::span<const LineRecord> next);
  std::string Hold(uint32_t idx, std::span<LineRecord> placed, const RouteResult& plan);
  // Whether routing may still move the order: it holds stock, nothing has
  // shipped, and it is not released to a warehouse nor finished.
  bool Reroutable(const OrderRecord& o) const;
  // The order's plan priced where its lines are now, each pinned to its
  // node: `r->routed` false when it can no longer ship so (broken).
  void PriceAsPlaced(uint32_t idx, const RouteContext& rc, RouteResult* r) const;
  // After a transition: an order that can no longer move leaves open_plans_
  // and overrides_.
  void SettlePlan(uint32_t idx);

  // Chooses a node for each stock line that has none and checks every line
  // can be reserved. Fills `node` of the lines, and splits a line no node
  // can fill alone into parts (more records); mutates nothing else.
  // With `route`, the tenant's routing network chooses (Route).
  Status PlanReservations(std::vector<LineRecord>& lines, uint32_t flags, const RouteContext* route = nullptr,
                          RouteResult* routed = nullptr) const;
  Status ResolveSkuNode(std::string_view tenant, std::string_view sku, std::string_view node,
                        model::SkuIndex* s, model::NodeIndex* n) const;
  uint32_t FindIndex(std::string_view tenant, std::string_view id) const;  // kNone when absent
  model::SkuIndex FindSkuIndex(NameId tenant, std::string_view code) const;
  model::NodeIndex FindNodeIndex(NameId tenant, std::string_view code) const;
  const lifecycle::Lifecycle& LifecycleOf(const OrderRecord& o) const { return *types_[o.type]; }
  // Drops idempotency keys older than kIdempotencyTtl at `now`, reporting
  // them in `ch` so the store drops their answers too.
  void ExpireIdempotencyKeys(Micros now, Changes* ch);
  void ReleaseStock(uint32_t idx, Changes* ch);
  void ConsumeStock(uint32_t idx, Changes* ch);
  // The lines with no node and nothing reserved, the parts of a split line
  // joined again: what routing places afresh.
  static std::vector<LineRecord> Unplaced(std::span<const LineRecord> lines);
  // Makes `placed` the order's lines, reserving what they place and do not
  // hold yet (its current lines must hold nothing `placed` does not).
  void Place(OrderRecord& o, std::span<LineRecord> placed);
  void SetState(OrderRecord& o, uint16_t to);
  // Postings stay sorted by id: ids are issued before commands are applied,
  // so two creates can arrive a little out of id order.
  // `newest`: the order's id is above every one posted before.
  template <typename List>
  void Post(List& postings, uint32_t idx, bool newest) const;
  void Index(uint32_t idx);  // adds a new order to the postings
  // `kind` must outlive the batch the event goes to: pass a literal.
  void Record(uint32_t idx, Micros at, std::string_view kind, std::string_view event, uint16_t from, uint16_t to,
              std::string_view actor, std::string_view reason, std::string data, Changes* ch);
  // Record for a routed change: the event's data is the fields in `head` (a
  // JSON object left open; "{" for none) and then "routing", the decision,
  // which the committer renders (model::LateData): rendering costs more than
  // deciding.
  void RecordRouted(uint32_t idx, Micros at, std::string_view kind, std::string_view event, std::string_view actor,
                    std::string_view reason, std::string head, RouteResult& routed, Changes* ch);

  const lifecycle::LifecycleSet* lifecycles_;
  std::vector<const lifecycle::Lifecycle*> types_;  // OrderRecord::type indexes this
  std::vector<std::string> type_names_;
  Names tenants_, channels_;
  Arena arena_;                                     // records and blocks; outlives orders_
  Records orders_;                                  // by index; a deque never moves a record
  absl::flat_hash_set<Slot, ById, ById, HugePageAllocator<Slot>> order_by_id_;
  absl::flat_hash_set<Slot, ByChannel, ByChannel, HugePageAllocator<Slot>> order_by_channel_id_;
  absl::flat_hash_map<uint32_t, std::vector<model::Shipment>> shipments_;  // by order index
  std::unordered_map<std::string, IdempotencyEntry> idempotency_;         // JoinKey(tenant, key)
  std::deque<std::string> idempotency_fifo_;        // the same keys, oldest first
  std::vector<model::Node> nodes_;
  // What sourcing reads of a node, beside it: no string compare per candidate.
  struct NodeGate {
    bool down = false;
    uint32_t capabilities = 0;
  };
  std::vector<NodeGate> node_gates_;                // by NodeIndex
  std::vector<CodeMap> node_by_code_;               // by tenant NameId
  std::vector<model::Sku> skus_;
  std::vector<bool> sku_pausable_;                  // by SkuIndex: has channel pause rules
  std::vector<CodeMap> sku_by_code_;                // by tenant NameId
  InventoryPool pool_;
  std::set<std::pair<Micros, uint32_t>> expiries_;  // (reserved_until, order)
  std::vector<std::vector<uint32_t, HugePageAllocator<uint32_t>>> orders_by_tenant_;  // by tenant NameId, sorted by id
  std::vector<std::vector<uint32_t>> orders_by_sku_;  // by SkuIndex, sorted by id
  // Most customers place a few orders: their postings stay inside the map's
  // slot (the same 24 bytes a std::vector takes), without an allocation.
  using CustomerPostings = absl::InlinedVector<uint32_t, 4>;
  using Postings = absl::flat_hash_map<std::string, CustomerPostings, StringHash, StringHash,
                                       HugePageAllocator<std::pair<const std::string, CustomerPostings>>>;
  std::vector<Postings> orders_by_customer_;          // by tenant NameId, then customer id
  OrderId max_id_;                                    // greatest id indexed so far
  std::vector<std::vector<int64_t>> state_counts_;  // [type][state]
  std::shared_ptr<const void> backing_;             // the snapshot loaded blocks borrow from
  std::vector<LineRecord> scratch_lines_;           // reused by ApplyCreate
  mutable std::vector<std::pair<uint64_t, int64_t>> scratch_taken_;  // reused by PlanReservations
  mutable std::vector<std::pair<model::SkuIndex, int64_t>> scratch_wants_;  // reused by PlanReservations
  std::vector<std::string_view> scratch_segments_;
  // Routing: per tenant NameId (null: no node yet); the derived networks are
  // rebuilt lazily by readers too, hence mutable.
  mutable std::vector<std::unique_ptr<TenantRouting>> routing_;
  std::vector<std::pair<int64_t, int64_t>> node_load_;  // by NodeIndex: (orders, lines) assigned today
  int64_t load_day_ = 0;                                // the day node_load_ counts
  absl::flat_hash_map<uint32_t, RoutingOverride> overrides_;  // by order index
  // Routed orders that can still be routed again (holding stock, not yet
  // released): what their plan cost when it was decided. Re-routes report
  // the difference; re-plans start from here.
  struct OpenPlan {
    int64_t cost = 0;
    double p_on_time = 0;
    uint64_t decided = 0;  // route_seq_ when it was decided
    double priority = 0;   // without urgency, which grows as the promise nears
  };
  // Orders waiting for stock (policy `backorder`), filled by priority when it arrives.
  struct Waiting {
    double priority = 0;  // without urgency
    Micros since = 0;
  };
  absl::flat_hash_map<uint32_t, Waiting> backorders_;  // by order index
  double BasePriority(NameId tenant, const CreateOrder& c) const;
  double PriorityAt(uint32_t idx, double base, Micros now) const;
  // After stock of `sku` became more available: fills the tenant's waiting
  // orders that want it, highest priority first, each whole or not at all.
  void FillBackorders(NameId tenant, model::SkuIndex sku, Micros now, Changes* ch);
  absl::flat_hash_map<uint32_t, OpenPlan> open_plans_;  // by order index
  // What could make a decided plan improvable, stamped from one counter: a
  // sku's stock becoming more available anywhere, a tenant's network getting
  // better (a node up or added, capacity up, lanes, policy, a reopening, a new
  // day's loads). A plan decided after both stamps of its skus and tenant
  // cannot improve: re-plans skip it.
  uint64_t route_seq_ = 0;
  std::vector<uint64_t> sku_better_;     // by SkuIndex
  std::vector<uint64_t> tenant_better_;  // by tenant NameId
  void SkuBetter(model::SkuIndex s);
  // Units of `s` freed at a node that had `available_before` free. A node
  // serves a line when it has the line's units free, so units added where
  // kPlentyUnits or more were free already give no order a node it did not
  // have (lines of more units aside): only a scarce node's stamps the sku.
  void StockFreed(model::SkuIndex s, int64_t available_before);
  static constexpr int64_t kPlentyUnits = 64;
  void TenantBetter(NameId t);
  bool Improvable(uint32_t idx, const OpenPlan& plan) const;
  std::vector<std::string> last_replan_;                // by tenant NameId: the report, JSON
};

// "a\x1fb": the composite key of the idempotency map.
std::string JoinKey(std::string_view a, std::string_view b);

// An order event's data as JSON. A routed change's data is stored packed
// (model::kPackedEventData: its fields, then the decision as values) and
// rendered here, when read; any other data is JSON already.
std::string EventDataJson(std::string_view data);
// The routing decision in an event's data, as JSON; nullopt when it holds
// none. Reads packed data and the JSON of stores written before packing.
std::optional<std::string> EventDecisionJson(std::string_view data);

}  // namespace orderhub::engine
