#include "codec/order_codec.h"

#include <cstring>

#include "codec/json_reader.h"
#include "codec/order_detail.h"

namespace orderhub::codec {
namespace {

constexpr std::pair<std::string_view, uint32_t> kFlags[] = {
    {"cold_chain", model::kColdChain},         {"hazardous", model::kHazardous},
    {"cross_border", model::kCrossBorder},     {"invoice_required", model::kInvoiceRequired},
    {"fragile", model::kFragile},              {"gift", model::kGift},
};

simdjson::ondemand::parser& Parser() {
  thread_local simdjson::ondemand::parser parser = NewParser();
  return parser;
}

bool IsCurrency(std::string_view c) {
  return c.size() == 3 && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

bool IsDigits(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

Status ReadWindow(value v, const std::string& ptr, Micros* start, Micros* end) {
  object o;
  if (auto e = v.get_object().get(o); e) return JsonError(e, ptr, "an object");
  SeenFields seen;
  for (auto f : o) {
    std::string_view k;
    if (auto e = f.unescaped_key().get(k); e) return JsonError(e, ptr);
    const std::string p = ptr + "/" + std::string(k);
    int bit = k == "start" ? 0 : k == "end" ? 1 : -1;
    if (bit < 0) return UnknownField(p);
    if (!seen.Mark(bit)) return DuplicateField(p);
    OH_RETURN_IF_ERROR(ReadTime(f.value(), p, bit == 0 ? start : end));
  }
  if (!seen.Has(0)) return MissingField(ptr + "/start");
  if (!seen.Has(1)) return MissingField(ptr + "/end");
  if (*end < *start) return Status::InvalidArgument("invalid_window", "end is before start", ptr + "/end");
  return Status::OK();
}

Status ReadAddress(value v, const std::string& ptr, model::Address* a) {
  object o;
  if (auto e = v.get_object().get(o); e) return JsonError(e, ptr, "an object");
  SeenFields seen;
  bool have_region = false;
  for (auto f : o) {
    std::string_view k;
    if (auto e = f.unescaped_key().get(k); e) return JsonError(e, ptr);
    const std::string p = ptr + "/" + std::string(k);
    int bit;
    std::string* dst;
    size_t max = kMaxTextLength;
    if (k == "country") bit = 0, dst = &a->country, max = 2;
    else if (k == "region_code") bit = 1, dst = &a->region_code, max = 6, have_region = true;
    else if (k == "postal_code") bit = 2, dst = &a->postal_code, max = 16;
    else if (k == "address") bit = 3, dst = &a->detail;
    else if (k == "name") bit = 4, dst = &a->name, max = 128;
    else if (k == "phone") bit = 5, dst = &a->phone, max = 32;
    else if (k == "email") bit = 6, dst = &a->email, max = 254;
    else return UnknownField(p);
    if (!seen.Mark(bit)) return DuplicateField(p);
    OH_RETURN_IF_ERROR(ReadString(f.value(), p, max, dst));
  }
  if (a->country.size() != 2 || !std::all_of(a->country.begin(), a->country.end(), [](char c) {
        return c >= 'A' && c <= 'Z';
      })) {
    return Status::InvalidArgument("invalid_country", "must be an ISO 3166-1 alpha-2 code such as CN",
                                   ptr + "/country");
  }
  if (a->country == "CN") {
    if (!have_region) return MissingField(ptr + "/region_code");
    if (!IsDigits(a->region_code, 6)) {
      return Status::InvalidArgument("invalid_region_code", "must be a six-digit GB/T 2260 code such as 310115",
                                     ptr + "/region_code");
    }
  } else if (a->postal_code.empty()) {
    return MissingField(ptr + "/postal_code");
  }
  if (!a->email.empty()) {
    // The shape only: one @, something either side, a dot in the domain, no spaces.
    const size_t at = a->email.find('@');
    const bool ok = at != std::string::npos && at > 0 && a->email.find('@', at + 1) == std::string::npos &&
                    a->email.find('.', at + 2) != std::string::npos && a->email.back() != '.' &&
                    a->email.find_first_of(" \t\r\n<>\"") == std::string::npos;
    if (!ok) return Status::InvalidArgument("invalid_email", "must be an e-mail address such as a@example.com", ptr + "/email");
  }
  return Status::OK();
}

// `currency` receives the line's own currency when it names one; it is checked
// against the order's after the whole body is read, so field order is free.
Status ReadLine(value v, const std::string& ptr, std::string* currency, model::Line* l) {
  object o;
  if (auto e = v.get_object().get(o); e) return JsonError(e, ptr, "an object");
  SeenFields seen;
  for (auto f : o) {
    std::string_view k;
    if (auto e = f.unescaped_key().get(k); e) return JsonError(e, ptr);
    const std::string p = ptr + "/" + std::string(k);
    value fv = f.value();
    int64_t n;
    int bit;
    if (k == "sku") {
      bit = 0;
      OH_RETURN_IF_ERROR(ReadId(fv, p, &l->sku));
    } else if (k == "quantity") {
      bit = 1;
      OH_RETURN_IF_ERROR(ReadInt(fv, p, 1, kMaxQuantity, &n));
      l->quantity = static_cast<int32_t>(n);
    } else if (k == "unit_price") {
      bit = 2;
      OH_RETURN_IF_ERROR(ReadInt(fv, p, 0, kMaxUnitPrice, &l->unit_price));
    } else if (k == "discount") {
      bit = 3;
      OH_RETURN_IF_ERROR(ReadInt(fv, p, 0, INT64_MAX, &l->discount));
    } else if (k == "currency") {
      bit = 4;
      OH_RETURN_IF_ERROR(ReadString(fv, p, 3, currency));
    } else if (k == "node") {
      bit = 5;
      OH_RETURN_IF_ERROR(ReadId(fv, p, &l->node));
    } else if (k == "service") {
      bit = 6;
      OH_RETURN_IF_ERROR(ReadBool(fv, p, &l->is_service));
    } else if (k == "appointment") {
      bit = 7;
      OH_RETURN_IF_ERROR(ReadWindow(fv, p, &l->appointment_start, &l->appointment_end));
    } else if (k == "attributes") {
      bit = 8;
      OH_RETURN_IF_ERROR(ReadRawObject(fv, p, &l->attributes));
    } else {
      return UnknownField(p);
    }
    if (!seen.Mark(bit)) return DuplicateField(p);
  }
  if (!seen.Has(0)) return MissingField(ptr + "/sku");
  if (!seen.Has(1)) return MissingField(ptr + "/quantity");
  if (!seen.Has(2)) return MissingField(ptr + "/unit_price");
  int64_t gross;
  if (__builtin_mul_overflow(l->unit_price, static_cast<int64_t>(l->quantity), &gross) || gross > INT64_MAX / 1024) {
    return Status::InvalidArgument("price_overflow", "unit_price × quantity is too large", ptr + "/unit_price");
  }
  if (l->discount > gross) {
    return Status::InvalidArgument("out_of_range", "discount exceeds the line amount", ptr + "/discount");
  }
  if (l->is_service != seen.Has(7)) {
    return l->is_service ? MissingField(ptr + "/appointment")
                         : Status::InvalidArgument("not_a_service", "only service lines have an appointment",
                                                   ptr + "/appointment");
  }
  return Status::OK();
}

}  // namespace

bool ParseFlag(std::string_view name, uint32_t* bit) {
  for (const auto& [n, b] : kFlags) {
    if (n == name) {
      *bit = b;
      return true;
    }
  }
  return false;
}

Status ReadFlags(value v, const std::string& p, const char* reason, const std::string& unknown, uint32_t* out) {
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
    if (!ParseFlag(name, &bit)) return Status::InvalidArgument(reason, "'" + name + "' " + unknown, ip);
    *out |= bit;
  }
  return Status::OK();
}

std::vector<std::string_view> FlagNames(uint32_t flags) {
  std::vector<std::string_view> out;
  for (const auto& [n, b] : kFlags) {
    if (flags & b) out.push_back(n);
  }
  return out;
}

Result<engine::CreateOrder> ParseCreateOrder(std::string_view body, const std::string& tenant) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  object root;
  OH_RETURN_IF_ERROR(OpenObject(Parser(), padded, doc, root));
  engine::CreateOrder cmd;
  model::Order& o = cmd.order;
  o.tenant = tenant;
  SeenFields seen;
  std::vector<std::string> line_currencies;
  for (auto f : root) {
    std::string_view k;
    if (auto e = f.unescaped_key().get(k); e) return JsonError(e, "");
    const std::string p = "/" + std::string(k);
    value v = f.value();
    int bit;
    if (k == "channel") {
      bit = 0;
      OH_RETURN_IF_ERROR(ReadId(v, p, &o.channel));
    } else if (k == "channel_order_id") {
      bit = 1;
      OH_RETURN_IF_ERROR(ReadId(v, p, &o.channel_order_id));
    } else if (k == "customer_id") {
      bit = 2;
      OH_RETURN_IF_ERROR(ReadId(v, p, &o.customer_id));
    } else if (k == "placed_at") {
      bit = 3;
      OH_RETURN_IF_ERROR(ReadTime(v, p, &o.placed_at));
    } else if (k == "currency") {
      bit = 4;
      std::string c;
      OH_RETURN_IF_ERROR(ReadString(v, p, 3, &c));
      if (!IsCurrency(c)) {
        return Status::InvalidArgument("invalid_currency", "must be an ISO 4217 code such as CNY", p);
      }
      std::memcpy(o.currency.data(), c.data(), 3);
    } else if (k == "lines") {
      bit = 5;
      simdjson::ondemand::array arr;
      if (auto e = v.get_array().get(arr); e) return JsonError(e, p, "an array");
      size_t i = 0;
      for (auto item : arr) {
        if (i == kMaxLines) {
          return Status::TooLarge("too_many_lines", "more than " + std::to_string(kMaxLines) + " lines", p);
        }
        value lv;
        if (auto e = item.get(lv); e) return JsonError(e, p + "/" + std::to_string(i));
        model::Line line;
        line_currencies.emplace_back();
        OH_RETURN_IF_ERROR(ReadLine(lv, p + "/" + std::to_string(i), &line_currencies.back(), &line));
        o.lines.push_back(std::move(line));
        ++i;
      }
      if (o.lines.empty()) return Status::InvalidArgument("empty", "an order needs at least one line", p);
    } else if (k == "order_type") {
      bit = 6;
      OH_RETURN_IF_ERROR(ReadId(v, p, &o.order_type));
    } else if (k == "ship_to") {
      bit = 7;
      OH_RETURN_IF_ERROR(ReadAddress(v, p, &o.ship_to));
    } else if (k == "delivery_window") {
      bit = 8;
      OH_RETURN_IF_ERROR(ReadWindow(v, p, &o.window_start, &o.window_end));
    } else if (k == "promise_at") {
      bit = 9;
      OH_RETURN_IF_ERROR(ReadTime(v, p, &o.promise_at));
    } else if (k == "carrier_preference") {
      bit = 10;
      OH_RETURN_IF_ERROR(ReadId(v, p, &o.carrier_preference));
    } else if (k == "flags") {
      bit = 11;
      OH_RETURN_IF_ERROR(ReadFlags(v, p, "unknown_flag",
                                   "is not one of cold_chain, hazardous, cross_border, invoice_required, fragile, gift",
                                   &o.flags));
    } else if (k == "paid") {
      bit = 12;
      OH_RETURN_IF_ERROR(ReadBool(v, p, &o.paid));
    } else if (k == "reservation_ttl_s") {
      bit = 13;
      int64_t s;
      OH_RETURN_IF_ERROR(ReadInt(v, p, 60, 30 * 86400, &s));
      cmd.reservation_ttl = s * kMicrosPerSecond;
    } else if (k == "attributes") {
      bit = 14;
      OH_RETURN_IF_ERROR(ReadRawObject(v, p, &o.attributes));
    } else {
      return UnknownField(p);
    }
    if (!seen.Mark(bit)) return DuplicateField(p);
  }
  static constexpr std::pair<int, const char*> kRequired[] = {
      {0, "/channel"}, {1, "/channel_order_id"}, {2, "/customer_id"}, {4, "/currency"}, {5, "/lines"},
  };
  for (const auto& [bit, ptr] : kRequired) {
    if (!seen.Has(bit)) return MissingField(ptr);
  }
  const std::string_view currency(o.currency.data(), 3);
  for (size_t i = 0; i < line_currencies.size(); ++i) {
    if (!line_currencies[i].empty() && line_currencies[i] != currency) {
      return Status::InvalidArgument("currency_mismatch",
                                     "line currency '" + line_currencies[i] + "' differs from the order currency '" +
                                         std::string(currency) + "'",
                                     "/lines/" + std::to_string(i) + "/currency");
    }
  }
  bool has_goods = false;
  for (const model::Line& l : o.lines) has_goods = has_goods || !l.is_service;
  if (has_goods && !seen.Has(7)) return MissingField("/ship_to");
  int64_t total = 0;
  for (const model::Line& l : o.lines) {
    if (__builtin_add_overflow(total, l.Total(), &total) || total > INT64_MAX / 1024) {
      return Status::InvalidArgument("price_overflow", "the order total is too large", "/lines");
    }
  }
  return cmd;
}

namespace {

void TimeOrNull(JsonWriter& w, std::string_view key, Micros t) {
  w.Key(key);
  if (t == 0) {
    w.Null();
  } else {
    w.String(FormatRfc3339(t));
  }
}

}  // namespace

void EncodeDetails(engine::CreateOrder& c, const crypto::DataKeys& keys) {
  c.detail = EncodeOrderDetail(c.order, keys);
  c.line_details.clear();
  for (const model::Line& l : c.order.lines) c.line_details.push_back(EncodeLineDetail(l));
}

Result<PersonalData> OpenPersonal(const engine::OrderView& o, const crypto::DataKeys& keys) {
  OrderDetail d;
  if (!DecodeOrderDetail(o.detail(), &d)) return Status::Corruption("the order has no personal data to open");
  return OpenPersonal(d, keys);
}

void WriteOrder(const engine::OrderView& o, JsonWriter& w, const PersonalData* unmasked) {
  const engine::OrderRecord& r = o.record();
  // Per line its records summed: a line split between nodes has one per node.
  struct Sums {
    int64_t quantity = 0, reserved = 0, shipped = 0;
  };
  std::vector<Sums> lines(o.line_count());
  for (const engine::LineRecord& l : o.lines()) {
    lines[l.line].quantity += l.quantity;
    lines[l.line].reserved += l.reserved;
    lines[l.line].shipped += l.shipped;
  }
  // Details are absent only for orders made without codec (engine tests).
  OrderDetail d;
  if (!DecodeOrderDetail(o.detail(), &d)) d.currency = "";
  std::vector<LineDetail> ld(lines.size());
  int64_t total = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    DecodeLineDetail(o.line_detail(i), &ld[i]);
    total += ld[i].unit_price * lines[i].quantity - ld[i].discount;
  }
  w.BeginObject();
  w.Field("id", o.id()).Field("channel", o.channel()).Field("channel_order_id", o.channel_order_id());
  w.Field("customer_id", o.customer_id());
  TimeOrNull(w, "placed_at", r.placed_at);
  TimeOrNull(w, "created_at", r.created_at);
  TimeOrNull(w, "updated_at", r.updated_at);
  w.Field("order_type", o.order_type()).Field("state", o.state());
  w.Field("currency", d.currency).Field("total", total);
  w.Field("paid", r.paid);
  TimeOrNull(w, "reserved_until", r.reserved_until);
  w.Key("lines").BeginArray();
  for (size_t i = 0; i < lines.size(); ++i) {
    const LineDetail& l = ld[i];
    w.BeginObject().Field("sku", o.line_sku(i)).Field("quantity", lines[i].quantity);
    w.Field("unit_price", l.unit_price).Field("discount", l.discount);
    w.Field("total", l.unit_price * lines[i].quantity - l.discount);
    if (l.service) {
      w.Field("service", true).Key("appointment").BeginObject();
      w.Field("start", FormatRfc3339(l.appointment_start)).Field("end", FormatRfc3339(l.appointment_end));
      w.EndObject();
    }
    const std::span<const engine::LineRecord> parts = o.line_parts(i);
    w.Key("node");
    if (const std::string_view node = o.line_node(i); node.empty()) {
      w.Null();
    } else {
      w.String(node);
    }
    // Its units are transferred to another node, whose parcel carries it.
    if (const std::string_view via = o.line_ship_node(i); !via.empty()) w.Field("ships_from", via);
    w.Field("reserved", lines[i].reserved).Field("shipped", lines[i].shipped);
    // No node could fill it alone: what each gives.
    if (parts.size() > 1) {
      w.Key("allocations").BeginArray();
      for (const engine::LineRecord& p : parts) {
        w.BeginObject().Field("node", o.node_code(p.node));
        if (p.ship_node != model::kNone) w.Field("ships_from", o.node_code(p.ship_node));
        w.Field("quantity", static_cast<int64_t>(p.quantity)).Field("reserved", static_cast<int64_t>(p.reserved));
        w.Field("shipped", static_cast<int64_t>(p.shipped)).EndObject();
      }
      w.EndArray();
    }
    if (!l.attributes.empty()) w.Key("attributes").Raw(l.attributes);
    w.EndObject();
  }
  w.EndArray();
  w.Key("ship_to").BeginObject().Field("country", d.country).Field("region_code", d.region_code);
  w.Field("postal_code", d.postal_code);
  if (unmasked != nullptr) {
    w.Field("address", unmasked->address).Field("name", unmasked->name).Field("phone", unmasked->phone);
    if (!unmasked->email.empty()) w.Field("email", unmasked->email);
  } else {
    w.Field("address", d.address).Field("name", d.name).Field("phone", d.phone);
    if (!d.email.empty()) w.Field("email", d.email);
  }
  w.EndObject();
  w.Key("delivery_window");
  if (d.window_start == 0) {
    w.Null();
  } else {
    w.BeginObject().Field("start", FormatRfc3339(d.window_start)).Field("end", FormatRfc3339(d.window_end));
    w.EndObject();
  }
  TimeOrNull(w, "promise_at", d.promise_at);
  w.Field("carrier_preference", d.carrier_preference);
  w.Key("flags").BeginArray();
  for (std::string_view f : FlagNames(r.flags)) w.String(f);
  w.EndArray();
  w.Key("shipments").BeginArray();
  for (const model::Shipment& s : o.shipments()) {
    w.BeginObject().Field("node", s.node).Field("carrier", s.carrier).Field("tracking_number", s.tracking_number);
    w.Field("shipped_at", FormatRfc3339(s.shipped_at)).EndObject();
  }
  w.EndArray();
  w.Key("attributes").Raw(o.attributes().empty() ? std::string_view("{}") : o.attributes());
  w.EndObject();
}

std::vector<std::pair<std::string, std::string>> ScalarAttributes(std::string_view raw_object) {
  std::vector<std::pair<std::string, std::string>> out;
  if (raw_object.empty()) return out;
  simdjson::padded_string padded(raw_object);
  simdjson::ondemand::document doc;
  object o;
  if (!OpenObject(Parser(), padded, doc, o).ok()) return out;
  for (auto f : o) {
    std::string_view k;
    if (f.unescaped_key().get(k)) return out;
    value v = f.value();
    simdjson::ondemand::json_type t;
    if (v.type().get(t)) return out;
    std::string_view text;
    switch (t) {
      case simdjson::ondemand::json_type::string:
        if (v.get_string().get(text)) return out;
        out.emplace_back(std::string(k), std::string(text));
        break;
      case simdjson::ondemand::json_type::number:
      case simdjson::ondemand::json_type::boolean:
        text = v.raw_json_token();
        while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t' ||
                                 text.back() == '\r')) {
          text.remove_suffix(1);
        }
        out.emplace_back(std::string(k), std::string(text));
        break;
      default:
        break;  // nested values are stored but not indexed
    }
  }
  return out;
}

}  // namespace orderhub::codec
