// http_create: durable order creation over HTTP/1.1 keep-alive, loaded by wrk
// (Debian's package) from the same machine, 3-line orders, every answer after
// its group commit. Then the same server's trivial endpoint (/healthz) as the
// ceiling, and the ratio of the two.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/hub.h"
#include "bench/bench.h"
#include "bench/bench_network.h"

namespace orderhub::bench {
namespace {

// wrk script: unique channel order ids per thread, three random skus, and a
// JSON summary line from done().
constexpr const char* kCreateScript = R"LUA(
-- `tid` is a global that setup() gives each thread's own Lua state.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ohk_bench_key"
local function make()
  counter = counter + 1
  local lines = {}
  for i = 1, 3 do
    lines[i] = string.format('{"sku":"S%d","quantity":%d,"unit_price":1999}', math.random(0, 999), math.random(1, 3))
  end
  local body = string.format(
    '{"channel":"tmall","channel_order_id":"W%d-%d-%d","customer_id":"C%d","currency":"CNY","paid":true,' ..
    '"lines":[%s],"ship_to":{"region_code":"310115","postal_code":"200120",' ..
    '"address":"浦东新区世纪大道100号","name":"张三","phone":"13800138000"}}',
    RUN, tid, counter, math.random(1, 100000), table.concat(lines, ","))
  return wrk.format(nil, "/v1/orders", nil, body)
end
-- Requests are made before the clock starts: the load generator shares the
-- two cores with the server, and its per-request Lua would be measured as
-- the server's time. Past the prepared ones, they are made on the fly.
local prepared, next_one = {}, 0
function init(args)
  math.randomseed(tid * 7919)
  for i = 1, PREPARED do prepared[i] = make() end
end
function request()
  next_one = next_one + 1
  if next_one <= PREPARED then
    local r = prepared[next_one]
    prepared[next_one] = nil
    return r
  end
  return make()
end
)LUA";

// Only for a rerun after a failed one: a response() callback makes wrk hand
// every answer to Lua, which costs the shared cores a fifth of its rate.
constexpr const char* kFailureScript = R"LUA(
local reported = false
function response(status, headers, body)
  if status ~= 201 and not reported then
    reported = true
    io.stderr:write("http_create: first failure: " .. status .. " " .. body .. "\n")
  end
end
)LUA";

constexpr const char* kSummaryScript = R"LUA(
function done(summary, latency, requests)
  local s = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"req_per_s":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.requests / s, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
)LUA";

// Runs wrk and returns its JSON summary line, empty on failure.
std::string RunWrk(const std::string& script_path, const std::string& url, int connections, int seconds) {
  const std::string cmd = "wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
                          "s --timeout 5s -s " + script_path + " " + url + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return "";
  std::string out, line;
  char buf[4096];
  while (fgets(buf, sizeof buf, f) != nullptr) out += buf;
  pclose(f);
  std::istringstream in(out);
  std::string summary;
  while (std::getline(in, line)) {
    if (line.rfind("{\"requests\"", 0) == 0) summary = line;
    if (line.rfind("http_create: first failure", 0) == 0) std::cerr << line << "\n";
  }
  if (summary.empty()) std::cerr << out;
  return summary;
}

// CPU seconds (user + system) of this process or of its waited-for children.
double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Field(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos ? 0 : std::atof(json.c_str() + at + key.size() + 3);
}

}  // namespace

int HttpCreate(int argc, char** argv) {
  int seconds = 10, connections = 64;
  std::string durability = "full";
  bool routed = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--connections") == 0 && i + 1 < argc) {
      connections = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--durability") == 0 && i + 1 < argc) {
      durability = argv[++i];
    } else if (std::strcmp(argv[i], "--sourcing") == 0 && i + 1 < argc &&
               (std::strcmp(argv[i + 1], "routed") == 0 || std::strcmp(argv[i + 1], "stock") == 0)) {
      routed = std::strcmp(argv[++i], "routed") == 0;
    } else if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "orderhub bench http_create [--seconds 10] [--connections 64] [--durability full|normal]\n"
                   "                           [--sourcing routed|stock]   (stock: nodes outside routing)\n"
                   "needs wrk on PATH (scripts/bootstrap installs it)\n";
      return 0;
    } else {
      std::cerr << "orderhub: unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  if (seconds < 1 || seconds > 600 || connections < 1 || connections > 1024 ||
      (durability != "full" && durability != "normal")) {
    std::cerr << "orderhub: --seconds 1..600, --connections 1..1024, --durability full|normal\n";
    return 2;
  }
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
    std::cerr << "orderhub: wrk is not installed (scripts/bootstrap installs it)\n";
    return 1;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("orderhub-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  app::HubOptions o;
  o.prefault_memory = true;  // as `orderhub serve`
  o.preallocate_wal = true;
  o.data_dir = dir.string();
  o.durability = durability == "full" ? store::Durability::kFull : store::Durability::kNormal;
  o.server.port = 0;
  o.rate_limit_per_key = 0;  // the load is one key
  static SystemClock clock;
  auto hub = app::Hub::Open(o, &clock);
  if (!hub.ok()) {
    std::cerr << hub.status().ToString() << "\n";
    return 1;
  }
  if (Status st = LoadBenchNetwork(**hub, routed); !st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  if (Status st = (*hub)->Serve(); !st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  const std::string base = "http://127.0.0.1:" + std::to_string((*hub)->port());
  const std::string create_lua = (dir / "create.lua").string(), trivial_lua = (dir / "trivial.lua").string();
  const std::string failure_lua = (dir / "failure.lua").string();
  // Enough prepared requests per wrk thread for 25,000 orders/s.
  std::ofstream(create_lua) << "RUN = " << getpid() << "\nPREPARED = " << 12'500 * seconds << "\n"
                            << kCreateScript << kSummaryScript;
  std::ofstream(failure_lua) << "RUN = " << -getpid() << "\nPREPARED = 0\n"
                             << kCreateScript << kFailureScript << kSummaryScript;
  std::ofstream(trivial_lua) << kSummaryScript;
  std::cerr << "http_create: " << connections << " connections, " << seconds << " s, durability " << durability
            << "\n";
  // CPU per order tells a change's cost apart from the neighbours' load on a
  // shared VM, which moves the rates by a third from run to run.
  const double server_cpu0 = CpuSeconds(RUSAGE_SELF), wrk_cpu0 = CpuSeconds(RUSAGE_CHILDREN);
  const std::string create = RunWrk(create_lua, base + "/v1/orders", connections, seconds);
  const double server_cpu = CpuSeconds(RUSAGE_SELF) - server_cpu0, wrk_cpu = CpuSeconds(RUSAGE_CHILDREN) - wrk_cpu0;
  const writer::WriterStats& ws = (*hub)->writer_stats();
  const double batches = static_cast<double>(ws.batches.load()), commands = static_cast<double>(ws.commands.load());
  const double commit_ms = batches > 0 ? static_cast<double>(ws.commit_micros_total.load()) / batches / 1000 : 0;
  const double syncs = static_cast<double>(ws.syncs.load());
  const double sync_ms = syncs > 0 ? static_cast<double>(ws.sync_micros_total.load()) / syncs / 1000 : 0;
  // Commits of 50 ms or more: a stalled disk shows up in the p99 as this.
  const uint64_t slow_commits = ws.commit_ms_buckets[5].load();
  std::cerr << "commits by duration (<1, <2, <5, <10, <50, >=50 ms):";
  for (const auto& b : ws.commit_ms_buckets) std::cerr << " " << b.load();
  std::cerr << "\n";
  const std::string trivial = RunWrk(trivial_lua, base + "/healthz", connections, seconds);
  // A benchmark that fails requests must say why: one more second, reporting.
  if (Field(create, "non_2xx") > 0) RunWrk(failure_lua, base + "/v1/orders", connections, 1);
  (*hub)->Stop();
  std::filesystem::remove_all(dir);
  if (create.empty() || trivial.empty()) {
    std::cerr << "orderhub: wrk gave no summary\n";
    return 1;
  }
  std::cerr << "create:  " << create << "\ntrivial: " << trivial << "\n";
  const double rate = Field(create, "req_per_s"), ceiling = Field(trivial, "req_per_s");
  const double requests = Field(create, "requests");
  std::printf(
      "{\"bench\":\"http_create\",\"sourcing\":\"%s\",\"orders_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"non_2xx\":%.0f,"
      "\"ceiling_req_per_s\":%.0f,\"ceiling_p99_ms\":%.3f,\"ratio_to_ceiling\":%.3f,\"connections\":%d,"
      "\"durability\":\"%s\",\"mean_batch\":%.1f,\"mean_commit_ms\":%.3f,\"mean_sync_ms\":%.3f,\"commits_over_50ms\":%llu,"
      "\"server_cpu_us_per_order\":%.1f,\"wrk_cpu_us_per_order\":%.1f}\n",
      routed ? "routed" : "stock", rate, Field(create, "p50_ms"), Field(create, "p99_ms"), Field(create, "non_2xx"), ceiling,
      Field(trivial, "p99_ms"), ceiling > 0 ? rate / ceiling : 0, connections, durability.c_str(),
      batches > 0 ? commands / batches : 0, commit_ms, sync_ms, static_cast<unsigned long long>(slow_commits),
      requests > 0 ? server_cpu / requests * 1e6 : 0, requests > 0 ? wrk_cpu / requests * 1e6 : 0);
  return Field(create, "non_2xx") == 0 ? 0 : 1;
}

}  // namespace orderhub::bench
