// Builders shared by the tests: an engine with the shipped lifecycles and a
// small network, and orders with sensible defaults.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "lifecycle/lifecycle.h"
#include "store/store.h"

namespace orderhub::testing {

inline constexpr Micros kT0 = 1'800'000'000'000'000;  // 2027-01-15, any fixed time will do

inline lifecycle::LifecycleSet ShippedLifecycles() {
  auto set = lifecycle::LifecycleSet::LoadDirectory(std::string(OH_SOURCE_DIR) + "/config/lifecycles");
  if (!set.ok()) std::abort();
  return std::move(*set);
}

inline engine::Command At(Micros now, engine::CommandBody body) { return engine::Command{now, std::move(body)}; }

inline engine::UpsertNode Node(std::string code, std::string tenant = "t1", uint32_t caps = 0) {
  model::Node n;
  n.code = std::move(code);
  n.tenant = std::move(tenant);
  n.name = n.code;
  n.region_code = "310100";
  n.capabilities = caps;
  return engine::UpsertNode{n};
}

inline engine::UpsertSku Sku(std::string code, std::string tenant = "t1") {
  model::Sku s;
  s.code = std::move(code);
  s.tenant = std::move(tenant);
  s.name = s.code;
  return engine::UpsertSku{s};
}

inline engine::SetStock Stock(std::string sku, std::string node, int64_t on_hand, std::string tenant = "t1") {
  engine::SetStock s;
  s.tenant = std::move(tenant);
  s.sku = std::move(sku);
  s.node = std::move(node);
  s.on_hand = on_hand;
  s.reason = "test";
  return s;
}

// Stock moved by `delta` units (a receipt when positive).
inline engine::AdjustStock Adjust(std::string sku, std::string node, int64_t delta, std::string reason,
                                  std::string tenant = "t1") {
  engine::AdjustStock a;
  a.tenant = std::move(tenant);
  a.sku = std::move(sku);
  a.node = std::move(node);
  a.delta = delta;
  a.reason = std::move(reason);
  return a;
}

struct LineSpec {
  std::string sku;
  int32_t quantity;
  std::string node = "";
};

inline engine::CreateOrder Order(std::string id, std::string channel_order_id, std::vector<LineSpec> lines,
                                 bool paid = true, std::string tenant = "t1") {
  engine::CreateOrder c;
  model::Order& o = c.order;
  o.id = std::move(id);
  o.tenant = std::move(tenant);
  o.channel = "tmall";
  o.channel_order_id = std::move(channel_order_id);
  o.customer_id = "C1";
  std::memcpy(o.currency.data(), "CNY", 4);
  o.paid = paid;
  o.ship_to.region_code = "310115";
  for (LineSpec& l : lines) {
    model::Line line;
    line.sku = l.sku;
    line.quantity = l.quantity;
    line.unit_price = 1000;
    line.node = l.node;
    o.lines.push_back(std::move(line));
  }
  return c;
}

inline engine::FireEvent Fire(std::string order_id, std::string event, std::string actor = "admin",
                              std::string tenant = "t1") {
  engine::FireEvent f;
  f.tenant = std::move(tenant);
  f.order_id = std::move(order_id);
  f.event = std::move(event);
  f.actor = std::move(actor);
  return f;
}

// A batch of `n` journal records numbered from `from`, each about an order's
// size; a record's body is one letter repeated, which its number decides.
inline store::Batch JournalBatch(int n, int64_t from, size_t body_bytes = 400) {
  store::Batch b;
  for (int i = 0; i < n; ++i) {
    store::JournalRecord r;
    r.at = kT0 + from + i;
    r.tenant = "t1";
    r.kind = "create_order";
    r.target = "O" + std::to_string(from + i);
    r.body = std::string(body_bytes, static_cast<char>('a' + (from + i) % 26));
    b.journal.push_back(std::move(r));
  }
  return b;
}

}  // namespace orderhub::testing
