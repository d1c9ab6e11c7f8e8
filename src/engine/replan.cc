// Re-planning a tenant's open orders together (issue 5, "joint re-planning").
//
// Every routed order that still holds stock and is not yet released to a
// warehouse is routed again against everyone else's current plan, broken
// plans first (a node down, a lane or region closed), then the rest; an order
// moves only when its current plan is broken or the new one scores better,
// so a pass never makes the total worse and never leaves an order without
// the stock it held. Passes repeat while they move orders (at most the
// command's `passes`): coordinate descent on the sum of plan scores, with stock and
// node capacity coupled through the pool and the node loads. How close that
// comes to the optimum is measured against an exact solver in
// bench/routing_quality (BENCHMARKS.md).
#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/json_writer.h"
#include "engine/engine.h"

namespace orderhub::engine {
namespace {

constexpr size_t kReportedChanges = 50;  // the report lists this many moves; it counts all

}  // namespace

struct Engine::ReplanTally {
  int64_t examined = 0, broken = 0, moved = 0, stranded = 0;
  int64_t cost_before = 0, cost_after = 0;  // of the orders that moved
  std::string changes;                      // JSON objects, comma-separated
  size_t listed = 0;
};

bool Engine::ReplanOrder(uint32_t idx, Micros now, std::string_view actor, std::string_view reason,
                         bool only_broken, bool every_order, ReplanTally* tally, Changes* ch) {
  OrderRecord& o = orders_[idx];
  if (o.region == 0 || !Reroutable(o)) return false;
  if (!only_broken && !every_order) {
    auto plan = open_plans_.find(idx);
    if (plan != open_plans_.end() && !Improvable(idx, plan->second)) return false;
  }
  const std::string region = RegionText(o.region);
  const std::span<const LineRecord> current = std::as_const(o.block).lines();
  std::vector<std::pair<uint64_t, int64_t>> credits;
  for (const LineRecord& l : current) {
    if (l.reserved > 0) credits.emplace_back(static_cast<uint64_t>(l.sku) << 32 | l.node, l.reserved);
  }
  const auto ov = overrides_.find(idx);
  const RouteContext rc{o.tenant, region, now, o.promise_at, ov == overrides_.end() ? nullptr : &ov->second, credits};
  // Routed again with its own load set aside: its nodes count it already,
  // and a node it fills would look too full for the very order it holds.
  struct LoadAside {
    Engine* engine;
    NameId tenant;
    std::span<const LineRecord> lines;
    LoadDeltas taken;
    bool back = false;
    void PutBack() {
      if (!back) engine->UndoLoad(tenant, lines, taken);
      back = true;
    }
    ~LoadAside() { PutBack(); }
  } aside{this, o.tenant, current, {}};
  AddLoad(o.tenant, current, -1, &aside.taken);
  // The current plan, priced now; not routable: broken.
  auto price_current = [&](RouteResult* r) {
    std::vector<LineRecord> same(current.begin(), current.end());
    for (LineRecord& l : same) l.reserved = 0;
    r->lean = true;
    const std::optional<Status> st = Route(same, {}, o.flags, rc, r);
    if (!st || !st->ok()) r->routed = false;
  };
  RouteResult before;
  bool priced = false;
  if (only_broken) {
    price_current(&before);
    priced = true;
    if (before.routed) return false;
  }
  ++tally->examined;
  std::vector<LineRecord> lines = Unplaced(current);
  RouteResult after;
  after.lean = true;
  const Status st = PlanReservations(lines, o.flags, &rc, &after);
  bool same = lines.size() == current.size();
  for (size_t i = 0; same && i < lines.size(); ++i) {
    same = lines[i].node == current[i].node && lines[i].ship_node == current[i].ship_node &&
           lines[i].quantity == current[i].quantity;
  }
  if (!priced && !same) price_current(&before);
  const bool broken = (priced || !same) && !before.routed;
  // Broken plans are counted by the sweep that looks for them only.
  tally->broken += broken && only_broken;
  if (!st.ok() || !after.routed) {
    tally->stranded += broken && only_broken;  // keeps its stock where it is; a later re-plan may free it
    return false;
  }
  if (same || (!broken && after.score >= before.score - 1e-6)) {
    // Nothing better now: skipped until something improves for it.
    if (auto plan = open_plans_.find(idx); plan != open_plans_.end()) plan->second.decided = ++route_seq_;
    return false;
  }
  // Moving. The history gets the decision (the best plan; a re-plan does
  // not look for alternatives).
  RouteResult& chosen = after;
  const auto plan = open_plans_.find(idx);
  const int64_t old_cost = plan != open_plans_.end() ? plan->second.cost : before.cost;
  aside.PutBack();
  const auto [before_nodes, after_nodes] = MovePlan(idx, lines, chosen);
  o.updated_at = now;
  ++tally->moved;
  tally->cost_before += old_cost;
  tally->cost_after += chosen.cost;
  std::string change;
  JsonWriter w(&change);
  w.BeginObject().Field("order_id", o.id.view()).Field("broken", broken);
  w.Key("before").BeginObject().Field("nodes", before_nodes).Field("cost", old_cost).EndObject();
  w.Key("after").BeginObject().Field("nodes", after_nodes).Field("cost", chosen.cost);
  w.Key("p_on_time").Double(chosen.p_on_time).EndObject();
  w.Field("cost_change", chosen.cost - old_cost).EndObject();
  if (tally->listed < kReportedChanges) {
    if (tally->listed++ > 0) tally->changes += ',';
    tally->changes += change;
  }
  change.pop_back();  // the event's data: the change plus the decision
  RecordRouted(idx, now, "replanned", "replan", actor, reason, std::move(change), chosen, ch);
  return true;
}

Outcome Engine::ApplyReplan(const Replan& c, Micros now, Changes* ch) {
  Outcome out;
  const NameId tenant = tenants_.Find(c.tenant);
  if (tenant == Names::kNone || tenant >= routing_.size() || routing_[tenant] == nullptr ||
      routing_[tenant]->Network(nodes_, c.tenant, node_load_) == nullptr) {
    out.status = Status::NotFound("no_network", "the tenant has no nodes to route on");
    return out;
  }
  RollLoadDay(now);
  // In id order: the same journal re-plans the same way.
  std::vector<uint32_t> open;
  std::vector<bool> suspect_node(nodes_.size(), false);
  for (uint32_t n : c.nodes) {
    if (n < suspect_node.size()) suspect_node[n] = true;
  }
  auto suspect = [&](uint32_t idx) {
    if (c.nodes.empty() && c.region.empty()) return true;
    const OrderRecord& o = orders_[idx];
    if (!c.region.empty() && o.region != 0 && RegionText(o.region).compare(0, c.region.size(), c.region) == 0) {
      return true;
    }
    for (const LineRecord& l : o.block.lines()) {
      if (l.node != model::kNone && suspect_node[l.node]) return true;
      if (l.ship_node != model::kNone && suspect_node[l.ship_node]) return true;
    }
    return false;
  };
  for (const auto& [idx, plan] : open_plans_) {
    if (orders_[idx].tenant == tenant && (!c.only_broken || suspect(idx))) open.push_back(idx);
  }
  std::sort(open.begin(), open.end());
  ReplanTally t;
  int passes = 0;
  int64_t examined = 0;
  // Broken plans are found when something breaks them (a closure, a node
  // down); a full re-plan meets any still broken among the orders it examines.
  for (bool moved = true; moved && passes < c.passes; ++passes) {
    moved = false;
    t.examined = 0;
    // After the first pass only orders something improved for (the moves of
    // the pass before) are examined again.
    const bool every = c.every_order && passes == 0;
    for (uint32_t idx : open) moved |= ReplanOrder(idx, now, c.actor, c.reason, c.only_broken, every, &t, ch);
    examined += t.examined;
    if (c.only_broken) {
      ++passes;
      break;
    }
  }
  if (last_replan_.size() <= tenant) last_replan_.resize(tenant + 1);
  std::string& report = last_replan_[tenant];
  report.clear();
  JsonWriter w(&report);
  w.BeginObject().Field("at", FormatRfc3339(now));
  w.Field("scope", c.only_broken ? "broken" : c.every_order ? "all" : "changed");
  w.Field("reason", c.reason).Field("open_orders", static_cast<int64_t>(open.size()));
  w.Field("examined", examined).Field("passes", static_cast<int64_t>(passes));
  w.Field("broken", t.broken).Field("moved", t.moved).Field("stranded", t.stranded);
  w.Field("cost_before", t.cost_before).Field("cost_after", t.cost_after);
  w.Field("cost_change", t.cost_after - t.cost_before);
  w.Key("changes").Raw("[" + t.changes + "]").EndObject();
  out.mutated = true;
  return out;
}

std::vector<std::string> Engine::RoutedTenants() const {
  std::vector<std::string> out;
  for (NameId t = 0; t < routing_.size(); ++t) {
    if (routing_[t] != nullptr) out.emplace_back(tenants_.Name(t));
  }
  return out;
}

std::string Engine::LastReplan(std::string_view tenant) const {
  const NameId t = tenants_.Find(tenant);
  return t == Names::kNone || t >= last_replan_.size() ? std::string() : last_replan_[t];
}

}  // namespace orderhub::engine
