#include "engine/engine.h"

#include <algorithm>
#include <unordered_map>

#include "base/json_writer.h"

namespace orderhub::engine {

std::string JoinKey(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size() + 1);
  k.append(a).push_back('\x1f');
  k.append(b);
  return k;
}

std::string JoinKey(std::string_view a, std::string_view b, std::string_view c) {
  std::string k = JoinKey(a, b);
  k.push_back('\x1f');
  k.append(c);
  return k;
}

namespace {

std::string LinePointer(size_t i, const char* field) {
  return "/lines/" + std::to_string(i) + "/" + field;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Flags a node must be capable of to serve the order.
constexpr uint32_t kCapabilityFlags = model::kColdChain | model::kHazardous | model::kCrossBorder;

}  // namespace

Engine::Engine(const lifecycle::LifecycleSet* lifecycles) : lifecycles_(lifecycles) {}

Outcome Engine::Apply(const Command& cmd, Changes* ch) {
  return std::visit(
      [&](const auto& c) -> Outcome {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, CreateOrder>) return ApplyCreate(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, FireEvent>) return ApplyFire(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, AttachTracking>) return ApplyTracking(c, cmd.now, ch);
        if constexpr (std::is_same_v<T, UpsertNode>) return ApplyUpsertNode(c, ch);
        if constexpr (std::is_same_v<T, UpsertSku>) return ApplyUpsertSku(c, ch);
        if constexpr (std::is_same_v<T, SetStock>) return ApplySetStock(c, ch);
        if constexpr (std::is_same_v<T, AdjustStock>) return ApplyAdjustStock(c, ch);
        if constexpr (std::is_same_v<T, ExpireReservations>) return ApplyExpire(cmd.now, ch);
      },
      cmd.body);
}

// ---- readers ----------------------------------------------------------------

const model::Order* Engine::FindOrder(std::string_view tenant, std::string_view id) const {
  auto it = order_by_id_.find(std::string(id));
  if (it == order_by_id_.end() || orders_[it->second].tenant != tenant) return nullptr;
  return &orders_[it->second];
}

const model::Order* Engine::FindOrderById(std::string_view id) const {
  auto it = order_by_id_.find(std::string(id));
  return it == order_by_id_.end() ? nullptr : &orders_[it->second];
}

model::Order* Engine::MutableOrder(std::string_view tenant, std::string_view id) {
  return const_cast<model::Order*>(FindOrder(tenant, id));
}

const model::Node* Engine::FindNode(std::string_view tenant, std::string_view code) const {
  auto it = node_by_code_.find(JoinKey(tenant, code));
  return it == node_by_code_.end() ? nullptr : &nodes_[it->second];
}

const model::Sku* Engine::FindSku(std::string_view tenant, std::string_view code) const {
  auto it = sku_by_code_.find(JoinKey(tenant, code));
  return it == sku_by_code_.end() ? nullptr : &skus_[it->second].sku;
}

std::vector<std::pair<std::string, model::StockLevel>> Engine::StockOf(std::string_view tenant,
                                                                       std::string_view sku) const {
  std::vector<std::pair<std::string, model::StockLevel>> out;
  auto it = sku_by_code_.find(JoinKey(tenant, sku));
  if (it == sku_by_code_.end()) return out;
  for (model::NodeIndex n : pool_.NodesOf(it->second)) {
    out.emplace_back(nodes_[n].code, *pool_.Find(it->second, n));
  }
  return out;
}

const model::StockLevel* Engine::Stock(std::string_view tenant, std::string_view sku,
                                       std::string_view node) const {
  model::SkuIndex s;
  model::NodeIndex n;
  if (!ResolveSkuNode(tenant, sku, node, &s, &n).ok()) return nullptr;
  return pool_.Find(s, n);
}

std::vector<std::string> Engine::PausedChannels(const model::Sku& sku) const {
  std::vector<std::string> out;
  if (sku.channel_pause_below.empty()) return out;
  const int64_t available = pool_.AvailableEverywhere(sku_by_code_.at(JoinKey(sku.tenant, sku.code)));
  for (const auto& [channel, threshold] : sku.channel_pause_below) {
    if (available < threshold) out.push_back(channel);
  }
  return out;
}

std::string_view Engine::StateName(const model::Order& o) const {
  const lifecycle::Lifecycle* lc = lifecycles_->Find(o.order_type);
  return lc == nullptr ? std::string_view("unknown") : std::string_view(lc->state_name(o.state));
}

bool Engine::IsTerminal(const model::Order& o) const {
  const lifecycle::Lifecycle* lc = lifecycles_->Find(o.order_type);
  return lc != nullptr && lc->is_terminal(o.state);
}

// ---- orders -----------------------------------------------------------------

Status Engine::ResolveSkuNode(std::string_view tenant, std::string_view sku, std::string_view node,
                              model::SkuIndex* s, model::NodeIndex* n) const {
  auto si = sku_by_code_.find(JoinKey(tenant, sku));
  if (si == sku_by_code_.end()) {
    return Status::NotFound("unknown_sku", "sku '" + std::string(sku) + "' does not exist", "/sku");
  }
  auto ni = node_by_code_.find(JoinKey(tenant, node));
  if (ni == node_by_code_.end()) {
    return Status::NotFound("unknown_node", "node '" + std::string(node) + "' does not exist", "/node");
  }
  *s = si->second;
  *n = ni->second;
  return Status::OK();
}

Status Engine::PlanReservations(const std::string& tenant, std::vector<model::Line>& lines,
                                uint32_t flags) const {
  const uint32_t needed_caps = flags & kCapabilityFlags;
  auto node_can_serve = [&](model::NodeIndex n) {
    const model::Node& node = nodes_[n];
    return node.status != "down" && (node.capabilities & needed_caps) == needed_caps;
  };
  // Units this plan already takes per (sku, node), so that two lines of the
  // same sku are not both promised the same units.
  std::unordered_map<uint64_t, int64_t> taken;
  auto key = [](model::SkuIndex s, model::NodeIndex n) { return static_cast<uint64_t>(s) << 32 | n; };
  auto free_at = [&](model::SkuIndex s, model::NodeIndex n) {
    auto it = taken.find(key(s, n));
    return pool_.Available(s, n) - (it == taken.end() ? 0 : it->second);
  };

  std::vector<size_t> open;  // stock lines still without a node
  for (size_t i = 0; i < lines.size(); ++i) {
    model::Line& l = lines[i];
    if (l.sku_index == model::kNone) {
      auto it = sku_by_code_.find(JoinKey(tenant, l.sku));
      if (it == sku_by_code_.end()) {
        return Status::NotFound("unknown_sku", "sku '" + l.sku + "' does not exist", LinePointer(i, "sku"));
      }
      l.sku_index = it->second;
    }
    if (l.is_service || l.reserved > 0) continue;
    if (!l.node.empty() && l.node_index == model::kNone) {
      auto it = node_by_code_.find(JoinKey(tenant, l.node));
      if (it == node_by_code_.end()) {
        return Status::NotFound("unknown_node", "node '" + l.node + "' does not exist", LinePointer(i, "node"));
      }
      l.node_index = it->second;
    }
    if (l.node_index != model::kNone) {
      if (!node_can_serve(l.node_index)) {
        return Status::Conflict("node_unavailable",
                                "node '" + l.node + "' is down or lacks a capability the order needs",
                                LinePointer(i, "node"));
      }
      const int64_t avail = free_at(l.sku_index, l.node_index);
      if (avail < l.quantity) {
        return Status::Insufficient("insufficient_stock",
                                    "sku '" + l.sku + "' at node '" + l.node + "': requested " +
                                        std::to_string(l.quantity) + ", available " + std::to_string(avail),
                                    LinePointer(i, "quantity"));
      }
      taken[key(l.sku_index, l.node_index)] += l.quantity;
    } else {
      open.push_back(i);
    }
  }
  if (open.empty()) return Status::OK();

  // Prefer one node for every open line (one parcel); among those, the one
  // with the most stock of the first line's sku. Routing (issue 5) replaces
  // this default with a scored decision.
  model::NodeIndex best = model::kNone;
  int64_t best_avail = -1;
  for (model::NodeIndex n : pool_.NodesOf(lines[open[0]].sku_index)) {
    if (!node_can_serve(n)) continue;
    std::unordered_map<model::SkuIndex, int64_t> want;
    for (size_t i : open) want[lines[i].sku_index] += lines[i].quantity;
    bool fits = true;
    for (const auto& [s, q] : want) fits = fits && free_at(s, n) >= q;
    const int64_t a = free_at(lines[open[0]].sku_index, n);
    if (fits && a > best_avail) {
      best = n;
      best_avail = a;
    }
  }
  for (size_t i : open) {
    model::Line& l = lines[i];
    model::NodeIndex chosen = best;
    if (chosen == model::kNone) {
      int64_t most = -1;
      for (model::NodeIndex n : pool_.NodesOf(l.sku_index)) {
        const int64_t a = free_at(l.sku_index, n);
        if (node_can_serve(n) && a >= l.quantity && a > most) {
          chosen = n;
          most = a;
        }
      }
    }
    if (chosen == model::kNone) {
      int64_t avail = 0;
      for (model::NodeIndex n : pool_.NodesOf(l.sku_index)) {
        if (node_can_serve(n)) avail += std::max<int64_t>(0, free_at(l.sku_index, n));
      }
      return Status::Insufficient("insufficient_stock",
                                  "sku '" + l.sku + "': requested " + std::to_string(l.quantity) +
                                      ", at most " + std::to_string(avail) +
                                      " available at nodes able to serve the order, none with enough alone",
                                  LinePointer(i, "quantity"));
    }
    l.node_index = chosen;
    taken[key(l.sku_index, chosen)] += l.quantity;
  }
  return Status::OK();
}

Outcome Engine::ApplyCreate(const CreateOrder& c, Micros now, Changes* ch) {
  Outcome out;
  const model::Order& in = c.order;
  if (!c.idempotency_key.empty()) {
    auto it = idempotency_.find(JoinKey(in.tenant, c.idempotency_key));
    if (it != idempotency_.end()) {
      if (it->second.request_hash != c.request_hash) {
        out.status = Status::Conflict("idempotency_key_reused",
                                      "Idempotency-Key '" + c.idempotency_key +
                                          "' was used before with a different request body",
                                      "");
        return out;
      }
      out.order_id = orders_[it->second.order].id;
      out.replayed = true;
      return out;
    }
  }
  const std::string channel_key = JoinKey(in.tenant, in.channel, in.channel_order_id);
  if (auto it = order_by_channel_id_.find(channel_key); it != order_by_channel_id_.end()) {
    out.order_id = orders_[it->second].id;
    out.status = Status::AlreadyExists("duplicate_channel_order",
                                       "channel '" + in.channel + "' order '" + in.channel_order_id +
                                           "' exists already as order " + out.order_id,
                                       "/channel_order_id");
    return out;
  }
  const lifecycle::Lifecycle* lc = lifecycles_->Find(in.order_type);
  if (lc == nullptr) {
    std::string known;
    for (const std::string& t : lifecycles_->types()) known += (known.empty() ? "" : ", ") + t;
    out.status = Status::InvalidArgument("unknown_order_type",
                                         "order_type '" + in.order_type + "' is not one of: " + known,
                                         "/order_type");
    return out;
  }
  std::vector<model::Line> lines = in.lines;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto it = sku_by_code_.find(JoinKey(in.tenant, lines[i].sku));
    if (it == sku_by_code_.end()) {
      out.status = Status::NotFound("unknown_sku", "sku '" + lines[i].sku + "' does not exist",
                                    LinePointer(i, "sku"));
      return out;
    }
    lines[i].sku_index = it->second;
    const model::Sku& sku = skus_[it->second].sku;
    for (const auto& [channel, threshold] : sku.channel_pause_below) {
      if (channel == in.channel && pool_.AvailableEverywhere(it->second) < threshold) {
        out.status = Status::Conflict("channel_paused",
                                      "sku '" + sku.code + "' is paused for channel '" + channel +
                                          "': available stock is below its threshold of " +
                                          std::to_string(threshold),
                                      LinePointer(i, "sku"));
        return out;
      }
    }
  }
  if (Status st = PlanReservations(in.tenant, lines, in.flags); !st.ok()) {
    out.status = st;
    return out;
  }

  // Everything checked: mutate.
  const uint32_t idx = static_cast<uint32_t>(orders_.size());
  orders_.push_back(in);
  model::Order& o = orders_.back();
  o.lines = std::move(lines);
  o.created_at = o.updated_at = now;
  if (o.placed_at == 0) o.placed_at = now;
  o.state = lc->initial();
  o.held_from = o.state;
  for (model::Line& l : o.lines) {
    if (l.node_index == model::kNone) continue;
    pool_.Reserve(l.sku_index, l.node_index, l.quantity);
    l.reserved = l.quantity;
    l.node = nodes_[l.node_index].code;
    TouchStock(o, l, ch);
  }
  if (!o.paid && c.reservation_ttl > 0) {
    o.reserved_until = now + c.reservation_ttl;
    expiries_.emplace(o.reserved_until, idx);
  }
  order_by_id_.emplace(o.id, idx);
  order_by_channel_id_.emplace(channel_key, idx);
  if (!c.idempotency_key.empty()) {
    idempotency_.emplace(JoinKey(in.tenant, c.idempotency_key), IdempotencyEntry{c.request_hash, idx});
  }
  ++state_counts_[{o.order_type, std::string(lc->state_name(o.state))}];
  Record(o, now, "created", "create", o.state, o.state, "channel:" + o.channel, "", "", ch);
  Touch(o, ch);
  out.order_id = o.id;
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyFire(const FireEvent& c, Micros now, Changes* ch) {
  Outcome out;
  model::Order* o = MutableOrder(c.tenant, c.order_id);
  if (o == nullptr) {
    out.status = Status::NotFound("order_not_found", "order '" + c.order_id + "' does not exist", "");
    return out;
  }
  out.order_id = o->id;
  const lifecycle::Lifecycle* lc = lifecycles_->Find(o->order_type);
  const lifecycle::Transition* t = lc->Find(o->state, c.event);
  if (t == nullptr) {
    bool known = false;
    for (const lifecycle::Transition& x : lc->transitions()) known = known || x.event == c.event;
    if (!known) {
      out.status = Status::InvalidArgument(
          "unknown_event", "event '" + c.event + "' does not exist for order type '" + o->order_type + "'", "/event");
      return out;
    }
    std::string allowed;
    for (const std::string& e : lc->EventsFrom(o->state)) allowed += (allowed.empty() ? "" : ", ") + e;
    std::string msg = "cannot '" + c.event + "' an order in state '" + lc->state_name(o->state) + "'";
    if (c.event == "cancel" && !o->shipments.empty()) msg += "; after shipment, use a return";
    msg += allowed.empty() ? "; the state is final" : "; allowed events: " + allowed;
    out.status = Status::Conflict("illegal_transition", msg, "/event");
    return out;
  }
  if (!t->actors.empty() && c.actor != "admin" && !Contains(t->actors, c.actor)) {
    out.status = Status::PermissionDenied("role '" + c.actor + "' may not fire '" + c.event + "'");
    return out;
  }
  const auto has = [](const std::vector<std::string>& v, std::string_view s) { return Contains(v, s); };

  // Plan the effects that can fail before changing anything.
  std::vector<model::Line> planned;
  const bool reserve = has(t->effects, "reserve_stock");
  if (reserve) {
    planned = o->lines;
    if (Status st = PlanReservations(o->tenant, planned, o->flags); !st.ok()) {
      out.status = st;
      return out;
    }
  }
  for (const std::string& g : t->guards) {
    if (g == "stock_reserved") {
      const std::vector<model::Line>& ls = reserve ? planned : o->lines;
      for (size_t i = 0; i < ls.size(); ++i) {
        if (!ls[i].is_service && ls[i].reserved == 0 && ls[i].node_index == model::kNone) {
          out.status = Status::Conflict("guard_failed", "'" + c.event + "' needs stock reserved for every line",
                                        LinePointer(i, "quantity"));
          return out;
        }
      }
    } else if (g == "paid") {
      if (!o->paid && !has(t->effects, "mark_paid")) {
        out.status = Status::Conflict("guard_failed", "'" + c.event + "' needs the order to be paid", "/event");
        return out;
      }
    }
  }

  // Mutate.
  const uint16_t from = o->state;
  const uint16_t to = t->to_previous ? o->held_from : t->to;
  if (has(t->effects, "mark_paid")) o->paid = true;
  if (reserve) {
    for (size_t i = 0; i < planned.size(); ++i) {
      model::Line& l = o->lines[i];
      if (l.is_service || l.reserved > 0 || planned[i].node_index == model::kNone) continue;
      l.sku_index = planned[i].sku_index;
      l.node_index = planned[i].node_index;
      l.node = nodes_[l.node_index].code;
      pool_.Reserve(l.sku_index, l.node_index, l.quantity);
      l.reserved = l.quantity;
      TouchStock(*o, l, ch);
    }
  }
  std::string data;
  if (has(t->effects, "consume_stock")) {
    ConsumeStock(*o, ch);
    if (!c.carrier.empty() || !c.tracking_number.empty()) {
      JsonWriter w(&data);
      w.BeginObject().Field("carrier", c.carrier).Field("tracking_number", c.tracking_number).EndObject();
    }
    std::vector<std::string> shipped_from;
    for (const model::Line& l : o->lines) {
      if (!l.node.empty() && !Contains(shipped_from, l.node)) shipped_from.push_back(l.node);
    }
    for (const std::string& node : shipped_from) {
      o->shipments.push_back(model::Shipment{node, c.carrier, c.tracking_number, now});
    }
  }
  if (has(t->effects, "release_stock")) ReleaseStock(*o, ch);
  if (o->paid || has(t->effects, "release_stock") || has(t->effects, "consume_stock") || lc->is_terminal(to)) {
    if (o->reserved_until != 0) {
      expiries_.erase({o->reserved_until, order_by_id_.at(o->id)});
      o->reserved_until = 0;
    }
  }
  o->held_from = from;
  SetState(*o, to);
  o->updated_at = now;
  Record(*o, now, "transition", c.event, from, to, c.actor, c.reason, data, ch);
  Touch(*o, ch);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyTracking(const AttachTracking& c, Micros now, Changes* ch) {
  Outcome out;
  model::Order* o = MutableOrder(c.tenant, c.order_id);
  if (o == nullptr) {
    out.status = Status::NotFound("order_not_found", "order '" + c.order_id + "' does not exist", "");
    return out;
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Field("description", c.description).Field("location", c.location).EndObject();
  out.order_id = o->id;
  Record(*o, c.at != 0 ? c.at : now, "tracking", c.code, o->state, o->state, c.actor, "", data, ch);
  out.mutated = true;
  return out;
}

void Engine::ReleaseStock(model::Order& o, Changes* ch) {
  for (model::Line& l : o.lines) {
    if (l.reserved == 0) continue;
    pool_.Release(l.sku_index, l.node_index, l.reserved);
    l.reserved = 0;
    TouchStock(o, l, ch);
  }
}

void Engine::ConsumeStock(model::Order& o, Changes* ch) {
  for (model::Line& l : o.lines) {
    if (l.reserved == 0) continue;
    pool_.Consume(l.sku_index, l.node_index, l.reserved);
    l.shipped += l.reserved;
    l.reserved = 0;
    TouchStock(o, l, ch);
  }
}

void Engine::SetState(model::Order& o, uint16_t to) {
  if (o.state == to) return;
  const lifecycle::Lifecycle* lc = lifecycles_->Find(o.order_type);
  --state_counts_[{o.order_type, lc->state_name(o.state)}];
  ++state_counts_[{o.order_type, lc->state_name(to)}];
  o.state = to;
}

void Engine::Record(model::Order& o, Micros at, std::string kind, std::string event, uint16_t from, uint16_t to,
                    std::string actor, std::string reason, std::string data, Changes* ch) {
  ++o.event_count;
  if (ch == nullptr) return;
  const lifecycle::Lifecycle* lc = lifecycles_->Find(o.order_type);
  ch->events.push_back(model::OrderEvent{o.id, o.event_count, at, std::move(kind), std::move(event),
                                         lc->state_name(from), lc->state_name(to), std::move(actor),
                                         std::move(reason), std::move(data)});
}

void Engine::Touch(const model::Order& o, Changes* ch) const {
  if (ch != nullptr) ch->order_ids.push_back(o.id);
}

void Engine::TouchStock(const model::Order& o, const model::Line& l, Changes* ch) const {
  if (ch != nullptr) ch->stock.push_back(StockKey{o.tenant, l.sku, nodes_[l.node_index].code});
}

Outcome Engine::ApplyExpire(Micros now, Changes* ch) {
  Outcome out;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const uint32_t idx = expiries_.begin()->second;
    expiries_.erase(expiries_.begin());
    model::Order& o = orders_[idx];
    o.reserved_until = 0;
    const lifecycle::Lifecycle* lc = lifecycles_->Find(o.order_type);
    ReleaseStock(o, ch);
    const uint16_t from = o.state;
    if (const lifecycle::Transition* t = lc->Find(o.state, "cancel"); t != nullptr && !t->to_previous) {
      SetState(o, t->to);
    }
    o.updated_at = now;
    Record(o, now, "expired", "cancel", from, o.state, "system", "reservation_expired", "", ch);
    Touch(o, ch);
    out.mutated = true;
  }
  return out;
}

// ---- catalog and stock ------------------------------------------------------

Outcome Engine::ApplyUpsertNode(const UpsertNode& c, Changes* ch) {
  Outcome out;
  const std::string key = JoinKey(c.node.tenant, c.node.code);
  auto [it, inserted] = node_by_code_.try_emplace(key, static_cast<model::NodeIndex>(nodes_.size()));
  if (inserted) {
    nodes_.push_back(c.node);
  } else {
    nodes_[it->second] = c.node;
  }
  if (ch != nullptr) ch->node_codes.push_back(key);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyUpsertSku(const UpsertSku& c, Changes* ch) {
  Outcome out;
  const std::string key = JoinKey(c.sku.tenant, c.sku.code);
  auto [it, inserted] = sku_by_code_.try_emplace(key, static_cast<model::SkuIndex>(skus_.size()));
  if (inserted) {
    skus_.push_back(SkuEntry{c.sku});
  } else {
    skus_[it->second].sku = c.sku;
  }
  if (ch != nullptr) ch->sku_codes.push_back(key);
  out.mutated = true;
  return out;
}

Outcome Engine::ApplySetStock(const SetStock& c, Changes* ch) {
  Outcome out;
  model::SkuIndex s;
  model::NodeIndex n;
  if (out.status = ResolveSkuNode(c.tenant, c.sku, c.node, &s, &n); !out.status.ok()) return out;
  const model::StockLevel* cur = pool_.Find(s, n);
  const int64_t on_hand = c.on_hand.value_or(cur == nullptr ? 0 : cur->on_hand);
  const int64_t safety = c.safety.value_or(cur == nullptr ? 0 : cur->safety);
  if (out.status = pool_.CheckSet(s, n, on_hand, safety); !out.status.ok()) return out;
  pool_.Set(s, n, on_hand, safety);
  if (ch != nullptr) ch->stock.push_back(StockKey{c.tenant, c.sku, c.node});
  out.mutated = true;
  return out;
}

Outcome Engine::ApplyAdjustStock(const AdjustStock& c, Changes* ch) {
  Outcome out;
  model::SkuIndex s;
  model::NodeIndex n;
  if (out.status = ResolveSkuNode(c.tenant, c.sku, c.node, &s, &n); !out.status.ok()) return out;
  if (out.status = pool_.CheckAdjust(s, n, c.delta); !out.status.ok()) return out;
  pool_.Adjust(s, n, c.delta);
  if (ch != nullptr) ch->stock.push_back(StockKey{c.tenant, c.sku, c.node});
  out.mutated = true;
  return out;
}

}  // namespace orderhub::engine
