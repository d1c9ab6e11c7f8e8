// routing_replan: joint re-planning of a generated instance's open orders
// inside the engine (engine/replan.cc), as the hub runs it.
//
// The instance (bench/routing_instances.h) is loaded into an Engine: its
// nodes, skus and stock, then every order created (each routed as it
// arrives, in time order, reserving its plan). Then, timed:
//   1. a full re-plan of all open orders (seconds, moved, cost change), then
//      receipts and a re-plan of the orders they improve;
//   2. the busiest distribution centre goes down: the re-plan of the orders
//      it breaks (disruption_seconds);
//   3. the roads of a province close (Guangdong, "44"): the same.
// A re-plan examines only orders something improved for since they were
// decided (scope "changed"); the full re-plan (scope "all") examines every one
// and is the figure for "re-plan 100,000 open orders". After it, receipts at
// a tenth of the held (sku, node) pairs and a "changed" re-plan show the
// usual case.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "app/hub.h"
#include "bench/bench.h"
#include "bench/routing_instances.h"
#include "engine/engine.h"

namespace orderhub::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kTenant[] = "bench";

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Field `name` of a flat JSON report, as a number.
double ReportNumber(const std::string& report, const std::string& name) {
  const size_t at = report.find("\"" + name + "\":");
  return at == std::string::npos ? 0 : std::atof(report.c_str() + at + name.size() + 3);
}

model::Node ToModel(const routing::Node& n) {
  model::Node m;
  m.code = n.code;
  m.tenant = kTenant;
  m.name = n.code;
  m.type = n.type;
  m.region_code = n.region_code;
  m.lat = n.at.lat;
  m.lng = n.at.lng;
  m.capacity_orders = n.capacity_orders;
  m.capacity_lines = n.capacity_lines;
  m.cost_per_order = n.cost_per_order;
  m.cost_per_line = n.cost_per_line;
  m.cutoff_minute = n.cutoff_minute;
  m.on_time_rate = n.on_time_rate;
  m.capabilities = n.capabilities;
  return m;
}

}  // namespace

int RoutingReplan(int argc, char** argv) {
  InstanceOptions o;
  int64_t passes = 1;
  bool swaps = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoll(argv[++i]) : -1; };
    if (std::strcmp(argv[i], "--orders") == 0) o.orders = static_cast<int>(next());
    else if (std::strcmp(argv[i], "--nodes") == 0) o.nodes = static_cast<int>(next());
    else if (std::strcmp(argv[i], "--seed") == 0) o.seed = static_cast<uint64_t>(next());
    else if (std::strcmp(argv[i], "--passes") == 0) passes = next();
    else if (std::strcmp(argv[i], "--swaps") == 0) swaps = true;
    else if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "orderhub bench routing_replan [--orders N] [--nodes N] [--seed S] [--passes 1..3] [--swaps]\n"
                   "  defaults: 100000 orders (a realistic basket mix), 500 nodes, seed 1, 1 pass; --swaps: the\n"
                   "  full re-plan lets orders trade stock too\n";
      return 0;
    } else {
      std::cerr << "orderhub: unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  if (o.orders < 1000 || o.nodes < 2 || passes < 1 || passes > 3) {
    std::cerr << "orderhub: need --orders >= 1000, --nodes >= 2 and --passes 1..3\n";
    return 2;
  }
  std::cerr << "generating: " << o.nodes << " nodes, " << o.orders << " orders, seed " << o.seed << "\n";
  Instance in = MakeInstance(o);
  auto lifecycles = app::BuiltinLifecycles();
  if (!lifecycles.ok()) {
    std::cerr << "orderhub: " << lifecycles.status().ToString() << "\n";
    return 1;
  }
  engine::Engine e(&*lifecycles);
  const Micros t0 = in.orders.empty() ? 0 : in.orders.front().now;
  auto apply = [&](engine::CommandBody body, Micros now) { return e.Apply(engine::Command{now, std::move(body)}, nullptr); };
  const auto nodes = in.network.nodes();
  for (const routing::Node& n : nodes) apply(engine::UpsertNode{ToModel(n)}, t0);
  const int skus = static_cast<int>(in.sku_weight_g.size());
  for (int s = 0; s < skus; ++s) {
    model::Sku sku;
    sku.code = "S" + std::to_string(s);
    sku.tenant = kTenant;
    sku.name = sku.code;
    sku.weight_g = in.sku_weight_g[static_cast<size_t>(s)];
    apply(engine::UpsertSku{sku}, t0);
  }
  for (int s = 0; s < skus; ++s) {
    for (uint32_t n : in.stock.Holders(static_cast<uint32_t>(s))) {
      engine::SetStock st;
      st.tenant = kTenant;
      st.sku = "S" + std::to_string(s);
      st.node = nodes[n].code;
      st.on_hand = in.stock.Available(static_cast<uint32_t>(s), n);
      st.reason = "bench";
      apply(std::move(st), t0);
    }
  }
  std::cerr << "creating " << in.orders.size() << " orders (each routed as it arrives)\n";
  int64_t created = 0;
  Micros last = t0;
  const auto create_start = Clock::now();
  for (size_t i = 0; i < in.orders.size(); ++i) {
    const InstanceOrder& io = in.orders[i];
    engine::CreateOrder c;
    model::Order& m = c.order;
    char id[27];
    std::snprintf(id, sizeof id, "B%025zu", i);
    m.id = id;
    m.tenant = kTenant;
    m.channel = "tmall";
    m.channel_order_id = id;
    m.customer_id = "C" + std::to_string(i % 5000);
    std::memcpy(m.currency.data(), "CNY", 4);
    m.paid = true;
    m.promise_at = io.promise_at;
    m.ship_to.region_code = io.region_code;
    for (const routing::LineRequest& l : io.lines) {
      model::Line line;
      line.sku = "S" + std::to_string(l.sku);
      line.quantity = static_cast<int32_t>(l.quantity);
      m.lines.push_back(std::move(line));
    }
    created += e.Apply(engine::Command{io.now, std::move(c)}, nullptr).status.ok();
    last = std::max(last, io.now);
  }
  const double create_s = Seconds(create_start);
  std::cerr << created << " orders created in " << create_s << " s\n";

  auto replan = [&](engine::CommandBody body, Micros now) {
    const auto start = Clock::now();
    const engine::Outcome out = apply(std::move(body), now);
    const double s = Seconds(start);
    if (!out.status.ok()) std::cerr << "orderhub: " << out.status.ToString() << "\n";
    return s;
  };
  Micros now = last + kMicrosPerSecond;
  // Every open order examined: what a re-plan costs when everything may have changed.
  const double full_s =
      replan(engine::Replan{kTenant, false, true, {}, "", "bench", "full re-plan", passes, swaps}, now);
  const std::string full = e.LastReplan(kTenant);
  std::cerr << "full re-plan: " << full_s << " s " << full.substr(0, 300) << "\n";
  // A receipt: a tenth of the held (sku, node) pairs get half as much again.
  int64_t receipts = 0;
  for (int s = 0; s < skus; ++s) {
    for (uint32_t n : in.stock.Holders(static_cast<uint32_t>(s))) {
      if ((s * 31 + static_cast<int>(n)) % 10 != 0) continue;
      engine::AdjustStock a;
      a.tenant = kTenant;
      a.sku = "S" + std::to_string(s);
      a.node = nodes[n].code;
      a.delta = 1 + in.stock.Available(static_cast<uint32_t>(s), n) / 2;
      a.reason = "receipt";
      receipts += apply(std::move(a), now + 1).status.ok();
    }
  }
  const double changed_s =
      replan(engine::Replan{kTenant, false, false, {}, "", "bench", "after receipts", passes, false}, now + 2);
  const std::string changed = e.LastReplan(kTenant);
  std::cerr << receipts << " receipts, then a re-plan of what they improve: " << changed_s << " s "
            << changed.substr(0, 300) << "\n";

  // The busiest DC goes down.
  std::string busiest;
  int64_t most = -1;
  auto net = e.NetworkJson(kTenant);
  for (const routing::Node& n : nodes) {
    if (n.type != "dc") continue;
    const std::string key = "\"code\":\"" + n.code + "\"";
    const size_t at = net->find(key);
    const int64_t load = at == std::string::npos ? 0 : static_cast<int64_t>(ReportNumber(net->substr(at), "load_orders"));
    if (load > most) {
      most = load;
      busiest = n.code;
    }
  }
  model::Node down = ToModel(nodes[in.network.FindNode(busiest)]);
  down.status = "down";
  const double down_s = replan(engine::UpsertNode{down}, now + 3);
  const std::string after_down = e.LastReplan(kTenant);
  std::cerr << "DC " << busiest << " (" << most << " orders today) down: " << down_s << " s "
            << after_down.substr(0, 300) << "\n";
  const double close_s = replan(engine::Disrupt{kTenant, "44", true, "rainstorm"}, now + 4);
  const std::string after_close = e.LastReplan(kTenant);
  std::cerr << "Guangdong closed: " << close_s << " s " << after_close.substr(0, 300) << "\n";

  std::printf(
      "{\"bench\":\"routing_replan\",\"orders\":%lld,\"nodes\":%d,\"seed\":%llu,\"create_per_order_us\":%.2f,"
      "\"seconds\":%.3f,\"passes\":%.0f,\"examined\":%.0f,\"moved\":%.0f,\"swaps\":%.0f,\"cost_change\":%.0f,"
      "\"after_receipts_seconds\":%.3f,\"after_receipts_examined\":%.0f,\"after_receipts_moved\":%.0f,"
      "\"dc_down_seconds\":%.3f,\"dc_down_moved\":%.0f,\"dc_down_stranded\":%.0f,"
      "\"region_closed_seconds\":%.3f,\"region_closed_moved\":%.0f,\"region_closed_stranded\":%.0f}\n",
      static_cast<long long>(ReportNumber(full, "open_orders")), o.nodes, static_cast<unsigned long long>(o.seed),
      create_s / static_cast<double>(std::max<int64_t>(created, 1)) * 1e6, full_s, ReportNumber(full, "passes"),
      ReportNumber(full, "examined"), ReportNumber(full, "moved"), ReportNumber(full, "swaps"),
      ReportNumber(full, "cost_change"), changed_s,
      ReportNumber(changed, "examined"), ReportNumber(changed, "moved"), down_s,
      ReportNumber(after_down, "moved"), ReportNumber(after_down, "stranded"), close_s,
      ReportNumber(after_close, "moved"), ReportNumber(after_close, "stranded"));
  return 0;
}

}  // namespace orderhub::bench
