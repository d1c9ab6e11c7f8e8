// Engine snapshots: the state after journal record N, so that a restart
// loads it and replays only the records after N (app/snapshot_file.cc adds
// the file framing, the journal position and a checksum).
//
// Layout, all integers little-endian, strings as u32 length + bytes:
//   lifecycle fingerprint: types, each with its state names (state ids in
//     records mean nothing under other lifecycles)
//   names: tenants, channels
//   nodes, skus, stock levels per sku in first-seen node order
//   orders: fixed fields + OrderBlock bytes (position-independent, 8-aligned
//     from the start so that a loader can borrow them in place)
//   shipments, idempotency keys
//   search postings by tenant, sku and customer, the greatest order id
//   routing: the day's node loads, per tenant its last re-plan's report, its
//     lanes and policy (source text, parsed again on load) and closures,
//     per-order overrides, and
//     the cost and priority of each open order's plan, the backorders
// Expiries, state counts and hash indexes are derived, not stored.
#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/engine.h"

namespace orderhub::engine {
namespace {

class Out {
 public:
  explicit Out(const std::function<void(std::string_view)>& sink) : sink_(sink) { buf_.reserve(kFlushAt + 4096); }
  ~Out() { Flush(); }
  template <typename T>
  void Pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
    MaybeFlush();
  }
  void Str(std::string_view s) {
    Pod(static_cast<uint32_t>(s.size()));
    buf_.append(s);
    MaybeFlush();
  }
  // A string whose bytes start 8-aligned from the start of the output, so
  // that a loader can use them in place.
  void Aligned(std::string_view s) {
    Pod(static_cast<uint32_t>(s.size()));
    buf_.append((8 - (flushed_ + buf_.size()) % 8) % 8, '\0');
    buf_.append(s);
    MaybeFlush();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  void MaybeFlush() {
    if (buf_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (!buf_.empty()) sink_(buf_);
    flushed_ += buf_.size();
    buf_.clear();
  }
  const std::function<void(std::string_view)>& sink_;
  std::string buf_;
  size_t flushed_ = 0;
};

class In {
 public:
  explicit In(std::string_view in) : start_(in.data()), in_(in) {}
  template <typename T>
  bool Pod(T* v) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool Str(std::string_view* s) {
    uint32_t n;
    if (!Pod(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Str(std::string* s) {
    std::string_view v;
    if (!Str(&v)) return false;
    s->assign(v);
    return true;
  }
  bool Aligned(std::string_view* s) {
    uint32_t n;
    if (!Pod(&n)) return false;
    const size_t pad = (8 - static_cast<size_t>(in_.data() - start_) % 8) % 8;
    if (pad + n > in_.size()) return false;
    *s = in_.substr(pad, n);
    in_.remove_prefix(pad + n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  const char* start_;
  std::string_view in_;
};

Status Bad(const char* what) { return Status::Corruption(std::string("snapshot: ") + what); }

}  // namespace

void Engine::Save(const std::function<void(std::string_view)>& sink) const {
  Out out(sink);
  out.Pod(static_cast<uint32_t>(types_.size()));
  for (size_t t = 0; t < types_.size(); ++t) {
    out.Str(type_names_[t]);
    out.Pod(static_cast<uint32_t>(types_[t]->state_count()));
    for (size_t s = 0; s < types_[t]->state_count(); ++s) {
      out.Str(types_[t]->state_name(static_cast<lifecycle::StateId>(s)));
    }
  }
  for (const Names* names : {&tenants_, &channels_}) {
    out.Pod(static_cast<uint32_t>(names->size()));
    for (NameId i = 0; i < names->size(); ++i) out.Str(names->Name(i));
  }
  out.Pod(static_cast<uint32_t>(nodes_.size()));
  for (const model::Node& n : nodes_) {
    for (const std::string* s : {&n.code, &n.tenant, &n.name, &n.type, &n.region_code, &n.status}) out.Str(*s);
    out.Pod(n.lat);
    out.Pod(n.lng);
    out.Pod(n.capabilities);
    for (int64_t v : {n.capacity_orders, n.capacity_lines, n.cost_per_order, n.cost_per_line}) out.Pod(v);
    out.Pod(n.cutoff_minute);
    out.Pod(n.on_time_rate);
  }
  out.Pod(static_cast<uint32_t>(skus_.size()));
  for (size_t i = 0; i < skus_.size(); ++i) {
    const model::Sku& s = skus_[i];
    out.Str(s.code);
    out.Str(s.tenant);
    out.Str(s.name);
    out.Pod(s.weight_g);
    out.Pod(static_cast<uint32_t>(s.channel_pause_below.size()));
    for (const auto& [channel, threshold] : s.channel_pause_below) {
      out.Str(channel);
      out.Pod(threshold);
    }
    const auto& nodes = pool_.NodesOf(static_cast<model::SkuIndex>(i));
    out.Pod(static_cast<uint32_t>(nodes.size()));
    for (model::NodeIndex n : nodes) {
      out.Pod(n);
      out.Pod(*pool_.Find(static_cast<model::SkuIndex>(i), n));
    }
  }
  out.Pod(static_cast<uint64_t>(orders_.size()));
  for (const OrderRecord& o : orders_) {
    out.Str(o.id.view());
    out.Pod(o.paid);
    out.Pod(o.type);
    out.Pod(o.state);
    out.Pod(o.held_from);
    out.Pod(o.tenant);
    out.Pod(o.channel);
    out.Pod(o.flags);
    out.Pod(o.event_count);
    out.Pod(o.placed_at);
    out.Pod(o.created_at);
    out.Pod(o.updated_at);
    out.Pod(o.reserved_until);
    out.Pod(o.promise_at);
    out.Pod(o.region);
    out.Aligned(o.block.bytes());
  }
  out.Pod(static_cast<uint64_t>(shipments_.size()));
  for (const auto& [idx, list] : shipments_) {
    out.Pod(idx);
    out.Pod(static_cast<uint32_t>(list.size()));
    for (const model::Shipment& s : list) {
      out.Str(s.node);
      out.Str(s.carrier);
      out.Str(s.tracking_number);
      out.Pod(s.shipped_at);
    }
  }
  // Oldest first, the order expiry drops them in.
  out.Pod(static_cast<uint64_t>(idempotency_.size()));
  for (const std::string& key : idempotency_fifo_) {
    const IdempotencyEntry& entry = idempotency_.at(key);
    out.Str(key);
    out.Str(entry.request_hash);
    out.Pod(entry.order);
    out.Pod(entry.at);
  }
  // Postings: copied on load rather than rebuilt order by order (which costs
  // a cache miss per line). Customers sorted, so equal states give equal bytes.
  auto postings = [&](const auto& v) {
    out.Str(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(uint32_t)));
  };
  out.Pod(static_cast<uint32_t>(orders_by_tenant_.size()));
  for (const auto& v : orders_by_tenant_) postings(v);
  out.Pod(static_cast<uint32_t>(orders_by_sku_.size()));
  for (const auto& v : orders_by_sku_) postings(v);
  out.Pod(static_cast<uint32_t>(orders_by_customer_.size()));
  for (const Postings& by_customer : orders_by_customer_) {
    std::vector<const Postings::value_type*> sorted;
    sorted.reserve(by_customer.size());
    for (const auto& entry : by_customer) sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    out.Pod(static_cast<uint64_t>(sorted.size()));
    for (const auto* entry : sorted) {
      out.Str(entry->first);
      postings(entry->second);
    }
  }
  out.Str(max_id_.view());
  // Routing: node loads of the day, each tenant's sources, overrides.
  out.Pod(load_day_);
  for (const auto& [orders, lines] : node_load_) {
    out.Pod(orders);
    out.Pod(lines);
  }
  out.Pod(static_cast<uint32_t>(routing_.size()));
  for (NameId t = 0; t < routing_.size(); ++t) {
    const auto& r = routing_[t];
    out.Pod(static_cast<uint8_t>(r != nullptr));
    if (r == nullptr) continue;
    out.Str(t < last_replan_.size() ? std::string_view(last_replan_[t]) : std::string_view());
    out.Str(r->lanes_text());
    out.Str(r->policy_text());
    out.Pod(static_cast<uint32_t>(r->closed().size()));
    for (const std::string& c : r->closed()) out.Str(c);
  }
  std::vector<uint32_t> overridden;
  for (const auto& [idx, ov] : overrides_) overridden.push_back(idx);
  std::sort(overridden.begin(), overridden.end());
  out.Pod(static_cast<uint64_t>(overridden.size()));
  for (uint32_t idx : overridden) {
    const RoutingOverride& ov = overrides_.at(idx);
    out.Pod(idx);
    out.Pod(ov.pinned);
    out.Pod(static_cast<uint32_t>(ov.forbidden.size()));
    for (model::NodeIndex n : ov.forbidden) out.Pod(n);
  }
  std::vector<uint32_t> open;
  for (const auto& [idx, plan] : open_plans_) open.push_back(idx);
  std::sort(open.begin(), open.end());
  out.Pod(static_cast<uint64_t>(open.size()));
  for (uint32_t idx : open) {
    out.Pod(idx);
    out.Pod(open_plans_.at(idx).cost);
    out.Pod(open_plans_.at(idx).p_on_time);
    out.Pod(open_plans_.at(idx).decided);
    out.Pod(open_plans_.at(idx).priority);
  }
  std::vector<uint32_t> waiting;
  for (const auto& [idx, w] : backorders_) waiting.push_back(idx);
  std::sort(waiting.begin(), waiting.end());
  out.Pod(static_cast<uint64_t>(waiting.size()));
  for (uint32_t idx : waiting) {
    out.Pod(idx);
    out.Pod(backorders_.at(idx).priority);
    out.Pod(backorders_.at(idx).since);
  }
  out.Pod(route_seq_);
  for (const std::vector<uint64_t>* v : {&sku_better_, &tenant_better_}) {
    out.Str(std::string_view(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(uint64_t)));
  }
}

Status Engine::Load(std::string_view bytes, std::shared_ptr<const void> backing) {
  if (!orders_.empty() || !nodes_.empty() || !skus_.empty()) return Status::Internal("Load needs a fresh engine");
  In in(bytes);
  const bool borrow = backing != nullptr;
  backing_ = std::move(backing);
  uint32_t n;
  if (!in.Pod(&n) || n != types_.size()) return Bad("written under other lifecycles (order types differ)");
  for (size_t t = 0; t < types_.size(); ++t) {
    std::string_view name;
    uint32_t states;
    if (!in.Str(&name) || name != type_names_[t] || !in.Pod(&states) || states != types_[t]->state_count()) {
      return Bad("written under other lifecycles (order types or states differ)");
    }
    for (uint32_t s = 0; s < states; ++s) {
      if (!in.Str(&name) || name != types_[t]->state_name(static_cast<lifecycle::StateId>(s))) {
        return Bad("written under other lifecycles (state names differ)");
      }
    }
  }
  for (Names* names : {&tenants_, &channels_}) {
    if (!in.Pod(&n)) return Bad("truncated names");
    for (uint32_t i = 0; i < n; ++i) {
      std::string_view name;
      if (!in.Str(&name) || names->Intern(name) != i) return Bad("bad names");
    }
  }
  if (!in.Pod(&n)) return Bad("truncated nodes");
  for (uint32_t i = 0; i < n; ++i) {
    model::Node node;
    for (std::string* s : {&node.code, &node.tenant, &node.name, &node.type, &node.region_code, &node.status}) {
      if (!in.Str(s)) return Bad("truncated node");
    }
    if (!in.Pod(&node.lat) || !in.Pod(&node.lng) || !in.Pod(&node.capabilities) ||
        !in.Pod(&node.capacity_orders) || !in.Pod(&node.capacity_lines) || !in.Pod(&node.cost_per_order) ||
        !in.Pod(&node.cost_per_line) || !in.Pod(&node.cutoff_minute) || !in.Pod(&node.on_time_rate)) {
      return Bad("truncated node");
    }
    if (!ApplyUpsertNode(UpsertNode{std::move(node)}, 0, nullptr).status.ok() || nodes_.size() != i + 1) {
      return Bad("duplicate node");
    }
  }
  if (!in.Pod(&n)) return Bad("truncated skus");
  for (uint32_t i = 0; i < n; ++i) {
    model::Sku sku;
    uint32_t pauses;
    if (!in.Str(&sku.code) || !in.Str(&sku.tenant) || !in.Str(&sku.name) || !in.Pod(&sku.weight_g) ||
        !in.Pod(&pauses)) {
      return Bad("truncated sku");
    }
    for (uint32_t p = 0; p < pauses; ++p) {
      std::string channel;
      int64_t threshold;
      if (!in.Str(&channel) || !in.Pod(&threshold)) return Bad("truncated sku");
      sku.channel_pause_below.emplace_back(std::move(channel), threshold);
    }
    if (!ApplyUpsertSku(UpsertSku{std::move(sku)}, nullptr).status.ok() || skus_.size() != i + 1) {
      return Bad("duplicate sku");
    }
    uint32_t levels;
    if (!in.Pod(&levels)) return Bad("truncated stock");
    for (uint32_t l = 0; l < levels; ++l) {
      model::NodeIndex node;
      model::StockLevel level;
      if (!in.Pod(&node) || !in.Pod(&level)) return Bad("truncated stock");
      if (node >= nodes_.size() || !pool_.Restore(i, node, level)) return Bad("bad stock level");
    }
  }
  uint64_t orders;
  if (!in.Pod(&orders) || orders > bytes.size()) return Bad("truncated orders");
  order_by_id_.reserve(orders);
  order_by_channel_id_.reserve(orders);
  for (uint64_t i = 0; i < orders; ++i) {
    OrderRecord& o = orders_.emplace_back();
    std::string_view id, block;
    if (!in.Str(&id) || !OrderId::Fits(id) || !in.Pod(&o.paid) || !in.Pod(&o.type) || !in.Pod(&o.state) ||
        !in.Pod(&o.held_from) || !in.Pod(&o.tenant) || !in.Pod(&o.channel) || !in.Pod(&o.flags) ||
        !in.Pod(&o.event_count) || !in.Pod(&o.placed_at) || !in.Pod(&o.created_at) || !in.Pod(&o.updated_at) ||
        !in.Pod(&o.reserved_until) || !in.Pod(&o.promise_at) || !in.Pod(&o.region) || !in.Aligned(&block) || !OrderBlock::FromBytes(block, borrow, &o.block)) {
      return Bad("truncated or malformed order");
    }
    o.id = OrderId::Of(id);
    if (o.type >= types_.size() || o.state >= types_[o.type]->state_count() ||
        o.held_from >= types_[o.type]->state_count() || o.tenant >= tenants_.size() ||
        o.channel >= channels_.size() || o.block.segment_count() < OrderBlock::kFirstLine) {
      return Bad("order out of range");
    }
    uint32_t next_line = 0;  // records go line by line, a split line's parts together
    for (const LineRecord& l : std::as_const(o.block).lines()) {
      if (l.sku >= skus_.size() || (l.node != model::kNone && l.node >= nodes_.size()) ||
          (l.ship_node != model::kNone && l.ship_node >= nodes_.size()) ||
          (l.line != next_line && l.line + 1u != next_line)) {
        return Bad("order line out of range");
      }
      next_line = l.line + 1u;
    }
    const auto idx = static_cast<uint32_t>(i);
    if (!order_by_id_.insert(Slot{idx, HashId(o.id.view())}).second ||
        !order_by_channel_id_
             .insert(Slot{idx, HashChannel(o.tenant, o.channel, o.block.segment(OrderBlock::kChannelOrderId))})
             .second) {
      return Bad("duplicate order");
    }
    if (o.reserved_until != 0) expiries_.emplace(o.reserved_until, idx);
    ++state_counts_[o.type][o.state];
  }
  uint64_t count;
  if (!in.Pod(&count)) return Bad("truncated shipments");
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t idx, k;
    if (!in.Pod(&idx) || idx >= orders_.size() || !in.Pod(&k)) return Bad("truncated shipments");
    std::vector<model::Shipment>& list = shipments_[idx];
    for (uint32_t j = 0; j < k; ++j) {
      model::Shipment s;
      if (!in.Str(&s.node) || !in.Str(&s.carrier) || !in.Str(&s.tracking_number) || !in.Pod(&s.shipped_at)) {
        return Bad("truncated shipment");
      }
      list.push_back(std::move(s));
    }
  }
  if (!in.Pod(&count)) return Bad("truncated idempotency keys");
  for (uint64_t i = 0; i < count; ++i) {
    std::string key;
    IdempotencyEntry e;
    if (!in.Str(&key) || !in.Str(&e.request_hash) || !in.Pod(&e.order) || !in.Pod(&e.at) ||
        e.order >= orders_.size()) {
      return Bad("truncated idempotency key");
    }
    if (!idempotency_fifo_.empty() && e.at < idempotency_.at(idempotency_fifo_.back()).at) {
      return Bad("idempotency keys out of order");
    }
    if (!idempotency_.emplace(key, std::move(e)).second) return Bad("duplicate idempotency key");
    idempotency_fifo_.push_back(std::move(key));
  }
  auto postings = [&](auto* v) {
    std::string_view raw;
    if (!in.Str(&raw) || raw.size() % sizeof(uint32_t) != 0) return false;
    v->resize(raw.size() / sizeof(uint32_t));
    if (!raw.empty()) std::memcpy(v->data(), raw.data(), raw.size());
    return std::all_of(v->begin(), v->end(), [&](uint32_t idx) { return idx < orders_.size(); });
  };
  if (!in.Pod(&n) || n > tenants_.size()) return Bad("bad tenant postings");
  orders_by_tenant_.resize(n);
  for (auto& v : orders_by_tenant_) {
    if (!postings(&v)) return Bad("bad tenant postings");
  }
  if (!in.Pod(&n) || n > skus_.size()) return Bad("bad sku postings");
  orders_by_sku_.resize(n);
  for (auto& v : orders_by_sku_) {
    if (!postings(&v)) return Bad("bad sku postings");
  }
  if (!in.Pod(&n) || n > tenants_.size()) return Bad("bad customer postings");
  orders_by_customer_.resize(n);
  for (Postings& by_customer : orders_by_customer_) {
    if (!in.Pod(&count) || count > orders_.size()) return Bad("bad customer postings");
    by_customer.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view customer;
      if (!in.Str(&customer) || !postings(&by_customer[customer])) return Bad("bad customer postings");
    }
  }
  std::string_view max_id;
  if (!in.Str(&max_id) || !OrderId::Fits(max_id)) return Bad("bad max order id");
  max_id_ = OrderId::Of(max_id);
  if (!in.Pod(&load_day_)) return Bad("truncated node loads");
  node_load_.resize(nodes_.size());
  for (auto& [orders, lines] : node_load_) {
    if (!in.Pod(&orders) || !in.Pod(&lines)) return Bad("truncated node loads");
  }
  if (!in.Pod(&n) || n > tenants_.size()) return Bad("bad routing");
  for (NameId t = 0; t < n; ++t) {
    uint8_t present;
    if (!in.Pod(&present)) return Bad("truncated routing");
    if (present == 0) continue;
    std::string_view report;
    if (!in.Str(&report)) return Bad("truncated routing");
    if (!report.empty()) {
      if (last_replan_.size() <= t) last_replan_.resize(t + 1);
      last_replan_[t] = std::string(report);
    }
    std::string lanes_text, policy_text;
    uint32_t closures;
    if (!in.Str(&lanes_text) || !in.Str(&policy_text) || !in.Pod(&closures) || closures > bytes.size()) {
      return Bad("truncated routing");
    }
    std::vector<std::string> closed(closures);
    for (std::string& c : closed) {
      if (!in.Str(&c)) return Bad("truncated routing");
    }
    routing::Links links;
    if (!lanes_text.empty()) {
      auto l = routing::Network::ParseLinks(lanes_text, "snapshot lanes");
      if (!l.ok()) return Bad("bad routing lanes");
      links = std::move(*l);
    }
    routing::Policy policy;
    if (!policy_text.empty()) {
      auto p = routing::Policy::Parse(policy_text, "snapshot policy");
      if (!p.ok()) return Bad("bad routing policy");
      policy = std::move(*p);
    }
    RoutingFor(t).Restore(std::move(lanes_text), std::move(links), std::move(policy_text), std::move(policy),
                          std::move(closed));
  }
  if (!in.Pod(&count) || count > orders_.size()) return Bad("bad routing overrides");
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t idx, forbidden;
    RoutingOverride ov;
    if (!in.Pod(&idx) || idx >= orders_.size() || !in.Pod(&ov.pinned) || !in.Pod(&forbidden) ||
        forbidden > nodes_.size()) {
      return Bad("bad routing overrides");
    }
    if (ov.pinned != model::kNone && ov.pinned >= nodes_.size()) return Bad("bad routing overrides");
    ov.forbidden.resize(forbidden);
    for (model::NodeIndex& x : ov.forbidden) {
      if (!in.Pod(&x) || x >= nodes_.size()) return Bad("bad routing overrides");
    }
    overrides_[idx] = std::move(ov);
  }
  if (!in.Pod(&count) || count > orders_.size()) return Bad("bad open plans");
  open_plans_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t idx;
    OpenPlan plan;
    if (!in.Pod(&idx) || idx >= orders_.size() || !in.Pod(&plan.cost) || !in.Pod(&plan.p_on_time) ||
        !in.Pod(&plan.decided) || !in.Pod(&plan.priority)) {
      return Bad("bad open plans");
    }
    open_plans_[idx] = plan;
  }
  if (!in.Pod(&count) || count > orders_.size()) return Bad("bad backorders");
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t idx;
    Waiting w;
    if (!in.Pod(&idx) || idx >= orders_.size() || !in.Pod(&w.priority) || !in.Pod(&w.since)) {
      return Bad("bad backorders");
    }
    backorders_[idx] = w;
  }
  if (!in.Pod(&route_seq_)) return Bad("bad routing stamps");
  for (std::vector<uint64_t>* v : {&sku_better_, &tenant_better_}) {
    std::string_view raw;
    if (!in.Str(&raw) || raw.size() % sizeof(uint64_t) != 0) return Bad("bad routing stamps");
    v->resize(raw.size() / sizeof(uint64_t));
    if (!raw.empty()) std::memcpy(v->data(), raw.data(), raw.size());  // an empty vector's data() may be null
  }
  if (!in.done()) return Bad("trailing bytes");
  return Status::OK();
}

}  // namespace orderhub::engine
