// The exact optimum of a small routing instance (bench/routing_optimum.cc),
// for routing_quality's gap_to_optimum_pct.
#pragma once

#include <cstdint>

#include "bench/routing_instances.h"

namespace orderhub::bench {

struct Optimum {
  // Sums of the served orders' plan scores: OrderHub after its joint
  // re-plan, in arrival order before it, and the optimum.
  double orderhub_score = 0, arrival_score = 0, optimum_score = 0;
  int64_t orderhub_served = 0, arrival_served = 0, optimum_served = 0;
  int64_t replan_moves = 0, swaps = 0;
  // (OrderHub - optimum) / optimum on plan scores: meaningful when both
  // serve as many orders (the optimum serves the most it can first).
  double gap_pct = 0, arrival_gap_pct = 0;
  bool proven_optimal = false;
  double solver_seconds = 0;
  int columns = 0, rows = 0;
};

// OrderHub's decisions in arrival order, then re-planned jointly as the hub
// does, against CBC's optimum over the same candidate plans, stock and
// capacity; `policy` with its load term off.
Optimum GapToOptimum(const InstanceOptions& options, routing::Policy policy);

}  // namespace orderhub::bench
