#include "api/metrics.h"

#include <cstdio>

namespace orderhub::api {

Metrics::Metrics(std::vector<std::string> routes) : names_(std::move(routes)), stats_(names_.size()) {}

void Metrics::Record(size_t route, int status, uint64_t micros) {
  RouteStats& s = stats_[route];
  s.count.fetch_add(1, std::memory_order_relaxed);
  if (status >= 500) {
    s.errors_5xx.fetch_add(1, std::memory_order_relaxed);
  } else if (status >= 400) {
    s.errors_4xx.fetch_add(1, std::memory_order_relaxed);
  }
  s.micros_sum.fetch_add(micros, std::memory_order_relaxed);
  for (size_t i = 0; i < kBucketsMs.size(); ++i) {
    if (static_cast<double>(micros) <= kBucketsMs[i] * 1000) {
      s.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

std::string Metrics::Render(const std::map<std::pair<std::string, std::string>, int64_t>& orders_by_state,
                            const writer::WriterStats& w) const {
  std::string out;
  char buf[256];
  out += "# HELP orderhub_http_requests_total Requests answered, by route and status class.\n";
  out += "# TYPE orderhub_http_requests_total counter\n";
  for (size_t i = 0; i < names_.size(); ++i) {
    const RouteStats& s = stats_[i];
    const uint64_t e4 = s.errors_4xx.load(), e5 = s.errors_5xx.load(), n = s.count.load();
    std::snprintf(buf, sizeof buf, "orderhub_http_requests_total{route=\"%s\",class=\"2xx\"} %llu\n",
                  names_[i].c_str(), static_cast<unsigned long long>(n - e4 - e5));
    out += buf;
    std::snprintf(buf, sizeof buf, "orderhub_http_requests_total{route=\"%s\",class=\"4xx\"} %llu\n",
                  names_[i].c_str(), static_cast<unsigned long long>(e4));
    out += buf;
    std::snprintf(buf, sizeof buf, "orderhub_http_requests_total{route=\"%s\",class=\"5xx\"} %llu\n",
                  names_[i].c_str(), static_cast<unsigned long long>(e5));
    out += buf;
  }
  out += "# HELP orderhub_http_request_duration_seconds Time from request parsed to response ready.\n";
  out += "# TYPE orderhub_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < names_.size(); ++i) {
    const RouteStats& s = stats_[i];
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBucketsMs.size(); ++b) {
      cumulative += s.buckets[b].load();
      std::snprintf(buf, sizeof buf, "orderhub_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    names_[i].c_str(), kBucketsMs[b] / 1000, static_cast<unsigned long long>(cumulative));
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "orderhub_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                  "orderhub_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                  "orderhub_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  names_[i].c_str(), static_cast<unsigned long long>(s.count.load()), names_[i].c_str(),
                  static_cast<double>(s.micros_sum.load()) / 1e6, names_[i].c_str(),
                  static_cast<unsigned long long>(s.count.load()));
    out += buf;
  }
  out += "# HELP orderhub_orders Orders by type and lifecycle state.\n# TYPE orderhub_orders gauge\n";
  for (const auto& [key, n] : orders_by_state) {
    std::snprintf(buf, sizeof buf, "orderhub_orders{order_type=\"%s\",state=\"%s\"} %lld\n", key.first.c_str(),
                  key.second.c_str(), static_cast<long long>(n));
    out += buf;
  }
  static constexpr const char* kSizeLe[] = {"1", "8", "64", "512", "+Inf"};
  out += "# HELP orderhub_commit_batch_size Commands per group commit.\n# TYPE orderhub_commit_batch_size histogram\n";
  uint64_t cumulative = 0;
  for (int b = 0; b < 5; ++b) {
    cumulative += w.batch_size_buckets[b].load();
    std::snprintf(buf, sizeof buf, "orderhub_commit_batch_size_bucket{le=\"%s\"} %llu\n", kSizeLe[b],
                  static_cast<unsigned long long>(cumulative));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "orderhub_commit_batch_size_sum %llu\norderhub_commit_batch_size_count %llu\n",
                static_cast<unsigned long long>(w.commands.load()), static_cast<unsigned long long>(w.batches.load()));
  out += buf;
  static constexpr const char* kMsLe[] = {"0.001", "0.002", "0.005", "0.01", "0.05", "+Inf"};
  out += "# HELP orderhub_commit_duration_seconds Time of one group commit.\n"
         "# TYPE orderhub_commit_duration_seconds histogram\n";
  cumulative = 0;
  for (int b = 0; b < 6; ++b) {
    cumulative += w.commit_ms_buckets[b].load();
    std::snprintf(buf, sizeof buf, "orderhub_commit_duration_seconds_bucket{le=\"%s\"} %llu\n", kMsLe[b],
                  static_cast<unsigned long long>(cumulative));
    out += buf;
  }
  std::snprintf(buf, sizeof buf,
                "orderhub_commit_duration_seconds_sum %.6f\norderhub_commit_duration_seconds_count %llu\n",
                static_cast<double>(w.commit_micros_total.load()) / 1e6,
                static_cast<unsigned long long>(w.batches.load()));
  out += buf;
  out += "# HELP orderhub_sync_duration_seconds Time of one flush of the store (one or more group commits).\n"
         "# TYPE orderhub_sync_duration_seconds summary\n";
  std::snprintf(buf, sizeof buf, "orderhub_sync_duration_seconds_sum %.6f\norderhub_sync_duration_seconds_count %llu\n",
                static_cast<double>(w.sync_micros_total.load()) / 1e6, static_cast<unsigned long long>(w.syncs.load()));
  out += buf;
  return out;
}

}  // namespace orderhub::api
