// Commands the engine applies, and what applying one returns.
//
// A command is complete: the writer stamps the time (`now`) and any new ids
// into it before it reaches the engine, so applying the same commands in the
// same order always gives the same state. That is what makes a journal replay
// exact and the engine testable without a server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "model/order.h"
#include "routing/routing.h"

namespace orderhub::engine {

struct CreateOrder {
  model::Order order;           // id, created_at and tenant already stamped
  // What the engine keeps but never decides on (prices, address, ...),
  // encoded by codec/ when the command is made (codec::EncodeDetails); the
  // engine holds it as opaque bytes. Empty in engine tests that need no
  // documents.
  std::string detail;
  std::vector<std::string> line_details;  // one per line, or none
  std::string idempotency_key;  // may be empty
  std::string request_hash;     // digest of the body, to refuse a reused key
  Micros reservation_ttl = 30 * 60 * kMicrosPerSecond;  // for unpaid orders
  // Priority inputs from the order's extension attributes (customer_tier,
  // priority_boost), read by codec/.
  std::string customer_tier;
  double priority_boost = 0;
};

struct FireEvent {
  std::string tenant;
  std::string order_id;
  std::string event;            // lifecycle event name, e.g. "ship"
  std::string actor;            // role of the caller, checked against the lifecycle
  std::string reason;
  std::string carrier;          // optional, recorded with "ship"
  std::string tracking_number;  // optional, recorded with "ship"
};

struct AttachTracking {
  std::string tenant;
  std::string order_id;
  Micros at = 0;                // when it happened (from the carrier), not when received
  std::string code;             // "loaded", "entered_expressway", "arrived_at_hub", ...
  std::string description;
  std::string location;
  std::string actor;
};

struct UpsertNode {
  model::Node node;
};

struct UpsertSku {
  model::Sku sku;
};

// Sets absolute levels (stock count). Absent fields keep their value.
struct SetStock {
  std::string tenant;
  std::string sku;
  std::string node;
  std::optional<int64_t> on_hand;
  std::optional<int64_t> safety;
  std::string reason;
};

// Adds `delta` to on hand (receipt > 0, damage or loss < 0).
struct AdjustStock {
  std::string tenant;
  std::string sku;
  std::string node;
  int64_t delta = 0;
  std::string reason;
};

// Releases the reservations of unpaid orders whose time is up. The writer
// issues it on a timer; it is journaled like any command so replay agrees.
struct ExpireReservations {};

// A tenant's routing (engine/sourcing.h): its explicit lanes and transfers,
// and its policy, each replacing the previous whole; `text` is the document
// as given.
struct SetLanes {
  std::string tenant;
  std::string text;
  routing::Links links;
};

struct SetPolicy {
  std::string tenant;
  std::string text;
  routing::Policy policy;
};

// A region (code prefix) or a road closed, or open again: every lane
// through it closes. Nodes going down or losing capacity are node updates.
struct Disrupt {
  std::string tenant;
  std::string target;  // "44", "4401", "440106", or a road name such as "G4"
  bool close = true;
  std::string reason;
};

// Routes an order's unshipped lines again, from scratch, with manual
// overrides that stay with the order (re-plans respect them too). The old
// reservations count as free for the new plan; it replaces them whole or
// not at all.
struct Reroute {
  std::string tenant;
  std::string order_id;
  std::string pin_node;                 // only this node; empty: free
  std::vector<std::string> forbid_nodes;
  bool clear_overrides = false;         // drop earlier pins and forbids first
  std::string actor;
  std::string reason;
};

// Re-plans a tenant's open orders (routed, holding stock, not yet released)
// together: engine/replan.cc. Disruptions run one over the orders they break.
struct Replan {
  std::string tenant;
  bool only_broken = false;  // only orders whose plan can no longer ship as planned
  // Every open order, also those nothing has improved for since they were
  // decided (the default skips them: they cannot find a better plan).
  bool every_order = false;
  // With only_broken: the orders a disruption can have broken, to save
  // pricing every open plan. Orders with a line at one of `nodes`, or
  // delivering into a region starting with `region`. Both empty: all.
  std::vector<uint32_t> nodes;  // model::NodeIndex
  std::string region;
  std::string actor;
  std::string reason;
  // Sweeps over the open orders while one moves something (1..3). A
  // second finds what the moves of the first made possible: about an
  // eighth more saving for as much time again (BENCHMARKS.md).
  int64_t passes = 1;
  // Then let orders trade stock (engine/replan.cc, Swaps): not with only_broken.
  bool swaps = false;
};

using CommandBody = std::variant<CreateOrder, FireEvent, AttachTracking, UpsertNode, UpsertSku, SetStock,
                                 AdjustStock, ExpireReservations, SetLanes, SetPolicy, Disrupt, Reroute, Replan>;

struct Command {
  Micros now = 0;
  CommandBody body;
};

// What applied commands changed, for the store's query tables. The engine
// appends; the writer drains it once per batch.
struct Changes {
  std::vector<model::NewOrderEvent> events;     // history entries to append
  std::vector<model::NodeIndex> nodes;          // nodes upserted
  std::vector<model::SkuIndex> skus;            // skus upserted
  // Idempotency keys past Engine::kIdempotencyTtl: (tenant, key).
  std::vector<std::pair<std::string, std::string>> expired_idempotency_keys;
  void Clear() {
    events.clear();
    nodes.clear();
    skus.clear();
    expired_idempotency_keys.clear();
  }
};

struct Outcome {
  Status status;                 // not OK: rejected, nothing changed
  // For CreateOrder: the order id (new, or the original one on an idempotent
  // replay or a duplicate channel order id). Points into the engine's record,
  // which never moves: valid as long as the engine.
  std::string_view order_id;
  bool replayed = false;         // idempotent replay of an earlier create
  bool mutated = false;          // something changed (journal it)
};

}  // namespace orderhub::engine
