#include "engine/inventory_pool.h"

#include <cassert>
#include <string>

namespace orderhub::engine {
namespace {
// Larger than any real stock count, small enough that sums over 500 nodes
// cannot overflow int64.
constexpr int64_t kMaxStock = 1'000'000'000'000;
}  // namespace

const std::vector<model::NodeIndex>& InventoryPool::NodesOf(model::SkuIndex sku) const {
  static const std::vector<model::NodeIndex> kEmpty;
  return sku < by_sku_.size() ? by_sku_[sku].nodes : kEmpty;
}

int64_t InventoryPool::AvailableEverywhere(model::SkuIndex sku) const {
  int64_t total = 0;
  if (sku < by_sku_.size()) {
    for (const model::StockLevel& l : by_sku_[sku].levels) total += l.Available();
  }
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
  if (const int64_t at = Position(sku, node); at >= 0) return by_sku_[sku].levels[static_cast<size_t>(at)];
  if (by_sku_.size() <= sku) by_sku_.resize(sku + 1);
  SkuLevels& s = by_sku_[sku];
  s.nodes.push_back(node);
  s.levels.emplace_back();
  if (s.nodes.size() > kScanLimit) {
    // Crossing the limit indexes the ones scanned so far too.
    for (size_t i = s.nodes.size() == kScanLimit + 1 ? 0 : s.nodes.size() - 1; i < s.nodes.size(); ++i) {
      position_[Key(sku, s.nodes[i])] = static_cast<uint32_t>(i);
    }
  }
  return s.levels.back();
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
