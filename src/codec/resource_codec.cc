#include "codec/resource_codec.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "codec/json_reader.h"
#include "codec/order_codec.h"

namespace orderhub::codec {
namespace {

simdjson::ondemand::parser& Parser() {
  thread_local simdjson::ondemand::parser parser = NewParser();
  return parser;
}

// One field of a flat body: its name, whether it is required, and how to read it.
struct FieldSpec {
  std::string_view name;
  bool required;
  std::function<Status(value, const std::string&)> read;
};

// Reads a flat object whose fields are all in `specs`.
Status ReadFields(std::string_view body, const std::vector<FieldSpec>& specs) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  object root;
  OH_RETURN_IF_ERROR(OpenObject(Parser(), padded, doc, root));
  SeenFields seen;
  for (auto f : root) {
    std::string_view k;
    if (auto e = f.unescaped_key().get(k); e) return JsonError(e, "");
    const std::string p = "/" + std::string(k);
    int bit = -1;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].name == k) bit = static_cast<int>(i);
    }
    if (bit < 0) return UnknownField(p);
    if (!seen.Mark(bit)) return DuplicateField(p);
    OH_RETURN_IF_ERROR(specs[bit].read(f.value(), p));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].required && !seen.Has(static_cast<int>(i))) return MissingField("/" + std::string(specs[i].name));
  }
  return Status::OK();
}

auto Text(std::string* out, size_t max = kMaxTextLength) {
  return [out, max](value v, const std::string& p) { return ReadString(v, p, max, out); };
}
auto Id(std::string* out) {
  return [out](value v, const std::string& p) { return ReadId(v, p, out); };
}

auto Int(int64_t* out, int64_t min, int64_t max) {
  return [out, min, max](value v, const std::string& p) { return ReadInt(v, p, min, max, out); };
}
// An array of flag names (cold_chain, hazardous, ...) into their bits.
auto Flags(uint32_t* out, const char* reason, const char* what) {
  return [out, reason, what](value v, const std::string& p) {
    return ReadFlags(v, p, reason, std::string("is not a known ") + what, out);
  };
}
// Routing figures (routing/network.cc refuses the same beyond these).
constexpr int64_t kMaxCapacity = 1'000'000'000;
constexpr int64_t kMaxCost = 1'000'000'000;

bool OneOf(std::string_view v, std::initializer_list<std::string_view> options) {
  for (std::string_view o : options) {
    if (o == v) return true;
  }
  return false;
}

}  // namespace

Result<engine::FireEvent> ParseFireEvent(std::string_view body) {
  engine::FireEvent c;
  OH_RETURN_IF_ERROR(ReadFields(body, {
                                          {"event", true, Id(&c.event)},
                                          {"reason", false, Text(&c.reason)},
                                          {"carrier", false, Id(&c.carrier)},
                                          {"tracking_number", false, Id(&c.tracking_number)},
                                      }));
  return c;
}

Result<std::string> ParseCancel(std::string_view body) {
  std::string reason;
  if (body.empty()) return reason;
  OH_RETURN_IF_ERROR(ReadFields(body, {{"reason", false, Text(&reason)}}));
  return reason;
}

Result<ExportRequest> ParseExportRequest(std::string_view body) {
  ExportRequest r;
  OH_RETURN_IF_ERROR(ReadFields(body, {
                                          {"reason", true, Text(&r.reason)},
                                          {"unmask", false, [&](value v, const std::string& p) {
                                             return ReadBool(v, p, &r.unmask);
                                           }},
                                      }));
  return r;
}

Result<SignIn> ParseSignIn(std::string_view body) {
  SignIn s;
  OH_RETURN_IF_ERROR(ReadFields(body, {
                                          {"tenant", true, Id(&s.tenant)},
                                          {"user", true, Id(&s.user)},
                                          {"password", true, Text(&s.password, 1024)},
                                      }));
  return s;
}

Result<engine::AttachTracking> ParseTracking(std::string_view body) {
  engine::AttachTracking c;
  OH_RETURN_IF_ERROR(ReadFields(
      body, {
                {"at", true, [&](value v, const std::string& p) { return ReadTime(v, p, &c.at); }},
                {"code", true, Id(&c.code)},
                {"description", false, Text(&c.description)},
                {"location", false, Text(&c.location)},
            }));
  return c;
}

Result<model::Node> ParseNode(std::string_view body) {
  model::Node n;
  bool have_lat = false, have_lng = false;
  OH_RETURN_IF_ERROR(ReadFields(
      body,
      {
          {"name", true, Text(&n.name, 128)},
          {"type", false, Id(&n.type)},
          {"region_code", true, Id(&n.region_code)},
          {"lat", true, [&](value v, const std::string& p) { have_lat = true; return ReadDouble(v, p, -90, 90, &n.lat); }},
          {"lng", true,
           [&](value v, const std::string& p) { have_lng = true; return ReadDouble(v, p, -180, 180, &n.lng); }},
          {"status", false, Id(&n.status)},
          {"capacity_orders", false, Int(&n.capacity_orders, 0, kMaxCapacity)},
          {"capacity_lines", false, Int(&n.capacity_lines, 0, kMaxCapacity)},
          {"cost_per_order", false, Int(&n.cost_per_order, 0, kMaxCost)},
          {"cost_per_line", false, Int(&n.cost_per_line, 0, kMaxCost)},
          {"cutoff", false,
           [&](value v, const std::string& p) -> Status {
             std::string_view t;
             if (auto e = v.get_string().get(t); e) return JsonError(e, p, "a time of day \"HH:MM\"");
             const auto digit = [&](size_t i) { return t[i] >= '0' && t[i] <= '9'; };
             if (t.size() != 5 || t[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
               return Status::InvalidArgument("invalid_time", "must be a time of day \"HH:MM\"", p);
             }
             const int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
             if (h > 23 || m > 59) return Status::InvalidArgument("invalid_time", "must be 00:00 to 23:59", p);
             n.cutoff_minute = h * 60 + m;
             return Status::OK();
           }},
          {"on_time_rate", false,
           [&](value v, const std::string& p) { return ReadDouble(v, p, 0, 1, &n.on_time_rate); }},
          {"capabilities", false, Flags(&n.capabilities, "unknown_capability", "capability")},
      }));
  if (!OneOf(n.type, {"warehouse", "dc", "store", "3pl", "bonded"})) {
    return Status::InvalidArgument("invalid_node_type", "must be one of warehouse, dc, store, 3pl, bonded", "/type");
  }
  if (!OneOf(n.status, {"up", "degraded", "down"})) {
    return Status::InvalidArgument("invalid_status", "must be one of up, degraded, down", "/status");
  }
  if (n.region_code.size() != 6 ||
      !std::all_of(n.region_code.begin(), n.region_code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidArgument("invalid_region_code", "must be a six-digit GB/T 2260 code", "/region_code");
  }
  return n;
}

Result<model::Sku> ParseSku(std::string_view body) {
  model::Sku s;
  OH_RETURN_IF_ERROR(ReadFields(
      body, {
                {"name", true, Text(&s.name, 256)},
                {"weight_g", false, Int(&s.weight_g, 0, 1'000'000)},
                {"channel_pause_below",
                 false,
                 [&](value v, const std::string& p) -> Status {
                   object o;
                   if (auto e = v.get_object().get(o); e) return JsonError(e, p, "an object of channel: threshold");
                   for (auto f : o) {
                     std::string_view k;
                     if (auto e = f.unescaped_key().get(k); e) return JsonError(e, p);
                     const std::string fp = p + "/" + std::string(k);
                     if (k.empty() || k.size() > kMaxIdLength) {
                       return Status::InvalidArgument("invalid_id", "channel name must be 1-64 bytes", fp);
                     }
                     for (const auto& [c, t] : s.channel_pause_below) {
                       if (c == k) return DuplicateField(fp);
                     }
                     int64_t threshold;
                     OH_RETURN_IF_ERROR(ReadInt(f.value(), fp, 1, 1'000'000'000, &threshold));
                     s.channel_pause_below.emplace_back(std::string(k), threshold);
                   }
                   return Status::OK();
                 }},
            }));
  return s;
}

Result<engine::SetStock> ParseSetStock(std::string_view body) {
  engine::SetStock c;
  int64_t on_hand = 0, safety = 0;
  bool have_on_hand = false, have_safety = false;
  OH_RETURN_IF_ERROR(ReadFields(
      body, {
                {"on_hand", false,
                 [&](value v, const std::string& p) {
                   have_on_hand = true;
                   return ReadInt(v, p, 0, 1'000'000'000'000, &on_hand);
                 }},
                {"safety_stock", false,
                 [&](value v, const std::string& p) {
                   have_safety = true;
                   return ReadInt(v, p, 0, 1'000'000'000'000, &safety);
                 }},
                {"reason", true, Text(&c.reason)},
            }));
  if (!have_on_hand && !have_safety) return MissingField("/on_hand");
  if (have_on_hand) c.on_hand = on_hand;
  if (have_safety) c.safety = safety;
  return c;
}

Result<engine::AdjustStock> ParseAdjustStock(std::string_view body) {
  engine::AdjustStock c;
  OH_RETURN_IF_ERROR(ReadFields(
      body, {
                {"delta", true,
                 [&](value v, const std::string& p) -> Status {
                   OH_RETURN_IF_ERROR(ReadInt(v, p, -1'000'000'000'000, 1'000'000'000'000, &c.delta));
                   if (c.delta == 0) return Status::InvalidArgument("out_of_range", "must not be zero", p);
                   return Status::OK();
                 }},
                {"reason", true, Text(&c.reason)},
            }));
  if (c.reason.empty()) return Status::InvalidArgument("empty", "an adjustment needs a reason", "/reason");
  return c;
}

Result<engine::Disrupt> ParseDisruption(std::string_view body) {
  engine::Disrupt c;
  bool close = false, reopen = false;
  auto target = [&](bool* which) {
    return [&c, which](value v, const std::string& p) -> Status {
      *which = true;
      OH_RETURN_IF_ERROR(ReadId(v, p, &c.target));
      if (c.target.size() > 32) return Status::InvalidArgument("too_long", "at most 32 characters", p);
      return Status::OK();
    };
  };
  OH_RETURN_IF_ERROR(ReadFields(body, {
                                          {"close", false, target(&close)},
                                          {"reopen", false, target(&reopen)},
                                          {"reason", false, Text(&c.reason)},
                                      }));
  if (close == reopen) {
    return Status::InvalidArgument("invalid_disruption",
                                   "give exactly one of close or reopen: a region code prefix (\"44\", \"4401\") or a "
                                   "road name (\"G4\")",
                                   close ? "/reopen" : "/close");
  }
  c.close = close;
  const bool digits = std::all_of(c.target.begin(), c.target.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (digits && c.target.size() != 2 && c.target.size() != 4 && c.target.size() != 6) {
    return Status::InvalidArgument("invalid_region_code", "a region is a 2, 4 or 6 digit GB/T 2260 code prefix",
                                   close ? "/close" : "/reopen");
  }
  return c;
}

namespace {

// A JSON array of node codes.
Status ReadCodes(value v, const std::string& p, std::vector<std::string>* out) {
  simdjson::ondemand::array arr;
  if (auto e = v.get_array().get(arr); e) return JsonError(e, p, "an array of node codes");
  size_t i = 0;
  for (auto item : arr) {
    const std::string ip = p + "/" + std::to_string(i++);
    value iv;
    if (auto e = item.get(iv); e) return JsonError(e, ip);
    std::string code;
    OH_RETURN_IF_ERROR(ReadId(iv, ip, &code));
    if (out->size() >= 64) return Status::InvalidArgument("too_many", "at most 64 nodes", ip);
    out->push_back(std::move(code));
  }
  return Status::OK();
}

}  // namespace

Result<engine::Reroute> ParseReroute(std::string_view body) {
  engine::Reroute c;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return c;
  OH_RETURN_IF_ERROR(ReadFields(
      body, {
                {"pin_node", false, Id(&c.pin_node)},
                {"forbid_nodes", false,
                 [&](value v, const std::string& p) { return ReadCodes(v, p, &c.forbid_nodes); }},
                {"clear_overrides", false,
                 [&](value v, const std::string& p) { return ReadBool(v, p, &c.clear_overrides); }},
                {"reason", false, Text(&c.reason)},
            }));
  for (size_t i = 0; i < c.forbid_nodes.size(); ++i) {
    if (c.forbid_nodes[i] == c.pin_node) {
      return Status::InvalidArgument("conflicting_overrides", "the pinned node cannot be forbidden too",
                                     "/forbid_nodes/" + std::to_string(i));
    }
  }
  return c;
}

Result<engine::Replan> ParseReplan(std::string_view body) {
  engine::Replan c;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return c;
  std::string scope = "changed";
  OH_RETURN_IF_ERROR(ReadFields(body, {
                                          {"scope", false, Id(&scope)},
                                          {"reason", false, Text(&c.reason)},
                                          {"passes", false, Int(&c.passes, 1, 3)},
                                          {"swaps", false, [&](value v, const std::string& p) {
                                             return ReadBool(v, p, &c.swaps);
                                           }},
                                      }));
  if (scope != "changed" && scope != "all" && scope != "broken") {
    return Status::InvalidArgument("invalid_scope", "must be changed, all or broken", "/scope");
  }
  c.only_broken = scope == "broken";
  c.every_order = scope == "all";
  if (c.swaps && c.only_broken) {
    return Status::InvalidArgument("invalid_swaps", "swaps need scope changed or all: broken plans are only moved",
                                   "/swaps");
  }
  return c;
}

Result<engine::Engine::QuoteRequest> ParseQuote(std::string_view body) {
  engine::Engine::QuoteRequest q;
  OH_RETURN_IF_ERROR(ReadFields(
      body,
      {
          {"region_code", true,
           [&](value v, const std::string& p) -> Status {
             OH_RETURN_IF_ERROR(ReadId(v, p, &q.region_code));
             if (q.region_code.size() != 6 ||
                 !std::all_of(q.region_code.begin(), q.region_code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
               return Status::InvalidArgument("invalid_region_code", "must be a six-digit GB/T 2260 code", p);
             }
             return Status::OK();
           }},
          {"promise_at", false, [&](value v, const std::string& p) { return ReadTime(v, p, &q.promise_at); }},
          {"flags", false, Flags(&q.flags, "unknown_flag", "flag")},
          {"lines", true,
           [&](value v, const std::string& p) -> Status {
             simdjson::ondemand::array arr;
             if (auto e = v.get_array().get(arr); e) return JsonError(e, p, "an array of lines");
             size_t i = 0;
             for (auto item : arr) {
               const std::string ip = p + "/" + std::to_string(i++);
               if (q.lines.size() >= 100) return Status::InvalidArgument("too_many_lines", "a quote has at most 100 lines", ip);
               object o;
               if (auto e = item.get_object().get(o); e) return JsonError(e, ip, "an object");
               engine::Engine::QuoteLine line;
               SeenFields seen;
               for (auto f : o) {
                 std::string_view k;
                 if (auto e = f.unescaped_key().get(k); e) return JsonError(e, ip);
                 const std::string fp = ip + "/" + std::string(k);
                 const int bit = k == "sku" ? 0 : k == "quantity" ? 1 : -1;
                 if (bit < 0) return UnknownField(fp);
                 if (!seen.Mark(bit)) return DuplicateField(fp);
                 if (bit == 0) {
                   OH_RETURN_IF_ERROR(ReadId(f.value(), fp, &line.sku));
                 } else {
                   OH_RETURN_IF_ERROR(ReadInt(f.value(), fp, 1, 1'000'000, &line.quantity));
                 }
               }
               if (!seen.Has(0)) return MissingField(ip + "/sku");
               if (!seen.Has(1)) return MissingField(ip + "/quantity");
               q.lines.push_back(std::move(line));
             }
             if (q.lines.empty()) return Status::InvalidArgument("no_lines", "a quote needs at least one line", p);
             return Status::OK();
           }},
      }));
  return q;
}

void WriteNode(const model::Node& n, JsonWriter& w) {
  w.BeginObject().Field("code", n.code).Field("name", n.name).Field("type", n.type);
  w.Field("region_code", n.region_code).Key("lat").Double(n.lat).Key("lng").Double(n.lng);
  w.Field("status", n.status).Key("capabilities").BeginArray();
  for (std::string_view f : FlagNames(n.capabilities)) w.String(f);
  w.EndArray();
  w.Field("capacity_orders", n.capacity_orders).Field("capacity_lines", n.capacity_lines);
  w.Field("cost_per_order", n.cost_per_order).Field("cost_per_line", n.cost_per_line);
  char cutoff[24];  // "HH:MM"; room for any int keeps the compiler sure
  std::snprintf(cutoff, sizeof cutoff, "%02d:%02d", n.cutoff_minute / 60, n.cutoff_minute % 60);
  w.Field("cutoff", std::string_view(cutoff)).Key("on_time_rate").Double(n.on_time_rate);
  w.EndObject();
}

void WriteSku(const model::Sku& s, JsonWriter& w) {
  w.BeginObject().Field("code", s.code).Field("name", s.name).Field("weight_g", s.weight_g);
  w.Key("channel_pause_below").BeginObject();
  for (const auto& [c, t] : s.channel_pause_below) w.Field(c, t);
  w.EndObject().EndObject();
}

void WriteStock(std::string_view sku, std::string_view node, const model::StockLevel& l, JsonWriter& w) {
  w.BeginObject().Field("sku", sku).Field("node", node).Field("on_hand", l.on_hand);
  w.Field("reserved", l.reserved).Field("safety_stock", l.safety).Field("available", l.Available());
  w.EndObject();
}

void WriteEvent(const model::OrderEvent& e, JsonWriter& w) {
  w.BeginObject().Field("seq", static_cast<int64_t>(e.seq)).Field("at", FormatRfc3339(e.at));
  w.Field("kind", e.kind).Field("event", e.event).Field("from_state", e.from_state).Field("to_state", e.to_state);
  w.Field("actor", e.actor).Field("reason", e.reason);
  w.Key("data").Raw(e.data.empty() ? std::string("{}") : engine::EventDataJson(e.data));
  w.EndObject();
}

}  // namespace orderhub::codec
