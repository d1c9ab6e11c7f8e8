// Request metrics per route, rendered in the Prometheus text format.
// Counters are atomics: any I/O thread records, /metrics reads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "writer/writer.h"

namespace orderhub::api {

class Metrics {
 public:
  // Route names are fixed at construction ("POST /v1/orders", ...).
  explicit Metrics(std::vector<std::string> routes);
  // REQUIRES: route < routes.size().
  void Record(size_t route, int status, uint64_t micros);
  // `orders_by_state` comes from the engine (via the writer); the writer's
  // commit statistics are read directly.
  std::string Render(const std::map<std::pair<std::string, std::string>, int64_t>& orders_by_state,
                     const writer::WriterStats& w) const;

  static constexpr std::array<double, 12> kBucketsMs = {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};

 private:
  struct RouteStats {
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> errors_4xx{0};
    std::atomic<uint64_t> errors_5xx{0};
    std::atomic<uint64_t> micros_sum{0};
    std::array<std::atomic<uint64_t>, kBucketsMs.size()> buckets{};
  };
  std::vector<std::string> names_;
  std::vector<RouteStats> stats_;
};

}  // namespace orderhub::api
