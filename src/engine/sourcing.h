// How the engine routes an order: each tenant's fulfilment network, built
// from the engine's nodes and the tenant's lanes, policy and disruptions,
// and the routing::Decider on it (routing/routing.h; docs/ROUTING.md).
//
// Lanes, policy and closures are engine state: set by journaled commands and
// kept in snapshots, so a replay routes every order exactly as it was routed.
// The network and the decider are derived from them and rebuilt, lazily,
// after anything they are built from changes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/inventory_pool.h"
#include "model/order.h"
#include "routing/routing.h"

namespace orderhub::engine {

// An order's destination as kept in its record (a number) back to six digits; "" for 0.
std::string RegionText(uint32_t region);

// Manual overrides of one order's routing, kept for re-routes and re-plans.
struct RoutingOverride {
  model::NodeIndex pinned = model::kNone;  // only this node
  std::vector<model::NodeIndex> forbidden;
};

class PoolStock;

class TenantRouting {
 public:
  TenantRouting();
  ~TenantRouting();

  // Sources, as given (snapshots keep these and parse them again).
  const std::string& lanes_text() const { return lanes_text_; }
  const std::string& policy_text() const { return policy_text_; }
  const std::vector<std::string>& closed() const { return closed_; }
  const routing::Policy& policy() const { return policy_; }

  // Checks `lanes` against the tenant's nodes (`nodes`: all of the engine's,
  // only the tenant's count) before taking them; the error names the lane.
  Status SetLanes(std::string text, routing::Links links, std::span<const model::Node> nodes,
                  std::string_view tenant);
  void SetPolicy(std::string text, routing::Policy policy);
  // From a snapshot: what was checked when it was set.
  void Restore(std::string lanes_text, routing::Links links, std::string policy_text,
               routing::Policy policy, std::vector<std::string> closed);
  void Close(std::string_view region_or_road);
  void Reopen(std::string_view region_or_road);
  // Nodes changed (added, moved, status, capacity...): rebuild before the next decision.
  void Invalidate() {
    network_.reset();
    built_ = false;
  }

  // The network for deciding, built now if needed. Null when the tenant has
  // no node in a known Chinese region (the engine then sources by stock alone).
  // `loads`: each engine node's orders and lines assigned today.
  const routing::Network* Network(std::span<const model::Node> nodes, std::string_view tenant,
                                  std::span<const std::pair<int64_t, int64_t>> loads);
  routing::Decider* decider() { return decider_.get(); }
  // The same decision without alternatives (re-plans need only the best).
  routing::Decider* lean_decider() { return lean_decider_.get(); }
  // kNoNode when the engine node is not in the network.
  uint32_t NetworkNode(model::NodeIndex n) const {
    return n < network_node_.size() ? network_node_[n] : routing::kNoNode;
  }
  model::NodeIndex EngineNode(uint32_t network_node) const { return engine_node_[network_node]; }
  void AddLoad(model::NodeIndex n, int64_t orders, int64_t lines);
  // The pool view for one decision, reset; valid until the next call.
  PoolStock& Stock(const InventoryPool* pool) const;

 private:
  std::string lanes_text_, policy_text_;
  routing::Links links_;
  routing::Policy policy_;
  std::vector<std::string> closed_;
  // Derived. `built_` also when no node is routable (network_ null): a
  // tenant that sources by stock alone must not scan its nodes per order.
  bool built_ = false;
  std::unique_ptr<routing::Network> network_;
  std::unique_ptr<routing::Decider> decider_;
  routing::Policy lean_policy_;
  std::unique_ptr<routing::Decider> lean_decider_;
  std::vector<model::NodeIndex> engine_node_;  // by network node
  std::vector<uint32_t> network_node_;         // by engine node
  mutable std::unique_ptr<PoolStock> stock_;   // scratch, reused by every decision
};

// The inventory pool as the decider sees it: network node indices, plus
// units that count as free though reserved (an order's own, when it is
// routed again). The decider asks Available many times per sku: each sku
// asked is laid out once, densely by network node.
class PoolStock final : public routing::Stock {
 public:
  PoolStock(const InventoryPool* pool, const TenantRouting* routing, size_t network_nodes)
      : pool_(pool), routing_(routing), network_nodes_(network_nodes) {}
  // Forgets what was laid out and credited; keeps the memory (one per tenant, reused).
  void Reset(size_t network_nodes);
  void Credit(model::SkuIndex sku, model::NodeIndex node, int64_t units) { credits_.push_back({sku, node, units}); }
  // Until the next Reset: every unit on hand counts, reserved or not (what
  // an order could have were nothing held; a re-plan's swaps ask it).
  void IgnoreReservations() { ignore_reserved_ = true; }
  int64_t Available(uint32_t sku, uint32_t node) const override { return Laid(sku).available[node]; }
  std::span<const uint32_t> Holders(uint32_t sku) const override { return Laid(sku).holders; }

 private:
  struct CreditEntry {
    model::SkuIndex sku;
    model::NodeIndex node;
    int64_t units;
  };
  struct Sku {
    uint32_t sku;
    std::vector<uint32_t> holders;   // network nodes
    std::vector<int64_t> available;  // by network node; zero but at holders and credits
  };
  const Sku& Laid(uint32_t sku) const;

  const InventoryPool* pool_;
  const TenantRouting* routing_;
  size_t network_nodes_;
  std::vector<CreditEntry> credits_;
  bool ignore_reserved_ = false;
  mutable std::vector<Sku> skus_;  // orders have few skus: a short list
  mutable size_t used_ = 0;        // skus_[0, used_) are laid out for this decision
};

}  // namespace orderhub::engine
