#include "codec/command_codec.h"

#include "codec/json_reader.h"
#include "codec/order_codec.h"
#include "codec/resource_codec.h"

namespace orderhub::codec {
namespace {

// Splits "sku/node" (codes never contain '/': ReadId and path parsing refuse it).
bool SplitStockTarget(const std::string& target, std::string* sku, std::string* node) {
  const size_t slash = target.find('/');
  if (slash == std::string::npos) return false;
  *sku = target.substr(0, slash);
  *node = target.substr(slash + 1);
  return !sku->empty() && !node->empty();
}

}  // namespace

Result<engine::CommandBody> DecodeCommand(const store::JournalRecord& r) {
  const std::string_view kind = r.kind;
  if (kind == kCreateOrder) {
    auto c = ParseCreateOrder(r.body, r.tenant);
    if (!c.ok()) return c.status();
    c->order.id = r.target;
    c->idempotency_key = r.idempotency_key;
    if (!r.idempotency_key.empty()) c->request_hash = Sha256Hex(r.body);
    return engine::CommandBody(std::move(*c));
  }
  if (kind == kFireEvent) {
    auto c = ParseFireEvent(r.body);
    if (!c.ok()) return c.status();
    c->tenant = r.tenant;
    c->order_id = r.target;
    c->actor = r.actor;
    return engine::CommandBody(std::move(*c));
  }
  if (kind == kTracking) {
    auto c = ParseTracking(r.body);
    if (!c.ok()) return c.status();
    c->tenant = r.tenant;
    c->order_id = r.target;
    c->actor = r.actor;
    return engine::CommandBody(std::move(*c));
  }
  if (kind == kPutNode) {
    auto n = ParseNode(r.body);
    if (!n.ok()) return n.status();
    n->tenant = r.tenant;
    n->code = r.target;
    return engine::CommandBody(engine::UpsertNode{std::move(*n)});
  }
  if (kind == kPutSku) {
    auto s = ParseSku(r.body);
    if (!s.ok()) return s.status();
    s->tenant = r.tenant;
    s->code = r.target;
    return engine::CommandBody(engine::UpsertSku{std::move(*s)});
  }
  if (kind == kSetStock || kind == kAdjustStock) {
    std::string sku, node;
    if (!SplitStockTarget(r.target, &sku, &node)) {
      return Status::InvalidArgument("invalid_target", "stock target must be sku/node", "");
    }
    if (kind == kSetStock) {
      auto c = ParseSetStock(r.body);
      if (!c.ok()) return c.status();
      c->tenant = r.tenant;
      c->sku = sku;
      c->node = node;
      return engine::CommandBody(std::move(*c));
    }
    auto c = ParseAdjustStock(r.body);
    if (!c.ok()) return c.status();
    c->tenant = r.tenant;
    c->sku = sku;
    c->node = node;
    return engine::CommandBody(std::move(*c));
  }
  if (kind == kExpire) return engine::CommandBody(engine::ExpireReservations{});
  return Status::InvalidArgument("unknown_kind", "unknown journal record kind '" + r.kind + "'", "");
}

}  // namespace orderhub::codec
