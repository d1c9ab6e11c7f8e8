// restart: fills a store with N orders (default 5,000,000) through the
// writer, stops (which writes a snapshot), then measures the time from
// opening the store to serving again and checks an order is readable. With
// --no-snapshot the snapshot is deleted first: the restart after a crash
// that happened before any snapshot, a full journal replay.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/hub.h"
#include "bench/bench.h"
#include "bench/bench_network.h"

namespace orderhub::bench {

int Restart(int argc, char** argv) {
  int64_t orders = 5'000'000;
  bool snapshot = true;
  std::string keep;  // --data: fill once, keep, and restart from it on later runs
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--orders") == 0 && i + 1 < argc) {
      orders = std::atoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      keep = argv[++i];
    } else if (std::strcmp(argv[i], "--no-snapshot") == 0) {
      snapshot = false;
    } else if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "orderhub bench restart [--orders N] [--no-snapshot] [--data DIR]   (default 5000000 orders)\n"
                   "--data DIR keeps the filled store in DIR; a later run with the same DIR skips the filling\n";
      return 0;
    } else {
      std::cerr << "orderhub: unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  if (orders < 1 || orders > 50'000'000) {
    std::cerr << "orderhub: --orders must be 1..50000000\n";
    return 2;
  }
  const std::filesystem::path dir =
      keep.empty() ? std::filesystem::temp_directory_path() / ("orderhub-restart-" + std::to_string(getpid()))
                   : std::filesystem::path(keep);
  const bool filled = !keep.empty() && std::filesystem::exists(dir / "orderhub.db");
  if (!filled) std::filesystem::remove_all(dir);
  app::HubOptions o;
  o.prefault_memory = true;  // as `orderhub serve`
  o.preallocate_wal = true;
  o.data_dir = dir.string();
  o.durability = store::Durability::kNormal;  // filling only; the restart reads the same file either way
  o.server.port = 0;
  static SystemClock clock;
  if (!filled) {
    auto hub = app::Hub::Open(o, &clock);
    if (!hub.ok()) {
      std::cerr << hub.status().ToString() << "\n";
      return 1;
    }
    if (Status st = LoadBenchNetwork(**hub); !st.ok()) {
      std::cerr << st.ToString() << "\n";
      return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t done = 0; done < orders;) {
      app::RequestPipeline p(**hub, kBenchKey);
      const int64_t chunk = std::min<int64_t>(20000, orders - done);
      for (int64_t i = 0; i < chunk; ++i, ++done) {
        char body[512];
        std::snprintf(body, sizeof body,
                      "{\"channel\":\"tmall\",\"channel_order_id\":\"R%lld\",\"customer_id\":\"C%lld\","
                      "\"currency\":\"CNY\",\"paid\":true,\"lines\":[{\"sku\":\"S%lld\",\"quantity\":1,"
                      "\"unit_price\":1999},{\"sku\":\"S%lld\",\"quantity\":2,\"unit_price\":999},{\"sku\":\"S%lld\","
                      "\"quantity\":1,\"unit_price\":599}],\"ship_to\":{\"region_code\":\"310115\","
                      "\"postal_code\":\"200120\",\"address\":\"浦东新区世纪大道%lld号\",\"name\":\"张三\","
                      "\"phone\":\"138%08lld\"}}",
                      static_cast<long long>(done), static_cast<long long>(done % 100000),
                      static_cast<long long>(done % kBenchSkus), static_cast<long long>((done * 7) % kBenchSkus),
                      static_cast<long long>((done * 13) % kBenchSkus), static_cast<long long>(done % 2000),
                      static_cast<long long>(done % 100000000));
        p.Send("POST", "/v1/orders", body);
      }
      if (Status st = p.Wait(); !st.ok()) {
        std::cerr << st.ToString() << "\n";
        return 1;
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cerr << "\rrestart: filled " << done << "/" << orders << " orders (" << static_cast<int64_t>(done / s)
                << "/s)" << std::flush;
    }
    std::cerr << "\n";
    (*hub)->Stop();
  }
  if (!snapshot) std::filesystem::remove(dir / "orderhub.snapshot");
  const auto t0 = std::chrono::steady_clock::now();
  auto hub = app::Hub::Open(o, &clock);
  if (!hub.ok()) {
    std::cerr << hub.status().ToString() << "\n";
    return 1;
  }
  if (Status st = (*hub)->Serve(); !st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  api::Request get;
  get.method = "GET";
  get.target = "/v1/orders/" + std::string((*hub)->engine().MaxOrderId());
  get.api_key = kBenchKey;
  const writer::Reply r = (*hub)->Call(get);
  const uint64_t records = static_cast<uint64_t>((*hub)->replayed_records());
  const bool from_snapshot = (*hub)->snapshot_position().seq > 0;
  const double snapshot_s = (*hub)->snapshot_seconds(), replay_s = (*hub)->replay_seconds();
  orders = static_cast<int64_t>((*hub)->engine().order_count());
  (*hub)->Stop();
  if (keep.empty()) std::filesystem::remove_all(dir);
  std::printf("{\"bench\":\"restart\",\"orders\":%lld,\"from_snapshot\":%s,\"replayed_records\":%llu,"
              "\"seconds_to_ready\":%.3f,\"snapshot_load_s\":%.3f,\"replay_s\":%.3f,\"orders_per_s\":%.0f,"
              "\"p50_ms\":null,\"p99_ms\":null,\"last_order_readable\":%s}\n",
              static_cast<long long>(orders), from_snapshot ? "true" : "false",
              static_cast<unsigned long long>(records), secs, snapshot_s, replay_s,
              static_cast<double>(orders) / secs, r.status == 200 ? "true" : "false");
  return r.status == 200 ? 0 : 1;
}

}  // namespace orderhub::bench
