#include "app/cli.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "access/access.h"
#include "app/cli_args.h"
#include "app/demo.h"
#include "app/hub.h"
#include "app/keys.h"
#include "app/route_cli.h"
#include "bench/bench.h"

namespace orderhub::app {
namespace {

constexpr const char* kUsage =
    "usage: orderhub <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--data DIR] [--listen HOST:PORT] [--config FILE] [--demo] [--durability full|normal]\n"
    "        [--region REGION]\n"
    "        run the hub (default --data orderhub-data, --listen 127.0.0.1:8080); with --region it\n"
    "        serves only that region's pinned tenants (and unpinned ones)\n"
    "  keys create --data DIR --tenant NAME [--role ROLE] [--expires-in DAYS] [--rate N] [--node CODE]\n"
    "        print a new API key (and nothing else) on standard output; a partner key\n"
    "        needs --node and sees only orders placed at that node\n"
    "  keys list --data DIR\n"
    "        every API key's id, tenant, role, dates and rate (never the key)\n"
    "  keys revoke --data DIR --id KEY_ID\n"
    "        revoke a key; a running hub refuses it within 5 seconds\n"
    "  keys rotate --data DIR [--key-file FILE]\n"
    "        add a data key; personal data is sealed with it from now on (a running hub\n"
    "        picks it up within a second), and every older key keeps opening what it sealed\n"
    "  users create --data DIR --tenant NAME --name USER [--role ROLE]\n"
    "        add a console user; the password is read from standard input (12+ characters)\n"
    "  users disable --data DIR --tenant NAME --name USER\n"
    "        disable a user: sign-ins fail, and a running hub refuses its sessions within 5 s\n"
    "  tenants create --data DIR --tenant NAME --region REGION\n"
    "        pin a tenant to a region: only a hub serving that region stores its data\n"
    "  tenants list --data DIR\n"
    "  route check --network FILE | route decide --network FILE --stock FILE --order FILE [--policy FILE]\n"
    "        the routing engine on files: check a network, decide one order (JSON; docs/ROUTING.md)\n"
    "  audit verify --data DIR [--public-key HEX]\n"
    "        check the audit trail's hash chain and signed checkpoints; exit 1 naming\n"
    "        every edited, removed or reordered entry\n"
    "  bench NAME [options]\n"
    "        run a benchmark; its last output line is one JSON object (see BENCHMARKS.md)\n"
    "        names: engine_create, http_create, restart, routing_decision, routing_quality, routing_replan\n"
    "\n"
    "every command takes --help.\n";

int Usage(const std::string& error) {
  std::cerr << "orderhub: " << error << "\n\n" << kUsage;
  return 2;
}


std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }


int Serve(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, 2, {"data", "listen", "config", "demo", "durability", "threads", "region"},
                 {"demo"}, &args,
                 &error)) {
    return Usage(error);
  }
  if (args.help) {
    std::cout << "orderhub serve [--data DIR] [--listen HOST:PORT] [--config FILE] [--demo] [--durability full|normal]"
                 " [--threads N] [--region REGION]\n";
    return 0;
  }
  if (!args.positional.empty()) return Usage("unexpected argument " + args.positional[0]);
  HubOptions o;
  o.prefault_memory = true;  // a server: worth a helper thread (engine/arena.h)
  o.preallocate_wal = true;  // and 64 MiB of disk written out at start
  std::string listen = "127.0.0.1:8080";
  if (args.values.count("config")) {
    if (Status st = ApplyConfigFile(args.values["config"], &o, &listen); !st.ok()) return Fail(st);
  }
  if (args.values.count("data")) o.data_dir = args.values["data"];
  if (args.values.count("listen")) listen = args.values["listen"];
  if (args.values.count("durability")) {
    const std::string& d = args.values["durability"];
    if (d != "full" && d != "normal") return Usage("--durability must be full or normal");
    o.durability = d == "full" ? store::Durability::kFull : store::Durability::kNormal;
  }
  if (args.values.count("region")) {
    o.region = args.values["region"];
    if (!access::IsRegionName(o.region)) return Usage(std::string("--region: ") + access::kRegionNameRule);
  }
  if (args.values.count("threads")) {
    o.server.threads = std::atoi(args.values["threads"].c_str());
    if (o.server.threads < 1 || o.server.threads > 64) return Usage("--threads must be 1..64");
  }
  const size_t colon = listen.rfind(':');
  const int port = colon == std::string::npos ? -1 : std::atoi(listen.c_str() + colon + 1);
  if (colon == std::string::npos || port < 0 || port > 65535) return Usage("--listen must be HOST:PORT");
  o.server.host = listen.substr(0, colon);
  o.server.port = static_cast<uint16_t>(port);

  static SystemClock clock;
  auto hub = Hub::Open(o, &clock);
  if (!hub.ok()) return Fail(hub.status());
  if (args.values.count("demo")) {
    if (Status st = SeedDemo(**hub); !st.ok()) return Fail(st);
  }
  if (Status st = (*hub)->Serve(); !st.ok()) return Fail(st);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("OrderHub listening on http://%s:%u (data %s; snapshot after journal record %lld, %lld records "
              "replayed)\n",
              o.server.host.c_str(), (*hub)->port(), o.data_dir.c_str(),
              static_cast<long long>((*hub)->snapshot_position().seq),
              static_cast<long long>((*hub)->replayed_records()));
  if (args.values.count("demo")) {
    std::printf("demo tenant '%s', API key: %s\n  try: curl -H 'Authorization: Bearer %s' http://%s:%u/v1/orders?limit=2\n",
                kDemoTenant, kDemoKey, kDemoKey, o.server.host.c_str(), (*hub)->port());
  }
  std::fflush(stdout);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*hub)->Stop();
  return 0;
}

int Keys(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, 2, {"data", "tenant", "role", "key-file", "expires-in", "rate", "id", "node"}, {}, &args,
                 &error)) {
    return Usage(error);
  }
  if (args.help) {
    std::cout << "orderhub keys create --data DIR --tenant NAME [--role ROLE] [--expires-in DAYS] [--rate N] "
                 "[--node CODE]\nroles:";
    for (const access::Role r : access::AllRoles()) std::cout << " " << access::RoleName(r);
    std::cout << "\norderhub keys list --data DIR\n"
                 "orderhub keys revoke --data DIR --id KEY_ID\n"
                 "orderhub keys rotate --data DIR [--key-file FILE]   (data keys, not API keys)\n";
    return 0;
  }
  const std::string verb = args.positional.size() == 1 ? args.positional[0] : "";
  if (verb != "create" && verb != "rotate" && verb != "list" && verb != "revoke") {
    return Usage("expected: keys create | list | revoke | rotate");
  }
  if (!args.values.count("data")) return Usage("keys " + verb + " needs --data");
  const std::string dir = args.values["data"];
  if (verb == "rotate") {
    HubOptions o;
    o.data_dir = dir;
    if (args.values.count("key-file")) o.data_key_file = args.values["key-file"];
    auto id = crypto::DataKeys::Rotate(DataKeyPath(o));
    if (!id.ok()) return Fail(id.status());
    std::cerr << "orderhub: data key " << *id << " added to " << DataKeyPath(o)
              << "; it seals personal data from now on\n";
    return 0;
  }
  if (verb != "create" && !std::filesystem::exists(dir + "/orderhub.db")) {
    return Fail(Status::NotFound("no_store", dir + "/orderhub.db does not exist"));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto store = store::SqliteStore::Open(dir + "/orderhub.db", store::Durability::kFull);
  if (!store.ok()) return Fail(store.status());
  SystemClock clock;
  if (verb == "list") {
    auto keys = (*store)->ListApiKeys();
    if (!keys.ok()) return Fail(keys.status());
    std::printf("%-16s  %-16s  %-16s  %-20s  %-20s  %-20s  %-8s  %s\n", "id", "tenant", "role", "created", "expires",
                "revoked", "rate/s", "node");
    auto when = [](Micros t) { return t == 0 ? std::string("-") : FormatRfc3339(t - t % kMicrosPerSecond); };
    for (const store::ApiKey& k : *keys) {
      std::printf("%-16s  %-16s  %-16s  %-20s  %-20s  %-20s  %-8s  %s\n", k.id().c_str(), k.tenant.c_str(),
                  k.role.c_str(), when(k.created_at).c_str(), when(k.expires_at).c_str(), when(k.revoked_at).c_str(),
                  k.rate_per_s == 0 ? "default" : std::to_string(k.rate_per_s).c_str(),
                  k.node.empty() ? "-" : k.node.c_str());
    }
    return 0;
  }
  if (verb == "revoke") {
    if (!args.values.count("id")) return Usage("keys revoke needs --id (see keys list)");
    auto done = (*store)->RevokeApiKey(args.values["id"], clock.Now());
    if (!done.ok()) return Fail(done.status());
    if (!*done) return Fail(Status::NotFound("no_key", "no unrevoked key with id " + args.values["id"]));
    std::cerr << "orderhub: key " << args.values["id"] << " revoked\n";
    return 0;
  }
  if (!args.values.count("tenant")) return Usage("keys create needs --data and --tenant");
  const std::string role = args.values.count("role") ? args.values["role"] : "admin";
  if (!access::ParseRole(role)) return Usage("unknown role '" + role + "'");
  KeyOptions ko;
  auto number = [&](const char* name, int64_t lo, int64_t hi, int64_t* out) {
    if (!args.values.count(name)) return true;
    char* end = nullptr;
    const long long v = std::strtoll(args.values[name].c_str(), &end, 10);
    if (args.values[name].empty() || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
  };
  int64_t days = 0;
  if (!number("expires-in", 1, 36500, &days)) return Usage("--expires-in is a number of days, 1..36500");
  if (!number("rate", 1, 1'000'000, &ko.rate_per_s)) return Usage("--rate is requests a second, 1..1000000");
  if (days > 0) ko.expires_at = clock.Now() + days * 86400 * kMicrosPerSecond;
  if (args.values.count("node")) ko.node = args.values["node"];
  auto key = CreateKey(**store, args.values["tenant"], role, clock.Now(), ko);
  if (!key.ok()) return Fail(key.status());
  std::cout << *key << "\n";
  return 0;
}

int Users(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, 2, {"data", "tenant", "name", "role"}, {}, &args, &error)) return Usage(error);
  if (args.help) {
    std::cout << "orderhub users create --data DIR --tenant NAME --name USER [--role ROLE]\n"
                 "  reads the password from the first line of standard input\n"
                 "orderhub users disable --data DIR --tenant NAME --name USER\n";
    return 0;
  }
  const std::string verb = args.positional.size() == 1 ? args.positional[0] : "";
  if (verb != "create" && verb != "disable") return Usage("expected: users create or users disable");
  if (!args.values.count("data") || !args.values.count("tenant") || !args.values.count("name")) {
    return Usage("users " + verb + " needs --data, --tenant and --name");
  }
  if (verb == "disable") {
    if (!std::filesystem::exists(args.values["data"] + "/orderhub.db")) {
      return Fail(Status::NotFound("no_store", args.values["data"] + "/orderhub.db does not exist"));
    }
    auto store = store::SqliteStore::Open(args.values["data"] + "/orderhub.db", store::Durability::kFull);
    if (!store.ok()) return Fail(store.status());
    SystemClock clock;
    auto done = (*store)->DisableUser(args.values["tenant"], args.values["name"], clock.Now());
    if (!done.ok()) return Fail(done.status());
    if (!*done) return Fail(Status::NotFound("no_user", "no active user " + args.values["name"]));
    std::cerr << "orderhub: user " << args.values["name"] << " disabled\n";
    return 0;
  }
  const std::string role = args.values.count("role") ? args.values["role"] : "customer_service";
  if (!access::ParseRole(role)) return Usage("unknown role '" + role + "'");
  std::string password;
  std::getline(std::cin, password);
  std::error_code ec;
  std::filesystem::create_directories(args.values["data"], ec);
  auto store = store::SqliteStore::Open(args.values["data"] + "/orderhub.db", store::Durability::kFull);
  if (!store.ok()) return Fail(store.status());
  SystemClock clock;
  if (Status st = CreateUser(**store, args.values["tenant"], args.values["name"], role, password, clock.Now());
      !st.ok()) {
    return Fail(st);
  }
  std::cerr << "orderhub: user " << args.values["name"] << " (" << role << ") added to tenant "
            << args.values["tenant"] << "\n";
  return 0;
}

int Tenants(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, 2, {"data", "tenant", "region"}, {}, &args, &error)) return Usage(error);
  if (args.help) {
    std::cout << "orderhub tenants create --data DIR --tenant NAME --region REGION\n"
                 "  pins the tenant to REGION: hubs configured for another region refuse it (421)\n"
                 "orderhub tenants list --data DIR\n";
    return 0;
  }
  const std::string verb = args.positional.size() == 1 ? args.positional[0] : "";
  if (verb != "create" && verb != "list") return Usage("expected: tenants create or tenants list");
  if (!args.values.count("data")) return Usage("tenants " + verb + " needs --data");
  if (verb == "create") {
    if (!args.values.count("tenant") || !args.values.count("region")) {
      return Usage("tenants create needs --tenant and --region");
    }
    if (!access::IsRegionName(args.values["region"])) return Usage(std::string("--region: ") + access::kRegionNameRule);
  }
  std::error_code ec;
  std::filesystem::create_directories(args.values["data"], ec);
  auto store = store::SqliteStore::Open(args.values["data"] + "/orderhub.db", store::Durability::kFull);
  if (!store.ok()) return Fail(store.status());
  if (verb == "list") {
    auto tenants = (*store)->ListTenants();
    if (!tenants.ok()) return Fail(tenants.status());
    std::cout << "tenant\tregion\tcreated\n";
    for (const store::Tenant& t : *tenants) {
      std::cout << t.id << "\t" << t.region << "\t" << FormatRfc3339(t.created_at) << "\n";
    }
    return 0;
  }
  SystemClock clock;
  if (Status st = (*store)->PutTenant(store::Tenant{args.values["tenant"], args.values["region"], clock.Now()});
      !st.ok()) {
    return Fail(st);
  }
  std::cerr << "orderhub: tenant " << args.values["tenant"] << " pinned to region " << args.values["region"] << "\n";
  return 0;
}

int Audit(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, 2, {"data", "public-key"}, {}, &args, &error)) return Usage(error);
  if (args.help) {
    std::cout << "orderhub audit verify --data DIR [--public-key HEX]\n"
                 "  --public-key: the audit key's public half as recorded when the hub first started\n"
                 "                (default: DIR/audit.pub, which whoever can edit DIR can replace too)\n";
    return 0;
  }
  if (args.positional.size() != 1 || args.positional[0] != "verify") return Usage("expected: audit verify");
  if (!args.values.count("data")) return Usage("audit verify needs --data");
  const std::string dir = args.values["data"];
  if (!std::filesystem::exists(dir + "/orderhub.db")) return Fail(Status::NotFound("no_store", dir + "/orderhub.db does not exist"));
  std::string pub = args.values.count("public-key") ? args.values["public-key"] : "";
  if (pub.empty()) {
    std::ifstream in(dir + "/audit.pub");
    std::getline(in, pub);
    if (pub.empty()) return Fail(Status::NotFound("no_public_key", "no --public-key and no " + dir + "/audit.pub"));
  }
  auto store = store::SqliteStore::Open(dir + "/orderhub.db", store::Durability::kFull);
  if (!store.ok()) return Fail(store.status());
  auto report = audit::Verify(**store, pub);
  if (!report.ok()) return Fail(report.status());
  std::cout << "audit trail: " << report->entries << " entries, " << report->checkpoints << " signed checkpoints";
  if (report->unsigned_tail > 0) {
    std::cout << "; the last " << report->unsigned_tail << " entries are chained but not yet signed";
  }
  std::cout << "\n";
  for (const std::string& p : report->problems) std::cout << "TAMPERED: " << p << "\n";
  if (!report->problems.empty()) return 1;
  std::cout << "intact\n";
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) return Usage("missing command");
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "serve") return Serve(argc, argv);
  if (cmd == "keys") return Keys(argc, argv);
  if (cmd == "audit") return Audit(argc, argv);
  if (cmd == "users") return Users(argc, argv);
  if (cmd == "tenants") return Tenants(argc, argv);
  if (cmd == "route") return Route(argc, argv);
  if (cmd == "bench") return bench::Main(argc - 1, argv + 1);
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace orderhub::app
