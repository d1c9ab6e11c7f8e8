#include "engine/sourcing.h"

#include <algorithm>
#include <cstdio>

#include "geo/geo.h"

namespace orderhub::engine {
namespace {

routing::NodeStatus StatusOf(const std::string& s) {
  if (s == "down") return routing::NodeStatus::kDown;
  if (s == "degraded") return routing::NodeStatus::kDegraded;
  return routing::NodeStatus::kUp;
}

// The routing view of an engine node; false when it has no place routing
// knows (a region code outside GB/T 2260's table).
bool ToRoutingNode(const model::Node& n, routing::Node* out) {
  const geo::Region* r = geo::Regions::China().Find(n.region_code);
  if (r == nullptr) return false;
  out->code = n.code;
  out->type = n.type;
  out->region_code = n.region_code;
  // Nodes given without coordinates (0, 0) stand at their region's centre.
  out->at = n.lat == 0 && n.lng == 0 ? r->at : geo::Point{n.lat, n.lng};
  out->capacity_orders = n.capacity_orders;
  out->capacity_lines = n.capacity_lines;
  out->cost_per_order = n.cost_per_order;
  out->cost_per_line = n.cost_per_line;
  out->cutoff_minute = n.cutoff_minute;
  out->capabilities = n.capabilities;
  out->status = StatusOf(n.status);
  out->on_time_rate = n.on_time_rate;
  return true;
}

}  // namespace

std::string RegionText(uint32_t region) {
  if (region == 0) return "";
  char buf[12];  // six digits; room for any uint32_t keeps the compiler sure
  std::snprintf(buf, sizeof buf, "%06u", region);
  return buf;
}

TenantRouting::TenantRouting() = default;
TenantRouting::~TenantRouting() = default;

PoolStock& TenantRouting::Stock(const InventoryPool* pool) const {
  const size_t n = network_ != nullptr ? network_->nodes().size() : 0;
  if (stock_ == nullptr) stock_ = std::make_unique<PoolStock>(pool, this, n);
  stock_->Reset(n);
  return *stock_;
}

Status TenantRouting::SetLanes(std::string text, routing::Links links, std::span<const model::Node> nodes,
                               std::string_view tenant) {
  // Build a network of the tenant's nodes with these lanes: the same checks
  // a network file gets (origins exist, destinations are regions, ranges).
  std::vector<routing::Node> mine;
  for (const model::Node& n : nodes) {
    routing::Node r;
    if (n.tenant == tenant && ToRoutingNode(n, &r)) mine.push_back(std::move(r));
  }
  auto trial = routing::Network::Build(std::move(mine), links.lanes, links.transfers);
  if (!trial.ok()) {
    const Status& st = trial.status();
    return Status::InvalidArgument("invalid_lanes", st.message(), st.pointer());
  }
  lanes_text_ = std::move(text);
  links_ = std::move(links);
  Invalidate();
  return Status::OK();
}

void TenantRouting::SetPolicy(std::string text, routing::Policy policy) {
  policy_text_ = std::move(text);
  policy_ = std::move(policy);
  Invalidate();
}

void TenantRouting::Restore(std::string lanes_text, routing::Links links, std::string policy_text,
                            routing::Policy policy, std::vector<std::string> closed) {
  lanes_text_ = std::move(lanes_text);
  links_ = std::move(links);
  policy_text_ = std::move(policy_text);
  policy_ = std::move(policy);
  closed_ = std::move(closed);
  Invalidate();
}

void TenantRouting::Close(std::string_view what) {
  if (std::find(closed_.begin(), closed_.end(), what) != closed_.end()) return;
  closed_.emplace_back(what);
  if (network_ != nullptr) network_->Close(what);
}

void TenantRouting::Reopen(std::string_view what) {
  closed_.erase(std::remove(closed_.begin(), closed_.end(), what), closed_.end());
  if (network_ != nullptr) network_->Reopen(what);
}

const routing::Network* TenantRouting::Network(std::span<const model::Node> nodes, std::string_view tenant,
                                               std::span<const std::pair<int64_t, int64_t>> loads) {
  if (built_) return network_.get();
  built_ = true;
  engine_node_.clear();
  network_node_.assign(nodes.size(), routing::kNoNode);
  std::vector<routing::Node> mine;
  for (model::NodeIndex i = 0; i < nodes.size(); ++i) {
    routing::Node r;
    if (nodes[i].tenant != tenant || !ToRoutingNode(nodes[i], &r)) continue;
    r.load_orders = loads[i].first;
    r.load_lines = loads[i].second;
    network_node_[i] = static_cast<uint32_t>(mine.size());
    engine_node_.push_back(i);
    mine.push_back(std::move(r));
  }
  decider_.reset();
  lean_decider_.reset();
  if (mine.empty()) return nullptr;
  // Lanes and transfers from or to a node that has left the network (its
  // region changed) are dropped rather than refusing every order.
  auto present = [&](const std::string& code) {
    return std::any_of(mine.begin(), mine.end(), [&](const routing::Node& n) { return n.code == code; });
  };
  std::vector<routing::Lane> lanes;
  for (const routing::Lane& l : links_.lanes) {
    if (present(l.origin)) lanes.push_back(l);
  }
  std::vector<routing::Transfer> transfers;
  for (const routing::Transfer& t : links_.transfers) {
    if (present(t.from) && present(t.to)) transfers.push_back(t);
  }
  auto built = routing::Network::Build(std::move(mine), std::move(lanes), std::move(transfers));
  if (!built.ok()) return nullptr;  // cannot happen: nodes and lanes were checked when set
  network_ = std::make_unique<routing::Network>(std::move(*built));
  for (const std::string& c : closed_) network_->Close(c);
  decider_ = std::make_unique<routing::Decider>(network_.get(), &policy_);
  lean_policy_ = policy_;
  lean_policy_.alternatives = 0;
  lean_decider_ = std::make_unique<routing::Decider>(network_.get(), &lean_policy_);
  return network_.get();
}

void TenantRouting::AddLoad(model::NodeIndex n, int64_t orders, int64_t lines) {
  const uint32_t at = NetworkNode(n);
  if (network_ != nullptr && at != routing::kNoNode) network_->AddLoad(at, orders, lines);
}

void PoolStock::Reset(size_t network_nodes) {
  for (size_t i = 0; i < used_; ++i) {
    Sku& s = skus_[i];
    // Only holders were written: credits are the order's own reservations,
    // so their nodes hold a level and are holders too.
    if (network_nodes != network_nodes_) {
      s.available.clear();
    } else {
      for (uint32_t n : s.holders) s.available[n] = 0;
    }
    s.holders.clear();
  }
  used_ = 0;
  network_nodes_ = network_nodes;
  credits_.clear();
  ignore_reserved_ = false;
}

const PoolStock::Sku& PoolStock::Laid(uint32_t sku) const {
  for (size_t i = 0; i < used_; ++i) {
    if (skus_[i].sku == sku) return skus_[i];
  }
  if (used_ == skus_.size()) skus_.emplace_back();
  Sku& s = skus_[used_++];
  s.sku = sku;
  if (s.available.size() != network_nodes_) s.available.assign(network_nodes_, 0);
  const auto [nodes, levels] = pool_->LevelsOf(sku);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const uint32_t at = routing_->NetworkNode(nodes[i]);
    if (at == routing::kNoNode) continue;
    s.holders.push_back(at);
    const model::StockLevel& l = levels[i];
    s.available[at] = ignore_reserved_ ? std::max<int64_t>(0, l.on_hand - l.safety) : l.Available();
  }
  for (const CreditEntry& c : credits_) {
    const uint32_t at = routing_->NetworkNode(c.node);
    if (c.sku == sku && at != routing::kNoNode) s.available[at] += c.units;
  }
  return s;
}

}  // namespace orderhub::engine
