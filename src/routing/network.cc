#include <algorithm>
#include <functional>

#include "routing/routing.h"

namespace orderhub::routing {

std::string_view ServiceLevelName(ServiceLevel l) {
  switch (l) {
    case ServiceLevel::kStandard: return "standard";
    case ServiceLevel::kExpress: return "express";
    case ServiceLevel::kAir: return "air";
    case ServiceLevel::kFreight: return "freight";
  }
  return "standard";
}

std::string_view NodeStatusName(NodeStatus s) {
  switch (s) {
    case NodeStatus::kUp: return "up";
    case NodeStatus::kDegraded: return "degraded";
    case NodeStatus::kDown: return "down";
  }
  return "up";
}

int64_t RateCard::PriceOf(int64_t weight_g) const {
  const double extra_kg = weight_g > first_weight_g ? static_cast<double>((weight_g - first_weight_g + 999) / 1000) : 0;
  // In double and capped: absurd weights price absurdly, never overflow.
  const double price = static_cast<double>(per_parcel + first_weight_price) + extra_kg * static_cast<double>(additional_per_kg);
  return static_cast<int64_t>(std::min(price, 1e15));
}

namespace {

// Capacities, costs and rates above this are typos, and products of them
// with weights and line counts must not overflow.
constexpr int64_t kMaxAmount = 1'000'000'000;

Status Bad(const std::string& pointer, const std::string& what) {
  return Status::InvalidArgument("invalid_network", pointer + ": " + what, pointer);
}

// A destination prefix names a province (2 digits), a city (4) or a county (6).
bool KnownRegionPrefix(std::string_view p) {
  const geo::Regions& r = geo::Regions::China();
  if (p.size() == 2) return r.Find(std::string(p) + "0000") != nullptr;
  if (p.size() == 4) {
    // A prefecture, or counties directly under a province (e.g. 4690, Hainan's).
    if (r.Find(std::string(p) + "00") != nullptr) return true;
    for (const geo::Region& c : r.counties()) {
      if (c.code.substr(0, 4) == p) return true;
    }
    return false;
  }
  if (p.size() == 6) return r.Find(p) != nullptr;
  return false;
}

}  // namespace

Result<Network> Network::Build(std::vector<Node> nodes, std::vector<Lane> lanes, std::vector<Transfer> transfers) {
  Network n;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& x = nodes[i];
    const std::string at = "/nodes/" + std::to_string(i);
    if (x.code.empty()) return Bad(at + "/code", "a node needs a code");
    if (!n.by_code_.emplace(x.code, static_cast<uint32_t>(i)).second) {
      return Bad(at + "/code", "node '" + x.code + "' is defined twice");
    }
    if (geo::Regions::China().Find(x.region_code) == nullptr) {
      return Bad(at + "/region_code", "unknown region '" + x.region_code + "' (GB/T 2260 county or city code)");
    }
    if (!(x.at.lat >= -90 && x.at.lat <= 90) || !(x.at.lng >= -180 && x.at.lng <= 180)) {
      return Bad(at + "/lat", "coordinates out of range");
    }
    for (auto [v, name] : {std::pair{x.capacity_orders, "capacity_orders"}, {x.capacity_lines, "capacity_lines"},
                           {x.load_orders, "load_orders"}, {x.load_lines, "load_lines"},
                           {x.cost_per_order, "cost_per_order"}, {x.cost_per_line, "cost_per_line"}}) {
      if (v < 0) return Bad(at + "/" + name, "must not be negative");
      if (v > kMaxAmount) return Bad(at + "/" + name, "must be at most 1000000000");
    }
    if (x.cutoff_minute < 0 || x.cutoff_minute >= 24 * 60) return Bad(at + "/cutoff", "must be 00:00..23:59");
    if (x.utc_offset_minutes < -14 * 60 || x.utc_offset_minutes > 14 * 60) {
      return Bad(at + "/utc_offset_minutes", "must be -840..840");
    }
    if (!(x.on_time_rate >= 0 && x.on_time_rate <= 1)) return Bad(at + "/on_time_rate", "must be 0..1");
  }
  n.lanes_from_.resize(nodes.size());
  for (size_t i = 0; i < lanes.size(); ++i) {
    const Lane& l = lanes[i];
    const std::string at = "/lanes/" + std::to_string(i);
    auto origin = n.by_code_.find(l.origin);
    if (origin == n.by_code_.end()) return Bad(at + "/origin", "no node '" + l.origin + "'");
    if (!KnownRegionPrefix(l.destination)) {
      return Bad(at + "/destination", "'" + l.destination + "' is no province, city or county code: a lane to nowhere");
    }
    for (auto [v, name] : {std::pair{l.rate.per_parcel, "rate/per_parcel"}, {l.rate.first_weight_g, "rate/first_weight_g"},
                           {l.rate.first_weight_price, "rate/first_weight"}, {l.rate.additional_per_kg, "rate/additional_per_kg"}}) {
      if (v < 0) return Bad(at + "/" + name, "must not be negative");
      if (v > kMaxAmount) return Bad(at + "/" + name, "must be at most 1000000000");
    }
    if (!(l.transit.mean_hours > 0 && l.transit.mean_hours < 24 * 60)) {
      return Bad(at + "/transit/mean_hours", "must be more than 0 and less than 60 days");
    }
    if (!(l.transit.sd_hours >= 0 && l.transit.sd_hours < 24 * 60)) return Bad(at + "/transit/sd_hours", "must be 0 or more");
    if (!(l.road_km >= 0 && l.road_km < 40'000)) return Bad(at + "/road_km", "must be 0..40000");
    n.lanes_from_[origin->second].push_back(static_cast<uint32_t>(i));
  }
  OH_RETURN_IF_ERROR(n.IndexTransfers(transfers, nodes.size()));
  n.nodes_ = std::move(nodes);
  n.lanes_ = std::move(lanes);
  n.transfers_ = std::move(transfers);
  return n;
}

Status Network::IndexTransfers(std::span<const Transfer> transfers, size_t node_count) {
  // Edges from -> to, by transfer index.
  std::vector<std::vector<uint32_t>> out(node_count), in(node_count);
  std::vector<std::pair<uint32_t, uint32_t>> ends(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i) {
    const Transfer& t = transfers[i];
    const std::string at = "/transfers/" + std::to_string(i);
    const uint32_t from = FindNode(t.from), to = FindNode(t.to);
    if (from == kNoNode) return Bad(at + "/from", "no node '" + t.from + "': a transfer from nowhere");
    if (to == kNoNode) return Bad(at + "/to", "no node '" + t.to + "': a transfer to nowhere");
    if (from == to) return Bad(at + "/to", "a transfer from '" + t.from + "' to itself");
    for (uint32_t j : out[from]) {
      if (ends[j].second == to) return Bad(at + "/to", "a second transfer from '" + t.from + "' to '" + t.to + "'");
    }
    if (!(t.hours > 0 && t.hours < 24 * 60)) return Bad(at + "/hours", "must be more than 0 and less than 60 days");
    for (auto [v, name] : {std::pair{t.cost_per_order, "cost_per_order"}, {t.cost_per_unit, "cost_per_unit"}}) {
      if (v < 0) return Bad(at + "/" + name, "must not be negative");
      if (v > kMaxAmount) return Bad(at + "/" + name, "must be at most 1000000000");
    }
    ends[i] = {from, to};
    out[from].push_back(static_cast<uint32_t>(i));
    in[to].push_back(static_cast<uint32_t>(i));
  }
  // A cycle would make stock circle and chains endless: find one by depth
  // first search and name the transfer that closes it, with the loop.
  enum : uint8_t { kNew, kOnPath, kDone };
  std::vector<uint8_t> mark(node_count, kNew);
  std::vector<uint32_t> path;  // transfers from the search's root
  std::function<Status(uint32_t)> visit = [&](uint32_t v) -> Status {
    mark[v] = kOnPath;
    for (uint32_t t : out[v]) {
      const uint32_t w = ends[t].second;
      if (mark[w] == kOnPath) {
        std::string loop = transfers[t].to;
        bool on = false;
        for (uint32_t p : path) {
          on = on || transfers[p].from == transfers[t].to;
          if (on) loop += " -> " + transfers[p].to;
        }
        loop += " -> " + transfers[t].to;
        return Bad("/transfers/" + std::to_string(t), "transfers form a cycle: " + loop);
      }
      if (mark[w] == kNew) {
        path.push_back(t);
        OH_RETURN_IF_ERROR(visit(w));
        path.pop_back();
      }
    }
    mark[v] = kDone;
    return Status::OK();
  };
  for (uint32_t v = 0; v < node_count; ++v) {
    if (mark[v] == kNew) OH_RETURN_IF_ERROR(visit(v));
  }
  // Suppliers of each node: up its incoming chains (finite: no cycle), the
  // kChainsPerSupplier fastest chains per supplier (cheapest on a tie), so
  // that a closure on one leaves the next. Only kept chains are extended:
  // the work stays bounded by nodes x chains, not by the paths of the graph.
  constexpr size_t kChainsPerSupplier = 3;
  auto faster = [](const Supplier& a, const Supplier& b) {
    if (a.hours != b.hours) return a.hours < b.hours;
    return a.cost_per_order + a.cost_per_unit < b.cost_per_order + b.cost_per_unit;
  };
  suppliers_.assign(node_count, {});
  hubs_.clear();
  for (uint32_t v = 0; v < node_count; ++v) {
    std::vector<Supplier>& mine = suppliers_[v];
    std::vector<Supplier> todo = {Supplier{v, 0, 0, 0, {}}};
    while (!todo.empty()) {
      const Supplier at = todo.back();
      todo.pop_back();
      for (uint32_t t : in[at.node]) {
        const Transfer& x = transfers[t];
        Supplier s{ends[t].first, at.hours + x.hours, at.cost_per_order + x.cost_per_order,
                   at.cost_per_unit + x.cost_per_unit, {t}};
        s.chain.insert(s.chain.end(), at.chain.begin(), at.chain.end());
        // The slowest kept chain from the same supplier, if it has them all.
        size_t kept = 0;
        auto slowest = mine.end();
        for (auto it = mine.begin(); it != mine.end(); ++it) {
          if (it->node != s.node) continue;
          ++kept;
          if (slowest == mine.end() || faster(*slowest, *it)) slowest = it;
        }
        if (kept < kChainsPerSupplier) mine.push_back(s);
        else if (faster(s, *slowest)) *slowest = s;
        else continue;
        todo.push_back(s);
      }
    }
    std::stable_sort(mine.begin(), mine.end(), [](const Supplier& a, const Supplier& b) {
      return a.hours != b.hours ? a.hours < b.hours : a.node < b.node;
    });
    if (!mine.empty()) hubs_.push_back(v);
  }
  return Status::OK();
}

uint32_t Network::FindNode(std::string_view code) const {
  auto it = by_code_.find(std::string(code));
  return it == by_code_.end() ? kNoNode : it->second;
}

void Network::Close(std::string_view what) {
  if (!IsClosed(what)) closed_.emplace_back(what);
  ++version_;
}

void Network::Reopen(std::string_view what) {
  closed_.erase(std::remove(closed_.begin(), closed_.end(), what), closed_.end());
  ++version_;
}

bool Network::IsClosed(std::string_view what) const {
  return std::find(closed_.begin(), closed_.end(), what) != closed_.end();
}

Status Network::SetStatus(std::string_view node, NodeStatus status) {
  const uint32_t i = FindNode(node);
  if (i == kNoNode) return Status::NotFound("unknown_node", "node '" + std::string(node) + "' does not exist");
  nodes_[i].status = status;
  ++version_;
  return Status::OK();
}

Status Network::SetCapacity(std::string_view node, int64_t orders, int64_t lines) {
  const uint32_t i = FindNode(node);
  if (i == kNoNode) return Status::NotFound("unknown_node", "node '" + std::string(node) + "' does not exist");
  if (orders < 0 || lines < 0) return Status::InvalidArgument("invalid_capacity", "capacities must not be negative");
  nodes_[i].capacity_orders = orders;
  nodes_[i].capacity_lines = lines;
  ++version_;
  return Status::OK();
}

void Network::AddLoad(uint32_t node, int64_t orders, int64_t lines) {
  // Not a version change: load is read at every decision, never cached.
  nodes_[node].load_orders += orders;
  nodes_[node].load_lines += lines;
}

bool Network::RouteOpen(std::span<const std::string> via, std::string_view from_region,
                        std::string_view to_region) const {
  for (const std::string& c : closed_) {
    const bool region = !c.empty() && c.size() <= 6 &&
                        std::all_of(c.begin(), c.end(), [](unsigned char ch) { return ch >= '0' && ch <= '9'; });
    if (region && (from_region.rfind(c, 0) == 0 || to_region.rfind(c, 0) == 0)) return false;
    for (const std::string& v : via) {
      if (v == c || (region && v.rfind(c, 0) == 0)) return false;
    }
  }
  return true;
}

bool Network::LaneOpen(const Lane& lane, const Node& origin, std::string_view destination) const {
  return RouteOpen(lane.via, origin.region_code, destination);
}

bool Network::ChainOpen(const Supplier& s) const {
  if (closed_.empty()) return true;
  for (uint32_t t : s.chain) {
    const Transfer& x = transfers_[t];
    if (!RouteOpen(x.via, nodes_[FindNode(x.from)].region_code, nodes_[FindNode(x.to)].region_code)) return false;
  }
  return true;
}

}  // namespace orderhub::routing
