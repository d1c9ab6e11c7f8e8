// engine_create: in-process order creation on one core, 3 lines per order,
// reservations included; no parsing, no I/O. Reports creations per second,
// per-call latency percentiles, and engine memory per open order.
#include <malloc.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <thread>

#include <absl/container/flat_hash_set.h>

#include "app/hub.h"
#include "bench/bench.h"
#include "codec/order_codec.h"
#include "engine/engine.h"
#include "engine/huge_pages.h"
#include "testing/test_keys.h"

namespace orderhub::bench {
namespace {

// jemalloc's control call, present when the hub is linked with it (CMake's
// OH_JEMALLOC); glibc's mallinfo2 then sees none of the heap.
extern "C" int mallctl(const char* name, void* old, size_t* old_len, void* value, size_t len)
    __attribute__((weak));

// The heap plus the engine's huge-page tables (engine/huge_pages.h), which
// are mapped outside it.
size_t HeapInUse() {
  const size_t tables = engine::HugePageBytes();
  if (mallctl != nullptr) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);  // its statistics are cached until asked to refresh
    size_t allocated = 0;
    len = sizeof allocated;
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) return allocated + tables;
  }
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd + tables;
}

// The baseline, run in the same process right before: random inserts into a
// hash set as large as the engine's order index, the same shape of work
// (hashing, a cache miss per insert, table growth). The ratio tells a change
// of the code from a change of the machine.
double BaselineInsertsPerSecond(int64_t n) {
  std::mt19937_64 rng(11);
  absl::flat_hash_set<uint64_t> set;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) set.insert(rng());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(set.size()) / secs;
}

}  // namespace

int EngineCreate(int argc, char** argv) {
  int64_t orders = 1'000'000;
  bool routed = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--orders") == 0 && i + 1 < argc) {
      orders = std::atoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--sourcing") == 0 && i + 1 < argc &&
               (std::strcmp(argv[i + 1], "routed") == 0 || std::strcmp(argv[i + 1], "stock") == 0)) {
      routed = std::strcmp(argv[++i], "routed") == 0;
    } else if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "orderhub bench engine_create [--orders N] [--sourcing routed|stock]\n"
                   "  defaults: 1000000 orders, routed (every order decided by the routing engine);\n"
                   "  stock: nodes outside any region, so orders are sourced by stock alone\n";
      return 0;
    } else {
      std::cerr << "orderhub: unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  if (orders < 1000) {
    std::cerr << "orderhub: --orders must be at least 1000\n";
    return 2;
  }
  auto lcs = app::BuiltinLifecycles();
  if (!lcs.ok()) {
    std::cerr << lcs.status().ToString() << "\n";
    return 1;
  }
  engine::Engine e(&*lcs, /*prefault_memory=*/true);  // as `orderhub serve` runs it
  constexpr int kNodes = 50, kSkus = 2000;
  Micros now = 1'800'000'000'000'000;
  for (int n = 0; n < kNodes; ++n) {
    model::Node node;
    node.tenant = "bench";
    node.code = "N" + std::to_string(n);
    node.region_code = routed ? "310100" : "";  // no region: no routing network
    e.Apply({now, engine::UpsertNode{node}}, nullptr);
  }
  for (int s = 0; s < kSkus; ++s) {
    model::Sku sku;
    sku.tenant = "bench";
    sku.code = "S" + std::to_string(s);
    e.Apply({now, engine::UpsertSku{sku}}, nullptr);
    for (int n = 0; n < 5; ++n) {
      engine::SetStock st;
      st.tenant = "bench";
      st.sku = sku.code;
      st.node = "N" + std::to_string((s * 7 + n * 11) % kNodes);
      st.on_hand = 1'000'000'000;
      e.Apply({now, st}, nullptr);
    }
  }
  const double baseline = BaselineInsertsPerSecond(orders);
  malloc_trim(0);
  const size_t heap_before = HeapInUse() + e.arena_bytes();
  // Commands are built before timing: the figure is the engine alone.
  std::mt19937_64 rng(7);
  std::vector<engine::Command> cmds;
  cmds.reserve(static_cast<size_t>(orders));
  IdGenerator ids(1);
  const crypto::DataKeys* keys = &orderhub::testing::TestKeys();
  for (int64_t i = 0; i < orders; ++i) {
    engine::CreateOrder c;
    model::Order& o = c.order;
    o.id = ids.Next(now + i);
    o.tenant = "bench";
    o.channel = "tmall";
    o.channel_order_id = "T" + std::to_string(i);
    o.customer_id = "C" + std::to_string(rng() % 100000);
    std::memcpy(o.currency.data(), "CNY", 4);
    o.paid = true;
    // A realistic address: its text is most of an order's memory.
    o.ship_to.region_code = "310115";
    o.ship_to.postal_code = "200120";
    o.ship_to.detail = "浦东新区世纪大道" + std::to_string(100 + rng() % 900) + "号" + std::to_string(rng() % 30) + "楼";
    o.ship_to.name = "张三";
    o.ship_to.phone = "138" + std::to_string(10000000 + rng() % 89999999);
    for (int l = 0; l < 3; ++l) {
      model::Line line;
      line.sku = "S" + std::to_string(rng() % kSkus);
      line.quantity = 1 + static_cast<int32_t>(rng() % 3);
      line.unit_price = 1999;
      o.lines.push_back(std::move(line));
    }
    codec::EncodeDetails(c, *keys);
    cmds.push_back(engine::Command{now + i, std::move(c)});
  }
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(orders / 100 + 1));
  engine::Changes changes;
  int64_t failed = 0;
  double secs = 0;
  // The timed loop runs on a thread of its own name, so that a profiler
  // (`perf report --comm oh-bench-loop`) can tell it from the set-up.
  std::thread([&] {
    pthread_setname_np(pthread_self(), "oh-bench-loop");
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < orders; ++i) {
      // Every 100th call is timed alone, to keep clock reads off the total.
      if (i % 100 == 0) {
        const auto a = std::chrono::steady_clock::now();
        failed += !e.Apply(cmds[static_cast<size_t>(i)], &changes).status.ok();
        lat.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
      } else {
        failed += !e.Apply(cmds[static_cast<size_t>(i)], &changes).status.ok();
      }
      if (changes.events.size() > 4096) changes.Clear();
    }
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }).join();
  cmds.clear();
  cmds.shrink_to_fit();
  changes.Clear();
  malloc_trim(0);
  const double heap_after = static_cast<double>(HeapInUse() + e.arena_bytes());
  const double bytes_per_order = heap_after > static_cast<double>(heap_before)
                                     ? (heap_after - static_cast<double>(heap_before)) / static_cast<double>(orders)
                                     : 0;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat[static_cast<size_t>(p * static_cast<double>(lat.size() - 1))]; };
  std::fprintf(stderr, "engine_create: %lld orders in %.3f s, %lld rejected\n", static_cast<long long>(orders), secs,
               static_cast<long long>(failed));
  const double rate = static_cast<double>(orders) / secs;
  std::printf(
      "{\"bench\":\"engine_create\",\"sourcing\":\"%s\",\"orders\":%lld,\"orders_per_s\":%.0f,\"p50_ms\":%.5f,\"p99_ms\":%.5f,"
      "\"rejected\":%lld,\"approx_bytes_per_order\":%.0f,\"baseline_inserts_per_s\":%.0f,"
      "\"ratio_to_baseline\":%.3f}\n",
      routed ? "routed" : "stock", static_cast<long long>(orders), rate, pct(0.5) / 1000, pct(0.99) / 1000, static_cast<long long>(failed),
      bytes_per_order, baseline, rate / baseline);
  return failed == 0 ? 0 : 1;
}

}  // namespace orderhub::bench
