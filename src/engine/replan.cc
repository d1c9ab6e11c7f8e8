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
#include <optional>
#include <utility>

#include "base/json_writer.h"
#include "engine/engine.h"

namespace orderhub::engine {
namespace {

constexpr size_t kReportedChanges = 50;  // the report lists this many moves; it counts all
constexpr size_t kSwapPartners = 3;      // orders holding what one wants, tried in turn

}  // namespace

struct Engine::ReplanTally {
  int64_t examined = 0, broken = 0, moved = 0, stranded = 0;
  int64_t cost_before = 0, cost_after = 0;  // of the orders that moved
  std::string changes;                      // JSON objects, comma-separated
  size_t listed = 0;
  // Lists a move in the report (the first kReportedChanges) and returns it:
  // its event's data is the same object, left open.
  std::string Change(std::string_view order_id, bool broken, std::string_view swap_with, std::string_view before_nodes,
                     int64_t old_cost, std::string_view after_nodes, const RouteResult& after) {
    ++moved;
    cost_before += old_cost;
    cost_after += after.cost;
    std::string change;
    JsonWriter w(&change);
    w.BeginObject().Field("order_id", order_id).Field("broken", broken);
    if (!swap_with.empty()) w.Field("swap_with", swap_with);
    w.Key("before").BeginObject().Field("nodes", before_nodes).Field("cost", old_cost).EndObject();
    w.Key("after").BeginObject().Field("nodes", after_nodes).Field("cost", after.cost);
    w.Key("p_on_time").Double(after.p_on_time).EndObject();
    w.Field("cost_change", after.cost - old_cost).EndObject();
    if (listed < kReportedChanges) {
      if (listed++ > 0) changes += ',';
      changes += change;
    }
    change.pop_back();
    return change;
  }
};

std::vector<std::pair<uint64_t, int64_t>> Engine::Holdings(uint32_t idx) const {
  std::vector<std::pair<uint64_t, int64_t>> out;
  for (const LineRecord& l : orders_[idx].block.lines()) {
    if (l.reserved > 0) out.emplace_back(static_cast<uint64_t>(l.sku) << 32 | l.node, l.reserved);
  }
  return out;
}

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
  const std::vector<std::pair<uint64_t, int64_t>> credits = Holdings(idx);
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
    r->lean = true;
    PriceAsPlaced(idx, rc, r);
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
  // The event's data: the change plus the decision.
  std::string change = tally->Change(o.id.view(), broken, "", before_nodes, old_cost, after_nodes, chosen);
  RecordRouted(idx, now, "replanned", "replan", actor, reason, std::move(change), chosen, ch);
  return true;
}

// Swaps: single moves never give an order units another open order holds,
// though the two together may do better the other way round (the exact
// optimum does such trades: bench/routing_optimum.cc). For each open order:
// its plan were nothing reserved; when that scores better than its plan
// now and needs units others hold, each of the first kSwapPartners orders
// holding all it lacks is tried in turn: with the units of both free, the
// order is routed first, then the partner around it; both move only when
// their scores together improve, and the first such trade is made.
int64_t Engine::Swaps(std::span<const uint32_t> open, Micros now, const Replan& c, ReplanTally* tally, Changes* ch) {
  // Who holds what: open orders by (sku << 32 | node) of their reservations.
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> held;
  auto index = [&](uint32_t idx, bool add) {
    for (const auto& [key, units] : Holdings(idx)) {
      std::vector<uint32_t>& v = held[key];
      if (!add) {
        v.erase(std::remove(v.begin(), v.end(), idx), v.end());
      } else if (v.empty() || v.back() != idx) {
        v.push_back(idx);
      }
    }
  };
  for (uint32_t idx : open) index(idx, true);
  auto routable = [&](uint32_t idx) { return orders_[idx].region != 0 && Reroutable(orders_[idx]); };
  auto context = [&](uint32_t idx, const std::string& region, std::span<const std::pair<uint64_t, int64_t>> credits) {
    const auto ov = overrides_.find(idx);
    const OrderRecord& o = orders_[idx];
    return RouteContext{o.tenant, region, now, o.promise_at, ov == overrides_.end() ? nullptr : &ov->second, credits,
                        false};
  };
  // The order's plan priced where it is; not routable: nullopt.
  auto price_current = [&](uint32_t idx, const std::string& region) -> std::optional<double> {
    const std::vector<std::pair<uint64_t, int64_t>> credits = Holdings(idx);
    RouteResult r;
    r.lean = true;
    PriceAsPlaced(idx, context(idx, region, credits), &r);
    return r.routed ? std::optional<double>(r.score) : std::nullopt;
  };
  int64_t swaps = 0;
  for (uint32_t a : open) {
    if (!routable(a)) continue;
    const OrderRecord& oa = orders_[a];
    const std::string region_a = RegionText(oa.region);
    // What it could have were nothing reserved.
    std::vector<LineRecord> wish = Unplaced(std::as_const(oa.block).lines());
    std::vector<uint32_t> all;
    for (uint32_t i = 0; i < wish.size(); ++i) {
      if (!wish[i].is_service) all.push_back(i);
    }
    RouteResult want;
    want.lean = true;
    RouteContext rc = context(a, region_a, {});
    rc.all_stock = true;
    if (std::optional<Status> st = Route(wish, all, oa.flags, rc, &want); !st || !st->ok() || !want.routed) continue;
    LoadDeltas aside_a;
    AddLoad(oa.tenant, std::as_const(oa.block).lines(), -1, &aside_a);
    const std::optional<double> score_a = price_current(a, region_a);
    UndoLoad(oa.tenant, std::as_const(oa.block).lines(), aside_a);
    if (!score_a || want.score >= *score_a - 1e-6) continue;
    // The units it lacks, by (sku, node), counting its own as free.
    const std::vector<std::pair<uint64_t, int64_t>> own = Holdings(a);
    std::vector<std::pair<uint64_t, int64_t>> lacks;
    for (const LineRecord& l : wish) {
      if (l.is_service || l.node == model::kNone) continue;
      const uint64_t key = static_cast<uint64_t>(l.sku) << 32 | l.node;
      auto it = std::find_if(lacks.begin(), lacks.end(), [&](const auto& x) { return x.first == key; });
      if (it == lacks.end()) {
        int64_t mine = 0;
        for (const auto& [k, units] : own) mine += k == key ? units : 0;
        lacks.emplace_back(key, -(pool_.Available(l.sku, l.node) + mine));
        it = lacks.end() - 1;
      }
      it->second += l.quantity;
    }
    lacks.erase(std::remove_if(lacks.begin(), lacks.end(), [](const auto& x) { return x.second <= 0; }), lacks.end());
    if (lacks.empty()) continue;  // nothing held stands in its way (a move the passes make, or capacity)
    const auto holders = held.find(lacks[0].first);
    if (holders == held.end()) continue;
    size_t tried = 0;
    const std::vector<uint32_t> partners = holders->second;  // the index changes when a swap is made
    for (uint32_t b : partners) {
      if (tried == kSwapPartners) break;
      if (b == a || !routable(b)) continue;
      const std::vector<std::pair<uint64_t, int64_t>> theirs = Holdings(b);
      const bool covers = std::all_of(lacks.begin(), lacks.end(), [&](const auto& need) {
        int64_t units = 0;
        for (const auto& [k, u] : theirs) units += k == need.first ? u : 0;
        return units >= need.second;
      });
      if (!covers) continue;
      ++tried;
      // Both routed again with the units of both free: the order first, then
      // the partner around it. Their loads set aside as ReplanOrder does.
      const std::string region_b = RegionText(orders_[b].region);
      std::vector<std::pair<uint64_t, int64_t>> both = own;
      both.insert(both.end(), theirs.begin(), theirs.end());
      LoadDeltas aside_b, placed_a;
      AddLoad(oa.tenant, std::as_const(orders_[a].block).lines(), -1, &aside_a);
      AddLoad(oa.tenant, std::as_const(orders_[b].block).lines(), -1, &aside_b);
      const std::optional<double> score_b = price_current(b, region_b);
      std::vector<LineRecord> lines_a = Unplaced(std::as_const(orders_[a].block).lines());
      std::vector<LineRecord> lines_b = Unplaced(std::as_const(orders_[b].block).lines());
      RouteResult after_a, after_b;
      after_a.lean = after_b.lean = true;
      bool better = false;
      RouteContext rc_a = context(a, region_a, both);
      if (score_b && PlanReservations(lines_a, oa.flags, &rc_a, &after_a).ok() && after_a.routed) {
        std::vector<std::pair<uint64_t, int64_t>> left = both;
        for (const LineRecord& l : lines_a) {
          if (!l.is_service && l.node != model::kNone) left.emplace_back(static_cast<uint64_t>(l.sku) << 32 | l.node, -l.quantity);
        }
        AddLoad(oa.tenant, lines_a, +1, &placed_a);
        RouteContext rc_b = context(b, region_b, left);
        better = PlanReservations(lines_b, orders_[b].flags, &rc_b, &after_b).ok() && after_b.routed &&
                 after_a.score + after_b.score < *score_a + *score_b - 1e-6;
        UndoLoad(oa.tenant, lines_a, placed_a);
      }
      UndoLoad(oa.tenant, std::as_const(orders_[b].block).lines(), aside_b);
      UndoLoad(oa.tenant, std::as_const(orders_[a].block).lines(), aside_a);
      if (!better) continue;
      // The trade: both released, then both placed.
      const int64_t cost_a = open_plans_[a].cost, cost_b = open_plans_[b].cost;
      index(a, false);
      index(b, false);
      const std::string before_a = Unhold(a, lines_a), before_b = Unhold(b, lines_b);
      const std::string now_a = Hold(a, lines_a, after_a), now_b = Hold(b, lines_b, after_b);
      index(a, true);
      index(b, true);
      const std::string reason = c.reason.empty() ? "swap" : c.reason + " (swap)";
      orders_[a].updated_at = orders_[b].updated_at = now;
      std::string change_a = tally->Change(orders_[a].id.view(), false, orders_[b].id.view(), before_a, cost_a, now_a, after_a);
      std::string change_b = tally->Change(orders_[b].id.view(), false, orders_[a].id.view(), before_b, cost_b, now_b, after_b);
      RecordRouted(a, now, "replanned", "replan", c.actor, reason, std::move(change_a), after_a, ch);
      RecordRouted(b, now, "replanned", "replan", c.actor, reason, std::move(change_b), after_b, ch);
      ++swaps;
      break;
    }
  }
  return swaps;
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
  const int64_t swaps = c.swaps && !c.only_broken ? Swaps(open, now, c, &t, ch) : 0;
  if (last_replan_.size() <= tenant) last_replan_.resize(tenant + 1);
  std::string& report = last_replan_[tenant];
  report.clear();
  JsonWriter w(&report);
  w.BeginObject().Field("at", FormatRfc3339(now));
  w.Field("scope", c.only_broken ? "broken" : c.every_order ? "all" : "changed");
  w.Field("reason", c.reason).Field("open_orders", static_cast<int64_t>(open.size()));
  w.Field("examined", examined).Field("passes", static_cast<int64_t>(passes));
  w.Field("broken", t.broken).Field("moved", t.moved).Field("stranded", t.stranded);
  if (c.swaps) w.Field("swaps", swaps);
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
