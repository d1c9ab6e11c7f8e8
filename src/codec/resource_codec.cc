#include "codec/resource_codec.h"

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
          {"capabilities",
           false,
           [&](value v, const std::string& p) -> Status {
             simdjson::ondemand::array arr;
             if (auto e = v.get_array().get(arr); e) return JsonError(e, p, "an array of strings");
             size_t i = 0;
             for (auto item : arr) {
               const std::string ip = p + "/" + std::to_string(i++);
               value iv;
               if (auto e = item.get(iv); e) return JsonError(e, ip);
               std::string name;
               OH_RETURN_IF_ERROR(ReadString(iv, ip, 32, &name));
               uint32_t bit;
               if (!ParseFlag(name, &bit)) {
                 return Status::InvalidArgument("unknown_capability", "'" + name + "' is not a known capability", ip);
               }
               n.capabilities |= bit;
             }
             return Status::OK();
           }},
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

void WriteNode(const model::Node& n, JsonWriter& w) {
  w.BeginObject().Field("code", n.code).Field("name", n.name).Field("type", n.type);
  w.Field("region_code", n.region_code).Key("lat").Double(n.lat).Key("lng").Double(n.lng);
  w.Field("status", n.status).Key("capabilities").BeginArray();
  for (std::string_view f : FlagNames(n.capabilities)) w.String(f);
  w.EndArray().EndObject();
}

void WriteSku(const model::Sku& s, JsonWriter& w) {
  w.BeginObject().Field("code", s.code).Field("name", s.name).Key("channel_pause_below").BeginObject();
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
  w.Key("data").Raw(e.data.empty() ? std::string_view("{}") : std::string_view(e.data));
  w.EndObject();
}

}  // namespace orderhub::codec
