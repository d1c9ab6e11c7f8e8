// The network file (YAML, or JSON, which yaml-cpp reads too): every field
// checked, unknown keys refused, errors with file, line and field.
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "model/order.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

struct FileError {
  YAML::Mark mark;
  std::string pointer, what;
};

template <typename T>
T Get(const YAML::Node& v, const std::string& pointer, const char* type) {
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    throw FileError{v.Mark(), pointer, std::string("must be ") + type};
  }
}

void RequireMap(const YAML::Node& v, const std::string& pointer) {
  if (!v.IsMap()) throw FileError{v.Mark(), pointer, "must be a mapping"};
}

// "16:00" -> 960.
int ParseClock(const YAML::Node& v, const std::string& pointer) {
  const std::string s = Get<std::string>(v, pointer, "a time HH:MM");
  int h = -1, m = -1;
  char extra = 0;
  if (std::sscanf(s.c_str(), "%2d:%2d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59 ||
      s.size() != 5) {
    throw FileError{v.Mark(), pointer, "must be a time HH:MM, e.g. \"16:00\""};
  }
  return h * 60 + m;
}

uint32_t ParseCapabilities(const YAML::Node& v, const std::string& pointer) {
  if (!v.IsSequence()) throw FileError{v.Mark(), pointer, "must be a list of cold_chain, hazardous, cross_border"};
  uint32_t caps = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string c = Get<std::string>(v[i], pointer + "/" + std::to_string(i), "a capability name");
    if (c == "cold_chain") caps |= model::kColdChain;
    else if (c == "hazardous") caps |= model::kHazardous;
    else if (c == "cross_border") caps |= model::kCrossBorder;
    else throw FileError{v[i].Mark(), pointer + "/" + std::to_string(i), "unknown capability '" + c + "'"};
  }
  return caps;
}

Node ParseNode(const YAML::Node& v, const std::string& at) {
  RequireMap(v, at);
  Node n;
  bool lat = false, lng = false, region = false;
  for (const auto& kv : v) {
    const std::string key = Get<std::string>(kv.first, at, "a string key");
    const std::string p = at + "/" + key;
    const YAML::Node& x = kv.second;
    if (key == "code") n.code = Get<std::string>(x, p, "a string");
    else if (key == "type") {
      n.type = Get<std::string>(x, p, "a string");
      if (n.type != "dc" && n.type != "warehouse" && n.type != "store" && n.type != "3pl" && n.type != "bonded") {
        throw FileError{x.Mark(), p, "must be dc, warehouse, store, 3pl or bonded"};
      }
    }
    else if (key == "region_code") n.region_code = Get<std::string>(x, p, "a string"), region = true;
    else if (key == "lat") n.at.lat = Get<double>(x, p, "a number"), lat = true;
    else if (key == "lng") n.at.lng = Get<double>(x, p, "a number"), lng = true;
    else if (key == "capacity_orders") n.capacity_orders = Get<int64_t>(x, p, "an integer");
    else if (key == "capacity_lines") n.capacity_lines = Get<int64_t>(x, p, "an integer");
    else if (key == "load_orders") n.load_orders = Get<int64_t>(x, p, "an integer");
    else if (key == "load_lines") n.load_lines = Get<int64_t>(x, p, "an integer");
    else if (key == "cost_per_order") n.cost_per_order = Get<int64_t>(x, p, "an integer (minor units)");
    else if (key == "cost_per_line") n.cost_per_line = Get<int64_t>(x, p, "an integer (minor units)");
    else if (key == "cutoff") n.cutoff_minute = ParseClock(x, p);
    else if (key == "utc_offset_minutes") n.utc_offset_minutes = Get<int>(x, p, "an integer");
    else if (key == "capabilities") n.capabilities = ParseCapabilities(x, p);
    else if (key == "on_time_rate") n.on_time_rate = Get<double>(x, p, "a number");
    else if (key == "status") {
      const std::string s = Get<std::string>(x, p, "a string");
      if (s == "up") n.status = NodeStatus::kUp;
      else if (s == "degraded") n.status = NodeStatus::kDegraded;
      else if (s == "down") n.status = NodeStatus::kDown;
      else throw FileError{x.Mark(), p, "must be up, degraded or down"};
    } else {
      throw FileError{kv.first.Mark(), p, "unknown field"};
    }
  }
  if (n.code.empty()) throw FileError{v.Mark(), at + "/code", "a node needs a code"};
  if (!region) throw FileError{v.Mark(), at + "/region_code", "missing"};
  if (!lat || !lng) throw FileError{v.Mark(), at + (lat ? "/lng" : "/lat"), "missing coordinates"};
  return n;
}

// The roads and regions a lane or transfer passes.
std::vector<std::string> ParseVia(const YAML::Node& x, const std::string& p) {
  if (!x.IsSequence()) throw FileError{x.Mark(), p, "must be a list of region codes and road names"};
  std::vector<std::string> via;
  for (size_t i = 0; i < x.size(); ++i) via.push_back(Get<std::string>(x[i], p + "/" + std::to_string(i), "a string"));
  return via;
}

Lane ParseLane(const YAML::Node& v, const std::string& at) {
  RequireMap(v, at);
  Lane l;
  bool transit = false;
  for (const auto& kv : v) {
    const std::string key = Get<std::string>(kv.first, at, "a string key");
    const std::string p = at + "/" + key;
    const YAML::Node& x = kv.second;
    if (key == "origin") l.origin = Get<std::string>(x, p, "a node code");
    else if (key == "destination") l.destination = Get<std::string>(x, p, "a region code");
    else if (key == "carrier") l.carrier = Get<std::string>(x, p, "a string");
    else if (key == "road_km") l.road_km = Get<double>(x, p, "a number");
    else if (key == "level") {
      const std::string s = Get<std::string>(x, p, "a string");
      if (s == "standard") l.level = ServiceLevel::kStandard;
      else if (s == "express") l.level = ServiceLevel::kExpress;
      else if (s == "air") l.level = ServiceLevel::kAir;
      else if (s == "freight") l.level = ServiceLevel::kFreight;
      else throw FileError{x.Mark(), p, "must be standard, express, air or freight"};
    } else if (key == "rate") {
      RequireMap(x, p);
      for (const auto& r : x) {
        const std::string k = Get<std::string>(r.first, p, "a string key");
        const int64_t val = Get<int64_t>(r.second, p + "/" + k, "an integer");
        if (k == "per_parcel") l.rate.per_parcel = val;
        else if (k == "first_weight_g") l.rate.first_weight_g = val;
        else if (k == "first_weight") l.rate.first_weight_price = val;
        else if (k == "additional_per_kg") l.rate.additional_per_kg = val;
        else throw FileError{r.first.Mark(), p + "/" + k, "unknown field"};
      }
    } else if (key == "transit") {
      RequireMap(x, p);
      for (const auto& r : x) {
        const std::string k = Get<std::string>(r.first, p, "a string key");
        const double val = Get<double>(r.second, p + "/" + k, "a number of hours");
        if (k == "mean_hours") l.transit.mean_hours = val, transit = true;
        else if (k == "sd_hours") l.transit.sd_hours = val;
        else throw FileError{r.first.Mark(), p + "/" + k, "unknown field"};
      }
    } else if (key == "via") {
      l.via = ParseVia(x, p);
    } else {
      throw FileError{kv.first.Mark(), p, "unknown field"};
    }
  }
  if (!transit) throw FileError{v.Mark(), at + "/transit/mean_hours", "missing"};
  return l;
}

Transfer ParseTransfer(const YAML::Node& v, const std::string& at) {
  RequireMap(v, at);
  Transfer t;
  bool hours = false;
  for (const auto& kv : v) {
    const std::string key = Get<std::string>(kv.first, at, "a string key");
    const std::string p = at + "/" + key;
    const YAML::Node& x = kv.second;
    if (key == "from") t.from = Get<std::string>(x, p, "a node code");
    else if (key == "to") t.to = Get<std::string>(x, p, "a node code");
    else if (key == "hours") t.hours = Get<double>(x, p, "a number of hours"), hours = true;
    else if (key == "cost_per_order") t.cost_per_order = Get<int64_t>(x, p, "an integer (minor units)");
    else if (key == "cost_per_unit") t.cost_per_unit = Get<int64_t>(x, p, "an integer (minor units)");
    else if (key == "via") t.via = ParseVia(x, p);
    else {
      throw FileError{kv.first.Mark(), p, "unknown field (expected from, to, hours, cost_per_order, cost_per_unit, via)"};
    }
  }
  if (t.from.empty()) throw FileError{v.Mark(), at + "/from", "missing"};
  if (t.to.empty()) throw FileError{v.Mark(), at + "/to", "missing"};
  if (!hours) throw FileError{v.Mark(), at + "/hours", "missing"};
  return t;
}

// The line of the node, lane or transfer a pointer names, else `fallback`.
YAML::Mark MarkOf(const std::string& pointer, const std::map<std::string, std::vector<YAML::Mark>>& marks,
                  YAML::Mark fallback) {
  for (const auto& [list, at] : marks) {
    size_t index = 0;
    if (std::sscanf(pointer.c_str(), ("/" + list + "/%zu").c_str(), &index) == 1 && index < at.size()) return at[index];
  }
  return fallback;
}

// An error of file `name` at a mark: "name:LINE: /pointer: what".
Status FileStatus(const char* reason, const std::string& name, const YAML::Mark& m, const std::string& pointer,
                  const std::string& what) {
  return Status::InvalidArgument(reason, name + ":" + std::to_string(m.line + 1) + ": " + pointer + ": " + what, pointer);
}

// The document's root, or its syntax error.
Result<YAML::Node> LoadRoot(std::string_view text, const char* reason, const std::string& name) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return FileStatus(reason, name, e.mark, "", e.msg);
  }
}

}  // namespace

Result<Network> Network::Parse(std::string_view text, const std::string& name) {
  auto fail = [&](const YAML::Mark& m, const std::string& pointer, const std::string& what) {
    return FileStatus("invalid_network", name, m, pointer, what);
  };
  auto loaded = LoadRoot(text, "invalid_network", name);
  if (!loaded.ok()) return loaded.status();
  const YAML::Node& root = *loaded;
  std::vector<Node> nodes;
  Links links;
  std::map<std::string, std::vector<YAML::Mark>> marks;
  try {
    RequireMap(root, "");
    for (const auto& kv : root) {
      const std::string key = Get<std::string>(kv.first, "", "a string key");
      const YAML::Node& x = kv.second;
      if (key == "version") {
        Get<int64_t>(x, "/version", "an integer");
      } else if (key == "nodes" || key == "lanes" || key == "transfers") {
        if (!x.IsSequence()) throw FileError{x.Mark(), "/" + key, "must be a list"};
        for (size_t i = 0; i < x.size(); ++i) {
          const std::string at = "/" + key + "/" + std::to_string(i);
          if (key == "nodes") nodes.push_back(ParseNode(x[i], at));
          else if (key == "lanes") links.lanes.push_back(ParseLane(x[i], at));
          else links.transfers.push_back(ParseTransfer(x[i], at));
          marks[key].push_back(x[i].Mark());
        }
      } else {
        throw FileError{kv.first.Mark(), "/" + key, "unknown field (expected version, nodes, lanes, transfers)"};
      }
    }
  } catch (const FileError& e) {
    return fail(e.mark, e.pointer, e.what);
  }
  auto built = Build(std::move(nodes), std::move(links.lanes), std::move(links.transfers));
  if (!built.ok()) {
    // Put the line of the node, lane or transfer the error names in front.
    const std::string& ptr = built.status().pointer();
    const std::string& msg = built.status().message();
    return fail(MarkOf(ptr, marks, root.Mark()), ptr,
                msg.substr(msg.find(": ") == std::string::npos ? 0 : msg.find(": ") + 2));
  }
  return built;
}

Result<Links> Network::ParseLinks(std::string_view text, const std::string& name) {
  auto loaded = LoadRoot(text, "invalid_lanes", name);
  if (!loaded.ok()) return loaded.status();
  const YAML::Node& root = *loaded;
  Links links;
  try {
    RequireMap(root, "");
    for (const auto& kv : root) {
      const std::string key = Get<std::string>(kv.first, "", "a string key");
      if (key != "lanes" && key != "transfers") {
        throw FileError{kv.first.Mark(), "/" + key, "unknown field (expected lanes, transfers)"};
      }
      const YAML::Node& x = kv.second;
      if (!x.IsSequence()) throw FileError{x.Mark(), "/" + key, "must be a list"};
      for (size_t i = 0; i < x.size(); ++i) {
        const std::string at = "/" + key + "/" + std::to_string(i);
        if (key == "lanes") links.lanes.push_back(ParseLane(x[i], at));
        else links.transfers.push_back(ParseTransfer(x[i], at));
      }
    }
  } catch (const FileError& e) {
    return FileStatus("invalid_lanes", name, e.mark, e.pointer, e.what);
  }
  return links;
}

Result<Policy> Policy::Parse(std::string_view text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("invalid_policy", name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  Policy p;
  try {
    RequireMap(root, "");
    for (const auto& kv : root) {
      const std::string key = Get<std::string>(kv.first, "", "a string key");
      const std::string at = "/" + key;
      const YAML::Node& x = kv.second;
      auto number = [&](double lo, double hi) {
        const double v = Get<double>(x, at, "a number");
        if (!(v >= lo && v <= hi)) {
          throw FileError{x.Mark(), at, "must be " + std::to_string(static_cast<int64_t>(lo)) + ".." +
                                            std::to_string(static_cast<int64_t>(hi))};
        }
        return v;
      };
      if (key == "name") p.name = Get<std::string>(x, at, "a string");
      else if (key == "max_shipments") p.max_shipments = static_cast<int>(number(1, 8));
      else if (key == "split_penalty") p.split_penalty = static_cast<int64_t>(number(0, 1e9));
      else if (key == "late_penalty") p.late_penalty = number(0, 1e9);
      else if (key == "hour_value") p.hour_value = number(0, 1e9);
      else if (key == "carbon_price") p.carbon_price = number(0, 1e9);
      else if (key == "load_penalty") p.load_penalty = number(0, 1e9);
      else if (key == "promise_hours") p.promise_hours = number(1, 24 * 60);
      else if (key == "candidates") p.candidates = static_cast<int>(number(1, 500));
      else if (key == "split_candidates") p.split_candidates = static_cast<int>(number(1, 64));
      else if (key == "alternatives") p.alternatives = static_cast<int>(number(0, 20));
      else if (key == "backorder") p.backorder = Get<bool>(x, at, "true or false");
      else if (key == "priority_per_yuan") p.priority_per_yuan = number(0, 1e6);
      else if (key == "priority_per_hour") p.priority_per_hour = number(0, 1e6);
      else if (key == "priority_tiers" || key == "priority_channels") {
        auto& out = key == "priority_tiers" ? p.priority_tiers : p.priority_channels;
        RequireMap(x, at);
        for (const auto& e : x) {
          const std::string name = Get<std::string>(e.first, at, "a string key");
          const std::string ep = at + "/" + name;
          const double v = Get<double>(e.second, ep, "a number");
          if (!(v >= -1e6 && v <= 1e6)) throw FileError{e.second.Mark(), ep, "must be -1000000..1000000"};
          out.emplace_back(name, v);
        }
      } else throw FileError{kv.first.Mark(), at, "unknown field"};
    }
  } catch (const FileError& e) {
    return Status::InvalidArgument("invalid_policy",
                                   name + ":" + std::to_string(e.mark.line + 1) + ": " + e.pointer + ": " + e.what,
                                   e.pointer);
  }
  return p;
}

Result<Network> Network::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read network file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

}  // namespace orderhub::routing
