// Orders by tenant, sku and customer: sorted postings of record indices,
// kept by the engine as it applies creates and saved in snapshots.
#include <algorithm>
#include <optional>
#include <span>

#include "engine/engine.h"

namespace orderhub::engine {

template <typename List>
void Engine::Post(List& postings, uint32_t idx, bool newest) const {
  postings.push_back(idx);
  // The usual case, an id above every earlier one, needs no look at older
  // records (each would be a cache miss).
  if (newest) return;
  for (size_t i = postings.size() - 1; i > 0 && orders_[postings[i - 1]].id.view() > orders_[postings[i]].id.view();
       --i) {
    std::swap(postings[i - 1], postings[i]);
  }
}

void Engine::Index(uint32_t idx) {
  const OrderRecord& o = orders_[idx];
  const bool newest = o.id.view() >= max_id_.view();
  const auto lines = o.block.lines();
  for (size_t i = 0; i < lines.size(); ++i) {
    // A sku on several lines of one order is posted once.
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = lines[j].sku == lines[i].sku;
    if (seen) continue;
    if (orders_by_sku_.size() <= lines[i].sku) orders_by_sku_.resize(lines[i].sku + 1);
    Post(orders_by_sku_[lines[i].sku], idx, newest);
  }
  if (orders_by_tenant_.size() <= o.tenant) orders_by_tenant_.resize(o.tenant + 1);
  Post(orders_by_tenant_[o.tenant], idx, newest);
  if (orders_by_customer_.size() <= o.tenant) orders_by_customer_.resize(o.tenant + 1);
  Post(orders_by_customer_[o.tenant][o.block.segment(OrderBlock::kCustomerId)], idx, newest);
  if (newest) max_id_ = o.id;
}

OrderMatches Engine::FindOrders(const OrderFilter& f, size_t scan_budget) const {
  OrderMatches out;
  scan_budget = std::max<size_t>(scan_budget, 1);
  const NameId tenant = tenants_.Find(f.tenant);
  if (tenant == Names::kNone) return out;
  // The narrower list drives the scan; the other criterion is checked per order.
  std::optional<std::span<const uint32_t>> by_sku, by_customer;
  model::SkuIndex sku = model::kNone;
  if (!f.sku.empty()) {
    sku = FindSkuIndex(tenant, f.sku);
    by_sku.emplace();
    if (sku < orders_by_sku_.size()) by_sku = orders_by_sku_[sku];
  }
  if (!f.customer_id.empty()) {
    by_customer.emplace();
    if (tenant < orders_by_customer_.size()) {
      auto it = orders_by_customer_[tenant].find(f.customer_id);
      if (it != orders_by_customer_[tenant].end()) by_customer = std::span<const uint32_t>(it->second);
    }
  }
  enum { kTenant, kSku, kCustomer } driver = kTenant;
  std::span<const uint32_t> scan;
  if (by_sku && (!by_customer || by_sku->size() <= by_customer->size())) {
    driver = kSku;
    scan = *by_sku;
  } else if (by_customer) {
    driver = kCustomer;
    scan = *by_customer;
  } else if (tenant < orders_by_tenant_.size()) {
    scan = orders_by_tenant_[tenant];
  }

  auto matches = [&](uint32_t idx) {
    const OrderRecord& o = orders_[idx];
    const OrderView v(this, idx);
    if (by_sku && driver != kSku) {
      const auto lines = o.block.lines();
      if (std::none_of(lines.begin(), lines.end(), [&](const LineRecord& l) { return l.sku == sku; })) return false;
    }
    if (by_customer && driver != kCustomer && v.customer_id() != f.customer_id) return false;
    if (!f.state.empty() && v.state() != f.state) return false;
    if (!f.channel.empty() && v.channel() != f.channel) return false;
    if (!f.order_type.empty() && v.order_type() != f.order_type) return false;
    if (f.created_from != 0 && o.created_at < f.created_from) return false;
    if (f.created_to != 0 && o.created_at >= f.created_to) return false;
    if (f.detail_match && !f.detail_match(v.detail())) return false;
    if (!f.node.empty() && !v.AssignedTo(f.node)) return false;
    return !f.attributes_match || f.attributes_match(v.attributes());
  };
  // Newest first, starting below the cursor.
  auto end = scan.end();
  if (!f.before.empty()) {
    end = std::lower_bound(scan.begin(), scan.end(), f.before,
                           [&](uint32_t idx, const std::string& id) { return orders_[idx].id.view() < id; });
  }
  size_t examined = 0;
  for (auto it = end; it != scan.begin();) {
    --it;
    if (++examined > scan_budget) {
      // Out of budget: hand back what there is and where to go on.
      out.next_cursor = orders_[*(it + 1)].id.view();
      return out;
    }
    if (!matches(*it)) continue;
    if (static_cast<int>(out.orders.size()) == f.limit) {
      out.next_cursor = orders_[out.orders.back()].id.view();
      return out;
    }
    out.orders.push_back(*it);
  }
  return out;
}

}  // namespace orderhub::engine
