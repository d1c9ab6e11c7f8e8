// Priority (动态优先级): who gets scarce stock first, and in which order a
// node's orders are released to it.
//
//   priority = tier points + channel points + boost        (fixed at create)
//            + priority_per_yuan x order value in yuan
//            + priority_per_hour x hours the promise is nearer than promise_hours
//
// The weights are the tenant's routing policy (docs/ROUTING.md "Priority");
// the tier and boost come from the order's extension attributes
// customer_tier and priority_boost. The urgency term grows as the promise
// nears, so it is computed when the order is compared, never stored.
#include <algorithm>
#include <utility>

#include "base/json_writer.h"
#include "engine/engine.h"

namespace orderhub::engine {
namespace {

constexpr double kHour = 3600.0 * kMicrosPerSecond;

double Points(const std::vector<std::pair<std::string, double>>& table, std::string_view key) {
  for (const auto& [name, points] : table) {
    if (name == key) return points;
  }
  return 0;
}

bool HigherFirst(const Engine::Queued& a, const Engine::Queued& b) {
  return a.priority != b.priority ? a.priority > b.priority : a.order < b.order;
}

}  // namespace

double Engine::BasePriority(NameId tenant, const CreateOrder& c) const {
  static const routing::Policy kDefault;
  const routing::Policy& p =
      tenant < routing_.size() && routing_[tenant] != nullptr ? routing_[tenant]->policy() : kDefault;
  return Points(p.priority_tiers, c.customer_tier) + Points(p.priority_channels, c.order.channel) + c.priority_boost +
         p.priority_per_yuan * static_cast<double>(c.order.Total()) / 100.0;
}

double Engine::PriorityAt(uint32_t idx, double base, Micros now) const {
  const OrderRecord& o = orders_[idx];
  if (o.promise_at == 0) return base;
  static const routing::Policy kDefault;
  const routing::Policy& p =
      o.tenant < routing_.size() && routing_[o.tenant] != nullptr ? routing_[o.tenant]->policy() : kDefault;
  const double hours_left = static_cast<double>(o.promise_at - now) / kHour;
  return base + p.priority_per_hour * std::max(0.0, p.promise_hours - hours_left);
}

void Engine::FillBackorders(NameId tenant, model::SkuIndex sku, Micros now, Changes* ch) {
  if (backorders_.empty() || tenant == Names::kNone) return;
  std::vector<Queued> waiting;
  for (const auto& [idx, w] : backorders_) {
    const OrderRecord& o = orders_[idx];
    if (o.tenant != tenant) continue;
    const auto lines = o.block.lines();
    if (std::none_of(lines.begin(), lines.end(), [&](const LineRecord& l) { return l.sku == sku; })) continue;
    waiting.push_back(Queued{idx, PriorityAt(idx, w.priority, now), w.since});
  }
  std::sort(waiting.begin(), waiting.end(), HigherFirst);
  RollLoadDay(now);
  for (const Queued& q : waiting) {
    OrderRecord& o = orders_[q.order];
    std::vector<LineRecord> lines(o.block.lines().begin(), o.block.lines().end());
    const std::string region = RegionText(o.region);
    const auto ov = overrides_.find(q.order);
    const RouteContext rc{o.tenant, region, now, o.promise_at, ov == overrides_.end() ? nullptr : &ov->second, {}};
    RouteResult routed;
    if (!PlanReservations(lines, o.flags, &rc, &routed).ok()) continue;  // still short: keeps waiting
    Place(o, lines);
    const double base = backorders_[q.order].priority;
    backorders_.erase(q.order);
    if (routed.routed) {
      AddLoad(o.tenant, std::as_const(o.block).lines(), +1);
      open_plans_[q.order] = OpenPlan{routed.cost, routed.p_on_time, ++route_seq_, base};
    }
    o.updated_at = now;
    std::string data;
    JsonWriter w(&data);
    w.BeginObject().Key("priority").Double(q.priority).Field("waited_s", (now - q.since) / kMicrosPerSecond);
    if (routed.routed) {
      RecordRouted(q.order, now, "filled", "fill_backorder", "system", "stock arrived", std::move(data), routed, ch);
      continue;
    }
    w.EndObject();
    Record(q.order, now, "filled", "fill_backorder", o.state, o.state, "system", "stock arrived", std::move(data), ch);
  }
}

std::vector<Engine::Queued> Engine::Backorders(std::string_view tenant, Micros now) const {
  std::vector<Queued> out;
  const NameId t = tenants_.Find(tenant);
  for (const auto& [idx, w] : backorders_) {
    if (orders_[idx].tenant == t) out.push_back(Queued{idx, PriorityAt(idx, w.priority, now), w.since});
  }
  std::sort(out.begin(), out.end(), HigherFirst);
  return out;
}

std::vector<Engine::Queued> Engine::ReleaseQueue(std::string_view tenant, std::string_view node, Micros now,
                                                 size_t limit) const {
  std::vector<Queued> out;
  const NameId t = tenants_.Find(tenant);
  const model::NodeIndex n = FindNodeIndex(t, node);
  if (n == model::kNone) return out;
  for (const auto& [idx, plan] : open_plans_) {
    const OrderRecord& o = orders_[idx];
    if (o.tenant != t) continue;
    const auto lines = o.block.lines();
    if (std::any_of(lines.begin(), lines.end(), [&](const LineRecord& l) { return l.ships_from() == n && l.reserved > 0; })) {
      out.push_back(Queued{idx, PriorityAt(idx, plan.priority, now), 0});
    }
  }
  std::sort(out.begin(), out.end(), HigherFirst);
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace orderhub::engine
