// The per-order decision: score one-parcel plans from the nearest eligible
// nodes and split plans from the nearest nodes per line, rank.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "routing/quantity_split.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

constexpr Micros kHour = 3600 * kMicrosPerSecond;
constexpr Micros kDay = 24 * kHour;
constexpr int kExhaustiveLines = 4; // up to this many lines every assignment is tried; beyond, greedy
constexpr size_t kKeepPerLine = 3;  // split candidates kept per line, by the line's own parcel score
constexpr size_t kFewHolders = 64; // a sku held by no more nodes is found from its holders, not by a walk
constexpr size_t kTransferHubs = 4; // nearest nodes with suppliers tried for one parcel after transfers
constexpr size_t kPartNodes = 8;    // nearest eligible nodes with some units, per line, for quantity splits

// To the nearest integer, halves away from zero: std::llround without its
// library call (a decision rounds a few hundred times).
int64_t Round(double x) { return static_cast<int64_t>(x < 0 ? x - 0.5 : x + 0.5); }

// Hours as a duration in whole seconds (ETAs are not more precise than that).
Micros Hours(double h) { return Round(h * 3600) * kMicrosPerSecond; }

// The standard normal CDF, tabulated at 1/256 steps over [-8, 8] and
// interpolated linearly: within 5e-7 of the exact value, which moves a plan's
// lateness term by under a thousandth of a fen. Evaluating it (two per lane
// of every node a decision looks at) was a fifth of a decision's time.
constexpr int kCdfSteps = 256;  // per unit of z
constexpr double kCdfRange = 8;
const std::array<double, 2 * kCdfSteps * 8 + 1> kCdf = [] {
  std::array<double, 2 * kCdfSteps * 8 + 1> t{};
  for (size_t i = 0; i < t.size(); ++i) {
    const double z = static_cast<double>(i) / kCdfSteps - kCdfRange;
    t[i] = 0.5 * std::erfc(-z / std::sqrt(2.0));
  }
  return t;
}();

double NormalCdf(double z) {
  if (!(z > -kCdfRange)) return 0;  // NaN too: never on time
  if (z >= kCdfRange) return 1;
  const double x = (z + kCdfRange) * kCdfSteps;
  const size_t i = static_cast<size_t>(x);
  const double f = x - static_cast<double>(i);
  return kCdf[i] + f * (kCdf[i + 1] - kCdf[i]);
}

// A way to carry one parcel from a node to the destination.
struct LaneOption {
  ServiceLevel level = ServiceLevel::kStandard;
  std::string_view carrier;
  RateCard rate;
  Transit transit;
  double road_km = 0;
};

// kg CO2e per tonne-km by mode, and per parcel for the last mile
// (orders of magnitude of the GLEC Framework defaults; README.md).
double CarbonKg(ServiceLevel level, double road_km, double gc_km, int64_t weight_g) {
  const double tonnes = static_cast<double>(weight_g) / 1e6;
  const double line_haul = level == ServiceLevel::kAir       ? 1.13 * gc_km * 1.1
                           : level == ServiceLevel::kFreight ? 0.06 * road_km
                                                             : 0.11 * road_km;
  return tonnes * line_haul + 0.1;
}

// Lanes derived from distance when a node has no explicit lane to the
// destination (README.md, "Derived lanes").
int DerivedLanes(double gc_km, std::array<LaneOption, 3>& out) {
  const double road = std::max(5.0, gc_km * kDetour);
  auto fen = [](double x) { return Round(x); };
  LaneOption standard;
  standard.level = ServiceLevel::kStandard;
  standard.transit.mean_hours = 18 + road / 30;
  standard.transit.sd_hours = 4 + 0.15 * standard.transit.mean_hours;
  standard.rate.first_weight_price = fen(300 + 0.2 * road);
  standard.rate.additional_per_kg = fen(100 + 0.1 * road);
  standard.road_km = road;
  LaneOption express = standard;
  express.level = ServiceLevel::kExpress;
  express.transit.mean_hours = 10 + road / 55;
  express.transit.sd_hours = 3 + 0.12 * express.transit.mean_hours;
  express.rate.first_weight_price *= 2;
  express.rate.additional_per_kg *= 2;
  out[0] = standard;
  out[1] = express;
  if (gc_km < 800) return 2;
  LaneOption air = standard;
  air.level = ServiceLevel::kAir;
  air.transit.mean_hours = 20 + gc_km / 700;
  air.transit.sd_hours = 4 + 0.1 * air.transit.mean_hours;
  air.rate.first_weight_price = fen(1200 + 0.4 * gc_km);
  air.rate.additional_per_kg = fen(600 + 0.3 * gc_km);
  out[2] = air;
  return 3;
}


}  // namespace

// One parcel from one node carrying a subset of the lines, scored.
struct Decider::Evaluated {
  bool feasible = false;
  uint32_t node = kNoNode;
  uint32_t mask = 0;           // lines carried (bit i: line i); all lines when the order has more than 32
  LaneOption lane;
  int64_t shipping = 0, handling = 0;
  Micros pickup_at = 0;
  double p_on_time = 0, gc_km = 0, carbon_kg = 0, load_after = 0, load_part = 0;
  double score = INFINITY;     // of this parcel alone (feasible ones)
  // Lines brought to the node by transfer first: Scratch::legs[legs_from, +legs_count).
  int64_t transfer_cost = 0;
  uint32_t legs_from = 0, legs_count = 0;
  // A parcel of a quantity split: the units of each line it carries,
  // Scratch::parts[parts_from, +parts_count) (line, units).
  uint32_t parts_from = 0, parts_count = 0;
};

// A node as this decision sees it: what does not depend on which lines a
// parcel carries (distance, pickup, per open lane its transit odds), and the
// parcels from it priced so far.
struct Decider::NodeView {
  struct LaneView {
    LaneOption lane;
    double p = 0, hours = 0, road_km = 0;
  };
  uint32_t node = kNoNode;
  Micros pickup_at = 0;
  double gc_km = 0;
  uint8_t lanes = 0;
  std::array<LaneView, 4> lane;
  // The first parcels priced from it, (lines, memo index); more are found
  // by scanning the memo. Inline: a decision allocates nothing per node.
  std::array<std::pair<uint32_t, uint32_t>, 8> parcels;
  uint8_t n_parcels = 0;
};

namespace {
// An order line's stock, looked up once per decision.
struct LineStock {
  std::span<const uint32_t> holders;
  int64_t want = 0;  // units of the sku over every line of the order
  bool few = false;  // held by at most kFewHolders nodes
};
}  // namespace

struct Decider::Scratch {
  std::vector<LineStock> lines;
  std::vector<NodeView> views;             // the nodes the current decision looked at
  std::vector<int32_t> view_of;            // node -> index into views, -1 between decisions
  // Per line its split candidates, then the one-parcel candidates.
  std::vector<std::vector<uint32_t>> per_line;
  std::vector<Evaluated> memo;                  // parcels priced
  std::vector<Candidate> ranked;                // plans scored
  std::vector<Shipment::Leg> legs;              // of transfer parcels in memo
  std::vector<std::pair<uint32_t, int64_t>> parts;  // of quantity-split parcels in memo
  std::vector<std::vector<SplitNode>> split_nodes;  // per line, for quantity splits
  std::vector<SplitParcel> split_parcels;
  std::vector<uint32_t> split_found;
  std::vector<uint32_t> wanting;                // lines a walk still finds nodes for
  std::vector<uint32_t> hubs;
};

Decider::Decider(const Network* network, const Policy* policy)
    : network_(network), policy_(policy), scratch_(std::make_unique<Scratch>()) {
  for (const Node& n : network->nodes()) node_units_.push_back(geo::ToUnitVector(n.at));
}
Decider::~Decider() = default;

// A plan being ranked: its parcels as indices into the evaluation memo.
struct Decider::Candidate {
  std::array<uint32_t, 8> parcels{};
  uint8_t count = 0;
  ScoreParts parts;
  double p_on_time = 0;
  Micros eta_p50 = std::numeric_limits<Micros>::min();  // the latest parcel's
};

const Decider::Nearness& Decider::NearnessFrom(const geo::Region& destination) {
  // Counties directly under a province (city codes such as 469000 that
  // name no prefecture) are ranked from their own place, keyed by their own code.
  const geo::Region* city = geo::Regions::China().Find(destination.city_code);
  auto [it, fresh] = nearness_.try_emplace(city != nullptr ? destination.city_code : destination.code);
  if (fresh) {
    const geo::Point centre = city != nullptr ? city->at : destination.at;
    std::vector<std::pair<double, uint32_t>> by_km;
    const auto nodes = network_->nodes();
    by_km.reserve(nodes.size());
    for (uint32_t i = 0; i < nodes.size(); ++i) by_km.emplace_back(geo::GreatCircleKm(centre, nodes[i].at), i);
    std::sort(by_km.begin(), by_km.end());
    Nearness& n = it->second;
    n.rank.resize(by_km.size());
    for (uint32_t r = 0; r < by_km.size(); ++r) {
      n.rank[by_km[r].second] = r;
      n.order.push_back(by_km[r].second);
    }
  }
  return it->second;
}

void Decider::Prepare() {
  for (const geo::Region& city : geo::Regions::China().prefectures()) NearnessFrom(city);
}

Decision Decider::Decide(const OrderRequest& order, const Stock& stock) {
  Decision d;
  const Policy& policy = *policy_;
  const auto nodes = network_->nodes();
  const size_t n_lines = order.lines.size();
  const geo::Region* dest = geo::Regions::China().Find(order.region_code);
  if (n_lines == 0) {
    d.problems.push_back(LineProblem{0, "no_lines", "an order needs at least one line"});
    return d;
  }
  if (dest == nullptr) {
    for (uint32_t i = 0; i < n_lines; ++i) {
      d.problems.push_back(LineProblem{i, "unknown_destination",
                                       "no region '" + std::string(order.region_code) + "' to deliver to"});
    }
    return d;
  }
  const geo::UnitVector dest_unit = geo::ToUnitVector(dest->at);
  const Micros promise = order.promise_at != 0 ? order.promise_at
                                               : order.now + static_cast<Micros>(policy.promise_hours * kHour);
  auto forbidden_outright = [&](uint32_t n) {
    return !order.forbidden_nodes.empty() &&
           std::find(order.forbidden_nodes.begin(), order.forbidden_nodes.end(), n) != order.forbidden_nodes.end();
  };
  auto forbidden = [&](uint32_t n) {
    return (order.pinned_node != kNoNode && n != order.pinned_node) || forbidden_outright(n);
  };
  // A line pinned to a node (a manual override) is served from it or not at all.
  auto pinned_elsewhere = [&](uint32_t n, size_t line) {
    return line < order.line_nodes.size() && order.line_nodes[line] != kNoNode && order.line_nodes[line] != n;
  };
  // Up, capable, with room; whether the order may use it is `eligible`.
  auto usable = [&](uint32_t n) {
    const Node& x = nodes[n];
    return x.status != NodeStatus::kDown && (x.capabilities & order.needs) == order.needs &&
           (x.capacity_orders == 0 || x.load_orders < x.capacity_orders) &&
           (x.capacity_lines == 0 || x.load_lines < x.capacity_lines);
  };
  auto eligible = [&](uint32_t n) { return !forbidden(n) && usable(n); };

  // Per node once (NodeView), then parcels (node, lines) priced by weight,
  // memoised: split plans reuse them.
  Scratch& scratch = *scratch_;
  std::vector<NodeView>& views = scratch.views;
  std::vector<int32_t>& view_of = scratch.view_of;
  views.clear();
  if (view_of.size() != nodes.size()) view_of.assign(nodes.size(), -1);
  std::vector<Evaluated>& memo = scratch.memo;
  memo.clear();
  scratch.parts.clear();
  auto line_bit = [](size_t i) { return i < 32 ? uint32_t{1} << i : 0u; };
  const uint32_t all_lines = n_lines >= 32 ? UINT32_MAX : (uint32_t{1} << n_lines) - 1;
  // Pickup: the node's first cut-off at or after `t` (today's, or tomorrow's when it has passed).
  auto pickup_after = [&](const Node& x, Micros t) {
    const Micros offset = static_cast<Micros>(x.utc_offset_minutes) * 60 * kMicrosPerSecond;
    const Micros local = t + offset;
    Micros cutoff = local - ((local % kDay) + kDay) % kDay + static_cast<Micros>(x.cutoff_minute) * 60 * kMicrosPerSecond;
    if (local > cutoff) cutoff += kDay;
    return cutoff - offset;
  };
  // Hours to delivery and the odds of the promise, by a lane picked up at `pickup`.
  auto odds = [&](const Node& x, const LaneOption& lane, Micros pickup, double* p, double* hours) {
    // A degraded node hands over late half as often as it usually is on time.
    const double handover = x.status == NodeStatus::kDegraded ? x.on_time_rate * 0.5 : x.on_time_rate;
    *hours = static_cast<double>(pickup - order.now) / kHour + lane.transit.mean_hours;
    const double slack = static_cast<double>(promise - pickup) / kHour - lane.transit.mean_hours;
    const double sd = std::max(lane.transit.sd_hours, 0.01);
    // A late handover slips a day.
    *p = handover * NormalCdf(slack / sd) + (1 - handover) * NormalCdf((slack - 24) / sd);
  };
  auto view = [&](uint32_t n) -> NodeView& {
    if (view_of[n] >= 0) return views[static_cast<size_t>(view_of[n])];
    view_of[n] = static_cast<int32_t>(views.size());
    NodeView& v = views.emplace_back();
    v.node = n;
    v.lanes = 0;
    const Node& x = nodes[n];
    v.pickup_at = pickup_after(x, order.now);
    v.gc_km = geo::GreatCircleKm(node_units_[n], dest_unit);
    auto add = [&](const LaneOption& lane) {
      NodeView::LaneView& lv = v.lane[v.lanes++];
      lv.lane = lane;
      odds(x, lane, v.pickup_at, &lv.p, &lv.hours);
      lv.road_km = lane.road_km > 0 ? lane.road_km : v.gc_km * kDetour;
    };
    // Explicit lanes to the destination win over derived ones: the most
    // specific per service level.
    const Lane* best_explicit[4] = {};
    bool any_explicit = false;
    for (uint32_t li : network_->LanesFrom(n)) {
      const Lane& l = network_->lanes()[li];
      if (order.region_code.rfind(l.destination, 0) != 0) continue;
      any_explicit = true;
      if (!network_->LaneOpen(l, x, order.region_code)) continue;
      const Lane*& slot = best_explicit[static_cast<int>(l.level)];
      if (slot == nullptr || l.destination.size() > slot->destination.size()) slot = &l;
    }
    if (any_explicit) {
      for (const Lane* l : best_explicit) {
        if (l != nullptr) add(LaneOption{l->level, l->carrier, l->rate, l->transit, l->road_km});
      }
    } else {
      static const Lane kDerived;  // no via: only region closures apply
      if (network_->LaneOpen(kDerived, x, order.region_code)) {
        std::array<LaneOption, 3> derived;
        const int k = DerivedLanes(v.gc_km, derived);
        for (int i = 0; i < k; ++i) add(derived[i]);
      }
    }
    return v;
  };
  // A parcel from node v carrying `mask`, picked up at `pickup`; `units`:
  // per line the units it carries when not the line's quantity.
  auto price = [&](NodeView& v, uint32_t mask, Micros pickup, const int64_t* units = nullptr) {
    const uint32_t n = v.node;
    Evaluated e;
    e.node = n;
    e.mask = mask;
    e.pickup_at = pickup;
    e.gc_km = v.gc_km;
    const Node& x = nodes[n];
    int64_t weight = 0, lines = 0;
    for (size_t i = 0; i < n_lines; ++i) {
      if (mask == all_lines || (mask & line_bit(i))) {
        weight += (units != nullptr ? units[i] : order.lines[i].quantity) * order.lines[i].unit_weight_g;
        ++lines;
      }
    }
    e.handling = x.cost_per_order + x.cost_per_line * lines;
    const bool full = x.capacity_lines > 0 && x.load_lines + lines > x.capacity_lines;
    const double util = std::max(x.capacity_orders > 0 ? static_cast<double>(x.load_orders + 1) / x.capacity_orders : 0,
                                 x.capacity_lines > 0 ? static_cast<double>(x.load_lines + lines) / x.capacity_lines : 0);
    e.load_after = util;
    e.load_part = policy.load_penalty * util * util * util * util;
    double best = INFINITY;
    for (int i = 0; !full && i < v.lanes; ++i) {
      const NodeView::LaneView& lv = v.lane[i];
      double p = lv.p, hours = lv.hours;
      if (pickup != v.pickup_at) odds(x, lv.lane, pickup, &p, &hours);
      const int64_t shipping = lv.lane.rate.PriceOf(weight);
      const double kg = CarbonKg(lv.lane.level, lv.road_km, v.gc_km, weight);
      const double score = shipping + policy.late_penalty * (1 - p) + policy.hour_value * hours + policy.carbon_price * kg;
      if (score < best) {
        best = score;
        e.feasible = true;
        e.lane = lv.lane;
        e.shipping = shipping;
        e.p_on_time = p;
        e.carbon_kg = kg;
      }
    }
    if (e.feasible) e.score = best + static_cast<double>(e.handling) + e.load_part;
    return e;
  };
  auto evaluate = [&](uint32_t n, uint32_t mask) -> uint32_t {
    NodeView& v = view(n);
    for (uint8_t k = 0; k < v.n_parcels; ++k) {
      if (v.parcels[k].first == mask) return v.parcels[k].second;
    }
    if (v.n_parcels == v.parcels.size()) {
      for (size_t i = 0; i < memo.size(); ++i) {
        if (memo[i].node == n && memo[i].mask == mask && memo[i].legs_count == 0 && memo[i].parts_count == 0) {
          return static_cast<uint32_t>(i);
        }
      }
    }
    memo.push_back(price(v, mask, v.pickup_at));
    const uint32_t idx = static_cast<uint32_t>(memo.size() - 1);
    if (v.n_parcels < v.parcels.size()) v.parcels[v.n_parcels++] = {mask, idx};
    return idx;
  };
  // Leaves view_of all -1 for the next decision, whichever way this one ends.
  struct ResetViews {
    std::vector<NodeView>& views;
    std::vector<int32_t>& view_of;
    ~ResetViews() {
      for (const NodeView& v : views) view_of[v.node] = -1;
    }
  } reset{views, view_of};

  // A plan's score from its parcels.
  std::vector<Candidate>& ranked = scratch.ranked;
  ranked.clear();
  auto add_plan = [&](const uint32_t* parcels, int count) {
    Candidate c;
    c.count = static_cast<uint8_t>(count);
    c.p_on_time = 1;
    for (int i = 0; i < count; ++i) {
      const Evaluated& e = memo[parcels[i]];
      if (!e.feasible) return;
      c.parcels[i] = parcels[i];
      c.parts.cost += static_cast<double>(e.shipping + e.handling + e.transfer_cost);
      c.parts.carbon += policy.carbon_price * e.carbon_kg;
      c.parts.load += e.load_part;
      c.p_on_time *= e.p_on_time;
      c.eta_p50 = std::max(c.eta_p50, e.pickup_at + Hours(e.lane.transit.mean_hours));
    }
    c.parts.cost += static_cast<double>(policy.split_penalty * (count - 1));
    c.parts.lateness = policy.late_penalty * (1 - c.p_on_time);
    c.parts.time = policy.hour_value * static_cast<double>(c.eta_p50 - order.now) / kHour;
    ranked.push_back(c);
  };

  // Per line: its sku's holders, and what the order needs of the sku in
  // all (two lines may share a sku).
  std::vector<LineStock>& line_stock = scratch.lines;
  line_stock.resize(n_lines);
  for (size_t i = 0; i < n_lines; ++i) {
    LineStock& ls = line_stock[i];
    ls.holders = stock.Holders(order.lines[i].sku);
    ls.few = ls.holders.size() <= kFewHolders;
    ls.want = 0;
    for (size_t j = 0; j < n_lines; ++j) {
      if (order.lines[j].sku == order.lines[i].sku) ls.want += order.lines[j].quantity;
    }
  }
  auto fits_all = [&](uint32_t n) {
    for (size_t i = 0; i < n_lines; ++i) {
      if (pinned_elsewhere(n, i) || stock.Available(order.lines[i].sku, n) < line_stock[i].want) return false;
    }
    return true;
  };

  // The nearest eligible nodes that hold every line (one-parcel plans) and,
  // per line, that hold it (split plans), in distance order. A sku held by
  // few nodes is found from its holders; one held widely by walking the
  // nodes outwards from the destination, which ends as soon as the lists are
  // full: near the destination most nodes hold it.
  const int max_parcels = std::min<int>({policy.max_shipments, 8, static_cast<int>(n_lines)});
  const bool splits = max_parcels >= 2 && n_lines <= kMaxSplitLines;
  const size_t want_whole = static_cast<size_t>(std::max(policy.candidates, 0));
  const size_t want_line = splits ? static_cast<size_t>(std::max(policy.split_candidates, 0)) : 0;
  const Nearness& near = NearnessFrom(*dest);
  auto by_rank = [&](uint32_t a, uint32_t b) { return near.rank[a] < near.rank[b]; };
  auto serves = [&](uint32_t n, size_t i) {
    return !pinned_elsewhere(n, i) && stock.Available(order.lines[i].sku, n) >= order.lines[i].quantity;
  };
  // The `k` nodes of `from` nearest first that pass `keep`, into `out`.
  auto nearest_of = [&](std::span<const uint32_t> from, size_t k, std::vector<uint32_t>& out, auto keep) {
    out.clear();
    for (uint32_t n : from) {
      if (eligible(n) && keep(n)) out.push_back(n);
    }
    k = std::min(k, out.size());
    std::partial_sort(out.begin(), out.begin() + static_cast<ptrdiff_t>(k), out.end(), by_rank);
    out.resize(k);
  };
  std::vector<std::vector<uint32_t>>& per_line = scratch.per_line;
  per_line.resize(std::max(per_line.size(), n_lines + 1));
  std::vector<uint32_t>& whole = per_line[n_lines];
  size_t rarest = 0;
  for (size_t i = 1; i < n_lines; ++i) {
    if (line_stock[i].holders.size() < line_stock[rarest].holders.size()) rarest = i;
  }
  auto few = [&](size_t i) { return line_stock[i].few; };
  bool walk = !few(rarest) && want_whole > 0;
  for (size_t i = 0; i < n_lines; ++i) {
    if (few(i)) {
      nearest_of(line_stock[i].holders, want_line, per_line[i], [&](uint32_t n) { return serves(n, i); });
    } else {
      per_line[i].clear();
      walk = walk || want_line > 0;
    }
  }
  if (few(rarest)) {
    nearest_of(line_stock[rarest].holders, want_whole, whole, [&](uint32_t n) { return fits_all(n); });
  } else {
    whole.clear();
  }
  if (walk) {
    // The lines whose lists still want nodes; a line leaves when its list is full.
    std::vector<uint32_t>& wanting = scratch.wanting;
    wanting.clear();
    for (size_t i = 0; i < n_lines; ++i) {
      if (!few(i) && per_line[i].size() < want_line) wanting.push_back(static_cast<uint32_t>(i));
    }
    const bool walk_whole = !few(rarest);
    for (uint32_t n : near.order) {
      if (wanting.empty() && (!walk_whole || whole.size() >= want_whole)) break;
      if (!eligible(n)) continue;
      for (size_t k = 0; k < wanting.size();) {
        const uint32_t i = wanting[k];
        if (serves(n, i)) {
          per_line[i].push_back(n);
          if (per_line[i].size() >= want_line) {
            wanting[k] = wanting.back();
            wanting.pop_back();
            continue;
          }
        }
        ++k;
      }
      if (walk_whole && whole.size() < want_whole && fits_all(n)) whole.push_back(n);
    }
  }
  const size_t singles = whole.size();
  for (size_t k = 0; k < singles; ++k) {
    const uint32_t p = evaluate(whole[k], all_lines);
    add_plan(&p, 1);
  }

  // Split plans: each line from one of the nodes that serve it best on its
  // own, among its nearest eligible ones.
  if (splits) {
    for (size_t i = 0; i < n_lines; ++i) {
      // Keep the best few by the line's own parcel: the assignments tried
      // grow as their count to the power of the lines.
      std::array<std::pair<double, uint32_t>, 64> scored;
      size_t n_scored = 0;
      for (size_t k = 0; k < per_line[i].size() && n_scored < scored.size(); ++k) {
        const Evaluated& e = memo[evaluate(per_line[i][k], line_bit(i))];
        if (e.feasible) scored[n_scored++] = {e.score, per_line[i][k]};
      }
      std::sort(scored.begin(), scored.begin() + static_cast<ptrdiff_t>(n_scored));
      per_line[i].clear();
      for (size_t k = 0; k < std::min(n_scored, kKeepPerLine); ++k) per_line[i].push_back(scored[k].second);
    }
    const bool every_line_has_one =
        std::none_of(per_line.begin(), per_line.begin() + static_cast<ptrdiff_t>(n_lines), [](auto& v) { return v.empty(); });
    // An assignment line -> node as parcels; refused when two lines of one
    // sku together exceed a node's stock, or over the parcel limit.
    std::vector<uint32_t> assign(n_lines);
    auto try_assignment = [&] {
      std::array<uint32_t, 8> parcel_node{};
      std::array<uint32_t, 8> parcel_mask{};
      int count = 0;
      for (size_t i = 0; i < n_lines; ++i) {
        int k = 0;
        while (k < count && parcel_node[k] != assign[i]) ++k;
        if (k == count) {
          if (count == max_parcels) return;
          parcel_node[count++] = assign[i];
        }
        parcel_mask[k] |= line_bit(i);
      }
      if (count < 2) return;  // one parcel: already scored
      for (size_t i = 0; i < n_lines; ++i) {
        int64_t want = 0;
        for (size_t j = 0; j < n_lines; ++j) {
          if (assign[j] == assign[i] && order.lines[j].sku == order.lines[i].sku) want += order.lines[j].quantity;
        }
        if (want > order.lines[i].quantity && stock.Available(order.lines[i].sku, assign[i]) < want) return;
      }
      std::array<uint32_t, 8> parcels{};
      for (int k = 0; k < count; ++k) parcels[k] = evaluate(parcel_node[k], parcel_mask[k]);
      add_plan(parcels.data(), count);
    };
    if (every_line_has_one && n_lines <= kExhaustiveLines) {
      std::vector<size_t> pick(n_lines, 0);
      while (true) {
        for (size_t i = 0; i < n_lines; ++i) assign[i] = per_line[i][pick[i]];
        try_assignment();
        size_t i = 0;
        while (i < n_lines && ++pick[i] == per_line[i].size()) pick[i++] = 0;
        if (i == n_lines) break;
      }
    } else if (every_line_has_one) {
      // Greedy: each line to the node where it adds least to the plan (a
      // parcel's price with it less without it; a new parcel costs the split
      // penalty too, and none is opened beyond the policy's limit), among its
      // own candidates and the nodes already shipping that hold it; the
      // nearest first when that is a tie. Then the plan is scored as a whole.
      auto parcel_cost = [&](const Evaluated& e) {
        return static_cast<double>(e.shipping + e.handling) + policy.late_penalty * (1 - e.p_on_time);
      };
      std::array<uint32_t, 8> shipping{};
      int parcels = 0;
      for (size_t i = 0; i < n_lines; ++i) {
        double best = INFINITY;
        auto consider = [&](uint32_t n) {
          uint32_t before = 0;
          for (size_t j = 0; j < i; ++j) {
            if (assign[j] == n) before |= line_bit(j);
          }
          if (before == 0 && parcels == max_parcels) return;
          const Evaluated& e = memo[evaluate(n, before | line_bit(i))];
          if (!e.feasible) return;
          double added = parcel_cost(e);
          if (before != 0) {
            added -= parcel_cost(memo[evaluate(n, before)]);
          } else if (i > 0) {
            added += static_cast<double>(policy.split_penalty);
          }
          if (added < best) best = added, assign[i] = n;
        };
        for (uint32_t n : per_line[i]) consider(n);
        for (int k = 0; k < parcels; ++k) {
          const uint32_t n = shipping[static_cast<size_t>(k)];
          if (std::find(per_line[i].begin(), per_line[i].end(), n) == per_line[i].end() && serves(n, i)) consider(n);
        }
        if (best == INFINITY) break;  // no room for it: no greedy plan
        if (std::find(shipping.begin(), shipping.begin() + parcels, assign[i]) == shipping.begin() + parcels) {
          shipping[static_cast<size_t>(parcels++)] = assign[i];
        }
        if (i + 1 == n_lines) try_assignment();
      }
    }
  }

  // Transfer plans: one parcel from a node near the destination that lacks
  // some lines, their units brought first from its fastest supplier that
  // holds them. An order pinned to a node ships from it, so only that node
  // is tried, its suppliers free to send what it lacks. Not for orders with
  // lines pinned one by one: such a pin names where the line's units are.
  const bool line_pins =
      std::any_of(order.line_nodes.begin(), order.line_nodes.end(), [](uint32_t n) { return n != kNoNode; });
  scratch.legs.clear();
  if (!network_->TransferHubs().empty() && !line_pins) {
    std::vector<uint32_t>& hubs = scratch.hubs;
    nearest_of(network_->TransferHubs(), kTransferHubs, hubs, [&](uint32_t n) { return !fits_all(n); });
    std::vector<uint32_t> source(n_lines);
    for (uint32_t n : hubs) {
      const size_t first = scratch.legs.size();
      Micros ready = order.now;
      int64_t cost = 0;
      bool ok = true;
      for (size_t i = 0; i < n_lines && ok; ++i) {
        source[i] = n;
        if (serves(n, i)) continue;
        ok = false;
        for (const Supplier& s : network_->SuppliersOf(n)) {  // fastest first
          if (forbidden_outright(s.node) || !usable(s.node) || !serves(s.node, i) || !network_->ChainOpen(s)) continue;
          const bool new_run = std::none_of(scratch.legs.begin() + static_cast<ptrdiff_t>(first), scratch.legs.end(),
                                            [&](const Shipment::Leg& l) { return l.from == s.node; });
          cost += s.cost_per_unit * order.lines[i].quantity + (new_run ? s.cost_per_order : 0);
          ready = std::max(ready, order.now + Hours(s.hours));
          scratch.legs.push_back({static_cast<uint32_t>(i), s.node, s.hours});
          source[i] = s.node;
          ok = true;
          break;
        }
      }
      // Lines of one sku from one node need their sum there.
      for (size_t i = 0; i < n_lines && ok; ++i) {
        int64_t want = 0;
        for (size_t j = 0; j < n_lines; ++j) {
          if (source[j] == source[i] && order.lines[j].sku == order.lines[i].sku) want += order.lines[j].quantity;
        }
        ok = want == order.lines[i].quantity || stock.Available(order.lines[i].sku, source[i]) >= want;
      }
      if (!ok || scratch.legs.size() == first) {
        scratch.legs.resize(first);
        continue;
      }
      Evaluated e = price(view(n), all_lines, pickup_after(nodes[n], ready));
      e.transfer_cost = cost;
      e.legs_from = static_cast<uint32_t>(first);
      e.legs_count = static_cast<uint32_t>(scratch.legs.size() - first);
      if (e.feasible) e.score += static_cast<double>(cost);
      memo.push_back(e);
      const uint32_t idx = static_cast<uint32_t>(memo.size() - 1);
      add_plan(&idx, 1);
    }
  }

  // Quantity splits: a line's units from several nodes. Only when no plan
  // carries every line whole, since a split costs a parcel more than such a plan.
  const int max_split = std::min(policy.max_shipments, 8);
  if (ranked.empty() && max_split >= 2 && order.pinned_node == kNoNode && n_lines <= kMaxSplitLines) {
    std::vector<std::vector<SplitNode>>& split_nodes = scratch.split_nodes;
    split_nodes.resize(std::max(split_nodes.size(), n_lines));
    std::array<SplitLine, kMaxSplitLines> split_lines;
    std::vector<uint32_t>& found = scratch.split_found;
    for (size_t i = 0; i < n_lines; ++i) {
      // The nearest eligible nodes with some units and a way to the destination.
      const LineRequest& l = order.lines[i];
      auto some = [&](uint32_t n) { return !pinned_elsewhere(n, i) && stock.Available(l.sku, n) > 0; };
      if (few(i)) {
        nearest_of(line_stock[i].holders, kPartNodes, found, some);
      } else {
        found.clear();
        for (uint32_t n : near.order) {
          if (found.size() == kPartNodes) break;
          if (eligible(n) && some(n)) found.push_back(n);
        }
      }
      std::vector<SplitNode>& options = split_nodes[i];
      options.clear();
      for (uint32_t n : found) {
        const Evaluated& e = memo[evaluate(n, line_bit(i))];
        if (e.feasible) options.push_back({n, stock.Available(l.sku, n), near.rank[n], e.score});
      }
      split_lines[i] = SplitLine{l.sku, l.quantity, options};
    }
    std::vector<SplitParcel>& parcels = scratch.split_parcels;
    std::vector<std::vector<SplitParcel>> seen;  // rare enough to allocate
    for (FillOrder fill : {FillOrder::kMostUnits, FillOrder::kNearest, FillOrder::kCheapest}) {
      const std::span<const SplitLine> lines(split_lines.data(), n_lines);
      if (!FillQuantities(lines, max_split, fill, &parcels)) continue;
      // The same parcels by another order of preference: scored already.
      if (std::find(seen.begin(), seen.end(), parcels) != seen.end()) continue;
      seen.push_back(parcels);
      std::array<uint32_t, 8> priced{};
      for (size_t k = 0; k < parcels.size(); ++k) {
        const SplitParcel& p = parcels[k];
        uint32_t mask = 0;
        for (size_t i = 0; i < n_lines; ++i) {
          if (p.units[i] > 0) mask |= line_bit(i);
        }
        NodeView& v = view(p.node);
        Evaluated e = price(v, mask, v.pickup_at, p.units.data());
        e.parts_from = static_cast<uint32_t>(scratch.parts.size());
        for (size_t i = 0; i < n_lines; ++i) {
          if (p.units[i] > 0) scratch.parts.emplace_back(static_cast<uint32_t>(i), p.units[i]);
        }
        e.parts_count = static_cast<uint32_t>(scratch.parts.size() - e.parts_from);
        memo.push_back(e);
        priced[k] = static_cast<uint32_t>(memo.size() - 1);
      }
      add_plan(priced.data(), static_cast<int>(parcels.size()));
    }
  }

  if (ranked.empty()) {
    // Why: per line, the first thing that rules every node out.
    for (size_t i = 0; i < n_lines; ++i) {
      const LineRequest& l = order.lines[i];
      // How far the best node gets through the checks, in their order:
      // 1 stock, 2 up, 3 capable, 4 allowed, 5 room, 6 a lane open.
      int stage = 0;
      for (uint32_t n : stock.Holders(l.sku)) {
        if (stage == 6) break;
        if (stock.Available(l.sku, n) < l.quantity) continue;
        int s = 1;
        if (nodes[n].status != NodeStatus::kDown) ++s;
        if (s == 2 && (nodes[n].capabilities & order.needs) == order.needs) ++s;
        if (s == 3 && !forbidden(n) && !pinned_elsewhere(n, i)) ++s;
        if (s == 4 && eligible(n)) ++s;
        if (s == 5 && memo[evaluate(n, line_bit(i) == 0 ? all_lines : line_bit(i))].feasible) ++s;
        stage = std::max(stage, s);
      }
      const int with_stock = stage >= 1, up = stage >= 2, capable = stage >= 3, allowed = stage >= 4,
                room = stage >= 5, reachable = stage >= 6;
      const std::string sku = "line " + std::to_string(i);
      if (with_stock == 0) d.problems.push_back({static_cast<uint32_t>(i), "no_stock", sku + ": no node holds " + std::to_string(l.quantity) + " units"});
      else if (up == 0) d.problems.push_back({static_cast<uint32_t>(i), "nodes_down", sku + ": every node with stock is down"});
      else if (capable == 0) d.problems.push_back({static_cast<uint32_t>(i), "no_capability", sku + ": no node with stock can handle what the order needs (cold chain, hazardous, cross-border)"});
      else if (allowed == 0) d.problems.push_back({static_cast<uint32_t>(i), "overridden", sku + ": the nodes with stock are forbidden for this order"});
      else if (room == 0) d.problems.push_back({static_cast<uint32_t>(i), "capacity_full", sku + ": every node with stock is at its daily capacity"});
      else if (reachable == 0) d.problems.push_back({static_cast<uint32_t>(i), "lanes_closed", sku + ": every lane from the nodes with stock is closed"});
    }
    if (d.problems.empty()) {
      d.problems.push_back({0, "no_single_plan",
                            "every line can be served, but not together within " +
                                std::to_string(policy.max_shipments) + " shipment(s)"});
    }
    return d;
  }

  // Rank: lowest score first; ties go to fewer parcels, then to lower
  // node indices, so the same input always gives the same plan.
  auto before = [&](const Candidate& a, const Candidate& b) {
    const double x = a.parts.Total(), y = b.parts.Total();
    if (x != y) return x < y;
    if (a.count != b.count) return a.count < b.count;
    for (int k = 0; k < a.count; ++k) {
      if (memo[a.parcels[k]].node != memo[b.parcels[k]].node) return memo[a.parcels[k]].node < memo[b.parcels[k]].node;
    }
    return false;
  };
  const size_t keep = std::min<size_t>(ranked.size(), static_cast<size_t>(std::max(policy.alternatives, 0)) + 1);
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(keep), ranked.end(), before);
  ranked.resize(keep);

  for (const Candidate& c : ranked) {
    Plan plan;
    plan.eta_p90 = std::numeric_limits<Micros>::min();  // the latest parcel's, below
    plan.parts = c.parts;
    plan.score = c.parts.Total();
    plan.p_on_time = c.p_on_time;
    plan.eta_p50 = c.eta_p50;
    plan.cost = static_cast<int64_t>(c.parts.cost);
    for (int k = 0; k < c.count; ++k) {
      const Evaluated& e = memo[c.parcels[k]];
      Shipment s;
      s.node = e.node;
      if (e.parts_count > 0) {
        // Units only when the parcel carries part of a line.
        bool part = false;
        for (uint32_t k = e.parts_from; k < e.parts_from + e.parts_count; ++k) {
          const auto [line, units] = scratch.parts[k];
          s.lines.push_back(line);
          s.quantities.push_back(units);
          part = part || units != order.lines[line].quantity;
        }
        if (!part) s.quantities.clear();
      } else {
        for (size_t i = 0; i < n_lines; ++i) {
          if (e.mask == all_lines || (e.mask & line_bit(i))) s.lines.push_back(static_cast<uint32_t>(i));
        }
      }
      s.carrier = std::string(e.lane.carrier);
      s.level = e.lane.level;
      s.shipping = e.shipping;
      s.handling = e.handling;
      s.pickup_at = e.pickup_at;
      s.eta_p50 = e.pickup_at + Hours(e.lane.transit.mean_hours);
      s.eta_p90 = e.pickup_at + Hours(e.lane.transit.mean_hours + 1.2816 * e.lane.transit.sd_hours);
      s.p_on_time = e.p_on_time;
      s.distance_km = e.lane.road_km > 0 ? e.lane.road_km : e.gc_km * kDetour;
      s.carbon_kg = e.carbon_kg;
      s.load_after = e.load_after;
      s.transfers.assign(scratch.legs.begin() + e.legs_from, scratch.legs.begin() + e.legs_from + e.legs_count);
      s.transfer_cost = e.transfer_cost;
      plan.eta_p90 = std::max(plan.eta_p90, s.eta_p90);
      plan.distance_km += s.distance_km;
      plan.carbon_kg += s.carbon_kg;
      plan.shipments.push_back(std::move(s));
    }
    d.plans.push_back(std::move(plan));
  }
  d.split_penalty = policy.split_penalty;
  return d;
}


}  // namespace orderhub::routing
