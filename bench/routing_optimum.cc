// The exact optimum of a small routing instance, with CBC (COIN-OR's MIP
// solver, Debian's coinor-libcbc-dev), to measure how far OrderHub's
// decisions are from it (routing_quality's gap_to_optimum_pct).
//
// The model: every order takes exactly one of its candidate plans or stays
// unserved (at a penalty above any plan), subject to each (sku, node)'s
// stock and each node's remaining daily capacity in orders. Candidates per
// order: the decider's best plans with the whole stock free (up to
// kCandidates, alternatives included) plus the plan OrderHub chose in
// arrival order and after its joint re-plan, so the optimum is never worse
// than OrderHub. A plan's
// score is the policy's (cost, lateness, time, carbon); the load term is
// off in this comparison so that a plan's score does not depend on the other
// orders (the solver cannot price a convex load term), and the policy is the
// same for both sides. The optimum is over these candidates: plans no
// decision proposed are not in the model (a column-generation step is not
// done), which the report says.
#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "bench/routing_optimum.h"

namespace orderhub::bench {
namespace {

constexpr int kCandidates = 8;
constexpr double kUnserved = 1e6;  // fen: above any plan's score
constexpr int kReplanPasses = 2;   // as many as `orderhub bench routing_replan --passes 2`
constexpr int kSwapPartners = 3;   // as Engine::Swaps

// A plan as the model sees it: its score and what it takes.
struct Column {
  uint32_t order;
  double score;
  std::vector<std::pair<uint64_t, int64_t>> units;  // (sku << 32 | node, units)
  std::vector<uint32_t> nodes;                      // nodes it ships from (one order each)
};

Column ColumnOf(uint32_t order, const InstanceOrder& o, const routing::Plan& p) {
  Column c{order, p.score, {}, {}};
  for (const routing::Shipment& s : p.shipments) {
    c.nodes.push_back(s.node);
    for (size_t k = 0; k < s.lines.size(); ++k) {
      const routing::LineRequest& l = o.lines[s.lines[k]];
      c.units.emplace_back(static_cast<uint64_t>(l.sku) << 32 | s.node, s.quantities.empty() ? l.quantity : s.quantities[k]);
    }
  }
  return c;
}

}  // namespace

Optimum GapToOptimum(const InstanceOptions& options, routing::Policy policy) {
  policy.load_penalty = 0;
  Optimum out;
  // OrderHub: arrival order, each plan reserved before the next.
  Instance in = MakeInstance(options);
  routing::Decider decider(&in.network, &policy);
  std::vector<std::optional<routing::Plan>> plan(in.orders.size());
  for (uint32_t i = 0; i < in.orders.size(); ++i) {
    const InstanceOrder& o = in.orders[i];
    routing::Decision d = decider.Decide(RequestOf(o), in.stock);
    if (!d.routable()) continue;
    Reserve(in, o, d.plans[0]);
    plan[i] = std::move(d.plans[0]);
  }
  auto tally = [&](double* score, int64_t* served) {
    *score = 0;
    *served = 0;
    for (const std::optional<routing::Plan>& p : plan) {
      *score += p ? p->score : kUnserved;
      *served += p.has_value();
    }
  };
  tally(&out.arrival_score, &out.arrival_served);
  // Then the joint re-plan the hub runs on its open orders (engine/replan.cc):
  // each order in turn routed again with its own stock free, moved when that
  // scores better; passes repeat while they move orders.
  for (int pass = 0; pass < kReplanPasses; ++pass) {
    int64_t moved = 0;
    for (uint32_t i = 0; i < in.orders.size(); ++i) {
      const InstanceOrder& o = in.orders[i];
      if (plan[i]) Reserve(in, o, *plan[i], -1);
      routing::Decision d = decider.Decide(RequestOf(o), in.stock);
      if (d.routable() && d.plans[0].score < (plan[i] ? plan[i]->score : kUnserved) - 1e-6) {
        plan[i] = std::move(d.plans[0]);
        ++moved;
      }
      if (plan[i]) Reserve(in, o, *plan[i]);
    }
    out.replan_moves += moved;
    if (moved == 0) break;
  }
  // And its swaps (Engine::Swaps, `"swaps": true`): an order whose plan would
  // score better were nothing reserved takes the units another order holds
  // when the two, routed again (the order first), score better together.
  // One sweep, after the passes; partners in order index order.
  const Instance unreserved = MakeInstance(options);
  auto holds = [&](uint32_t i, const routing::Plan& p) {
    std::map<uint64_t, int64_t> m;
    for (const routing::Shipment& s : p.shipments) {
      for (size_t k = 0; k < s.lines.size(); ++k) {
        const routing::LineRequest& l = in.orders[i].lines[s.lines[k]];
        m[static_cast<uint64_t>(l.sku) << 32 | s.node] += s.quantities.empty() ? l.quantity : s.quantities[k];
      }
    }
    return m;
  };
  for (uint32_t a = 0; a < in.orders.size(); ++a) {
    if (!plan[a]) continue;
    const routing::Decision wish = decider.Decide(RequestOf(in.orders[a]), unreserved.stock);
    if (!wish.routable() || wish.plans[0].score >= plan[a]->score - 1e-6) continue;
    const std::map<uint64_t, int64_t> own = holds(a, *plan[a]);
    std::map<uint64_t, int64_t> lacks;
    for (const auto& [key, units] : holds(a, wish.plans[0])) {
      const auto it = own.find(key);
      const int64_t free = in.stock.Available(static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key)) +
                           (it == own.end() ? 0 : it->second);
      if (units > free) lacks[key] = units - free;
    }
    if (lacks.empty()) continue;
    int tried = 0;
    for (uint32_t b = 0; b < in.orders.size() && tried < kSwapPartners; ++b) {
      if (b == a || !plan[b]) continue;
      const std::map<uint64_t, int64_t> theirs = holds(b, *plan[b]);
      if (!theirs.contains(lacks.begin()->first)) continue;
      const bool covers = std::all_of(lacks.begin(), lacks.end(), [&](const auto& need) {
        const auto it = theirs.find(need.first);
        return it != theirs.end() && it->second >= need.second;
      });
      if (!covers) continue;
      ++tried;
      Reserve(in, in.orders[a], *plan[a], -1);
      Reserve(in, in.orders[b], *plan[b], -1);
      routing::Decision da = decider.Decide(RequestOf(in.orders[a]), in.stock);
      bool better = false;
      routing::Decision db;
      if (da.routable()) {
        Reserve(in, in.orders[a], da.plans[0]);
        db = decider.Decide(RequestOf(in.orders[b]), in.stock);
        better = db.routable() && da.plans[0].score + db.plans[0].score < plan[a]->score + plan[b]->score - 1e-6;
        Reserve(in, in.orders[a], da.plans[0], -1);
      }
      if (better) {
        plan[a] = std::move(da.plans[0]);
        plan[b] = std::move(db.plans[0]);
        ++out.swaps;
      }
      Reserve(in, in.orders[a], *plan[a]);
      Reserve(in, in.orders[b], *plan[b]);
      if (better) break;
    }
  }
  tally(&out.orderhub_score, &out.orderhub_served);
  std::vector<Column> columns;
  std::vector<int> chosen(in.orders.size(), -1);
  for (uint32_t i = 0; i < in.orders.size(); ++i) {
    if (!plan[i]) continue;
    chosen[i] = static_cast<int>(columns.size());
    columns.push_back(ColumnOf(i, in.orders[i], *plan[i]));
  }
  // Candidates with the whole stock free.
  const Instance fresh = MakeInstance(options);
  routing::Policy wide = policy;
  wide.alternatives = kCandidates - 1;
  routing::Decider candidates(&fresh.network, &wide);
  for (uint32_t i = 0; i < fresh.orders.size(); ++i) {
    const InstanceOrder& o = fresh.orders[i];
    for (const routing::Plan& p : candidates.Decide(RequestOf(o), fresh.stock).plans) {
      Column c = ColumnOf(i, o, p);
      // The plan OrderHub chose is a column already.
      if (chosen[i] >= 0 && columns[static_cast<size_t>(chosen[i])].units == c.units) continue;
      columns.push_back(std::move(c));
    }
  }
  const size_t n_orders = fresh.orders.size();
  // Rows: one per order (= 1), one per (sku, node) used (<= stock), one per node (<= capacity left).
  std::map<uint64_t, int> stock_row;
  std::map<uint32_t, int> node_row;
  int rows = static_cast<int>(n_orders);
  for (const Column& c : columns) {
    for (const auto& [k, q] : c.units) {
      if (stock_row.emplace(k, rows).second) ++rows;
    }
  }
  for (const Column& c : columns) {
    for (uint32_t n : c.nodes) {
      const routing::Node& node = fresh.network.nodes()[n];
      if (node.capacity_orders > 0 && node_row.emplace(n, rows).second) ++rows;
    }
  }
  std::vector<double> lower(static_cast<size_t>(rows), 0), upper(static_cast<size_t>(rows), 0);
  for (size_t i = 0; i < n_orders; ++i) lower[i] = upper[i] = 1;
  for (const auto& [k, row] : stock_row) {
    lower[static_cast<size_t>(row)] = -1e30;
    upper[static_cast<size_t>(row)] = static_cast<double>(
        fresh.stock.Available(static_cast<uint32_t>(k >> 32), static_cast<uint32_t>(k & 0xffffffffu)));
  }
  for (const auto& [n, row] : node_row) {
    const routing::Node& node = fresh.network.nodes()[n];
    lower[static_cast<size_t>(row)] = -1e30;
    upper[static_cast<size_t>(row)] = static_cast<double>(std::max<int64_t>(0, node.capacity_orders - node.load_orders));
  }
  // Columns in compressed-column form: the plans, then one "unserved" per order.
  std::vector<int> starts{0}, index;
  std::vector<double> value, obj, col_lo, col_up;
  for (const Column& c : columns) {
    std::map<int, double> entries{{static_cast<int>(c.order), 1.0}};
    for (const auto& [k, q] : c.units) entries[stock_row[k]] += static_cast<double>(q);
    for (uint32_t n : c.nodes) {
      if (auto it = node_row.find(n); it != node_row.end()) entries[it->second] = 1.0;
    }
    for (const auto& [row, v] : entries) {
      index.push_back(row);
      value.push_back(v);
    }
    starts.push_back(static_cast<int>(index.size()));
    obj.push_back(c.score);
    col_lo.push_back(0);
    col_up.push_back(1);
  }
  for (size_t i = 0; i < n_orders; ++i) {
    index.push_back(static_cast<int>(i));
    value.push_back(1);
    starts.push_back(static_cast<int>(index.size()));
    obj.push_back(kUnserved);
    col_lo.push_back(0);
    col_up.push_back(1);
  }
  const int n_cols = static_cast<int>(obj.size());
  Cbc_Model* model = Cbc_newModel();
  Cbc_loadProblem(model, n_cols, rows, starts.data(), index.data(), value.data(), col_lo.data(), col_up.data(),
                  obj.data(), lower.data(), upper.data());
  for (int c = 0; c < n_cols; ++c) Cbc_setInteger(model, c);
  // MIP start: OrderHub's own choices, so the solver begins from them.
  std::vector<int> start_cols;
  for (size_t i = 0; i < n_orders; ++i) {
    start_cols.push_back(chosen[i] >= 0 ? chosen[i] : static_cast<int>(columns.size() + i));
  }
  std::vector<double> ones(start_cols.size(), 1.0);
  Cbc_setMIPStartI(model, static_cast<int>(start_cols.size()), start_cols.data(), ones.data());
  Cbc_setParameter(model, "log", "0");
  Cbc_setParameter(model, "threads", "1");
  Cbc_setParameter(model, "ratioGap", "0");
  Cbc_setParameter(model, "seconds", "120");
  const auto t0 = std::chrono::steady_clock::now();
  Cbc_solve(model);
  out.solver_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.proven_optimal = Cbc_isProvenOptimal(model) != 0;
  out.optimum_score = Cbc_getObjValue(model);
  const double* x = Cbc_getColSolution(model);
  for (size_t c = 0; c < columns.size(); ++c) out.optimum_served += x[c] > 0.5;
  out.columns = n_cols;
  out.rows = rows;
  Cbc_deleteModel(model);
  // The plans' scores alone: the penalties of unserved orders would swamp
  // the comparison. Comparable when both serve as many orders.
  out.orderhub_score -= kUnserved * static_cast<double>(static_cast<int64_t>(n_orders) - out.orderhub_served);
  out.arrival_score -= kUnserved * static_cast<double>(static_cast<int64_t>(n_orders) - out.arrival_served);
  out.optimum_score -= kUnserved * static_cast<double>(static_cast<int64_t>(n_orders) - out.optimum_served);
  auto gap = [&](double score) { return out.optimum_score > 0 ? 100.0 * (score - out.optimum_score) / out.optimum_score : 0; };
  out.gap_pct = gap(out.orderhub_score);
  out.arrival_gap_pct = gap(out.arrival_score);
  return out;
}

}  // namespace orderhub::bench
