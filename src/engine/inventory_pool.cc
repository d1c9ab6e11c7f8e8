#include "engine/inventory_pool.h"

#include <cassert>
#include <string>

namespace orderhub::engine {
namespace {
// Larger than any real stock count, small enough that sums over 500 nodes
// cannot overflow int64.
constexpr int64_t kMaxStock = 1'000'000'000'000;
}  // namespace

const model::StockLevel* InventoryPool::Find(model::SkuIndex sku, model::NodeIndex node) const {
  auto it = levels_.find(Key(sku, node));
  return it == levels_.end() ? nullptr : &it->second;
}

const std::vector<model::NodeIndex>& InventoryPool::NodesOf(model::SkuIndex sku) const {
  static const std::vector<model::NodeIndex> kEmpty;
  return sku < nodes_of_sku_.size() ? nodes_of_sku_[sku] : kEmpty;
}

int64_t InventoryPool::Available(model::SkuIndex sku, model::NodeIndex node) const {
  const model::StockLevel* l = Find(sku, node);
  return l == nullptr ? 0 : l->Available();
}

int64_t InventoryPool::AvailableEverywhere(model::SkuIndex sku) const {
  int64_t total = 0;
  for (model::NodeIndex n : NodesOf(sku)) total += Available(sku, n);
  return total;
}

Status InventoryPool::CheckSet(model::SkuIndex sku, model::NodeIndex node, int64_t on_hand,
                               int64_t safety) const {
  if (on_hand < 0 || on_hand > kMaxStock) {
    return Status::InvalidArgument("out_of_range", "on_hand must be between 0 and 10^12", "/on_hand");
  }
  if (safety < 0 || safety > kMaxStock) {
    return Status::InvalidArgument("out_of_range", "safety_stock must be between 0 and 10^12",
                                   "/safety_stock");
  }
  const model::StockLevel* l = Find(sku, node);
  const int64_t reserved = l == nullptr ? 0 : l->reserved;
  if (on_hand < reserved) {
    return Status::Conflict("below_reserved",
                            "on_hand " + std::to_string(on_hand) + " is below the " + std::to_string(reserved) +
                                " units reserved for open orders; cancel or ship them first",
                            "/on_hand");
  }
  return Status::OK();
}

Status InventoryPool::CheckAdjust(model::SkuIndex sku, model::NodeIndex node, int64_t delta) const {
  if (delta == 0 || delta > kMaxStock || delta < -kMaxStock) {
    return Status::InvalidArgument("out_of_range", "delta must be non-zero and within ±10^12", "/delta");
  }
  const model::StockLevel* l = Find(sku, node);
  const int64_t on_hand = l == nullptr ? 0 : l->on_hand;
  const int64_t reserved = l == nullptr ? 0 : l->reserved;
  if (on_hand + delta < 0) {
    return Status::Insufficient("negative_stock",
                                "adjustment " + std::to_string(delta) + " would make on_hand negative (on_hand " +
                                    std::to_string(on_hand) + ")",
                                "/delta");
  }
  if (on_hand + delta > kMaxStock) {
    return Status::InvalidArgument("out_of_range", "on_hand would exceed 10^12", "/delta");
  }
  if (on_hand + delta < reserved) {
    return Status::Conflict("below_reserved",
                            "adjustment would leave on_hand below the " + std::to_string(reserved) +
                                " units reserved for open orders",
                            "/delta");
  }
  return Status::OK();
}

model::StockLevel& InventoryPool::Level(model::SkuIndex sku, model::NodeIndex node) {
  auto [it, inserted] = levels_.try_emplace(Key(sku, node));
  if (inserted) {
    if (nodes_of_sku_.size() <= sku) nodes_of_sku_.resize(sku + 1);
    nodes_of_sku_[sku].push_back(node);
  }
  return it->second;
}

void InventoryPool::Set(model::SkuIndex sku, model::NodeIndex node, int64_t on_hand, int64_t safety) {
  model::StockLevel& l = Level(sku, node);
  l.on_hand = on_hand;
  l.safety = safety;
}

void InventoryPool::Adjust(model::SkuIndex sku, model::NodeIndex node, int64_t delta) {
  Level(sku, node).on_hand += delta;
}

void InventoryPool::Reserve(model::SkuIndex sku, model::NodeIndex node, int64_t qty) {
  model::StockLevel& l = Level(sku, node);
  assert(l.Available() >= qty);
  l.reserved += qty;
}

void InventoryPool::Release(model::SkuIndex sku, model::NodeIndex node, int64_t qty) {
  model::StockLevel& l = Level(sku, node);
  assert(qty <= l.reserved);
  l.reserved -= qty;
}

void InventoryPool::Consume(model::SkuIndex sku, model::NodeIndex node, int64_t qty) {
  model::StockLevel& l = Level(sku, node);
  assert(qty <= l.reserved);
  l.reserved -= qty;
  l.on_hand -= qty;
}

bool InventoryPool::Restore(model::SkuIndex sku, model::NodeIndex node, const model::StockLevel& level) {
  if (level.on_hand < 0 || level.on_hand > kMaxStock || level.reserved < 0 || level.reserved > level.on_hand ||
      level.safety < 0 || level.safety > kMaxStock) {
    return false;
  }
  Level(sku, node) = level;
  return true;
}

}  // namespace orderhub::engine
