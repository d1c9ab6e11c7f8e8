// `orderhub route`: the routing engine on files, without a hub. For
// planners trying a network or a policy before it goes live.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <sstream>

#include "app/cli_args.h"
#include "app/route_cli.h"
#include "model/order.h"
#include "routing/routing.h"

namespace orderhub::app {
namespace {

constexpr const char* kRouteUsage =
    "orderhub route check --network FILE\n"
    "  load and check a network file (YAML or JSON, docs/ROUTING.md); print its size\n"
    "orderhub route decide --network FILE --stock FILE --order FILE [--policy FILE]\n"
    "  decide one order: the chosen plan and its alternatives as JSON on standard output\n"
    "  --stock: CSV with the header sku,node,available\n"
    "  --order: YAML or JSON: now, region_code, lines [{sku, quantity, weight_g}], and optionally\n"
    "           promise_at, needs [cold_chain, hazardous, cross_border], pinned_node, forbidden_nodes\n"
    "  --policy: default config/routing/default_policy.yaml's values\n";

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Stock per (sku index, node) from the CSV; skus are numbered as first seen.
class FileStock final : public routing::Stock {
 public:
  int64_t Available(uint32_t sku, uint32_t node) const override {
    auto it = units_.find({sku, node});
    return it == units_.end() ? 0 : it->second;
  }
  std::span<const uint32_t> Holders(uint32_t sku) const override {
    return sku < holders_.size() ? std::span<const uint32_t>(holders_[sku]) : std::span<const uint32_t>();
  }
  uint32_t SkuIndex(const std::string& sku) {
    auto [it, fresh] = skus_.try_emplace(sku, static_cast<uint32_t>(skus_.size()));
    if (fresh) holders_.emplace_back();
    return it->second;
  }
  Status Load(const std::string& path, const std::string& text, const routing::Network& network) {
    std::istringstream in(text);
    std::string line;
    int number = 0;
    auto bad = [&](const std::string& what) {
      return Status::InvalidArgument("invalid_stock", path + ":" + std::to_string(number) + ": " + what);
    };
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (number == 1) {
        if (line != "sku,node,available") return bad("the header must be sku,node,available");
        continue;
      }
      if (line.empty()) continue;
      std::vector<std::string> f;
      std::stringstream fields(line);
      for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
      if (f.size() != 3) return bad("expected 3 fields: sku,node,available");
      if (f[0].empty()) return bad("sku is empty");
      const uint32_t node = network.FindNode(f[1]);
      if (node == routing::kNoNode) return bad("no node '" + f[1] + "' in the network");
      size_t used = 0;
      int64_t units = -1;
      try {
        units = std::stoll(f[2], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != f[2].size() || units < 0 || units > 1'000'000'000) {
        return bad("available must be a whole number 0..1000000000, not '" + f[2] + "'");
      }
      const uint32_t sku = SkuIndex(f[0]);
      if (!units_.emplace(std::pair{sku, node}, units).second) {
        return bad("sku '" + f[0] + "' at node '" + f[1] + "' is listed twice");
      }
      holders_[sku].push_back(node);
    }
    if (number == 0) return bad("empty file");
    return Status::OK();
  }

 private:
  std::map<std::string, uint32_t> skus_;
  std::map<std::pair<uint32_t, uint32_t>, int64_t> units_;
  std::vector<std::vector<uint32_t>> holders_;
};

// The order file, strictly: unknown fields and wrong types name the field.
struct OrderFile {
  std::vector<routing::LineRequest> lines;
  std::vector<uint32_t> forbidden;
  std::string region_code;
  routing::OrderRequest request;
};

Status LoadOrder(const std::string& path, const std::string& text, const routing::Network& network, FileStock& stock,
                 OrderFile* out) {
  auto bad = [&](const YAML::Mark& m, const std::string& field, const std::string& what) {
    return Status::InvalidArgument("invalid_order", path + ":" + std::to_string(m.line + 1) + ": " + field + ": " + what,
                                   field);
  };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return bad(e.mark, "", e.msg);
  }
  if (!root.IsMap()) return bad(root.Mark(), "", "the order must be a mapping");
  auto time = [&](const YAML::Node& v, const std::string& field, Micros* t) {
    const std::string s = v.IsScalar() ? v.Scalar() : "";
    return ParseRfc3339(s, t) ? Status::OK() : bad(v.Mark(), field, "must be an RFC 3339 time");
  };
  auto node = [&](const YAML::Node& v, const std::string& field, uint32_t* n) {
    *n = v.IsScalar() ? network.FindNode(v.Scalar()) : routing::kNoNode;
    return *n != routing::kNoNode ? Status::OK() : bad(v.Mark(), field, "no such node in the network");
  };
  bool has_now = false;
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      const std::string field = "/" + key;
      if (key == "now") {
        OH_RETURN_IF_ERROR(time(v, field, &out->request.now));
        has_now = true;
      } else if (key == "promise_at") {
        OH_RETURN_IF_ERROR(time(v, field, &out->request.promise_at));
      } else if (key == "region_code") {
        out->region_code = v.as<std::string>();
      } else if (key == "pinned_node") {
        OH_RETURN_IF_ERROR(node(v, field, &out->request.pinned_node));
      } else if (key == "forbidden_nodes" || key == "needs" || key == "lines") {
        if (!v.IsSequence()) return bad(v.Mark(), field, "must be a list");
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string at = field + "/" + std::to_string(i);
          if (key == "forbidden_nodes") {
            OH_RETURN_IF_ERROR(node(v[i], at, &out->forbidden.emplace_back()));
          } else if (key == "needs") {
            const std::string c = v[i].as<std::string>();
            if (c == "cold_chain") out->request.needs |= model::kColdChain;
            else if (c == "hazardous") out->request.needs |= model::kHazardous;
            else if (c == "cross_border") out->request.needs |= model::kCrossBorder;
            else return bad(v[i].Mark(), at, "must be cold_chain, hazardous or cross_border");
          } else {
            if (!v[i].IsMap()) return bad(v[i].Mark(), at, "a line must be a mapping");
            routing::LineRequest l;
            bool sku = false;
            for (const auto& f : v[i]) {
              const std::string k = f.first.as<std::string>();
              if (k == "sku") l.sku = stock.SkuIndex(f.second.as<std::string>()), sku = true;
              else if (k == "quantity") l.quantity = f.second.as<int64_t>();
              else if (k == "weight_g") l.unit_weight_g = f.second.as<int64_t>();
              else return bad(f.first.Mark(), at + "/" + k, "unknown field");
            }
            if (!sku) return bad(v[i].Mark(), at + "/sku", "missing");
            if (l.quantity < 1 || l.quantity > 1'000'000) return bad(v[i].Mark(), at + "/quantity", "must be 1..1000000");
            if (l.unit_weight_g < 0 || l.unit_weight_g > 10'000'000) {
              return bad(v[i].Mark(), at + "/weight_g", "must be 0..10000000");
            }
            out->lines.push_back(l);
          }
        }
      } else {
        return bad(kv.first.Mark(), field, "unknown field");
      }
    }
  } catch (const YAML::Exception& e) {
    return bad(e.mark, "", "wrong type: " + e.msg);
  }
  if (!has_now) return bad(root.Mark(), "/now", "missing");
  if (out->lines.empty()) return bad(root.Mark(), "/lines", "an order needs at least one line");
  if (geo::Regions::China().Find(out->region_code) == nullptr) {
    return bad(root.Mark(), "/region_code", "unknown region '" + out->region_code + "'");
  }
  out->request.region_code = out->region_code;
  out->request.lines = out->lines;
  out->request.forbidden_nodes = out->forbidden;
  return Status::OK();
}

}  // namespace

int Route(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, 2, {"network", "stock", "order", "policy"}, {}, &args, &error)) {
    std::cerr << "orderhub: " << error << "\n\n" << kRouteUsage;
    return 2;
  }
  const std::string verb = args.positional.size() == 1 ? args.positional[0] : "";
  if (args.help) {
    std::cout << kRouteUsage;
    return 0;
  }
  auto usage = [](const std::string& why) {
    std::cerr << "orderhub: " << why << "\n\n" << kRouteUsage;
    return 2;
  };
  if (verb != "check" && verb != "decide") return usage("expected: route check or route decide");
  if (!args.values.count("network")) return usage("route " + verb + " needs --network");
  auto network = routing::Network::LoadFile(args.values["network"]);
  if (!network.ok()) return Fail(network.status());
  if (verb == "check") {
    std::cout << args.values["network"] << ": " << network->nodes().size() << " nodes, " << network->lanes().size()
              << " explicit lanes, " << network->transfers().size() << " transfers\n";
    return 0;
  }
  if (!args.values.count("stock") || !args.values.count("order")) return usage("route decide needs --stock and --order");
  routing::Policy policy;
  if (args.values.count("policy")) {
    auto text = ReadAll(args.values["policy"]);
    if (!text.ok()) return Fail(text.status());
    auto p = routing::Policy::Parse(*text, args.values["policy"]);
    if (!p.ok()) return Fail(p.status());
    policy = *p;
  }
  FileStock stock;
  auto stock_text = ReadAll(args.values["stock"]);
  if (!stock_text.ok()) return Fail(stock_text.status());
  if (Status st = stock.Load(args.values["stock"], *stock_text, *network); !st.ok()) return Fail(st);
  auto order_text = ReadAll(args.values["order"]);
  if (!order_text.ok()) return Fail(order_text.status());
  OrderFile order;
  if (Status st = LoadOrder(args.values["order"], *order_text, *network, stock, &order); !st.ok()) return Fail(st);
  routing::Decider decider(&*network, &policy);
  const routing::Decision d = decider.Decide(order.request, stock);
  std::cout << routing::DecisionJson(d, *network) << "\n";
  return d.routable() ? 0 : 1;
}

}  // namespace orderhub::app
