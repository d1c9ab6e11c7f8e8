// The engine's routing: orders routed by each tenant's network (sourcing.h),
// the commands that change a network (lanes, policy, closures), re-routing
// one order, and quotes.
#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/json_writer.h"
#include "base/varint.h"
#include "engine/engine.h"
#include "geo/geo.h"

namespace orderhub::engine {
namespace {

constexpr uint32_t kCapabilityFlags = model::kColdChain | model::kHazardous | model::kCrossBorder;
constexpr Micros kDay = 24 * 3600 * kMicrosPerSecond;
constexpr Micros kChinaOffset = 8 * 3600 * kMicrosPerSecond;
constexpr int64_t kDefaultUnitWeight = 500;  // grams, for skus without a weight

// States from which the warehouse has the order: its nodes are settled.
bool PastRelease(std::string_view state) {
  for (std::string_view s : {"released", "picked", "shipped", "delivered", "in_service", "completed"}) {
    if (s == state) return true;
  }
  return false;
}

// The decider's per-line problems as one status naming the first line.
// `line_of`: the lines' records by request; `sku_of`, `order_line_of`: of a record.
Status Unroutable(const routing::Decision& d, std::span<const uint32_t> line_of,
                  const std::function<std::string(uint32_t)>& sku_of,
                  const std::function<uint32_t(uint32_t)>& order_line_of) {
  std::string msg;
  bool only_stock = true;
  uint32_t first = UINT32_MAX;
  for (const routing::LineProblem& p : d.problems) {
    const uint32_t line = p.line < line_of.size() ? order_line_of(line_of[p.line]) : 0;
    first = std::min(first, line);
    only_stock = only_stock && p.reason == "no_stock";
    if (!msg.empty()) msg += "; ";
    msg += "line " + std::to_string(line);
    if (p.line < line_of.size()) msg += " (sku '" + sku_of(line_of[p.line]) + "')";
    msg += ": " + p.reason;
    const size_t colon = p.detail.find(": ");
    if (colon != std::string::npos) msg += " - " + p.detail.substr(colon + 2);
  }
  const std::string at = "/lines/" + std::to_string(first == UINT32_MAX ? 0 : first);
  // No node holds enough of something: the stock answer clients already know.
  if (only_stock) return Status::Insufficient("insufficient_stock", "not enough stock: " + msg, at + "/quantity");
  return Status::Conflict("unroutable", "no node can serve the order: " + msg, at);
}

// Puts each line where the decision's chosen plan does: reserved where its
// units are (a transferred line at its supplier, shipping from the hub), and
// a line the plan splits by quantity as one record per node. The decision's
// lines are then numbered as the order numbers them, with the units of a
// parcel that carries part of a line.
void PlaceAsDecided(std::vector<LineRecord>& lines, std::span<const routing::LineRequest> requests,
                    std::span<const uint32_t> line_of, routing::Decision* d, const TenantRouting& tr) {
  // Records of one line already (parts placed before), or a split now: the general way.
  bool parts = !lines.empty() && lines.back().line + 1u != lines.size();
  for (const routing::Shipment& s : d->plans[0].shipments) parts = parts || !s.quantities.empty();
  auto placed_at = [&](const routing::Shipment& s, uint32_t r, model::NodeIndex* node, model::NodeIndex* ship) {
    *node = tr.EngineNode(s.node);
    *ship = model::kNone;
    for (const routing::Shipment::Leg& leg : s.transfers) {
      if (leg.line != r) continue;
      *node = tr.EngineNode(leg.from);
      *ship = tr.EngineNode(s.node);
    }
  };
  if (!parts) {  // one record per line, each placed whole: in place
    for (const routing::Shipment& s : d->plans[0].shipments) {
      for (uint32_t r : s.lines) placed_at(s, r, &lines[line_of[r]].node, &lines[line_of[r]].ship_node);
    }
    for (routing::Plan& p : d->plans) {
      for (routing::Shipment& s : p.shipments) {
        for (uint32_t& l : s.lines) l = lines[line_of[l]].line;
        for (routing::Shipment::Leg& leg : s.transfers) leg.line = lines[line_of[leg.line]].line;
      }
    }
    return;
  }
  struct Part {
    uint32_t record;
    model::NodeIndex node, ship;
    int64_t units;
  };
  std::vector<Part> placed;
  for (const routing::Shipment& s : d->plans[0].shipments) {
    for (size_t k = 0; k < s.lines.size(); ++k) {
      const uint32_t r = s.lines[k];
      Part p{line_of[r], 0, 0, s.quantities.empty() ? requests[r].quantity : s.quantities[k]};
      placed_at(s, r, &p.node, &p.ship);
      placed.push_back(p);
    }
  }
  std::stable_sort(placed.begin(), placed.end(), [](const Part& a, const Part& b) { return a.record < b.record; });
  std::vector<LineRecord> out;
  out.reserve(lines.size() + placed.size());
  size_t k = 0;
  for (uint32_t j = 0; j < lines.size(); ++j) {
    if (k == placed.size() || placed[k].record != j) {
      out.push_back(lines[j]);
      continue;
    }
    for (; k < placed.size() && placed[k].record == j; ++k) {
      LineRecord& l = out.emplace_back(lines[j]);
      l.node = placed[k].node;
      l.ship_node = placed[k].ship;
      l.quantity = static_cast<int32_t>(placed[k].units);
    }
  }
  std::vector<int64_t> line_units;  // per order line, over its records
  for (const LineRecord& l : lines) {
    if (line_units.size() <= l.line) line_units.resize(l.line + 1u, 0);
    line_units[l.line] += l.quantity;
  }
  // Renumbered from the records as they were.
  std::vector<uint16_t> order_line(line_of.size());
  for (size_t r = 0; r < line_of.size(); ++r) order_line[r] = lines[line_of[r]].line;
  lines.swap(out);
  for (routing::Plan& p : d->plans) {
    for (routing::Shipment& s : p.shipments) {
      bool part = !s.quantities.empty();
      for (uint32_t r : s.lines) part = part || requests[r].quantity != line_units[order_line[r]];
      if (part && s.quantities.empty()) {
        for (uint32_t r : s.lines) s.quantities.push_back(requests[r].quantity);
      }
      for (uint32_t& l : s.lines) l = order_line[l];
      for (routing::Shipment::Leg& leg : s.transfers) leg.line = order_line[leg.line];
    }
  }
}

}  // namespace

TenantRouting& Engine::RoutingFor(NameId tenant) {
  if (routing_.size() <= tenant) routing_.resize(tenant + 1);
  if (routing_[tenant] == nullptr) routing_[tenant] = std::make_unique<TenantRouting>();
  return *routing_[tenant];
}

void Engine::RollLoadDay(Micros now) {
  const int64_t day = (now + kChinaOffset) / kDay;
  if (day == load_day_) return;
  load_day_ = day;
  std::fill(node_load_.begin(), node_load_.end(), std::pair<int64_t, int64_t>{0, 0});
  for (NameId t = 0; t < routing_.size(); ++t) {
    if (routing_[t] == nullptr) continue;
    routing_[t]->Invalidate();
    TenantBetter(t);
  }
}

void Engine::SkuBetter(model::SkuIndex s) {
  if (sku_better_.size() <= s) sku_better_.resize(s + 1);
  sku_better_[s] = ++route_seq_;
}

void Engine::TenantBetter(NameId t) {
  if (tenant_better_.size() <= t) tenant_better_.resize(t + 1);
  tenant_better_[t] = ++route_seq_;
}

void Engine::StockFreed(model::SkuIndex s, int64_t available_before) {
  if (available_before < kPlentyUnits) SkuBetter(s);
}

bool Engine::Improvable(uint32_t idx, const OpenPlan& plan) const {
  const OrderRecord& o = orders_[idx];
  if (o.tenant < tenant_better_.size() && tenant_better_[o.tenant] > plan.decided) return true;
  for (const LineRecord& l : o.block.lines()) {
    if (l.sku < sku_better_.size() && sku_better_[l.sku] > plan.decided) return true;
  }
  return false;
}

void Engine::AddLoad(NameId tenant, std::span<const LineRecord> lines, int sign, LoadDeltas* applied) {
  if (applied != nullptr) applied->assign(lines.size(), {0, 0});
  // One order per node it ships from, one line per line.
  for (size_t i = 0; i < lines.size(); ++i) {
    const model::NodeIndex n = lines[i].ships_from();
    if (n == model::kNone || lines[i].is_service) continue;
    bool first = true;
    for (size_t j = 0; j < i; ++j) first = first && lines[j].ships_from() != n;
    // An order counted on an earlier day releases nothing today: loads never go below zero.
    const int64_t orders = std::max<int64_t>(first ? sign : 0, -node_load_[n].first);
    const int64_t units = std::max<int64_t>(sign, -node_load_[n].second);
    node_load_[n].first += orders;
    node_load_[n].second += units;
    if (tenant < routing_.size() && routing_[tenant] != nullptr) routing_[tenant]->AddLoad(n, orders, units);
    if (applied != nullptr) (*applied)[i] = {orders, units};
  }
}

void Engine::UndoLoad(NameId tenant, std::span<const LineRecord> lines, const LoadDeltas& applied) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto [orders, units] = applied[i];
    if (orders == 0 && units == 0) continue;
    const model::NodeIndex n = lines[i].ships_from();
    node_load_[n].first -= orders;
    node_load_[n].second -= units;
    if (tenant < routing_.size() && routing_[tenant] != nullptr) routing_[tenant]->AddLoad(n, -orders, -units);
  }
}

std::optional<Status> Engine::Route(std::vector<LineRecord>& lines, std::span<const uint32_t> open, uint32_t flags,
                                    const RouteContext& rc, RouteResult* result) const {
  if (rc.tenant >= routing_.size() || routing_[rc.tenant] == nullptr) return std::nullopt;
  TenantRouting& tr = *routing_[rc.tenant];
  const routing::Network* net = tr.Network(nodes_, tenants_.Name(rc.tenant), node_load_);
  if (net == nullptr || geo::Regions::China().Find(rc.region) == nullptr) return std::nullopt;

  // The lines the decider sees: the open ones, and those the order placed
  // itself (pinned), so that the plan prices every parcel.
  std::vector<routing::LineRequest> requests;
  std::vector<uint32_t> line_of, pins;
  bool any_pin = false;
  for (uint32_t i = 0; i < lines.size(); ++i) {
    const LineRecord& l = lines[i];
    if (l.is_service || l.reserved > 0) continue;
    const bool is_open = std::find(open.begin(), open.end(), i) != open.end();
    uint32_t pin = routing::kNoNode;
    if (!is_open) {
      pin = tr.NetworkNode(l.node);
      if (pin == routing::kNoNode) return std::nullopt;
      any_pin = true;
    }
    const int64_t weight = skus_[l.sku].weight_g > 0 ? skus_[l.sku].weight_g : kDefaultUnitWeight;
    requests.push_back(routing::LineRequest{l.sku, l.quantity, weight});
    line_of.push_back(i);
    pins.push_back(pin);
  }
  if (requests.empty()) return std::nullopt;
  PoolStock& stock = tr.Stock(&pool_);
  if (rc.all_stock) stock.IgnoreReservations();
  for (const auto& [k, units] : rc.credits) {
    stock.Credit(static_cast<model::SkuIndex>(k >> 32), static_cast<model::NodeIndex>(k & 0xffffffffu), units);
  }
  std::vector<uint32_t> forbidden;
  routing::OrderRequest req;
  req.now = rc.now;
  req.promise_at = rc.promise_at;
  req.region_code = rc.region;
  req.needs = flags & kCapabilityFlags;
  req.lines = requests;
  if (any_pin) req.line_nodes = pins;
  if (rc.overrides != nullptr) {
    if (rc.overrides->pinned != model::kNone) {
      req.pinned_node = tr.NetworkNode(rc.overrides->pinned);
      // Pinned to a node routing cannot use: nothing can serve the order.
      if (req.pinned_node == routing::kNoNode) {
        return Status::Conflict("unroutable", "the order is pinned to node '" + nodes_[rc.overrides->pinned].code +
                                                  "', which has no place in the routing network");
      }
    }
    for (model::NodeIndex n : rc.overrides->forbidden) {
      if (const uint32_t at = tr.NetworkNode(n); at != routing::kNoNode) forbidden.push_back(at);
    }
    req.forbidden_nodes = forbidden;
  }
  routing::Decider* decider = result != nullptr && result->lean ? tr.lean_decider() : tr.decider();
  routing::Decision d = decider->Decide(req, stock);
  if (!d.routable()) {
    return Unroutable(d, line_of, [&](uint32_t r) { return skus_[lines[r].sku].code; },
                      [&](uint32_t r) { return lines[r].line; });
  }
  PlaceAsDecided(lines, requests, line_of, &d, tr);
  if (result != nullptr) {
    result->cost = d.plans[0].cost;
    result->p_on_time = d.plans[0].p_on_time;
    result->score = d.plans[0].score;
    result->routed = true;
    result->network = net;
    result->decision = std::move(d);
  }
  return Status::OK();
}

bool Engine::Reroutable(const OrderRecord& o) const {
  const lifecycle::Lifecycle& lc = LifecycleOf(o);
  if (lc.is_terminal(o.state) || PastRelease(lc.state_name(o.state))) return false;
  const std::span<const LineRecord> lines = o.block.lines();
  return std::none_of(lines.begin(), lines.end(), [](const LineRecord& l) { return l.shipped > 0; }) &&
         std::any_of(lines.begin(), lines.end(), [](const LineRecord& l) { return l.reserved > 0; });
}

void Engine::PriceAsPlaced(uint32_t idx, const RouteContext& rc, RouteResult* r) const {
  const std::span<const LineRecord> current = orders_[idx].block.lines();
  std::vector<LineRecord> same(current.begin(), current.end());
  for (LineRecord& l : same) l.reserved = 0;
  const std::optional<Status> st = Route(same, {}, orders_[idx].flags, rc, r);
  if (!st || !st->ok()) r->routed = false;
}

void Engine::SettlePlan(uint32_t idx) {
  if (LifecycleOf(orders_[idx]).is_terminal(orders_[idx].state)) backorders_.erase(idx);
  if (Reroutable(orders_[idx])) return;
  open_plans_.erase(idx);
  overrides_.erase(idx);
}

namespace {

// A routed change's event data until the committer packs it.
class RoutingData final : public model::LateData {
 public:
  RoutingData(std::string head, routing::Decision decision, const routing::Network& network)
      : head_(std::move(head)), decision_(std::move(decision)) {
    codes_ = routing::DetachNodes(&decision_, network);
  }
  std::string Render() const override {
    std::string out(1, model::kPackedEventData);
    PutBytes(out, head_);
    routing::PackDecision(decision_, codes_, &out);
    return out;
  }

 private:
  std::string head_;
  routing::Decision decision_;
  std::vector<std::string> codes_;
};

// The parts of packed event data: the head (the event's own fields, a JSON
// object left open) and the decision.
struct Unpacked {
  std::string_view head;
  routing::Decision decision;
  std::vector<std::string> codes;
};

bool Unpack(std::string_view data, Unpacked* u) {
  if (data.empty() || data[0] != model::kPackedEventData) return false;
  VarintReader r(data.substr(1));
  return r.Bytes(&u->head) && routing::UnpackDecision(r.rest(), &u->decision, &u->codes);
}

constexpr std::string_view kUnreadable = R"({"error":"the stored event data could not be decoded"})";

}  // namespace

void Engine::RecordRouted(uint32_t idx, Micros at, std::string_view kind, std::string_view event,
                          std::string_view actor, std::string_view reason, std::string head, RouteResult& routed,
                          Changes* ch) {
  const uint16_t state = orders_[idx].state;
  Record(idx, at, kind, event, state, state, actor, reason, "", ch);
  if (ch == nullptr) return;  // replay: nobody reads it
  ch->events.back().late = std::make_unique<RoutingData>(std::move(head), std::move(routed.decision), *routed.network);
}

std::string EventDataJson(std::string_view data) {
  if (data.empty() || data[0] != model::kPackedEventData) return std::string(data);
  Unpacked u;
  if (!Unpack(data, &u)) return std::string(kUnreadable);
  std::string out(u.head);
  out += u.head.size() > 1 ? ",\"routing\":" : "\"routing\":";
  out += routing::DecisionJson(u.decision, u.codes);
  out += '}';
  return out;
}

std::optional<std::string> EventDecisionJson(std::string_view data) {
  if (!data.empty() && data[0] == model::kPackedEventData) {
    Unpacked u;
    if (!Unpack(data, &u)) return std::string(kUnreadable);
    return routing::DecisionJson(u.decision, u.codes);
  }
  // Before packing the engine wrote "routing" as the data's last member.
  const size_t at = data.find("\"routing\":");
  if (at == std::string_view::npos) return std::nullopt;
  constexpr size_t kKey = sizeof("\"routing\":") - 1;
  return std::string(data.substr(at + kKey, data.size() - at - kKey - 1));
}

namespace {

// "A,B" per line; "A+B" for a line split between nodes.
std::string NodesOf(std::span<const LineRecord> lines, std::span<const model::Node> nodes) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].is_service) continue;
    if (!out.empty()) out += i > 0 && lines[i - 1].line == lines[i].line ? "+" : ",";
    out += nodes[lines[i].ships_from()].code;
  }
  return out;
}

}  // namespace

std::string Engine::Unhold(uint32_t idx, std::span<const LineRecord> next) {
  OrderRecord& o = orders_[idx];
  AddLoad(o.tenant, std::as_const(o.block).lines(), -1);
  std::string before = NodesOf(std::as_const(o.block).lines(), nodes_);
  for (LineRecord& l : o.block.lines()) {
    if (l.is_service || l.reserved == 0) continue;
    // Freed where nothing of the next plan takes the sku back.
    const bool kept = std::any_of(next.begin(), next.end(),
                                  [&](const LineRecord& p) { return p.sku == l.sku && p.node == l.node; });
    if (!kept) StockFreed(l.sku, pool_.Available(l.sku, l.node));
    pool_.Release(l.sku, l.node, l.reserved);
    l.reserved = 0;
  }
  return before;
}

std::string Engine::Hold(uint32_t idx, std::span<LineRecord> placed, const RouteResult& plan) {
  OrderRecord& o = orders_[idx];
  Place(o, placed);
  AddLoad(o.tenant, std::as_const(o.block).lines(), +1);
  const auto was = open_plans_.find(idx);
  const double priority = was != open_plans_.end() ? was->second.priority : 0;
  open_plans_[idx] = OpenPlan{plan.cost, plan.p_on_time, ++route_seq_, priority};
  return NodesOf(std::as_const(o.block).lines(), nodes_);
}

std::pair<std::string, std::string> Engine::MovePlan(uint32_t idx, std::span<LineRecord> placed,
                                                    const RouteResult& plan) {
  std::string before = Unhold(idx, placed);
  return {std::move(before), Hold(idx, placed, plan)};
}

// ---- commands ---------------------------------------------------------------

Outcome Engine::ApplySetLanes(const SetLanes& c) {
  Outcome out;
  const NameId tenant = tenants_.Intern(c.tenant);
  out.status = RoutingFor(tenant).SetLanes(c.text, c.links, nodes_, c.tenant);
  out.mutated = out.status.ok();
  if (out.mutated) TenantBetter(tenant);
  return out;
}

Outcome Engine::ApplySetPolicy(const SetPolicy& c) {
  Outcome out;
  const NameId tenant = tenants_.Intern(c.tenant);
  RoutingFor(tenant).SetPolicy(c.text, c.policy);
  TenantBetter(tenant);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyDisrupt(const Disrupt& c, Micros now, Changes* ch) {
  Outcome out;
  TenantRouting& tr = RoutingFor(tenants_.Intern(c.tenant));
  const bool closed = std::find(tr.closed().begin(), tr.closed().end(), c.target) != tr.closed().end();
  if (!c.close && !closed) {
    out.status = Status::NotFound("not_closed", "'" + c.target + "' is not closed", "/reopen");
    return out;
  }
  if (c.close) {
    tr.Close(c.target);
    // The orders whose plans the closure breaks move now. Suspects: orders
    // into a closed region, from nodes in it, or from nodes with an explicit
    // lane through it.
    Replan r{c.tenant, /*only_broken=*/true, false, {}, "", "system", "closed: " + c.target};
    const bool region = std::all_of(c.target.begin(), c.target.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (region) r.region = c.target;
    const NameId t = tenants_.Find(c.tenant);
    for (model::NodeIndex n = 0; n < nodes_.size(); ++n) {
      if (tenants_.Find(nodes_[n].tenant) != t) continue;
      bool hit = region && nodes_[n].region_code.compare(0, c.target.size(), c.target) == 0;
      if (const routing::Network* net = tr.Network(nodes_, c.tenant, node_load_); !hit && net != nullptr) {
        const uint32_t at = tr.NetworkNode(n);
        for (uint32_t lane : at == routing::kNoNode ? std::span<const uint32_t>() : net->LanesFrom(at)) {
          for (const std::string& v : net->lanes()[lane].via) {
            hit = hit || v == c.target || (region && v.compare(0, c.target.size(), c.target) == 0);
          }
        }
      }
      if (hit) r.nodes.push_back(n);
    }
    // Nothing can be broken: an empty suspect list would mean "all".
    if (!r.region.empty() || !r.nodes.empty()) ApplyReplan(r, now, ch);
  } else {
    tr.Reopen(c.target);
    TenantBetter(tenants_.Find(c.tenant));
  }
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyReroute(const Reroute& c, Micros now, Changes* ch) {
  Outcome out;
  const uint32_t idx = FindIndex(c.tenant, c.order_id);
  if (idx == model::kNone) {
    out.status = Status::NotFound("order_not_found", "order '" + c.order_id + "' does not exist");
    return out;
  }
  OrderRecord& o = orders_[idx];
  out.order_id = o.id.view();
  const std::span<const LineRecord> current = std::as_const(o.block).lines();
  if (!Reroutable(o)) {
    out.status = Status::Conflict("not_reroutable", "order '" + c.order_id + "' is " +
                                                        LifecycleOf(o).state_name(o.state) +
                                                        ": only orders holding stock, with nothing shipped and not "
                                                        "yet released to a warehouse, are routed again");
    return out;
  }
  if (o.region == 0) {
    out.status = Status::Conflict("not_reroutable", "order '" + c.order_id +
                                                        "' has no destination in China: routing does not serve it");
    return out;
  }
  // The overrides it will have: the earlier ones unless cleared, plus these.
  RoutingOverride ov;
  if (auto it = overrides_.find(idx); it != overrides_.end() && !c.clear_overrides) ov = it->second;
  if (!c.pin_node.empty()) {
    ov.pinned = FindNodeIndex(o.tenant, c.pin_node);
    if (ov.pinned == model::kNone) {
      out.status = Status::NotFound("unknown_node", "node '" + c.pin_node + "' does not exist", "/pin_node");
      return out;
    }
  }
  for (size_t i = 0; i < c.forbid_nodes.size(); ++i) {
    const model::NodeIndex n = FindNodeIndex(o.tenant, c.forbid_nodes[i]);
    if (n == model::kNone) {
      out.status = Status::NotFound("unknown_node", "node '" + c.forbid_nodes[i] + "' does not exist",
                                    "/forbid_nodes/" + std::to_string(i));
      return out;
    }
    if (std::find(ov.forbidden.begin(), ov.forbidden.end(), n) == ov.forbidden.end()) ov.forbidden.push_back(n);
  }
  RollLoadDay(now);
  const std::string region = RegionText(o.region);
  std::vector<std::pair<uint64_t, int64_t>> credits;
  for (const LineRecord& l : current) {
    if (l.reserved > 0) credits.emplace_back(static_cast<uint64_t>(l.sku) << 32 | l.node, l.reserved);
  }
  // What the current plan cost when it was decided; for an order sourced
  // before its tenant had a network, what it costs now, every line placed
  // where it is (nothing when that cannot be priced: a node down, lanes closed).
  RouteResult before;
  if (auto it = open_plans_.find(idx); it != open_plans_.end()) {
    before.routed = true;
    before.cost = it->second.cost;
    before.p_on_time = it->second.p_on_time;
  } else {
    PriceAsPlaced(idx, RouteContext{o.tenant, region, now, o.promise_at, nullptr, credits, false}, &before);
  }
  std::vector<LineRecord> lines = Unplaced(current);
  RouteContext rc{o.tenant, region, now, o.promise_at, &ov, credits};
  RouteResult after;
  if (Status st = PlanReservations(lines, o.flags, &rc, &after); !st.ok()) {
    out.status = st;
    return out;
  }
  if (!after.routed) {
    out.status = Status::Conflict("not_reroutable", "the tenant has no routing network to route order '" +
                                                        c.order_id + "' on");
    return out;
  }
  // Checked: release the old reservations, take the new ones.
  const auto [before_nodes, after_nodes] = MovePlan(idx, lines, after);
  if (ov.pinned == model::kNone && ov.forbidden.empty()) {
    overrides_.erase(idx);
  } else {
    overrides_[idx] = std::move(ov);
  }
  o.updated_at = now;
  std::string head;
  JsonWriter w(&head);
  w.BeginObject().Key("before").BeginObject().Field("nodes", before_nodes);
  if (before.routed) {
    w.Field("cost", before.cost).Key("p_on_time").Double(before.p_on_time);
  }
  w.EndObject().Key("after").BeginObject().Field("nodes", after_nodes).Field("cost", after.cost);
  w.Key("p_on_time").Double(after.p_on_time).EndObject();
  if (before.routed) w.Field("cost_change", after.cost - before.cost);
  RecordRouted(idx, now, "rerouted", "reroute", c.actor, c.reason, std::move(head), after, ch);
  out.mutated = true;
  return out;
}

// ---- readers ----------------------------------------------------------------

Result<std::string> Engine::Quote(const QuoteRequest& q) const {
  const NameId tenant = tenants_.Find(q.tenant);
  if (tenant == Names::kNone || tenant >= routing_.size() || routing_[tenant] == nullptr) {
    return Status::NotFound("no_network", "the tenant has no nodes to route on");
  }
  if (geo::Regions::China().Find(q.region_code) == nullptr) {
    return Status::InvalidArgument("unknown_region", "no region '" + q.region_code + "' in GB/T 2260",
                                   "/region_code");
  }
  std::vector<LineRecord> lines(q.lines.size());
  std::vector<uint32_t> open;
  for (size_t i = 0; i < q.lines.size(); ++i) {
    lines[i].sku = FindSkuIndex(tenant, q.lines[i].sku);
    if (lines[i].sku == model::kNone) {
      return Status::NotFound("unknown_sku", "sku '" + q.lines[i].sku + "' does not exist",
                              "/lines/" + std::to_string(i) + "/sku");
    }
    lines[i].quantity = static_cast<int32_t>(q.lines[i].quantity);
    lines[i].line = static_cast<uint16_t>(i);
    open.push_back(static_cast<uint32_t>(i));
  }
  RouteContext rc{tenant, q.region_code, q.now, q.promise_at, nullptr, {}};
  RouteResult result;
  std::optional<Status> routed = Route(lines, open, q.flags, rc, &result);
  if (!routed) return Status::NotFound("no_network", "the tenant has no node in a known region to route from");
  if (!routed->ok()) return *routed;
  return routing::DecisionJson(result.decision, *result.network);
}

Result<std::string> Engine::NetworkJson(std::string_view tenant) const {
  const NameId t = tenants_.Find(tenant);
  if (t == Names::kNone || t >= routing_.size() || routing_[t] == nullptr) {
    return Status::NotFound("no_network", "the tenant has no nodes to route on");
  }
  TenantRouting& tr = *routing_[t];
  const routing::Network* net = tr.Network(nodes_, tenant, node_load_);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("nodes").BeginArray();
  if (net != nullptr) {
    for (const routing::Node& n : net->nodes()) {
      w.BeginObject().Field("code", n.code).Field("region_code", n.region_code);
      w.Field("status", routing::NodeStatusName(n.status));
      w.Field("capacity_orders", n.capacity_orders).Field("load_orders", n.load_orders);
      w.Field("capacity_lines", n.capacity_lines).Field("load_lines", n.load_lines);
      w.EndObject();
    }
  }
  w.EndArray().Key("unrouted_nodes").BeginArray();
  ForEachNode(tenant, [&](const model::Node& n) {
    if (net == nullptr || net->FindNode(n.code) == routing::kNoNode) w.String(n.code);
  });
  w.EndArray().Key("lanes").BeginArray();
  if (net != nullptr) {
    for (const routing::Lane& l : net->lanes()) {
      w.BeginObject().Field("origin", l.origin).Field("destination", l.destination).Field("carrier", l.carrier);
      w.Field("level", routing::ServiceLevelName(l.level)).Field("open", net->LaneOpen(l, net->nodes()[net->FindNode(l.origin)], l.destination));
      w.EndObject();
    }
  }
  w.EndArray().Key("transfers").BeginArray();
  if (net != nullptr) {
    for (const routing::Transfer& t : net->transfers()) {
      w.BeginObject().Field("from", t.from).Field("to", t.to).Key("hours").Double(t.hours);
      w.Field("cost_per_order", t.cost_per_order).Field("cost_per_unit", t.cost_per_unit).EndObject();
    }
  }
  w.EndArray().Key("closed").BeginArray();
  for (const std::string& c : tr.closed()) w.String(c);
  w.EndArray().Field("policy", tr.policy().name).EndObject();
  return out;
}

}  // namespace orderhub::engine
