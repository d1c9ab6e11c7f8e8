// The routing and sourcing engine (智能路由): which node(s) fulfil an order,
// by which lane, at what cost, when it arrives and how likely on time; with
// the alternatives and the reasons that ranked them.
//
// Pure and deterministic like the engine: no clock (the order carries
// `now`), no randomness, no I/O except Network::LoadFile. A Decider keeps
// per-destination caches and scratch space: one per thread.
//
// Money is in integer minor units (fen); the policy turns time, risk,
// carbon and load into money-equivalents so that plans compare on one
// score (lower is better). The formulas are in README.md ("Routing").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "geo/geo.h"

namespace orderhub::routing {

inline constexpr uint32_t kNoNode = UINT32_MAX;

enum class ServiceLevel : uint8_t { kStandard, kExpress, kAir, kFreight };
std::string_view ServiceLevelName(ServiceLevel l);
enum class NodeStatus : uint8_t { kUp, kDegraded, kDown };
std::string_view NodeStatusName(NodeStatus s);

struct Node {
  std::string code;
  std::string type = "warehouse";  // dc, warehouse, store, 3pl, bonded
  std::string region_code;         // GB/T 2260
  geo::Point at;
  int64_t capacity_orders = 0;     // a day; 0: unlimited
  int64_t capacity_lines = 0;      // a day; 0: unlimited
  int64_t load_orders = 0;         // assigned today
  int64_t load_lines = 0;
  int64_t cost_per_order = 0;      // handling, minor units
  int64_t cost_per_line = 0;
  int cutoff_minute = 16 * 60;     // local time of the day's last pickup
  int utc_offset_minutes = 8 * 60;
  uint32_t capabilities = 0;       // model::OrderFlag bits (cold chain, hazardous, cross-border)
  NodeStatus status = NodeStatus::kUp;
  double on_time_rate = 0.97;      // share of its shipments handed to the carrier by the cut-off
};

// Parcel price: per_parcel + first_weight_price for the first
// first_weight_g, then additional_per_kg for each started kilogram.
struct RateCard {
  int64_t per_parcel = 0;
  int64_t first_weight_g = 1000;
  int64_t first_weight_price = 0;
  int64_t additional_per_kg = 0;
  int64_t PriceOf(int64_t weight_g) const;
};

// Hours from pickup to delivery: a normal distribution (mean, spread).
struct Transit {
  double mean_hours = 0;
  double sd_hours = 0;
};

struct Lane {
  std::string origin;       // node code
  std::string destination;  // region code prefix: "44" (a province), "4401" (a city), "440106" (a county)
  std::string carrier;
  ServiceLevel level = ServiceLevel::kStandard;
  RateCard rate;
  Transit transit;
  double road_km = 0;       // 0: great-circle distance x kDetour
  // Region codes and road names it passes through: closing any closes it.
  std::vector<std::string> via;
};

// Stock moved between nodes before it ships (调拨): a scheduled run from
// `from` to `to`. A parcel may leave `to` carrying lines whose units wait at
// `from`, or further up a chain of transfers: one parcel instead of a split,
// later by the transfer's hours. Chains must not loop (Build refuses a cycle).
struct Transfer {
  std::string from, to;   // node codes
  double hours = 0;       // from dispatch at `from` to ready at `to`
  int64_t cost_per_order = 0;  // per run an order uses
  int64_t cost_per_unit = 0;
  // Region codes and road names it passes: closing one closes it, as for lanes.
  std::vector<std::string> via;
};

// A network's links besides its nodes: what a lanes document holds.
struct Links {
  std::vector<Lane> lanes;
  std::vector<Transfer> transfers;
};

// A node that can supply another through one transfer or a chain of them,
// its hours and costs summed. A supplier may come more than once, by other
// chains (up to three, the fastest).
struct Supplier {
  uint32_t node = 0;
  double hours = 0;
  int64_t cost_per_order = 0, cost_per_unit = 0;
  std::vector<uint32_t> chain;  // its transfers (indices into transfers()), supplier first
};

// Lanes not given are derived from the great-circle distance (README.md).
inline constexpr double kDetour = 1.25;  // road km per great-circle km

// How a tenant weighs cost against time, risk, carbon and load. The
// defaults are config/routing/default_policy.yaml (a test keeps them equal).
struct Policy {
  std::string name = "default";
  int max_shipments = 3;              // 1: never split
  int64_t split_penalty = 600;        // per shipment beyond the first
  double late_penalty = 3000;         // x the probability of missing the promise
  double hour_value = 5;              // per hour of p50 delivery time
  double carbon_price = 30;           // per kg CO2e
  double load_penalty = 1500;         // x utilisation^4 after assignment, per node
  double promise_hours = 72;          // the promise when the order has none
  int candidates = 24;                // nearest eligible nodes scored for one-parcel plans
  int split_candidates = 6;           // nearest eligible nodes per line for split plans
  int alternatives = 3;               // plans returned besides the chosen one
  // Scarcity (docs/ROUTING.md "Priority"): orders no node can fill wait in a
  // backorder queue instead of being refused, and are filled by priority
  // when stock arrives; release queues are ordered by the same priority.
  bool backorder = false;
  double priority_per_yuan = 0.01;     // points per yuan of order value
  double priority_per_hour = 1;        // points per hour the promise is nearer than promise_hours
  std::vector<std::pair<std::string, double>> priority_tiers;     // customer tier -> points
  std::vector<std::pair<std::string, double>> priority_channels;  // channel -> points

  // YAML or JSON with the fields above; unknown fields and out-of-range
  // values are refused with file, line and field.
  static Result<Policy> Parse(std::string_view text, const std::string& name);
};

// The fulfilment network: nodes, explicit lanes, and what is disrupted now.
class Network {
 public:
  // Validates and indexes. Errors name the field: "/nodes/3/capacity_orders".
  // Transfers are checked too: from and to nodes that exist, no cycle.
  static Result<Network> Build(std::vector<Node> nodes, std::vector<Lane> lanes,
                               std::vector<Transfer> transfers = {});
  // YAML or JSON (docs/ROUTING.md has the format); errors name file, line and field.
  static Result<Network> LoadFile(const std::string& path);
  static Result<Network> Parse(std::string_view text, const std::string& name);
  // A document with `lanes` and `transfers` only (the engine's nodes come
  // from its catalog); nodes named, ranges and cycles are checked by Build.
  static Result<Links> ParseLinks(std::string_view text, const std::string& name);

  std::span<const Node> nodes() const { return nodes_; }
  uint32_t FindNode(std::string_view code) const;  // kNoNode when absent
  // Bumped by every change of nodes, lanes, status or closures.
  uint64_t version() const { return version_; }

  // Disruptions: a closed region code (prefix) or road name closes every
  // lane through it and every lane from or to a closed region.
  void Close(std::string_view region_or_road);
  void Reopen(std::string_view region_or_road);
  bool IsClosed(std::string_view region_or_road) const;
  Status SetStatus(std::string_view node, NodeStatus status);
  Status SetCapacity(std::string_view node, int64_t orders_per_day, int64_t lines_per_day);
  void AddLoad(uint32_t node, int64_t orders, int64_t lines);

  // Explicit lanes from a node (indices into lanes()).
  std::span<const uint32_t> LanesFrom(uint32_t node) const { return lanes_from_[node]; }
  std::span<const Lane> lanes() const { return lanes_; }
  std::span<const Transfer> transfers() const { return transfers_; }
  // Who can supply `node` by transfer, and the nodes that have suppliers.
  std::span<const Supplier> SuppliersOf(uint32_t node) const { return suppliers_[node]; }
  std::span<const uint32_t> TransferHubs() const { return hubs_; }
  // Whether every transfer of the chain is open: none passes a closed road
  // or region, and none starts or ends in a closed region. The decider takes
  // a supplier's fastest open chain.
  bool ChainOpen(const Supplier& s) const;
  // Whether the lane is open between `origin` and the destination region.
  bool LaneOpen(const Lane& lane, const Node& origin, std::string_view destination) const;

 private:
  bool RouteOpen(std::span<const std::string> via, std::string_view from_region, std::string_view to_region) const;
  // Checks transfers against the nodes (by_code_ filled) and derives the
  // suppliers of each node.
  Status IndexTransfers(std::span<const Transfer> transfers, size_t node_count);

  std::vector<Node> nodes_;
  std::vector<Lane> lanes_;
  std::vector<std::vector<uint32_t>> lanes_from_;
  std::vector<Transfer> transfers_;
  std::vector<std::vector<Supplier>> suppliers_;  // by node
  std::vector<uint32_t> hubs_;
  std::unordered_map<std::string, uint32_t> by_code_;
  std::vector<std::string> closed_;
  uint64_t version_ = 1;
};

// What the decider asks of the inventory pool.
class Stock {
 public:
  virtual ~Stock() = default;
  virtual int64_t Available(uint32_t sku, uint32_t node) const = 0;
  // The nodes that may hold the sku (a superset is fine: Available decides);
  // candidates come from these rather than from every node.
  virtual std::span<const uint32_t> Holders(uint32_t sku) const = 0;
};

struct LineRequest {
  uint32_t sku = 0;          // the caller's sku index
  int64_t quantity = 0;
  int64_t unit_weight_g = 500;
};

struct OrderRequest {
  Micros now = 0;
  Micros promise_at = 0;        // 0: now + policy.promise_hours
  std::string_view region_code; // the destination: county, city or province code
  uint32_t needs = 0;           // capability bits every node of the plan must have
  std::span<const LineRequest> lines;
  uint32_t pinned_node = kNoNode;          // a manual override: only this node
  std::span<const uint32_t> forbidden_nodes;
  // Per line, a node it must ship from (kNoNode: free); empty: none pinned.
  // Manual overrides, and how a given assignment is priced (bench baselines).
  std::span<const uint32_t> line_nodes;
};

// One parcel of a plan.
struct Shipment {
  uint32_t node = kNoNode;
  std::vector<uint32_t> lines;  // indices into the request's lines
  // Per entry of `lines`, the units this parcel carries, when the plan
  // splits a line's quantity between nodes; empty: every line whole.
  std::vector<int64_t> quantities;
  std::string carrier;          // "" for a derived lane
  ServiceLevel level = ServiceLevel::kStandard;
  int64_t shipping = 0, handling = 0;
  Micros pickup_at = 0, eta_p50 = 0, eta_p90 = 0;
  double p_on_time = 0;
  double distance_km = 0;
  double carbon_kg = 0;
  double load_after = 0;        // the node's utilisation once this is assigned (0..1; 0 when unlimited)
  // Lines whose units are brought to `node` by transfer before pickup;
  // their cost is in `transfer_cost`, their hours in `pickup_at`.
  struct Leg {
    uint32_t line = 0;          // as in `lines`
    uint32_t from = kNoNode;    // the supplier holding the units
    double hours = 0;
  };
  std::vector<Leg> transfers;
  int64_t transfer_cost = 0;
};

// The score's parts, in money-equivalents; score = their sum.
struct ScoreParts {
  double cost = 0;      // shipping + handling + transfers + split penalty
  double lateness = 0;  // late_penalty x P(late)
  double time = 0;      // hour_value x p50 hours
  double carbon = 0;
  double load = 0;
  double Total() const { return cost + lateness + time + carbon + load; }
};

struct Plan {
  std::vector<Shipment> shipments;
  int64_t cost = 0;             // shipping + handling + transfers + split penalty
  Micros eta_p50 = 0, eta_p90 = 0;
  double p_on_time = 0;         // every parcel on time
  double distance_km = 0;
  double carbon_kg = 0;
  ScoreParts parts;
  double score = 0;
};

// Why a line cannot be served by any node.
struct LineProblem {
  uint32_t line = 0;
  std::string reason;   // no_stock, no_capability, nodes_down, lanes_closed, capacity_full
  std::string detail;
};

struct Decision {
  std::vector<Plan> plans;             // plans[0] is chosen; the rest are alternatives, best first
  std::vector<LineProblem> problems;   // when no plan serves every line
  int64_t split_penalty = 0;           // the policy's, for the reasons
  bool routable() const { return !plans.empty(); }
};

// Why plan `plan` ranks where it does: for the chosen one, its score and
// the cheaper alternative it beat; for an alternative, the parts where it
// loses most. Written when the decision is told, not when it is made.
std::vector<std::string> Reasons(const Decision& d, size_t plan);

// The decision as JSON (`orderhub route`, and the API to come): plans best
// first with their parcels (lines by index, nodes by code) and reasons, or
// the problems per line. Money in minor units, times RFC 3339.
std::string DecisionJson(const Decision& d, const Network& network);
// A decision kept apart from its network, to be rendered later on another
// thread: DetachNodes renumbers its parcels' nodes to positions in the codes
// it returns, which the second DecisionJson takes.
std::vector<std::string> DetachNodes(Decision* d, const Network& network);
std::string DecisionJson(const Decision& d, std::span<const std::string> node_codes);
// A detached decision in its stored form (decision_codec.cc): its values
// in a few hundred bytes, appended to `out`. UnpackDecision reads it back
// (false for anything else, truncated or foreign) for DecisionJson.
void PackDecision(const Decision& d, std::span<const std::string> node_codes, std::string* out);
bool UnpackDecision(std::string_view in, Decision* d, std::vector<std::string>* node_codes);

class Decider {
 public:
  Decider(const Network* network, const Policy* policy);
  ~Decider();
  // The best plan and alternatives, or the problems per line. Reserves
  // nothing: the caller reserves plans[0] (the engine does so atomically).
  Decision Decide(const OrderRequest& order, const Stock& stock);
  // Ranks the nodes by distance from every prefecture now (about 15 ms
  // for 500 nodes) rather than on the first order to each: a hub does it
  // at start so that no decision pays for it.
  void Prepare();

 private:
  struct Candidate;  // decider.cc
  struct Evaluated;
  struct NodeView;
  struct Scratch;  // kept between decisions for its capacity (decider.cc)
  // The nodes by distance from a prefecture's centre. Cached for the
  // decider's life: a network's nodes and their places do not change.
  struct Nearness {
    std::vector<uint32_t> order;  // nearest first
    std::vector<uint32_t> rank;   // by node: its place in `order`
  };
  const Nearness& NearnessFrom(const geo::Region& destination);

  const Network* network_;
  const Policy* policy_;
  std::unordered_map<std::string_view, Nearness> nearness_;
  std::vector<geo::UnitVector> node_units_;  // the nodes' places, for distances
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace orderhub::routing
