#include "codec/command_codec.h"

#include <openssl/evp.h>

#include <cstdlib>

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

// Bodies sealed before the journal took binary ones: "sealed:" and base64.
constexpr std::string_view kSealedTextPrefix = "sealed:";

Result<std::string> OpenTextBody(std::string_view body, const crypto::DataKeys& keys) {
  body.remove_prefix(kSealedTextPrefix.size());
  std::string raw(body.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size()));
  if (n < 0 || body.size() % 4 != 0) return Status::Corruption("a sealed journal body is not base64");
  const size_t pad = body.empty() ? 0 : (body.back() == '=') + (body.size() > 1 && body[body.size() - 2] == '=');
  raw.resize(static_cast<size_t>(n) - pad);
  return keys.Open(raw);
}

}  // namespace

std::string SealBody(std::string_view body, const crypto::DataKeys& keys) {
  std::string out(1, kSealedBody);
  out += keys.Seal(body);
  return out;
}

Result<engine::CommandBody> DecodeCommand(const store::JournalRecord& r, const crypto::DataKeys& keys) {
  const std::string_view kind = r.kind;
  if (kind == kCreateOrder) {
    // Sealed binary, sealed as "sealed:" and base64, or plain (journals from
    // before sealing): every form a journal holds replays.
    std::string opened;
    if (!r.body.empty() && r.body[0] == kSealedBody) {
      auto b = keys.Open(std::string_view(r.body).substr(1));
      if (!b.ok()) return b.status();
      opened = std::move(*b);
    } else if (std::string_view(r.body).substr(0, kSealedTextPrefix.size()) == kSealedTextPrefix) {
      auto b = OpenTextBody(r.body, keys);
      if (!b.ok()) return b.status();
      opened = std::move(*b);
    }
    const std::string& body = opened.empty() ? r.body : opened;
    auto c = ParseCreateOrder(body, r.tenant);
    if (!c.ok()) return c.status();
    c->order.id = r.target;
    c->idempotency_key = r.idempotency_key;
    // Priority inputs (docs/ROUTING.md "Priority"): a non-numeric boost counts as none.
    for (const auto& [key, value] : ScalarAttributes(c->order.attributes)) {
      if (key == "customer_tier") c->customer_tier = value;
      if (key == "priority_boost") {
        char* end = nullptr;
        const double boost = std::strtod(value.c_str(), &end);
        if (end != value.c_str() && *end == '\0' && boost >= -1e6 && boost <= 1e6) c->priority_boost = boost;
      }
    }
    if (!r.idempotency_key.empty()) c->request_hash = Sha256Hex(body);
    EncodeDetails(*c, keys);
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
  if (kind == kPutLanes) {
    auto lanes = routing::Network::ParseLinks(r.body, "lanes");
    if (!lanes.ok()) return lanes.status();
    return engine::CommandBody(engine::SetLanes{r.tenant, r.body, std::move(*lanes)});
  }
  if (kind == kPutPolicy) {
    auto policy = routing::Policy::Parse(r.body, "policy");
    if (!policy.ok()) return policy.status();
    return engine::CommandBody(engine::SetPolicy{r.tenant, r.body, std::move(*policy)});
  }
  if (kind == kDisruption) {
    auto c = ParseDisruption(r.body);
    if (!c.ok()) return c.status();
    c->tenant = r.tenant;
    return engine::CommandBody(std::move(*c));
  }
  if (kind == kReplan) {
    auto c = ParseReplan(r.body);
    if (!c.ok()) return c.status();
    c->tenant = r.tenant;
    c->actor = r.actor;
    return engine::CommandBody(std::move(*c));
  }
  if (kind == kReroute) {
    auto c = ParseReroute(r.body);
    if (!c.ok()) return c.status();
    c->tenant = r.tenant;
    c->order_id = r.target;
    c->actor = r.actor;
    return engine::CommandBody(std::move(*c));
  }
  return Status::InvalidArgument("unknown_kind", "unknown journal record kind '" + r.kind + "'", "");
}

}  // namespace orderhub::codec
