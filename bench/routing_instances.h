// Seeded routing instances on real Chinese cities (bench/README: "Routing
// instances"). Same seed, same instance, on every machine.
//
// - Nodes sit in prefecture cities drawn by size, where size is the number
//   of urban districts (区) + 1 (data/geo: the table has no population; the
//   district count tracks urban population closely enough for placement).
//   10% distribution centres (big, cheap per order, 18:00 cut-off), 40%
//   regional warehouses, 35% stores as forward warehouses (small, dear to
//   pick from, 20:00), 15% 3PLs (15:00). Each sits in a county of its city.
// - Demand: a city by size, then one of its counties uniformly.
// - Skus: popularity Zipf(1.0); unit weights log-uniform 100 g - 5 kg.
// - Stock: a sku is held by a node with a probability by node type
//   (DC 60%, warehouse 25%, store 8%, 3PL 15%) scaled by its popularity;
//   units sized so that the instance's orders want about `stock_cover` of
//   what is held, with a fifth of the skus scarce (half of that), and
//   spread over the holders 6:3:2:1 for DC, warehouse, 3PL, store.
// - Baskets: `lines` lines each when set, else 1 (50%), 2 (25%), 3 (13%),
//   4-6 (12%); quantities 1 (80%), 2 (15%), 3 (5%).
// - Orders arrive over one day from 00:00 China time; the promise is 48 h
//   (standard) or 24 h (express, 20% of orders).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "routing/routing.h"

namespace orderhub::bench {

struct InstanceOptions {
  uint64_t seed = 1;
  int nodes = 500;
  int skus = 2000;
  int orders = 100'000;
  int lines = 0;              // 0: the realistic mix above
  double stock_cover = 1.5;   // units held / units the orders want
};

struct InstanceOrder {
  std::string region_code;
  Micros now = 0, promise_at = 0;
  std::vector<routing::LineRequest> lines;
};

// Units per (sku, node), dense: the pool as the decider sees it.
class DenseStock final : public routing::Stock {
 public:
  DenseStock(int skus, int nodes)
      : nodes_(nodes), units_(static_cast<size_t>(skus) * nodes, 0), holders_(static_cast<size_t>(skus)) {}
  int64_t Available(uint32_t sku, uint32_t node) const override { return units_[Index(sku, node)]; }
  std::span<const uint32_t> Holders(uint32_t sku) const override { return holders_[sku]; }
  int32_t& at(uint32_t sku, uint32_t node) { return units_[Index(sku, node)]; }
  // Lists each sku's holders once the stock is placed (units only go down after).
  void IndexHolders() {
    for (size_t s = 0; s < holders_.size(); ++s) {
      holders_[s].clear();
      for (int n = 0; n < nodes_; ++n) {
        if (units_[s * nodes_ + n] > 0) holders_[s].push_back(static_cast<uint32_t>(n));
      }
    }
  }

 private:
  size_t Index(uint32_t sku, uint32_t node) const { return static_cast<size_t>(sku) * nodes_ + node; }
  int nodes_;
  std::vector<int32_t> units_;
  std::vector<std::vector<uint32_t>> holders_;
};

struct Instance {
  routing::Network network;
  DenseStock stock;
  std::vector<int64_t> sku_weight_g;
  std::vector<InstanceOrder> orders;
};

Instance MakeInstance(const InstanceOptions& o);

// The decider's request for an instance order (no pins, no forbidden nodes).
routing::OrderRequest RequestOf(const InstanceOrder& o);

// Takes a plan's units out of the stock and adds its load, as a reservation
// would; `sign` -1 gives them back (a re-plan moving the order).
void Reserve(Instance& in, const InstanceOrder& order, const routing::Plan& plan, int sign = 1);

}  // namespace orderhub::bench
