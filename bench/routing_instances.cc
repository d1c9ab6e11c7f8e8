#include "bench/routing_instances.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "geo/geo.h"

namespace orderhub::bench {
namespace {

// Cities with their size weight, and the counties of each.
struct City {
  const geo::Region* city;
  double weight;
  std::vector<const geo::Region*> counties;
};

std::vector<City> Cities() {
  const geo::Regions& r = geo::Regions::China();
  std::vector<City> out;
  for (const geo::Region& p : r.prefectures()) {
    City c{&p, static_cast<double>(r.Districts(p.code) + 1), {}};
    for (const geo::Region& k : r.counties()) {
      if (k.city_code == p.code) c.counties.push_back(&k);
    }
    if (!c.counties.empty()) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Instance MakeInstance(const InstanceOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0, 1);
  const std::vector<City> cities = Cities();
  std::vector<double> weights;
  for (const City& c : cities) weights.push_back(c.weight);
  std::discrete_distribution<size_t> pick_city(weights.begin(), weights.end());
  auto pick_county = [&](const City& c) { return c.counties[rng() % c.counties.size()]; };

  // Nodes.
  std::vector<routing::Node> nodes;
  for (int i = 0; i < o.nodes; ++i) {
    const City& c = cities[pick_city(rng)];
    const geo::Region* county = pick_county(c);
    routing::Node n;
    const double t = u(rng);
    n.type = t < 0.10 ? "dc" : t < 0.50 ? "warehouse" : t < 0.85 ? "store" : "3pl";
    n.code = n.type + "-" + std::string(county->code) + "-" + std::to_string(i);
    n.region_code = std::string(county->code);
    n.at = {county->at.lat + (u(rng) - 0.5) * 0.1, county->at.lng + (u(rng) - 0.5) * 0.1};
    if (n.type == "dc") {
      n.capacity_orders = 20000, n.cost_per_order = 150, n.cost_per_line = 20, n.cutoff_minute = 18 * 60;
    } else if (n.type == "warehouse") {
      n.capacity_orders = 5000, n.cost_per_order = 220, n.cost_per_line = 30, n.cutoff_minute = 16 * 60;
    } else if (n.type == "store") {
      n.capacity_orders = 300, n.cost_per_order = 450, n.cost_per_line = 60, n.cutoff_minute = 20 * 60;
    } else {
      n.capacity_orders = 3000, n.cost_per_order = 260, n.cost_per_line = 30, n.cutoff_minute = 15 * 60;
    }
    n.capacity_lines = n.capacity_orders * 3;
    n.on_time_rate = 0.92 + 0.07 * u(rng);
    nodes.push_back(std::move(n));
  }
  auto network = routing::Network::Build(std::move(nodes), {});
  Instance in{std::move(*network), DenseStock(o.skus, o.nodes), {}, {}};

  // Skus: Zipf popularity, log-uniform weight.
  std::vector<double> popularity(o.skus);
  for (int s = 0; s < o.skus; ++s) {
    popularity[s] = 1.0 / (s + 1);
    in.sku_weight_g.push_back(static_cast<int64_t>(std::exp(std::log(100.0) + u(rng) * std::log(50.0))));
  }
  std::discrete_distribution<uint32_t> pick_sku(popularity.begin(), popularity.end());

  // Orders.
  Micros day = 0;
  ParseRfc3339("2026-11-24T00:00:00+08:00", &day);
  std::vector<int64_t> wanted(o.skus, 0);
  for (int i = 0; i < o.orders; ++i) {
    InstanceOrder ord;
    ord.region_code = std::string(pick_county(cities[pick_city(rng)])->code);
    ord.now = day + static_cast<Micros>(u(rng) * 86400.0 * kMicrosPerSecond);
    ord.promise_at = ord.now + (u(rng) < 0.2 ? 24 : 48) * 3600 * kMicrosPerSecond;
    int lines = o.lines;
    if (lines == 0) {
      const double b = u(rng);
      lines = b < 0.50 ? 1 : b < 0.75 ? 2 : b < 0.88 ? 3 : 4 + static_cast<int>(rng() % 3);
    }
    for (int l = 0; l < lines; ++l) {
      uint32_t sku = pick_sku(rng);
      // A basket holds distinct skus.
      for (int tries = 0; tries < 8; ++tries) {
        bool dup = false;
        for (const auto& x : ord.lines) dup |= x.sku == sku;
        if (!dup) break;
        sku = pick_sku(rng);
      }
      const double q = u(rng);
      const int64_t qty = q < 0.80 ? 1 : q < 0.95 ? 2 : 3;
      ord.lines.push_back(routing::LineRequest{sku, qty, in.sku_weight_g[sku]});
      wanted[sku] += qty;
    }
    in.orders.push_back(std::move(ord));
  }
  std::sort(in.orders.begin(), in.orders.end(), [](const auto& a, const auto& b) { return a.now < b.now; });

  // Stock: who holds each sku, then the units spread over the holders.
  const auto all = in.network.nodes();
  for (int s = 0; s < o.skus; ++s) {
    const double pop = std::min(1.0, 0.3 + 40.0 * popularity[s]);  // best sellers are stocked widely
    std::vector<uint32_t> holders;
    for (uint32_t n = 0; n < all.size(); ++n) {
      const std::string& t = all[n].type;
      const double p = (t == "dc" ? 0.60 : t == "warehouse" ? 0.25 : t == "store" ? 0.08 : 0.15) * pop;
      if (u(rng) < p) holders.push_back(n);
    }
    if (holders.empty()) holders.push_back(static_cast<uint32_t>(rng() % all.size()));
    const double cover = u(rng) < 0.2 ? o.stock_cover / 2 : o.stock_cover;  // scarce skus
    const int64_t units = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wanted[s] * cover)));
    // Units go mostly to the big nodes, as a merchant stocks them.
    std::vector<double> share;
    for (uint32_t n : holders) {
      const std::string& t = all[n].type;
      share.push_back(t == "dc" ? 6 : t == "warehouse" ? 3 : t == "store" ? 1 : 2);
    }
    std::discrete_distribution<size_t> to(share.begin(), share.end());
    for (int64_t k = 0; k < units; ++k) ++in.stock.at(s, holders[to(rng)]);
  }
  in.stock.IndexHolders();
  return in;
}

routing::OrderRequest RequestOf(const InstanceOrder& o) {
  routing::OrderRequest r;
  r.now = o.now;
  r.promise_at = o.promise_at;
  r.region_code = o.region_code;
  r.lines = o.lines;
  return r;
}

void Reserve(Instance& in, const InstanceOrder& order, const routing::Plan& plan, int sign) {
  for (const routing::Shipment& s : plan.shipments) {
    for (size_t k = 0; k < s.lines.size(); ++k) {
      const routing::LineRequest& l = order.lines[s.lines[k]];
      in.stock.at(l.sku, s.node) -= sign * static_cast<int32_t>(s.quantities.empty() ? l.quantity : s.quantities[k]);
    }
    in.network.AddLoad(s.node, sign, sign * static_cast<int64_t>(s.lines.size()));
  }
}

}  // namespace orderhub::bench
