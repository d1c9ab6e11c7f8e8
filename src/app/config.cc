// `orderhub serve --config FILE`: the same options as the flags, in YAML.
#include <yaml-cpp/yaml.h>

#include "access/access.h"
#include "app/hub.h"

namespace orderhub::app {
namespace {
Status Bad(const std::string& path, const YAML::Mark& m, const std::string& what) {
  return Status::InvalidArgument("invalid_config", path + ":" + std::to_string(m.line + 1) + ": " + what, "");
}
}  // namespace

// Keys: data, listen, durability (full|normal), lifecycles (a directory), threads, max_body_bytes,
// snapshot_every (journaled commands between snapshots; 0: only at stop), replan_every_s (seconds between
// timed re-plans; 0: none), prefault_memory (true|false),
// audit_key_file, data_key_file, rate_limit_per_key, region (data residency).
Status ApplyConfigFile(const std::string& path, HubOptions* o, std::string* listen) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::IOError("cannot read config file " + path);
  } catch (const YAML::Exception& e) {
    return Bad(path, e.mark, e.msg);
  }
  if (!root.IsMap()) return Bad(path, root.Mark(), "the config must be a mapping");
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "data") o->data_dir = v.as<std::string>();
      else if (key == "listen") *listen = v.as<std::string>();
      else if (key == "lifecycles") o->lifecycles_dir = v.as<std::string>();
      else if (key == "threads") {
        o->server.threads = v.as<int>();
        if (o->server.threads < 1 || o->server.threads > 64) return Bad(path, v.Mark(), "threads must be 1..64");
      }
      else if (key == "max_body_bytes") {
        const int64_t n = v.as<int64_t>();
        if (n < 1024 || n > (int64_t{64} << 20)) {
          return Bad(path, v.Mark(), "max_body_bytes must be 1024..67108864");
        }
        o->server.max_body_bytes = static_cast<size_t>(n);
      }
      else if (key == "snapshot_every") {
        o->snapshot_every = v.as<int64_t>();
        if (o->snapshot_every < 0) return Bad(path, v.Mark(), "snapshot_every must be 0 or more");
      }
      else if (key == "replan_every_s") {
        o->replan_every_s = v.as<int64_t>();
        if (o->replan_every_s < 0 || o->replan_every_s > 86400) {
          return Bad(path, v.Mark(), "replan_every_s must be 0 (never) to 86400");
        }
      }
      else if (key == "prefault_memory") o->prefault_memory = v.as<bool>();
      else if (key == "audit_key_file") o->audit_key_file = v.as<std::string>();
      else if (key == "data_key_file") o->data_key_file = v.as<std::string>();
      else if (key == "rate_limit_per_key") {
        o->rate_limit_per_key = v.as<int64_t>();
        if (o->rate_limit_per_key < 0) return Bad(path, v.Mark(), "rate_limit_per_key must be 0 (no limit) or more");
      }
      else if (key == "region") {
        o->region = v.as<std::string>();
        if (!access::IsRegionName(o->region)) return Bad(path, v.Mark(), access::kRegionNameRule);
      }
      else if (key == "durability") {
        const std::string d = v.as<std::string>();
        if (d != "full" && d != "normal") return Bad(path, v.Mark(), "durability must be full or normal");
        o->durability = d == "full" ? store::Durability::kFull : store::Durability::kNormal;
      } else {
        return Bad(path, kv.first.Mark(), "unknown key '" + key + "'");
      }
    }
  } catch (const YAML::Exception& e) {
    return Bad(path, e.mark, e.msg);
  }
  return Status::OK();
}

}  // namespace orderhub::app
