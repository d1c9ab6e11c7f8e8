#include "api/router.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "api/problem.h"
#include "base/json_writer.h"
#include "codec/command_codec.h"
#include "codec/json_reader.h"
#include "codec/order_codec.h"
#include "codec/order_detail.h"
#include "codec/resource_codec.h"

namespace orderhub::api {
namespace {

using writer::Reply;

using access::Permission;

struct RouteSpec {
  const char* method;
  const char* pattern;  // "{x}" matches one path segment
  bool open;            // answered without an API key
  Permission needs;     // when not open
};

// Every route and what it needs: the one place access is decided.
constexpr RouteSpec kRoutes[] = {
    {"GET", "/healthz", true, Permission::kCount},                                        // 0
    {"GET", "/readyz", true, Permission::kCount},                                         // 1
    {"GET", "/metrics", false, Permission::kMetricsRead},                                 // 2
    {"GET", "/v1/openapi.json", true, Permission::kCount},                                // 3
    {"POST", "/v1/orders", false, Permission::kOrdersCreate},                             // 4
    {"GET", "/v1/orders", false, Permission::kOrdersRead},                                // 5
    {"GET", "/v1/orders/{id}", false, Permission::kOrdersRead},                           // 6
    {"POST", "/v1/orders/{id}/cancel", false, Permission::kOrdersUpdate},                 // 7
    {"POST", "/v1/orders/{id}/events", false, Permission::kOrdersUpdate},                 // 8
    {"POST", "/v1/orders/{id}/tracking", false, Permission::kTrackingWrite},              // 9
    {"GET", "/v1/orders/{id}/events", false, Permission::kOrdersRead},                    // 10
    {"PUT", "/v1/nodes/{code}", false, Permission::kCatalogWrite},                        // 11
    {"GET", "/v1/nodes", false, Permission::kCatalogRead},                                // 12
    {"GET", "/v1/nodes/{code}", false, Permission::kCatalogRead},                         // 13
    {"PUT", "/v1/skus/{code}", false, Permission::kCatalogWrite},                         // 14
    {"GET", "/v1/skus", false, Permission::kCatalogRead},                                 // 15
    {"GET", "/v1/skus/{code}", false, Permission::kCatalogRead},                          // 16
    {"PUT", "/v1/inventory/{sku}/{node}", false, Permission::kInventoryWrite},            // 17
    {"GET", "/v1/inventory/{sku}/{node}", false, Permission::kInventoryRead},             // 18
    {"POST", "/v1/inventory/{sku}/{node}/adjustments", false, Permission::kInventoryWrite},  // 19
    {"GET", "/v1/inventory/{sku}", false, Permission::kInventoryRead},                    // 20
    {"POST", "/v1/sessions", true, Permission::kCount},                                   // 21: sign in
    {"POST", "/v1/quote", false, Permission::kInventoryRead},                             // 22
    {"GET", "/v1/orders/{id}/plan", false, Permission::kOrdersRead},                      // 23
    {"POST", "/v1/orders/{id}/reroute", false, Permission::kRoutingPlan},                 // 24
    {"GET", "/v1/routing/network", false, Permission::kCatalogRead},                      // 25
    {"PUT", "/v1/routing/lanes", false, Permission::kRoutingPlan},                        // 26
    {"PUT", "/v1/routing/policy", false, Permission::kRoutingPlan},                       // 27
    {"POST", "/v1/routing/disruptions", false, Permission::kRoutingPlan},                 // 28
    {"POST", "/v1/routing/replan", false, Permission::kRoutingPlan},                      // 29
    {"GET", "/v1/routing/replan", false, Permission::kCatalogRead},                       // 30
    {"GET", "/v1/routing/backorders", false, Permission::kOrdersRead},                    // 31
    {"GET", "/v1/nodes/{code}/queue", false, Permission::kOrdersRead},                    // 32
    {"POST", "/v1/exports", false, Permission::kExportRequest},                           // 33
    {"GET", "/v1/exports", false, Permission::kExportRequest},                            // 34
    {"GET", "/v1/exports/{id}", false, Permission::kExportRequest},                       // 35
    {"POST", "/v1/exports/{id}/approve", false, Permission::kExportApprove},              // 36
    {"GET", "/v1/exports/{id}/download", false, Permission::kExportRequest},              // 37
};
constexpr size_t kFirstExportRoute = 33;
constexpr size_t kSignInRoute = 21;
// How long a console session lasts.
constexpr Micros kSessionTtl = 8 * 3600 * kMicrosPerSecond;
constexpr size_t kRouteCount = std::size(kRoutes);
constexpr size_t kUnmatched = kRouteCount;

std::vector<std::string> MetricNames() {
  std::vector<std::string> names = Router::Routes();
  names.push_back("unmatched");
  return names;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a broken escape.
bool Decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int h = HexValue(in[i + 1]), l = HexValue(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out->push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out->push_back(' ');
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 1;
  while (i <= path.size()) {
    const size_t j = path.find('/', i);
    const size_t end = j == std::string_view::npos ? path.size() : j;
    out.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// Matches `segments` against a pattern; fills `params` with decoded {x} values.
bool Match(std::string_view pattern, const std::vector<std::string_view>& segments, std::vector<std::string>* params) {
  const std::vector<std::string_view> pat = SplitPath(pattern);
  if (pat.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < pat.size(); ++i) {
    if (!pat[i].empty() && pat[i].front() == '{') {
      std::string v;
      if (segments[i].empty() || !Decode(segments[i], false, &v)) return false;
      params->push_back(std::move(v));
    } else if (pat[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

// Path parameters are identifiers like those in bodies: printable ASCII, no '/'.
Status CheckPathId(const std::string& v, const char* name) {
  if (v.size() > codec::kMaxIdLength) {
    return Status::InvalidArgument("too_long", std::string(name) + " is longer than 64 bytes", "");
  }
  for (unsigned char c : v) {
    if (c <= 0x20 || c >= 0x7f || c == '/') {
      return Status::InvalidArgument("invalid_id", std::string(name) + " may hold only printable ASCII", "");
    }
  }
  return Status::OK();
}

Reply Json(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The order as every answer shows it: personal fields masked.
std::string OrderDoc(const engine::Engine& e, std::string_view tenant, std::string_view id) {
  std::string doc;
  JsonWriter w(&doc);
  codec::WriteOrder(*e.FindOrder(tenant, id), w);
  return doc;
}


}  // namespace

std::vector<std::string> Router::Routes() {
  std::vector<std::string> names;
  for (const RouteSpec& r : kRoutes) names.push_back(std::string(r.method) + " " + r.pattern);
  return names;
}

Router::Router(writer::Writer* writer, store::Store* store, const crypto::DataKeys* keys, const Clock* clock,
               RouterOptions options)
    : writer_(writer),
      store_(store),
      data_keys_(keys),
      options_(std::move(options)),
      metrics_(MetricNames()),
      clock_(clock),
      sessions_(keys->DeriveKey("orderhub session tokens v1")) {}

Router::~Router() { StopSignIns(); }

void Router::StopSignIns() {
  // Sign-ins run on threads of their own and call back into the router.
  sign_ins_stopped_.store(true);
  while (sign_ins_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

Result<Principal> Router::Authenticate(const Request& req, int64_t* retry_after_s) {
  std::string key = req.api_key;
  if (key.empty() && req.authorization.rfind("Bearer ", 0) == 0) key = req.authorization.substr(7);
  if (key.empty()) {
    return Status::Unauthenticated("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'");
  }
  const std::string hash = codec::Sha256Hex(key);
  const Micros now = clock_->Now();
  constexpr Micros kReread = 5 * kMicrosPerSecond;  // how late a revocation may take effect
  std::unique_lock<std::mutex> lock(keys_mu_);
  auto it = keys_.find(hash);
  if (it == keys_.end() || now - it->second.read_at >= kReread || now < it->second.read_at) {
    lock.unlock();
    const bool session = access::SessionTokens::LooksLikeToken(key);
    std::string user;
    auto found = session ? SessionAsKey(key, hash, now, &user) : store_->FindApiKey(hash);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return Status::Unauthenticated("the API key is not valid");
    const std::optional<access::Role> role = access::ParseRole((*found)->role);
    if (!role) return Status::Unauthenticated("the API key's role '" + (*found)->role + "' is not known to this hub");
    lock.lock();
    if (tenants_read_at_ < 0 || now - tenants_read_at_ >= kReread || now < tenants_read_at_) {
      lock.unlock();
      auto tenants = store_->ListTenants();
      if (!tenants.ok()) return tenants.status();
      lock.lock();
      tenant_regions_.clear();
      for (const store::Tenant& t : *tenants) tenant_regions_.emplace(t.id, t.region);
      tenants_read_at_ = now;
    }
    auto [at, fresh] = keys_.try_emplace(hash);
    at->second.who = Principal{(*found)->tenant, "", *role, session ? "user:" + user : (*found)->id(),
                               (*found)->node};
    if (auto r = tenant_regions_.find((*found)->tenant); r != tenant_regions_.end()) at->second.who.region = r->second;
    at->second.key = **found;
    at->second.read_at = now;
    if (fresh) at->second.refilled_at = now, at->second.tokens = -1;  // full, once the rate is known
    it = at;
  }
  CachedKey& k = it->second;
  if (!k.who.region.empty() && k.who.region != options_.region) {
    // Refused before anything of the tenant's is stored here, audit entry included.
    return Status::WrongRegion("tenant '" + k.who.tenant + "' is pinned to region '" + k.who.region + "'; " +
                               (options_.region.empty() ? std::string("this deployment serves no region")
                                                        : "this deployment serves region '" + options_.region + "'"));
  }
  if (k.key.revoked_at != 0) {
    return Status::Unauthenticated(k.who.key_id.rfind("user:", 0) == 0 ? "the session's user is disabled"
                                                                      : "the API key was revoked");
  }
  if (k.key.expires_at != 0 && now >= k.key.expires_at) {
    return Status::Unauthenticated("the API key expired at " + FormatRfc3339(k.key.expires_at));
  }
  const double rate = static_cast<double>(k.key.rate_per_s > 0 ? k.key.rate_per_s : options_.rate_limit_per_key);
  if (rate > 0 && req.from_network) {
    // A token bucket: `rate` a second, holding at most two seconds' worth.
    const double burst = 2 * rate;
    if (k.tokens < 0) k.tokens = burst;
    k.tokens = std::min(burst, k.tokens + rate * static_cast<double>(std::max<Micros>(0, now - k.refilled_at)) /
                                               static_cast<double>(kMicrosPerSecond));
    k.refilled_at = now;
    if (k.tokens < 1) {
      *retry_after_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1 - k.tokens) / rate)));
      return Status::RateLimited("this key may make " + std::to_string(static_cast<int64_t>(rate)) +
                                 " requests a second; retry after " + std::to_string(*retry_after_s) + " s");
    }
    k.tokens -= 1;
  }
  return k.who;
}

Result<std::optional<store::ApiKey>> Router::SessionAsKey(const std::string& token, const std::string& hash,
                                                          Micros now, std::string* user_name) {
  auto s = sessions_.Verify(token, now);
  if (!s.ok()) return s.status();
  auto user = store_->FindUser(s->tenant, s->user);
  if (!user.ok()) return user.status();
  if (!user->has_value()) return Status::Unauthenticated("the session's user no longer exists");
  // A session behaves as a key of its user: it expires with the session,
  // is revoked when the user is disabled, and gets the default rate.
  store::ApiKey k;
  k.hash = hash;
  k.tenant = s->tenant;
  k.role = std::string(access::RoleName(s->role));
  k.created_at = now;
  k.expires_at = s->expires_at;
  k.revoked_at = (*user)->disabled_at;
  *user_name = s->user;
  return std::optional<store::ApiKey>(std::move(k));
}

void Router::SignIn(const Request& req, writer::Done done) {
  auto in = codec::ParseSignIn(req.body);
  if (!in.ok()) return done(Problem(in.status()));
  // Argon2id takes a fraction of a second of CPU and 64 MiB on purpose; it
  // runs on a thread of its own, never on an I/O thread, and few at a time.
  // Counted before the stop flag is read, so StopSignIns waits for every
  // sign-in that got past it.
  if (sign_ins_.fetch_add(1) >= kMaxConcurrentSignIns || sign_ins_stopped_.load()) {
    sign_ins_.fetch_sub(1);
    if (sign_ins_stopped_.load()) return done(Problem(Status::Unavailable("the hub is shutting down")));
    Reply r = Problem(Status::RateLimited("too many sign-ins at once; retry in a second"));
    r.headers.emplace_back("Retry-After", "1");
    return done(std::move(r));
  }
  std::thread([this, in = std::move(*in), source = req.source, done = std::move(done)]() mutable {
    store::AuditEntry a;
    a.tenant = in.tenant;
    a.actor = "user:" + in.user;
    a.source = source;
    a.action = "POST /v1/sessions";
    a.target = "/v1/sessions";
    auto user = store_->FindUser(in.tenant, in.user);
    Reply r;
    if (!user.ok()) {
      r = Problem(user.status());
    } else if (!user->has_value() || (*user)->disabled_at != 0 ||
               !access::VerifyPassword((*user)->password_hash, in.password)) {
      // One answer for every failure: no hint which part was wrong.
      r = Problem(Status::Unauthenticated("tenant, user or password is not right"));
    } else {
      access::Session s{in.tenant, in.user, *access::ParseRole((*user)->role), clock_->Now() + kSessionTtl};
      r.status = 201;
      JsonWriter w(&r.body);
      w.BeginObject().Field("token", sessions_.Issue(s)).Field("expires_at", FormatRfc3339(s.expires_at));
      w.Field("role", access::RoleName(s.role)).EndObject();
    }
    // Every sign-in, good or bad, is audited before it is answered.
    Audited(std::move(a), [r = std::move(r)](const engine::Engine&, const engine::Outcome&) { return r; },
            std::move(done));
    sign_ins_.fetch_sub(1);
  }).detach();
}

void Router::Handle(const Request& req, writer::Done done) {
  const auto t0 = std::chrono::steady_clock::now();
  const size_t q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  size_t route = kUnmatched;
  bool path_known = false;
  std::vector<std::string> params;
  if (!path.empty() && path.front() == '/') {
    const std::vector<std::string_view> segments = SplitPath(path);
    for (size_t i = 0; i < kRouteCount; ++i) {
      if (Match(kRoutes[i].pattern, segments, &params)) {
        path_known = true;
        if (req.method == kRoutes[i].method) {
          route = i;
          break;
        }
      }
    }
    if (route != kUnmatched) Match(kRoutes[route].pattern, segments, &params);
  }
  auto finish = [this, route, t0, done = std::move(done)](Reply r) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    metrics_.Record(route, r.status, static_cast<uint64_t>(us.count()));
    done(std::move(r));
  };
  if (route == kUnmatched) {
    Reply r = Problem(path_known ? Status::InvalidArgument("method_not_allowed",
                                                           req.method + " is not allowed on " + std::string(path), "")
                                 : Status::NotFound("no_route", "no such resource: " + std::string(path), ""));
    if (path_known) r.status = 405;
    finish(std::move(r));
    return;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (Status st = CheckPathId(params[i], "path parameter"); !st.ok()) {
      finish(Problem(st));
      return;
    }
  }
  if (route == kSignInRoute) {
    SignIn(req, std::move(finish));
    return;
  }
  if (kRoutes[route].open) {
    Reply r;
    switch (route) {
      case 0:
        r = Json(200, "ok\n");
        r.content_type = "text/plain";
        break;
      case 1:
        r = ready() ? Json(200, "{\"ready\":true}") : Json(503, "{\"ready\":false}");
        break;
      default:
        r = Json(200, options_.openapi_json);
        break;
    }
    finish(std::move(r));
    return;
  }
  int64_t retry_after_s = 0;
  auto who = Authenticate(req, &retry_after_s);
  if (!who.ok()) {
    Reply r = Problem(who.status());
    if (retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    finish(std::move(r));
    return;
  }
  if (!access::Allows(who->role, kRoutes[route].needs)) {
    // Refusals are audited too: probing for what a key may do leaves a trace.
    Audited(AuditEntryFor(req, route, *who),
            [problem = Problem(Status::PermissionDenied(
                 "role '" + std::string(access::RoleName(who->role)) + "' lacks the permission '" +
                 std::string(access::PermissionName(kRoutes[route].needs)) + "' that this route needs"))](
                const engine::Engine&, const engine::Outcome&) { return problem; },
            std::move(finish));
    return;
  }
  Dispatch(req, route, params, *who, std::move(finish));
}

void Router::SubmitCommand(store::JournalRecord record, writer::Render render, writer::Done done,
                           store::AuditEntry audit, writer::Describe describe, writer::Precheck precheck) {
  writer::Submission s;
  s.audit = std::move(audit);
  s.done = std::move(done);
  auto cmd = codec::DecodeCommand(record, *data_keys_);
  if (!cmd.ok()) {
    // Refused before the engine saw it, but an attempt all the same: audited.
    s.render = [problem = Problem(cmd.status())](const engine::Engine&, const engine::Outcome&) { return problem; };
    writer_->Submit(std::move(s));
    return;
  }
  s.has_command = true;
  s.command = std::move(*cmd);
  if (record.kind == codec::kCreateOrder) record.body = codec::SealBody(record.body, *data_keys_);
  s.record = std::move(record);
  s.render = std::move(render);
  s.describe = std::move(describe);
  s.precheck = std::move(precheck);
  writer_->Submit(std::move(s));
}

void Router::Audited(store::AuditEntry audit, writer::Render render, writer::Done done) {
  writer::Submission s;
  s.audit = std::move(audit);
  s.render = std::move(render);
  s.done = std::move(done);
  writer_->Submit(std::move(s));
}

store::AuditEntry Router::AuditEntryFor(const Request& req, size_t route, const Principal& who) {
  return AuditEntryFor(req, std::string(kRoutes[route].method) + " " + kRoutes[route].pattern, who);
}

store::AuditEntry Router::AuditEntryFor(const Request& req, std::string action, const Principal& who) {
  store::AuditEntry a;
  a.tenant = who.tenant;
  a.actor = std::string(access::RoleName(who.role)) + "/" + who.key_id;
  a.source = req.source;
  a.action = std::move(action);
  a.target = req.target.substr(0, std::min(req.target.size(), size_t{1024}));
  return a;
}

void Router::Query(writer::Render render, writer::Done done) {
  writer::Submission s;
  s.render = std::move(render);
  s.done = std::move(done);
  writer_->Submit(std::move(s));
}

std::optional<Reply> Router::ParseOrderFilter(std::string_view qs, bool paging, engine::OrderFilter* q) {
  std::optional<Reply> error;
  uint64_t phone_hash = 0, email_hash = 0;  // 0: not filtered by it
  std::vector<std::pair<std::string, std::string>> attrs;
  while (!qs.empty()) {
    const size_t amp = qs.find('&');
    const std::string_view pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name, value;
    if (!Decode(pair.substr(0, eq), true, &name) ||
        !Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true, &value)) {
      return ParameterProblem(pair.substr(0, eq), "malformed_query", "broken percent-encoding");
    }
    if (value.size() > codec::kMaxTextLength) {
      return ParameterProblem(name, "too_long", "parameter value is longer than 512 bytes");
    }
    auto time_param = [&](Micros* out) {
      if (!ParseRfc3339(value, out)) {
        error = ParameterProblem(name, "invalid_time", "must be an RFC 3339 time");
        return false;
      }
      return true;
    };
    if (name == "state") q->state = value;
    else if (name == "channel") q->channel = value;
    else if (name == "customer_id") q->customer_id = value;
    else if (name == "sku") q->sku = value;
    else if (name == "order_type") q->order_type = value;
    // By keyed hash: the phone and e-mail themselves are stored only sealed.
    else if (name == "phone") phone_hash = data_keys_->IndexHash(value);
    else if (name == "email") email_hash = data_keys_->IndexHash(codec::EmailKey(value));
    else if (name == "created_from") { if (!time_param(&q->created_from)) return error; }
    else if (name == "created_to") { if (!time_param(&q->created_to)) return error; }
    else if (name == "cursor" && paging) {
      if (!IsValidOrderId(value)) {
        return ParameterProblem(name, "invalid_cursor", "cursor must be a next_cursor value from a previous page");
      }
      q->before = value;
    } else if (name == "limit" && paging) {
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < 1 || v > 200) {
        return ParameterProblem(name, "out_of_range", "limit must be an integer from 1 to 200");
      }
      q->limit = static_cast<int>(v);
    } else if (name.rfind("attr.", 0) == 0 && name.size() > 5) {
      if (attrs.size() == 8) {
        return ParameterProblem(name, "too_many_filters", "at most 8 attr.* filters");
      }
      attrs.emplace_back(name.substr(5), value);
    } else {
      return ParameterProblem(name, "unknown_parameter",
                              std::string("unknown parameter; known: state, channel, customer_id, sku, order_type, "
                                          "phone, email, created_from, created_to, attr.<key>") +
                                  (paging ? ", limit, cursor" : ""));
    }
  }
  if (phone_hash != 0 || email_hash != 0) {
    q->detail_match = [phone_hash, email_hash](std::string_view detail) {
      codec::OrderDetail d;
      return codec::DecodeOrderDetail(detail, &d) && (phone_hash == 0 || d.phone_index == phone_hash) &&
             (email_hash == 0 || d.email_index == email_hash);
    };
  }
  if (!attrs.empty()) {
    q->attributes_match = [attrs = std::move(attrs)](std::string_view json) {
      const auto have = codec::ScalarAttributes(json);
      return std::all_of(attrs.begin(), attrs.end(),
                         [&](const auto& a) { return std::find(have.begin(), have.end(), a) != have.end(); });
    };
  }
  return std::nullopt;
}

void Router::Dispatch(const Request& req, size_t route, const std::vector<std::string>& p, const Principal& who,
                      writer::Done done) {
  const std::string& tenant = who.tenant;
  auto record = [&](const char* kind, std::string target, std::string body) {
    store::JournalRecord r;
    r.tenant = tenant;
    r.region = who.region;
    r.kind = kind;
    r.target = std::move(target);
    r.actor = access::RoleName(who.role);
    r.body = std::move(body);
    return r;
  };
  // A partner key sees only orders with a line at its node; others are
  // "not found", exactly like another tenant's.
  auto visible = [node = who.node](const engine::OrderView& o) { return node.empty() || o.AssignedTo(node); };
  auto not_found = [](const std::string& id) {
    return Problem(Status::NotFound("order_not_found", "order '" + id + "' does not exist", ""));
  };
  auto scope = [&](const std::string& id) -> writer::Precheck {
    if (who.node.empty()) return nullptr;
    return [tenant, id, visible, not_found](const engine::Engine& e) -> std::optional<Reply> {
      const std::optional<engine::OrderView> o = e.FindOrder(tenant, id);
      if (o && visible(*o)) return std::nullopt;
      return not_found(id);
    };
  };
  // What each call is audited as, and the documents its digests cover.
  auto entry = [&] { return AuditEntryFor(req, route, who); };
  auto order_doc = [tenant](std::string id) -> writer::Describe {
    return [tenant, id = std::move(id)](const engine::Engine& e) {
      return e.FindOrder(tenant, id) ? OrderDoc(e, tenant, id) : std::string();
    };
  };
  // Renders order `id` after a command, or the problem.
  auto order_reply = [tenant](int ok_status, std::string id) {
    return [tenant, ok_status, id = std::move(id)](const engine::Engine& e, const engine::Outcome& out) {
      if (!out.status.ok()) return Problem(out.status);
      Reply r = Json(ok_status, OrderDoc(e, tenant, out.order_id));
      r.body_describes_target = out.order_id == id;  // order_doc(id)
      return r;
    };
  };
  if (route >= kFirstExportRoute) return Exports(req, route - kFirstExportRoute, p, who, std::move(done));
  switch (route) {
    case 2: {  // GET /metrics
      const writer::WriterStats* ws = &writer_->stats();
      return Query(
          [this, ws](const engine::Engine& e, const engine::Outcome&) {
            Reply r = Json(200, metrics_.Render(e.StateCounts(), *ws));
            r.content_type = "text/plain; version=0.0.4";
            return r;
          },
          std::move(done));
    }
    case 4: {  // POST /v1/orders
      const std::string& key = req.idempotency_key;
      if (key.size() > 128 || std::any_of(key.begin(), key.end(), [](unsigned char c) { return c < 0x21 || c > 0x7e; })) {
        done(Problem(Status::InvalidArgument("invalid_idempotency_key",
                                             "Idempotency-Key must be 1-128 printable ASCII characters", "")));
        return;
      }
      store::JournalRecord r = record(codec::kCreateOrder, writer_->NewOrderId(), req.body);
      r.idempotency_key = key;
      writer::Describe describe = order_doc(r.target);
      std::string id = r.target;  // before `r` moves
      SubmitCommand(std::move(r),
                    [tenant, key, id = std::move(id)](const engine::Engine& e, const engine::Outcome& out) {
                      if (out.status.code() == Code::kAlreadyExists && !out.order_id.empty()) {
                        std::string extra;
                        JsonWriter w(&extra);
                        w.Field("existing_order_id", out.order_id);
                        w.Key("order").Raw(OrderDoc(e, tenant, out.order_id));
                        extra.insert(extra.begin(), ',');
                        return Problem(out.status, extra);
                      }
                      if (!out.status.ok()) return Problem(out.status);
                      Reply rep = Json(201, OrderDoc(e, tenant, out.order_id));
                      rep.body_describes_target = out.order_id == id;  // not a replay: order_doc(id)
                      rep.headers.emplace_back("Location", "/v1/orders/" + std::string(out.order_id));
                      if (out.replayed) {
                        rep.replay_tenant = tenant;
                        rep.replay_key = key;
                        rep.headers.emplace_back("Idempotency-Replayed", "true");
                      }
                      return rep;
                    },
                    std::move(done), entry(), std::move(describe));
      return;
    }
    case 5: {  // GET /v1/orders: the engine's postings, on the writer thread
      engine::OrderFilter q;
      q.tenant = tenant;
      q.node = who.node;
      const size_t qpos = req.target.find('?');
      if (auto bad = ParseOrderFilter(qpos == std::string::npos ? std::string_view()
                                                                 : std::string_view(req.target).substr(qpos + 1),
                                      /*paging=*/true, &q)) {
        return done(std::move(*bad));
      }
      return Query(
          [q = std::move(q)](const engine::Engine& e, const engine::Outcome&) {
            // Parsing each candidate's attributes costs more: examine fewer.
            const engine::OrderMatches m = e.FindOrders(q, q.attributes_match || q.detail_match ? 10'000 : 100'000);
            std::string body;
            JsonWriter w(&body);
            w.BeginObject().Key("items").BeginArray();
            for (uint32_t i : m.orders) codec::WriteOrder(e.OrderAt(i), w);
            w.EndArray().Key("next_cursor");
            if (m.next_cursor.empty()) {
              w.Null();
            } else {
              w.String(m.next_cursor);
            }
            w.EndObject();
            return Json(200, std::move(body));
          },
          std::move(done));
    }
    case 6: {  // GET /v1/orders/{id}[?unmask=true]
      const size_t qpos = req.target.find('?');
      const std::string_view qs = qpos == std::string::npos ? "" : std::string_view(req.target).substr(qpos + 1);
      bool unmask = false;
      if (qs == "unmask=true") {
        unmask = true;
      } else if (!qs.empty() && qs != "unmask=false") {
        return done(ParameterProblem(qs.substr(0, qs.find('=')), "unknown_parameter",
                                     "the only parameter is unmask=true|false"));
      }
      if (unmask) {
        if (!access::Allows(who.role, Permission::kPiiUnmask)) {
          return done(Problem(Status::PermissionDenied(
              "role '" + std::string(access::RoleName(who.role)) +
                               "' lacks the permission 'pii.unmask' that unmasking needs")));
        }
        const std::string& why = req.unmask_reason;
        if (why.empty() || why.size() > codec::kMaxTextLength || !simdjson::validate_utf8(why.data(), why.size())) {
          return done(Problem(Status::InvalidArgument(
              "unmask_reason_required",
              "unmasking needs an X-Unmask-Reason header: why, in at most 512 bytes of UTF-8", "")));
        }
      }
      writer::Render render = [tenant, id = p[0], unmask, keys = data_keys_, visible, not_found](
                                  const engine::Engine& e, const engine::Outcome&) {
        const std::optional<engine::OrderView> o = e.FindOrder(tenant, id);
        if (!o || !visible(*o)) return not_found(id);
        if (!unmask) return Json(200, OrderDoc(e, tenant, id));
        auto raw = codec::OpenPersonal(*o, *keys);
        if (!raw.ok()) return Problem(raw.status());
        std::string doc;
        JsonWriter w(&doc);
        codec::WriteOrder(*o, w, &*raw);
        return Json(200, std::move(doc));
      };
      if (!unmask) return Query(std::move(render), std::move(done));
      // The raw answer goes out only once its audit entry is durable.
      store::AuditEntry a = entry();
      a.action = "unmask";
      a.detail = "reason: " + req.unmask_reason;
      return Audited(std::move(a), std::move(render), std::move(done));
    }
    case 7: {  // POST /v1/orders/{id}/cancel
      auto reason = codec::ParseCancel(req.body);
      if (!reason.ok()) return done(Problem(reason.status()));
      std::string body;
      JsonWriter w(&body);
      w.BeginObject().Field("event", "cancel").Field("reason", *reason).EndObject();
      return SubmitCommand(record(codec::kFireEvent, p[0], std::move(body)), order_reply(200, p[0]), std::move(done),
                           entry(), order_doc(p[0]), scope(p[0]));
    }
    case 8:  // POST /v1/orders/{id}/events
      return SubmitCommand(record(codec::kFireEvent, p[0], req.body), order_reply(200, p[0]), std::move(done), entry(),
                           order_doc(p[0]), scope(p[0]));
    case 9:  // POST /v1/orders/{id}/tracking
      return SubmitCommand(record(codec::kTracking, p[0], req.body),
                           [tenant](const engine::Engine& e, const engine::Outcome& out) {
                             if (!out.status.ok()) return Problem(out.status);
                             const engine::OrderView o = *e.FindOrder(tenant, out.order_id);
                             std::string body;
                             JsonWriter w(&body);
                             w.BeginObject().Field("order_id", o.id());
                             w.Field("seq", static_cast<int64_t>(o.record().event_count));
                             w.Field("state", o.state()).EndObject();
                             return Json(201, std::move(body));
                           },
                           std::move(done), entry(), order_doc(p[0]), scope(p[0]));
    case 10: {  // GET /v1/orders/{id}/events
      auto history = [store = store_, tenant, id = p[0], not_found]() {
        auto events = store->OrderEvents(tenant, id);  // also the tenant check
        if (!events.ok()) return Problem(events.status());
        if (events->empty()) return not_found(id);
        std::string body;
        JsonWriter w(&body);
        w.BeginObject().Key("items").BeginArray();
        for (const model::OrderEvent& e : *events) codec::WriteEvent(e, w);
        w.EndArray().EndObject();
        return Json(200, std::move(body));
      };
      if (who.node.empty()) return done(history());
      // A partner's view is decided by the engine first. The history read
      // then runs on the writer thread: rare calls, one indexed read.
      return Query(
          [tenant, id = p[0], visible, not_found, history](const engine::Engine& e, const engine::Outcome&) {
            const std::optional<engine::OrderView> o = e.FindOrder(tenant, id);
            return o && visible(*o) ? history() : not_found(id);
          },
          std::move(done));
    }
    case 11: {  // PUT /v1/nodes/{code}
      writer::Describe node_doc = [tenant, code = p[0]](const engine::Engine& e) {
        std::string doc;
        if (const model::Node* n = e.FindNode(tenant, code)) {
          JsonWriter w(&doc);
          codec::WriteNode(*n, w);
        }
        return doc;
      };
      return SubmitCommand(record(codec::kPutNode, p[0], req.body),
                           [tenant, code = p[0]](const engine::Engine& e, const engine::Outcome& out) {
                             if (!out.status.ok()) return Problem(out.status);
                             std::string body;
                             JsonWriter w(&body);
                             codec::WriteNode(*e.FindNode(tenant, code), w);
                             return Json(200, std::move(body));
                           },
                           std::move(done), entry(), std::move(node_doc));
    }
    case 12:  // GET /v1/nodes
    case 15:  // GET /v1/skus
      return Query(
          [tenant, nodes = route == 12](const engine::Engine& e, const engine::Outcome&) {
            std::string body;
            JsonWriter w(&body);
            w.BeginObject().Key("items").BeginArray();
            if (nodes) {
              e.ForEachNode(tenant, [&](const model::Node& n) { codec::WriteNode(n, w); });
            } else {
              e.ForEachSku(tenant, [&](const model::Sku& s) { codec::WriteSku(s, w); });
            }
            w.EndArray().EndObject();
            return Json(200, std::move(body));
          },
          std::move(done));
    case 13:  // GET /v1/nodes/{code}
    case 16:  // GET /v1/skus/{code}
      return Query(
          [tenant, code = p[0], nodes = route == 13](const engine::Engine& e, const engine::Outcome&) {
            std::string body;
            JsonWriter w(&body);
            if (nodes) {
              const model::Node* n = e.FindNode(tenant, code);
              if (n == nullptr) return Problem(Status::NotFound("unknown_node", "node '" + code + "' does not exist"));
              codec::WriteNode(*n, w);
            } else {
              const model::Sku* s = e.FindSku(tenant, code);
              if (s == nullptr) return Problem(Status::NotFound("unknown_sku", "sku '" + code + "' does not exist"));
              codec::WriteSku(*s, w);
            }
            return Json(200, std::move(body));
          },
          std::move(done));
    case 14: {  // PUT /v1/skus/{code}
      writer::Describe sku_doc = [tenant, code = p[0]](const engine::Engine& e) {
        std::string doc;
        if (const model::Sku* s = e.FindSku(tenant, code)) {
          JsonWriter w(&doc);
          codec::WriteSku(*s, w);
        }
        return doc;
      };
      return SubmitCommand(record(codec::kPutSku, p[0], req.body),
                           [tenant, code = p[0]](const engine::Engine& e, const engine::Outcome& out) {
                             if (!out.status.ok()) return Problem(out.status);
                             std::string body;
                             JsonWriter w(&body);
                             codec::WriteSku(*e.FindSku(tenant, code), w);
                             return Json(200, std::move(body));
                           },
                           std::move(done), entry(), std::move(sku_doc));
    }
    case 17:    // PUT /v1/inventory/{sku}/{node}
    case 18:    // GET /v1/inventory/{sku}/{node}
    case 19: {  // POST /v1/inventory/{sku}/{node}/adjustments
      auto render = [tenant, sku = p[0], node = p[1]](const engine::Engine& e, const engine::Outcome& out) {
        if (!out.status.ok()) return Problem(out.status);
        if (e.FindSku(tenant, sku) == nullptr) {
          return Problem(Status::NotFound("unknown_sku", "sku '" + sku + "' does not exist", "/sku"));
        }
        if (e.FindNode(tenant, node) == nullptr) {
          return Problem(Status::NotFound("unknown_node", "node '" + node + "' does not exist", "/node"));
        }
        const model::StockLevel* l = e.Stock(tenant, sku, node);
        std::string body;
        JsonWriter w(&body);
        codec::WriteStock(sku, node, l == nullptr ? model::StockLevel{} : *l, w);
        return Json(200, std::move(body));
      };
      if (route == 18) return Query(render, std::move(done));
      writer::Describe stock_doc = [tenant, sku = p[0], node = p[1]](const engine::Engine& e) {
        std::string doc;
        if (const model::StockLevel* l = e.Stock(tenant, sku, node)) {
          JsonWriter w(&doc);
          codec::WriteStock(sku, node, *l, w);
        }
        return doc;
      };
      return SubmitCommand(record(route == 17 ? codec::kSetStock : codec::kAdjustStock, p[0] + "/" + p[1], req.body),
                           render, std::move(done), entry(), std::move(stock_doc));
    }
    case 20:  // GET /v1/inventory/{sku}
      return Query(
          [tenant, sku = p[0]](const engine::Engine& e, const engine::Outcome&) {
            const model::Sku* s = e.FindSku(tenant, sku);
            if (s == nullptr) return Problem(Status::NotFound("unknown_sku", "sku '" + sku + "' does not exist"));
            std::string body;
            JsonWriter w(&body);
            int64_t available = 0;
            const auto levels = e.StockOf(tenant, sku);
            for (const auto& [node, l] : levels) available += l.Available();
            w.BeginObject().Field("sku", sku).Field("available", available).Key("paused_channels").BeginArray();
            for (const std::string& c : e.PausedChannels(tenant, sku)) w.String(c);
            w.EndArray().Key("nodes").BeginArray();
            for (const auto& [node, l] : levels) codec::WriteStock(sku, node, l, w);
            w.EndArray().EndObject();
            return Json(200, std::move(body));
          },
          std::move(done));
    case 22: {  // POST /v1/quote: what routing would decide now; reserves nothing
      auto q = codec::ParseQuote(req.body);
      if (!q.ok()) return done(Problem(q.status()));
      q->tenant = tenant;
      q->now = clock_->Now();
      return Query(
          [q = std::move(*q)](const engine::Engine& e, const engine::Outcome&) {
            auto decision = e.Quote(q);
            if (!decision.ok()) return Problem(decision.status());
            return Json(200, std::move(*decision));
          },
          std::move(done));
    }
    case 23: {  // GET /v1/orders/{id}/plan: the last routing decision, from the history
      auto plan = [store = store_, tenant, id = p[0], not_found]() {
        auto events = store->OrderEvents(tenant, id);
        if (!events.ok()) return Problem(events.status());
        if (events->empty()) return not_found(id);
        for (auto it = events->rbegin(); it != events->rend(); ++it) {
          std::optional<std::string> decision = engine::EventDecisionJson(it->data);
          if (!decision) continue;
          std::string body;
          JsonWriter w(&body);
          w.BeginObject().Field("order_id", id).Field("decided_at", FormatRfc3339(it->at));
          w.Field("event", it->kind).Field("seq", static_cast<int64_t>(it->seq));
          w.Key("decision").Raw(*decision);
          w.EndObject();
          return Json(200, std::move(body));
        }
        return Problem(Status::NotFound("no_plan", "order '" + id + "' was not routed by the network (no stock "
                                                   "line, or sourced by stock alone: no node or destination in a "
                                                   "known region)"));
      };
      if (who.node.empty()) return done(plan());
      return Query(
          [tenant, id = p[0], visible, not_found, plan](const engine::Engine& e, const engine::Outcome&) {
            const std::optional<engine::OrderView> o = e.FindOrder(tenant, id);
            return o && visible(*o) ? plan() : not_found(id);
          },
          std::move(done));
    }
    case 24:  // POST /v1/orders/{id}/reroute
      return SubmitCommand(record(codec::kReroute, p[0], req.body), order_reply(200, p[0]), std::move(done), entry(),
                           order_doc(p[0]), scope(p[0]));
    case 25:    // GET /v1/routing/network
    case 26:    // PUT /v1/routing/lanes
    case 27:    // PUT /v1/routing/policy
    case 28: {  // POST /v1/routing/disruptions
      auto network = [tenant](const engine::Engine& e, const engine::Outcome& out) {
        if (!out.status.ok()) return Problem(out.status);
        auto json = e.NetworkJson(tenant);
        if (!json.ok()) return Problem(json.status());
        return Json(200, std::move(*json));
      };
      if (route == 25) return Query(network, std::move(done));
      writer::Describe describe = [tenant](const engine::Engine& e) {
        auto json = e.NetworkJson(tenant);
        return json.ok() ? std::move(*json) : std::string();
      };
      const char* kind = route == 26 ? codec::kPutLanes : route == 27 ? codec::kPutPolicy : codec::kDisruption;
      return SubmitCommand(record(kind, "", req.body), network, std::move(done), entry(), std::move(describe));
    }
    case 29:    // POST /v1/routing/replan
    case 30: {  // GET /v1/routing/replan: the last report
      auto report = [tenant](const engine::Engine& e, const engine::Outcome& out) {
        if (!out.status.ok()) return Problem(out.status);
        std::string r = e.LastReplan(tenant);
        if (r.empty()) return Problem(Status::NotFound("no_replan", "no re-plan has run since the hub started"));
        return Json(200, std::move(r));
      };
      if (route == 30) return Query(report, std::move(done));
      writer::Describe describe = [tenant](const engine::Engine& e) { return e.LastReplan(tenant); };
      return SubmitCommand(record(codec::kReplan, "", req.body), report, std::move(done), entry(), std::move(describe));
    }
    case 31:    // GET /v1/routing/backorders
    case 32: {  // GET /v1/nodes/{code}/queue[?limit=N]
      size_t limit = 100;
      const size_t qpos = req.target.find('?');
      const std::string_view qs = qpos == std::string::npos ? "" : std::string_view(req.target).substr(qpos + 1);
      if (!qs.empty()) {
        char* end = nullptr;
        const std::string v(qs.substr(qs.find('=') + 1));
        const long n = std::strtol(v.c_str(), &end, 10);
        if (route == 31 || qs.substr(0, 6) != "limit=" || v.empty() || *end != '\0' || n < 1 || n > 1000) {
          return done(ParameterProblem(qs.substr(0, qs.find('=')), "invalid_parameter",
                                       route == 31 ? "no parameters" : "the only parameter is limit=1..1000"));
        }
        limit = static_cast<size_t>(n);
      }
      // A partner sees only its own node's queue.
      if (route == 32 && !who.node.empty() && who.node != p[0]) {
        return done(Problem(Status::NotFound("unknown_node", "node '" + p[0] + "' does not exist")));
      }
      const Micros now = clock_->Now();
      // Backorders are placed at no node: a partner's view of them is empty.
      const bool partner = !who.node.empty();
      return Query(
          [tenant, node = route == 32 ? p[0] : std::string(), limit, now, partner](const engine::Engine& e,
                                                                                   const engine::Outcome&) {
            if (!node.empty() && e.FindNode(tenant, node) == nullptr) {
              return Problem(Status::NotFound("unknown_node", "node '" + node + "' does not exist"));
            }
            std::vector<engine::Engine::Queued> items;
            if (!node.empty()) {
              items = e.ReleaseQueue(tenant, node, now, limit);
            } else if (!partner) {
              items = e.Backorders(tenant, now);
            }
            std::string body;
            JsonWriter w(&body);
            w.BeginObject();
            if (!node.empty()) w.Field("node", node);
            w.Key("items").BeginArray();
            for (const engine::Engine::Queued& q : items) {
              const engine::OrderView o = e.OrderAt(q.order);
              w.BeginObject().Field("order_id", o.id()).Field("state", o.state());
              w.Key("priority").Double(q.priority);
              if (o.record().promise_at != 0) w.Field("promise_at", FormatRfc3339(o.record().promise_at));
              if (node.empty()) w.Field("waiting_since", FormatRfc3339(q.since));
              w.EndObject();
            }
            w.EndArray().EndObject();
            return Json(200, std::move(body));
          },
          std::move(done));
    }
    default:
      return done(Problem(Status::Internal("route not wired")));
  }
}

}  // namespace orderhub::api
