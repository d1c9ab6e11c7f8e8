#include "engine/engine.h"

#include <absl/hash/hash.h>

#include <algorithm>
#include <utility>

#include "base/json_writer.h"

namespace orderhub::engine {

std::string JoinKey(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size() + 1);
  k.append(a).push_back('\x1f');
  k.append(b);
  return k;
}

namespace {

std::string LinePointer(size_t i, const char* field) {
  return "/lines/" + std::to_string(i) + "/" + field;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A six-digit region code as a number, 0 when it is not one.
uint32_t RegionNumber(std::string_view code) {
  if (code.size() != 6) return 0;
  uint32_t n = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

// Flags a node must be capable of to serve the order.
constexpr uint32_t kCapabilityFlags = model::kColdChain | model::kHazardous | model::kCrossBorder;

const std::vector<model::Shipment> kNoShipments;
const decltype(model::Sku::channel_pause_below) kNoPauseRules;

}  // namespace

// ---- names and keys ---------------------------------------------------------

NameId Engine::Names::Find(std::string_view name) const {
  // Tenants and channels are few: comparing a handful of short strings is
  // cheaper than hashing one.
  if (names_.size() <= 8) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return static_cast<NameId>(i);
    }
    return kNone;
  }
  auto it = ids_.find(name);
  return it == ids_.end() ? kNone : it->second;
}

NameId Engine::Names::Intern(std::string_view name) {
  auto [it, inserted] = ids_.try_emplace(name, static_cast<NameId>(names_.size()));
  if (inserted) names_.emplace_back(name);
  return it->second;
}

size_t Engine::StringHash::operator()(std::string_view s) const { return absl::Hash<std::string_view>{}(s); }

// 32 bits suffice: absl takes 7 for the control byte and the rest for the
// position, enough for tables of tens of millions of orders.
uint32_t Engine::HashId(std::string_view id) {
  return static_cast<uint32_t>(absl::Hash<std::string_view>{}(id));
}

uint32_t Engine::HashChannel(NameId tenant, NameId channel, std::string_view channel_order_id) {
  return static_cast<uint32_t>(absl::HashOf(tenant, channel, channel_order_id));
}

// ---- views ------------------------------------------------------------------

OrderView::OrderView(const Engine* e, uint32_t index) : e_(e), index_(index), r_(&e->orders_[index]) {}

std::string_view OrderView::tenant() const { return e_->tenants_.Name(r_->tenant); }
std::string_view OrderView::channel() const { return e_->channels_.Name(r_->channel); }
std::string_view OrderView::order_type() const { return e_->type_names_[r_->type]; }
std::string_view OrderView::state() const { return e_->LifecycleOf(*r_).state_name(r_->state); }

std::span<const LineRecord> OrderView::lines() const { return r_->block.lines(); }

size_t OrderView::line_count() const { return lines().empty() ? 0 : lines().back().line + 1u; }

std::span<const LineRecord> OrderView::line_parts(size_t line) const {
  const std::span<const LineRecord> all = lines();
  auto first = std::find_if(all.begin(), all.end(), [&](const LineRecord& l) { return l.line == line; });
  auto last = std::find_if(first, all.end(), [&](const LineRecord& l) { return l.line != line; });
  return {first, last};
}

std::string_view OrderView::line_sku(size_t line) const { return e_->skus_[line_parts(line)[0].sku].code; }

std::string_view OrderView::node_code(model::NodeIndex n) const {
  return n == model::kNone ? std::string_view() : std::string_view(e_->nodes_[n].code);
}

bool OrderView::AssignedTo(std::string_view node) const {
  for (const LineRecord& l : lines()) {
    if (node_code(l.node) == node || node_code(l.ship_node) == node) return true;
  }
  return false;
}

const std::vector<model::Shipment>& OrderView::shipments() const {
  auto it = e_->shipments_.find(index_);
  return it == e_->shipments_.end() ? kNoShipments : it->second;
}

// ---- engine -----------------------------------------------------------------

Engine::Engine(const lifecycle::LifecycleSet* lifecycles, bool prefault_memory)
    : lifecycles_(lifecycles),
      arena_(prefault_memory),
      orders_(ArenaAllocator<OrderRecord>(&arena_)),
      order_by_id_(0, ById{&orders_}, ById{&orders_}),
      order_by_channel_id_(0, ByChannel{&orders_}, ByChannel{&orders_}) {
  for (const std::string& t : lifecycles_->types()) {
    types_.push_back(lifecycles_->Find(t));
    type_names_.push_back(t);
    state_counts_.emplace_back(types_.back()->state_count(), 0);
  }
}

Outcome Engine::Apply(const Command& cmd, Changes* ch) {
  return std::visit(
      [&](const auto& c) -> Outcome {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateOrder>) return ApplyCreate(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, FireEvent>) return ApplyFire(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, AttachTracking>) return ApplyTracking(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, UpsertNode>) return ApplyUpsertNode(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, UpsertSku>) return ApplyUpsertSku(c, ch);
        if constexpr (std::is_same_v<T, SetStock>) return ApplySetStock(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, AdjustStock>) return ApplyAdjustStock(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, ExpireReservations>) return ApplyExpire(cmd.now, ch);
        if constexpr (std::is_same_v<T, SetLanes>) return ApplySetLanes(c);
        if constexpr (std::is_same_v<T, SetPolicy>) return ApplySetPolicy(c);
        if constexpr (std::is_same_v<T, Disrupt>) return ApplyDisrupt(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, Reroute>) return ApplyReroute(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, Replan>) return ApplyReplan(c, cmd.now, ch);
      },
      cmd.body);
}

// ---- readers ----------------------------------------------------------------

uint32_t Engine::FindIndex(std::string_view tenant, std::string_view id) const {
  auto it = order_by_id_.find(IdKey{id, HashId(id)});
  if (it == order_by_id_.end() || tenants_.Name(orders_[it->index].tenant) != tenant) return model::kNone;
  return it->index;
}

std::optional<OrderView> Engine::FindOrder(std::string_view tenant, std::string_view id) const {
  const uint32_t i = FindIndex(tenant, id);
  if (i == model::kNone) return std::nullopt;
  return OrderView(this, i);
}

model::SkuIndex Engine::FindSkuIndex(NameId tenant, std::string_view code) const {
  if (tenant >= sku_by_code_.size()) return model::kNone;
  auto it = sku_by_code_[tenant].find(code);
  return it == sku_by_code_[tenant].end() ? model::kNone : it->second;
}

model::NodeIndex Engine::FindNodeIndex(NameId tenant, std::string_view code) const {
  if (tenant >= node_by_code_.size()) return model::kNone;
  auto it = node_by_code_[tenant].find(code);
  return it == node_by_code_[tenant].end() ? model::kNone : it->second;
}

const model::Node* Engine::FindNode(std::string_view tenant, std::string_view code) const {
  const model::NodeIndex n = FindNodeIndex(tenants_.Find(tenant), code);
  return n == model::kNone ? nullptr : &nodes_[n];
}

const model::Sku* Engine::FindSku(std::string_view tenant, std::string_view code) const {
  const model::SkuIndex s = FindSkuIndex(tenants_.Find(tenant), code);
  return s == model::kNone ? nullptr : &skus_[s];
}

std::vector<std::pair<std::string, model::StockLevel>> Engine::StockOf(std::string_view tenant,
                                                                       std::string_view sku) const {
  std::vector<std::pair<std::string, model::StockLevel>> out;
  const model::SkuIndex s = FindSkuIndex(tenants_.Find(tenant), sku);
  if (s == model::kNone) return out;
  for (model::NodeIndex n : pool_.NodesOf(s)) out.emplace_back(nodes_[n].code, *pool_.Find(s, n));
  return out;
}

const model::StockLevel* Engine::Stock(std::string_view tenant, std::string_view sku,
                                       std::string_view node) const {
  model::SkuIndex s;
  model::NodeIndex n;
  if (!ResolveSkuNode(tenant, sku, node, &s, &n).ok()) return nullptr;
  return pool_.Find(s, n);
}

std::vector<std::string> Engine::PausedChannels(std::string_view tenant, std::string_view sku) const {
  std::vector<std::string> out;
  const model::SkuIndex s = FindSkuIndex(tenants_.Find(tenant), sku);
  if (s == model::kNone || skus_[s].channel_pause_below.empty()) return out;
  const int64_t available = pool_.AvailableEverywhere(s);
  for (const auto& [channel, threshold] : skus_[s].channel_pause_below) {
    if (available < threshold) out.push_back(channel);
  }
  return out;
}

std::map<std::pair<std::string, std::string>, int64_t> Engine::StateCounts() const {
  std::map<std::pair<std::string, std::string>, int64_t> out;
  for (size_t t = 0; t < types_.size(); ++t) {
    for (size_t s = 0; s < state_counts_[t].size(); ++s) {
      if (state_counts_[t][s] != 0) {
        out[{type_names_[t], types_[t]->state_name(static_cast<lifecycle::StateId>(s))}] = state_counts_[t][s];
      }
    }
  }
  return out;
}

// ---- orders -----------------------------------------------------------------

Status Engine::ResolveSkuNode(std::string_view tenant, std::string_view sku, std::string_view node,
                              model::SkuIndex* s, model::NodeIndex* n) const {
  const NameId t = tenants_.Find(tenant);
  *s = FindSkuIndex(t, sku);
  if (*s == model::kNone) {
    return Status::NotFound("unknown_sku", "sku '" + std::string(sku) + "' does not exist", "/sku");
  }
  *n = FindNodeIndex(t, node);
  if (*n == model::kNone) {
    return Status::NotFound("unknown_node", "node '" + std::string(node) + "' does not exist", "/node");
  }
  return Status::OK();
}

namespace {

// Nodes a line sourced by stock alone may be split between.
constexpr size_t kStockSplitNodes = 3;

}  // namespace

Status Engine::PlanReservations(std::vector<LineRecord>& lines, uint32_t flags, const RouteContext* route,
                                RouteResult* result) const {
  const uint32_t needed_caps = flags & kCapabilityFlags;
  auto node_can_serve = [&](model::NodeIndex n) {
    const NodeGate g = node_gates_[n];
    return !g.down && (g.capabilities & needed_caps) == needed_caps;
  };
  // Units this plan already takes per (sku, node), so that two lines of the
  // same sku are not both promised the same units. Orders have few lines: a
  // flat list beats a hash map.
  std::vector<std::pair<uint64_t, int64_t>>& taken = scratch_taken_;
  taken.clear();
  // An order routed again may use the units it holds itself.
  if (route != nullptr) {
    for (const auto& [k, units] : route->credits) taken.emplace_back(k, -units);
  }
  auto key = [](model::SkuIndex s, model::NodeIndex n) { return static_cast<uint64_t>(s) << 32 | n; };
  auto taken_at = [&](model::SkuIndex s, model::NodeIndex n) -> int64_t& {
    for (auto& [k, q] : taken) {
      if (k == key(s, n)) return q;
    }
    return taken.emplace_back(key(s, n), 0).second;
  };
  auto taken_of = [&](model::SkuIndex s, model::NodeIndex n) -> int64_t {
    for (const auto& [k, q] : taken) {
      if (k == key(s, n)) return q;
    }
    return 0;
  };
  auto free_at = [&](model::SkuIndex s, model::NodeIndex n) { return pool_.Available(s, n) - taken_of(s, n); };

  size_t first_open = lines.size();  // stock lines still without a node
  for (size_t i = 0; i < lines.size(); ++i) {
    LineRecord& l = lines[i];
    if (l.is_service || l.reserved > 0) continue;
    if (l.node == model::kNone) {
      first_open = std::min(first_open, i);
      continue;
    }
    const std::string& sku = skus_[l.sku].code;
    const std::string& node = nodes_[l.node].code;
    if (!node_can_serve(l.node)) {
      return Status::Conflict("node_unavailable",
                              "node '" + node + "' is down or lacks a capability the order needs",
                              LinePointer(l.line, "node"));
    }
    const int64_t avail = free_at(l.sku, l.node);
    if (avail < l.quantity) {
      return Status::Insufficient("insufficient_stock",
                                  "sku '" + sku + "' at node '" + node + "': requested " +
                                      std::to_string(l.quantity) + ", available " + std::to_string(avail),
                                  LinePointer(l.line, "quantity"));
    }
    taken_at(l.sku, l.node) += l.quantity;
  }
  if (first_open == lines.size()) return Status::OK();
  auto is_open = [&](const LineRecord& l) { return !l.is_service && l.reserved == 0 && l.node == model::kNone; };
  if (route != nullptr && !route->region.empty()) {
    absl::InlinedVector<uint32_t, 8> open;  // no allocation per create for usual orders
    for (size_t i = first_open; i < lines.size(); ++i) {
      if (is_open(lines[i])) open.push_back(static_cast<uint32_t>(i));
    }
    if (std::optional<Status> routed = Route(lines, open, flags, *route, result)) {
      if (!routed->ok()) return *routed;
      // The decider counted each line alone; two lines of one sku at one
      // node must both fit. (Routing may have split lines: every record
      // placed and not yet holding stock is counted again.)
      taken.clear();
      for (const auto& [k, units] : route->credits) taken.emplace_back(k, -units);
      for (const LineRecord& l : lines) {
        if (l.is_service || l.reserved > 0 || l.node == model::kNone) continue;
        const int64_t avail = free_at(l.sku, l.node);
        if (avail < l.quantity) {
          return Status::Insufficient("insufficient_stock",
                                      "sku '" + skus_[l.sku].code + "' at node '" + nodes_[l.node].code +
                                          "': requested " + std::to_string(l.quantity) + ", available " +
                                          std::to_string(avail) + " after the order's other lines",
                                      LinePointer(l.line, "quantity"));
        }
        taken_at(l.sku, l.node) += l.quantity;
      }
      return Status::OK();
    }
  }

  // Prefer one node for every open line (one parcel); among those, the one
  // with the most stock of the first line's sku. Routing (issue 5) replaces
  // this default with a scored decision.
  // What the open lines want per sku, summed over lines of the same sku.
  std::vector<std::pair<model::SkuIndex, int64_t>>& wants = scratch_wants_;
  wants.clear();
  for (size_t i = first_open; i < lines.size(); ++i) {
    if (!is_open(lines[i])) continue;
    auto w = std::find_if(wants.begin(), wants.end(), [&](const auto& x) { return x.first == lines[i].sku; });
    if (w == wants.end()) {
      wants.emplace_back(lines[i].sku, lines[i].quantity);
    } else {
      w->second += lines[i].quantity;
    }
  }
  model::NodeIndex best = model::kNone;
  int64_t best_avail = -1;
  const auto [first_nodes, first_levels] = pool_.LevelsOf(wants[0].first);
  for (size_t k = 0; k < first_nodes.size(); ++k) {
    const model::NodeIndex n = first_nodes[k];
    if (!node_can_serve(n)) continue;
    const int64_t a = first_levels[k].Available() - taken_of(wants[0].first, n);
    if (a < wants[0].second || a <= best_avail) continue;
    bool fits = true;
    for (size_t w = 1; fits && w < wants.size(); ++w) fits = free_at(wants[w].first, n) >= wants[w].second;
    if (fits) {
      best = n;
      best_avail = a;
    }
  }
  for (size_t i = first_open; i < lines.size(); ++i) {
    LineRecord& l = lines[i];
    if (!is_open(l)) continue;
    model::NodeIndex chosen = best;
    if (chosen == model::kNone) {
      int64_t most = -1;
      const auto [nodes, levels] = pool_.LevelsOf(l.sku);
      for (size_t k = 0; k < nodes.size(); ++k) {
        const int64_t a = levels[k].Available() - taken_of(l.sku, nodes[k]);
        if (a >= l.quantity && a > most && node_can_serve(nodes[k])) {
          chosen = nodes[k];
          most = a;
        }
      }
    }
    if (chosen == model::kNone) {
      // No node has enough alone: the nodes with the most give a part each
      // (a quantity split, as routing makes them), at most kStockSplitNodes.
      std::vector<std::pair<int64_t, model::NodeIndex>> have;
      for (model::NodeIndex n : pool_.NodesOf(l.sku)) {
        const int64_t a = free_at(l.sku, n);
        if (a > 0 && node_can_serve(n)) have.emplace_back(a, n);
      }
      std::sort(have.begin(), have.end(),
                [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
      int64_t avail = 0, within = 0;
      for (size_t k = 0; k < have.size(); ++k) {
        avail += have[k].first;
        if (k < kStockSplitNodes) within += have[k].first;
      }
      if (within < l.quantity) {
        return Status::Insufficient(
            "insufficient_stock",
            "sku '" + skus_[l.sku].code + "': requested " + std::to_string(l.quantity) + ", " +
                (avail < l.quantity ? "at most " + std::to_string(avail) + " available at nodes able to serve the order"
                                    : std::to_string(avail) + " available but spread over more than " +
                                          std::to_string(kStockSplitNodes) + " nodes"),
            LinePointer(l.line, "quantity"));
      }
      const LineRecord whole = l;
      std::vector<LineRecord> parts;
      for (int64_t left = whole.quantity; left > 0;) {
        const auto [units, n] = have[parts.size()];
        LineRecord& p = parts.emplace_back(whole);
        p.node = n;
        p.quantity = static_cast<int32_t>(std::min(units, left));
        taken_at(p.sku, n) += p.quantity;
        left -= p.quantity;
      }
      lines[i] = parts[0];
      lines.insert(lines.begin() + static_cast<ptrdiff_t>(i) + 1, parts.begin() + 1, parts.end());
      i += parts.size() - 1;
      continue;
    }
    l.node = chosen;
    taken_at(l.sku, chosen) += l.quantity;
  }
  return Status::OK();
}

Outcome Engine::ApplyCreate(const CreateOrder& c, Micros now, Changes* ch) {
  Outcome out;
  const model::Order& in = c.order;
  const NameId tenant = tenants_.Find(in.tenant);
  ExpireIdempotencyKeys(now, ch);
  if (!c.idempotency_key.empty()) {
    auto it = idempotency_.find(JoinKey(in.tenant, c.idempotency_key));
    if (it != idempotency_.end()) {
      if (it->second.request_hash != c.request_hash) {
        out.status = Status::Conflict("idempotency_key_reused",
                                      "Idempotency-Key '" + c.idempotency_key +
                                          "' was used before with a different request body",
                                      "");
        return out;
      }
      out.order_id = orders_[it->second.order].id.view();
      out.replayed = true;
      return out;
    }
  }
  const NameId channel = channels_.Find(in.channel);
  uint32_t channel_hash = 0;
  if (tenant != Names::kNone && channel != Names::kNone) {
    channel_hash = HashChannel(tenant, channel, in.channel_order_id);
    auto it = order_by_channel_id_.find(ChannelKey{tenant, channel, in.channel_order_id, channel_hash});
    if (it != order_by_channel_id_.end()) {
      out.order_id = orders_[it->index].id.view();
      out.status = Status::AlreadyExists("duplicate_channel_order",
                                         "channel '" + in.channel + "' order '" + in.channel_order_id +
                                             "' exists already as order " + std::string(out.order_id),
                                         "/channel_order_id");
      return out;
    }
  }
  const auto type = std::find(type_names_.begin(), type_names_.end(), in.order_type);
  if (type == type_names_.end()) {
    std::string known;
    for (const std::string& t : type_names_) known += (known.empty() ? "" : ", ") + t;
    out.status = Status::InvalidArgument("unknown_order_type",
                                         "order_type '" + in.order_type + "' is not one of: " + known,
                                         "/order_type");
    return out;
  }
  if (!OrderId::Fits(in.id) || in.lines.size() > UINT16_MAX) {
    out.status = Status::InvalidArgument("invalid_order", "order id or line count out of range", "");
    return out;
  }
  std::vector<LineRecord>& lines = scratch_lines_;
  lines.assign(in.lines.size(), LineRecord{});
  for (size_t i = 0; i < in.lines.size(); ++i) {
    const model::Line& src = in.lines[i];
    LineRecord& l = lines[i];
    l.sku = FindSkuIndex(tenant, src.sku);
    if (l.sku == model::kNone) {
      out.status = Status::NotFound("unknown_sku", "sku '" + src.sku + "' does not exist", LinePointer(i, "sku"));
      return out;
    }
    l.quantity = src.quantity;
    l.is_service = src.is_service;
    l.line = static_cast<uint16_t>(i);
    // Few skus have pause rules: a bit per sku spares reading the others.
    for (const auto& [channel, threshold] :
         sku_pausable_[l.sku] ? skus_[l.sku].channel_pause_below : kNoPauseRules) {
      if (channel == in.channel && pool_.AvailableEverywhere(l.sku) < threshold) {
        out.status = Status::Conflict("channel_paused",
                                      "sku '" + src.sku + "' is paused for channel '" + channel +
                                          "': available stock is below its threshold of " +
                                          std::to_string(threshold),
                                      LinePointer(i, "sku"));
        return out;
      }
    }
    if (!src.is_service && !src.node.empty()) {
      l.node = FindNodeIndex(tenant, src.node);
      if (l.node == model::kNone) {
        out.status = Status::NotFound("unknown_node", "node '" + src.node + "' does not exist",
                                      LinePointer(i, "node"));
        return out;
      }
    }
  }
  // Routed in China by the tenant's network; abroad by stock alone.
  RouteContext route;
  route.tenant = tenant;
  route.now = now;
  route.promise_at = in.promise_at;
  if (tenant != Names::kNone && in.ship_to.country == "CN") {
    route.region = in.ship_to.region_code;
    RollLoadDay(now);
  }
  RouteResult routed;
  bool backordered = false;
  if (Status st = PlanReservations(lines, in.flags, &route, &routed); !st.ok()) {
    // Not enough stock anywhere: under a backorder policy the order waits
    // for it, holding nothing (docs/ROUTING.md "Priority").
    const bool waits = st.reason() == "insufficient_stock" && tenant != Names::kNone && tenant < routing_.size() &&
                       routing_[tenant] != nullptr && routing_[tenant]->policy().backorder;
    if (!waits) {
      out.status = st;
      return out;
    }
    backordered = true;
    routed = RouteResult{};
    lines = Unplaced(lines);
  }

  // Everything checked: mutate.
  const uint32_t idx = static_cast<uint32_t>(orders_.size());
  OrderRecord& o = orders_.emplace_back();
  o.id = OrderId::Of(in.id);
  o.tenant = tenant != Names::kNone ? tenant : tenants_.Intern(in.tenant);
  o.channel = channel != Names::kNone ? channel : channels_.Intern(in.channel);
  if (tenant == Names::kNone || channel == Names::kNone) {
    channel_hash = HashChannel(o.tenant, o.channel, in.channel_order_id);
  }
  o.type = static_cast<uint8_t>(type - type_names_.begin());
  o.paid = in.paid;
  o.flags = in.flags;
  o.created_at = o.updated_at = now;
  o.placed_at = in.placed_at == 0 ? now : in.placed_at;
  o.state = o.held_from = types_[o.type]->initial();
  o.promise_at = in.promise_at;
  o.region = RegionNumber(route.region);
  for (LineRecord& l : lines) {
    if (l.node != model::kNone && !l.is_service) {
      pool_.Reserve(l.sku, l.node, l.quantity);
      l.reserved = l.quantity;
    }
  }
  std::vector<std::string_view>& segments = scratch_segments_;
  segments.assign({in.channel_order_id, in.customer_id, in.attributes, c.detail});
  for (const std::string& d : c.line_details) segments.push_back(d);
  o.block = OrderBlock(lines, segments, &arena_);
  if (!o.paid && c.reservation_ttl > 0) {
    o.reserved_until = now + c.reservation_ttl;
    expiries_.emplace(o.reserved_until, idx);
  }
  order_by_id_.insert(Slot{idx, HashId(in.id)});
  order_by_channel_id_.insert(Slot{idx, channel_hash});
  if (!c.idempotency_key.empty()) {
    std::string key = JoinKey(in.tenant, c.idempotency_key);
    idempotency_.emplace(key, IdempotencyEntry{c.request_hash, idx, now});
    idempotency_fifo_.push_back(std::move(key));
  }
  ++state_counts_[o.type][o.state];
  Index(idx);
  std::string data;
  if (routed.routed) {
    AddLoad(o.tenant, lines, +1);
    open_plans_[idx] = OpenPlan{routed.cost, routed.p_on_time, ++route_seq_, BasePriority(o.tenant, c)};
    RecordRouted(idx, now, "created", "create", "channel:" + in.channel, "", "{", routed, ch);
    out.order_id = o.id.view();
    out.mutated = true;
    return out;
  }
  if (backordered) {
    backorders_[idx] = Waiting{BasePriority(o.tenant, c), now};
    JsonWriter w(&data);
    w.BeginObject().Key("backorder").BeginObject().Key("priority").Double(PriorityAt(idx, backorders_[idx].priority, now));
    w.EndObject().EndObject();
  }
  Record(idx, now, "created", "create", o.state, o.state, "channel:" + in.channel, "", std::move(data), ch);
  out.order_id = o.id.view();
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyFire(const FireEvent& c, Micros now, Changes* ch) {
  Outcome out;
  const uint32_t idx = FindIndex(c.tenant, c.order_id);
  if (idx == model::kNone) {
    out.status = Status::NotFound("order_not_found", "order '" + c.order_id + "' does not exist", "");
    return out;
  }
  OrderRecord& o = orders_[idx];
  out.order_id = o.id.view();
  const lifecycle::Lifecycle& lc = LifecycleOf(o);
  const lifecycle::Transition* t = lc.Find(o.state, c.event);
  if (t == nullptr) {
    bool known = false;
    for (const lifecycle::Transition& x : lc.transitions()) known = known || x.event == c.event;
    if (!known) {
      out.status = Status::InvalidArgument(
          "unknown_event", "event '" + c.event + "' does not exist for order type '" + lc.type() + "'", "/event");
      return out;
    }
    std::string allowed;
    for (const std::string& e : lc.EventsFrom(o.state)) allowed += (allowed.empty() ? "" : ", ") + e;
    std::string msg = "cannot '" + c.event + "' an order in state '" + lc.state_name(o.state) + "'";
    if (c.event == "cancel" && shipments_.contains(idx)) msg += "; after shipment, use a return";
    msg += allowed.empty() ? "; the state is final" : "; allowed events: " + allowed;
    out.status = Status::Conflict("illegal_transition", msg, "/event");
    return out;
  }
  if (!t->actors.empty() && c.actor != "admin" && !Contains(t->actors, c.actor)) {
    out.status = Status::PermissionDenied("role '" + c.actor + "' may not fire '" + c.event + "'");
    return out;
  }

  // Plan the effects that can fail before changing anything.
  const std::span<const LineRecord> lines = std::as_const(o.block).lines();
  std::vector<LineRecord> planned;
  const bool reserve = Contains(t->effects, "reserve_stock");
  if (reserve) {
    planned.assign(lines.begin(), lines.end());
    if (Status st = PlanReservations(planned, o.flags); !st.ok()) {
      out.status = st;
      return out;
    }
  }
  for (const std::string& g : t->guards) {
    if (g == "stock_reserved") {
      for (const LineRecord& l : reserve ? std::span<const LineRecord>(planned) : lines) {
        if (!l.is_service && l.reserved == 0 && l.node == model::kNone) {
          out.status = Status::Conflict("guard_failed", "'" + c.event + "' needs stock reserved for every line",
                                        LinePointer(l.line, "quantity"));
          return out;
        }
      }
    } else if (g == "paid") {
      if (!o.paid && !Contains(t->effects, "mark_paid")) {
        out.status = Status::Conflict("guard_failed", "'" + c.event + "' needs the order to be paid", "/event");
        return out;
      }
    }
  }

  // Mutate.
  const uint16_t from = o.state;
  const uint16_t to = t->to_previous ? o.held_from : t->to;
  if (Contains(t->effects, "mark_paid")) o.paid = true;
  if (reserve) Place(o, planned);
  std::string data;
  const bool consume = Contains(t->effects, "consume_stock");
  const bool release = Contains(t->effects, "release_stock");
  if (consume) {
    ConsumeStock(idx, ch);
    if (!c.carrier.empty() || !c.tracking_number.empty()) {
      JsonWriter w(&data);
      w.BeginObject().Field("carrier", c.carrier).Field("tracking_number", c.tracking_number).EndObject();
    }
    std::vector<model::NodeIndex> shipped_from;
    for (const LineRecord& l : o.block.lines()) {
      const model::NodeIndex n = l.ships_from();
      if (n != model::kNone && std::find(shipped_from.begin(), shipped_from.end(), n) == shipped_from.end()) {
        shipped_from.push_back(n);
      }
    }
    for (model::NodeIndex n : shipped_from) {
      shipments_[idx].push_back(model::Shipment{nodes_[n].code, c.carrier, c.tracking_number, now});
    }
  }
  if (release) ReleaseStock(idx, ch);
  if ((o.paid || release || consume || lc.is_terminal(to)) && o.reserved_until != 0) {
    expiries_.erase({o.reserved_until, idx});
    o.reserved_until = 0;
  }
  o.held_from = from;
  SetState(o, to);
  o.updated_at = now;
  SettlePlan(idx);
  Record(idx, now, "transition", c.event, from, to, c.actor, c.reason, std::move(data), ch);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyTracking(const AttachTracking& c, Micros now, Changes* ch) {
  Outcome out;
  const uint32_t idx = FindIndex(c.tenant, c.order_id);
  if (idx == model::kNone) {
    out.status = Status::NotFound("order_not_found", "order '" + c.order_id + "' does not exist", "");
    return out;
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Field("description", c.description).Field("location", c.location).EndObject();
  const OrderRecord& o = orders_[idx];
  out.order_id = o.id.view();
  Record(idx, c.at != 0 ? c.at : now, "tracking", c.code, o.state, o.state, c.actor, "", std::move(data), ch);
  out.mutated = true;
  return out;
}

std::vector<LineRecord> Engine::Unplaced(std::span<const LineRecord> lines) {
  std::vector<LineRecord> out;
  out.reserve(lines.size());
  for (const LineRecord& l : lines) {
    if (!out.empty() && out.back().line == l.line) {
      out.back().quantity += l.quantity;
      continue;
    }
    LineRecord& u = out.emplace_back(l);
    if (u.is_service) continue;
    u.node = u.ship_node = model::kNone;
    u.reserved = 0;
  }
  return out;
}

void Engine::Place(OrderRecord& o, std::span<LineRecord> placed) {
  for (LineRecord& l : placed) {
    if (l.is_service || l.reserved > 0 || l.node == model::kNone) continue;
    pool_.Reserve(l.sku, l.node, l.quantity);
    l.reserved = l.quantity;
  }
  o.block.SetLines(placed);
}

void Engine::ReleaseStock(uint32_t idx, Changes* ch) {
  for (LineRecord& l : orders_[idx].block.lines()) {
    if (l.reserved == 0) continue;
    StockFreed(l.sku, pool_.Available(l.sku, l.node));
    pool_.Release(l.sku, l.node, l.reserved);
    l.reserved = 0;
  }
}

void Engine::ConsumeStock(uint32_t idx, Changes* ch) {
  for (LineRecord& l : orders_[idx].block.lines()) {
    if (l.reserved == 0) continue;
    pool_.Consume(l.sku, l.node, l.reserved);
    l.shipped += l.reserved;
    l.reserved = 0;
  }
}

void Engine::SetState(OrderRecord& o, uint16_t to) {
  if (o.state == to) return;
  --state_counts_[o.type][o.state];
  ++state_counts_[o.type][to];
  o.state = to;
}

void Engine::Record(uint32_t idx, Micros at, std::string_view kind, std::string_view event, uint16_t from,
                    uint16_t to, std::string_view actor, std::string_view reason, std::string data, Changes* ch) {
  OrderRecord& o = orders_[idx];
  ++o.event_count;
  if (ch == nullptr) return;
  const lifecycle::Lifecycle& lc = LifecycleOf(o);
  static_assert(OrderId::kMax <= sizeof(model::NewOrderEvent::order_id_chars));
  model::NewOrderEvent& e = ch->events.emplace_back();
  e.tenant = tenants_.Name(o.tenant);
  const std::string_view id = o.id.view();
  std::memcpy(e.order_id_chars, id.data(), id.size());
  e.order_id_size = static_cast<uint8_t>(id.size());
  e.seq = o.event_count;
  e.at = at;
  e.kind = kind;
  e.from_state = lc.state_name(from);
  e.to_state = lc.state_name(to);
  e.event = event;
  e.actor = actor;
  e.reason = reason;
  e.data = std::move(data);
}

void Engine::ExpireIdempotencyKeys(Micros now, Changes* ch) {
  // Every key in the queue is in the map: a key is queued when it enters
  // the map and leaves both here.
  while (!idempotency_fifo_.empty()) {
    const std::string& k = idempotency_fifo_.front();
    if (now - idempotency_.at(k).at < kIdempotencyTtl) return;
    if (ch != nullptr) {
      const size_t sep = k.find('\x1f');
      ch->expired_idempotency_keys.emplace_back(k.substr(0, sep), k.substr(sep + 1));
    }
    idempotency_.erase(k);
    idempotency_fifo_.pop_front();
  }
}

Outcome Engine::ApplyExpire(Micros now, Changes* ch) {
  Outcome out;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const uint32_t idx = expiries_.begin()->second;
    expiries_.erase(expiries_.begin());
    OrderRecord& o = orders_[idx];
    o.reserved_until = 0;
    ReleaseStock(idx, ch);
    const uint16_t from = o.state;
    if (const lifecycle::Transition* t = LifecycleOf(o).Find(o.state, "cancel"); t != nullptr && !t->to_previous) {
      SetState(o, t->to);
    }
    o.updated_at = now;
    SettlePlan(idx);
    Record(idx, now, "expired", "cancel", from, o.state, "system", "reservation_expired", "", ch);
    out.mutated = true;
  }
  return out;
}

// ---- catalog and stock ------------------------------------------------------

Outcome Engine::ApplyUpsertNode(const UpsertNode& c, Micros now, Changes* ch) {
  Outcome out;
  const NameId tenant = tenants_.Intern(c.node.tenant);
  if (node_by_code_.size() <= tenant) node_by_code_.resize(tenant + 1);
  auto [it, inserted] = node_by_code_[tenant].try_emplace(c.node.code, static_cast<model::NodeIndex>(nodes_.size()));
  // A node going down, degraded or losing capacity breaks plans: they move now.
  bool disrupts = false;
  if (inserted) {
    nodes_.push_back(c.node);
    node_gates_.emplace_back();
  } else {
    const model::Node& was = nodes_[it->second];
    auto less = [](int64_t now_cap, int64_t was_cap) { return now_cap != 0 && (was_cap == 0 || now_cap < was_cap); };
    disrupts = (c.node.status != was.status && c.node.status != "up") ||
               less(c.node.capacity_orders, was.capacity_orders) || less(c.node.capacity_lines, was.capacity_lines) ||
               c.node.region_code != was.region_code;
    nodes_[it->second] = c.node;
  }
  node_gates_[it->second] = NodeGate{c.node.status == "down", c.node.capabilities};
  node_load_.resize(nodes_.size());
  RoutingFor(tenant).Invalidate();
  if (!disrupts) TenantBetter(tenant);
  if (disrupts && !open_plans_.empty()) {
    Replan r{c.node.tenant, /*only_broken=*/true, false, {it->second}, "", "system",
             "node " + c.node.code + ": " + c.node.status};
    ApplyReplan(r, now, ch);
  }
  if (ch != nullptr) ch->nodes.push_back(it->second);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyUpsertSku(const UpsertSku& c, Changes* ch) {
  Outcome out;
  const NameId tenant = tenants_.Intern(c.sku.tenant);
  if (sku_by_code_.size() <= tenant) sku_by_code_.resize(tenant + 1);
  auto [it, inserted] = sku_by_code_[tenant].try_emplace(c.sku.code, static_cast<model::SkuIndex>(skus_.size()));
  if (inserted) {
    skus_.push_back(c.sku);
    sku_pausable_.push_back(false);
  } else {
    skus_[it->second] = c.sku;
  }
  sku_pausable_[it->second] = !c.sku.channel_pause_below.empty();
  if (sku_better_.size() < skus_.size()) sku_better_.resize(skus_.size());
  SkuBetter(it->second);  // a lighter unit may ship cheaper
  if (ch != nullptr) ch->skus.push_back(it->second);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplySetStock(const SetStock& c, Micros now, Changes* ch) {
  Outcome out;
  model::SkuIndex s;
  model::NodeIndex n;
  if (out.status = ResolveSkuNode(c.tenant, c.sku, c.node, &s, &n); !out.status.ok()) return out;
  const model::StockLevel* cur = pool_.Find(s, n);
  const int64_t on_hand = c.on_hand.value_or(cur == nullptr ? 0 : cur->on_hand);
  const int64_t safety = c.safety.value_or(cur == nullptr ? 0 : cur->safety);
  if (out.status = pool_.CheckSet(s, n, on_hand, safety); !out.status.ok()) return out;
  const int64_t was = pool_.Available(s, n);
  pool_.Set(s, n, on_hand, safety);
  if (pool_.Available(s, n) > was) {
    StockFreed(s, was);
    FillBackorders(tenants_.Find(c.tenant), s, now, ch);
  }
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyAdjustStock(const AdjustStock& c, Micros now, Changes* ch) {
  Outcome out;
  model::SkuIndex s;
  model::NodeIndex n;
  if (out.status = ResolveSkuNode(c.tenant, c.sku, c.node, &s, &n); !out.status.ok()) return out;
  if (out.status = pool_.CheckAdjust(s, n, c.delta); !out.status.ok()) return out;
  const int64_t was = pool_.Available(s, n);
  pool_.Adjust(s, n, c.delta);
  if (c.delta > 0) {
    StockFreed(s, was);
    FillBackorders(tenants_.Find(c.tenant), s, now, ch);
  }
  out.mutated = true;
  return out;
}

}  // namespace orderhub::engine
