// Bulk exports with a second person's approval.
//
//   POST /v1/exports?<order filters>   {"reason": …, "unmask": false}  -> pending
//   POST /v1/exports/{id}/approve      by another key with export.approve -> approved, for an hour
//   GET  /v1/exports/{id}/download     the requester, once, within the hour -> NDJSON of the orders
//
// The workflow lives in the store: each step is one conditional UPDATE, so
// two approvals or two downloads racing cannot both win, and every step is
// audited before it is answered. The rows are the orders matching the
// filter when the download happens, masked unless the export asked for
// unmasked data (which needs pii.unmask when requested).
#include "api/problem.h"
#include "api/router.h"
#include "base/json_writer.h"
#include "codec/order_codec.h"
#include "codec/resource_codec.h"

namespace orderhub::api {
namespace {

using writer::Reply;

constexpr Micros kDownloadWindow = 3600 * kMicrosPerSecond;
constexpr int kMaxExportRows = 10'000;

void TimeOrNull(JsonWriter& w, std::string_view key, Micros t) {
  w.Key(key);
  if (t == 0) {
    w.Null();
  } else {
    w.String(FormatRfc3339(t));
  }
}

void WriteExport(const store::Export& e, JsonWriter& w) {
  w.BeginObject().Field("id", e.id).Field("status", e.status).Field("filter", e.filter);
  w.Field("unmask", e.unmask).Field("reason", e.reason).Field("requested_by", e.requested_by);
  TimeOrNull(w, "requested_at", e.requested_at);
  w.Key("approved_by");
  if (e.approved_by.empty()) {
    w.Null();
  } else {
    w.String(e.approved_by);
  }
  TimeOrNull(w, "approved_at", e.approved_at);
  TimeOrNull(w, "expires_at", e.expires_at);
  TimeOrNull(w, "downloaded_at", e.downloaded_at);
  w.EndObject();
}

Reply Doc(int status, const store::Export& e) {
  Reply r;
  r.status = status;
  JsonWriter w(&r.body);
  WriteExport(e, w);
  return r;
}

writer::Render Answer(Reply r) {
  return [r = std::move(r)](const engine::Engine&, const engine::Outcome&) { return r; };
}

Reply NotFound(const std::string& id) {
  return Problem(Status::NotFound("export_not_found", "export '" + id + "' does not exist"));
}

Reply Gone(std::string reason, std::string message) {
  Reply r = Problem(Status::Conflict(std::move(reason), std::move(message)));
  r.status = 410;
  return r;
}

}  // namespace

void Router::Exports(const Request& req, size_t which, const std::vector<std::string>& p, const Principal& who,
                     writer::Done done) {
  const Micros now = clock_->Now();
  const std::string action = which == 0   ? "POST /v1/exports"
                             : which == 1 ? "GET /v1/exports"
                             : which == 2 ? "GET /v1/exports/{id}"
                             : which == 3 ? "POST /v1/exports/{id}/approve"
                                          : "GET /v1/exports/{id}/download";
  switch (which) {
    case 0: {  // request
      const size_t q = req.target.find('?');
      const std::string filter = q == std::string::npos ? "" : req.target.substr(q + 1);
      engine::OrderFilter check;
      if (auto bad = ParseOrderFilter(filter, /*paging=*/false, &check)) return done(std::move(*bad));
      auto in = codec::ParseExportRequest(req.body);
      if (!in.ok()) return done(Problem(in.status()));
      if (in->unmask && !access::Allows(who.role, access::Permission::kPiiUnmask)) {
        return done(Problem(Status::PermissionDenied("role '" + std::string(access::RoleName(who.role)) +
                                                     "' lacks the permission 'pii.unmask' an unmasked export needs")));
      }
      store::Export e;
      e.id = writer_->NewOrderId();
      e.tenant = who.tenant;
      e.requested_by = who.key_id;
      e.filter = filter;
      e.unmask = in->unmask;
      e.reason = in->reason;
      e.status = "pending";
      e.requested_at = now;
      if (Status st = store_->PutExport(e); !st.ok()) return done(Problem(st));
      store::AuditEntry a = AuditEntryFor(req, action, who);
      a.target = "/v1/exports/" + e.id;
      a.detail = "reason: " + e.reason + (e.unmask ? " (unmasked)" : "");
      return Audited(std::move(a), Answer(Doc(201, e)), std::move(done));
    }
    case 1: {  // list
      auto all = store_->ListExports(who.tenant);
      if (!all.ok()) return done(Problem(all.status()));
      Reply r;
      JsonWriter w(&r.body);
      w.BeginObject().Key("items").BeginArray();
      for (const store::Export& e : *all) WriteExport(e, w);
      w.EndArray().EndObject();
      return done(std::move(r));
    }
    case 2: {  // one
      auto e = store_->GetExport(who.tenant, p[0]);
      if (!e.ok()) return done(Problem(e.status()));
      return done(e->has_value() ? Doc(200, **e) : NotFound(p[0]));
    }
    case 3: {  // approve
      auto won = store_->ApproveExport(who.tenant, p[0], who.key_id, now, now + kDownloadWindow);
      if (!won.ok()) return done(Problem(won.status()));
      auto e = store_->GetExport(who.tenant, p[0]);
      if (!e.ok()) return done(Problem(e.status()));
      if (!e->has_value()) return done(NotFound(p[0]));
      Reply r;
      if (*won) {
        r = Doc(200, **e);
      } else if ((*e)->requested_by == who.key_id) {
        r = Problem(Status::Conflict("second_person_required", "an export is approved by someone other than its requester"));
      } else {
        r = Problem(Status::Conflict("not_pending", "export '" + p[0] + "' is " + (*e)->status + ", not pending"));
      }
      return Audited(AuditEntryFor(req, action, who), Answer(std::move(r)), std::move(done));
    }
    default: {  // download
      auto won = store_->ClaimExportDownload(who.tenant, p[0], who.key_id, now);
      if (!won.ok()) return done(Problem(won.status()));
      auto e = store_->GetExport(who.tenant, p[0]);
      if (!e.ok()) return done(Problem(e.status()));
      if (!e->has_value()) return done(NotFound(p[0]));
      const store::Export ex = **e;
      store::AuditEntry a = AuditEntryFor(req, action, who);
      if (!*won) {
        Reply r = ex.requested_by != who.key_id
                      ? Problem(Status::PermissionDenied("only the requester of an export downloads it"))
                  : ex.status == "pending"    ? Problem(Status::Conflict("not_approved", "the export awaits approval"))
                  : ex.status == "downloaded" ? Gone("already_downloaded", "an export is downloaded once")
                                              : Gone("export_expired", "the export expired at " + FormatRfc3339(ex.expires_at));
        return Audited(std::move(a), Answer(std::move(r)), std::move(done));
      }
      engine::OrderFilter q;
      ParseOrderFilter(ex.filter, /*paging=*/false, &q);  // valid: checked when requested
      q.tenant = who.tenant;
      q.node = who.node;
      q.limit = kMaxExportRows;
      a.detail = ex.unmask ? "unmasked" : "masked";
      // The rows are rendered on the writer thread, after the audit entry
      // is part of the batch: the file exists only once it is recorded.
      return Audited(
          std::move(a),
          [q = std::move(q), unmask = ex.unmask, keys = data_keys_](const engine::Engine& eng, const engine::Outcome&) {
            const engine::OrderMatches m = eng.FindOrders(q, 1'000'000);
            Reply r;
            r.content_type = "application/x-ndjson";
            for (uint32_t i : m.orders) {
              const engine::OrderView o = eng.OrderAt(i);
              JsonWriter w(&r.body);
              if (unmask) {
                auto raw = codec::OpenPersonal(o, *keys);
                if (!raw.ok()) return Problem(raw.status());
                codec::WriteOrder(o, w, &*raw);
              } else {
                codec::WriteOrder(o, w);
              }
              r.body.push_back('\n');
            }
            if (!m.next_cursor.empty()) {
              r.headers.emplace_back("X-Export-Truncated", "more than " + std::to_string(kMaxExportRows) + " orders");
            }
            return r;
          },
          std::move(done));
    }
  }
}

}  // namespace orderhub::api
