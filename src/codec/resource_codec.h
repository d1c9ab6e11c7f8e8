// Wire formats of everything but orders: lifecycle events, tracking events,
// nodes, skus and stock. Same rules as the order codec: strict fields, the
// offending field named in every error.
#pragma once

#include <string>
#include <string_view>

#include "base/json_writer.h"
#include "base/status.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "model/order.h"

namespace orderhub::codec {

// POST /v1/orders/{id}/events   {"event":"ship","reason":"…","carrier":"SF","tracking_number":"…"}
Result<engine::FireEvent> ParseFireEvent(std::string_view body);
// POST /v1/orders/{id}/cancel {"reason":"…"} (body optional): the reason.
Result<std::string> ParseCancel(std::string_view body);
// POST /v1/orders/{id}/tracking {"at":"…","code":"loaded","description":"…","location":"…"}
Result<engine::AttachTracking> ParseTracking(std::string_view body);
// PUT /v1/nodes/{code}
Result<model::Node> ParseNode(std::string_view body);
// PUT /v1/skus/{code}
Result<model::Sku> ParseSku(std::string_view body);
// PUT /v1/inventory/{sku}/{node}  {"on_hand":10,"safety_stock":2,"reason":"count"}
Result<engine::SetStock> ParseSetStock(std::string_view body);
// POST /v1/inventory/{sku}/{node}/adjustments {"delta":-2,"reason":"damaged"}
Result<engine::AdjustStock> ParseAdjustStock(std::string_view body);

// POST /v1/routing/disruptions  {"close":"44","reason":"rainstorm"} or {"reopen":"G4"}
Result<engine::Disrupt> ParseDisruption(std::string_view body);
// POST /v1/orders/{id}/reroute  {"pin_node":"SH-DC","forbid_nodes":["GZ-3PL"],"clear_overrides":false,"reason":"…"}
// (body optional: route again as things are now)
Result<engine::Reroute> ParseReroute(std::string_view body);
// POST /v1/routing/replan  {"scope":"changed"|"all"|"broken","reason":"…"} (body optional: changed)
Result<engine::Replan> ParseReplan(std::string_view body);
// POST /v1/quote  {"region_code":"310115","lines":[{"sku":"A","quantity":2}],"promise_at":"…","flags":["cold_chain"]}
Result<engine::Engine::QuoteRequest> ParseQuote(std::string_view body);

// POST /v1/exports: why, and whether personal fields come unmasked.
struct ExportRequest {
  std::string reason;
  bool unmask = false;
};
Result<ExportRequest> ParseExportRequest(std::string_view body);

// POST /v1/sessions: a console user signing in.
struct SignIn {
  std::string tenant, user, password;
};
Result<SignIn> ParseSignIn(std::string_view body);

void WriteNode(const model::Node& n, JsonWriter& w);
void WriteSku(const model::Sku& s, JsonWriter& w);
void WriteStock(std::string_view sku, std::string_view node, const model::StockLevel& l, JsonWriter& w);
void WriteEvent(const model::OrderEvent& e, JsonWriter& w);

}  // namespace orderhub::codec
