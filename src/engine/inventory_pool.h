// The shared inventory pool (库存共享池): stock levels per (sku, node).
//
// available-to-promise = on hand - reserved - safety stock. Invariants kept
// by every method: on_hand >= 0, 0 <= reserved <= on_hand. A call that would
// break one changes nothing and says why. Owned by the Engine; single-threaded.
#pragma once

#include <cstdint>
#include <absl/container/flat_hash_map.h>
#include <span>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/order.h"

namespace orderhub::engine {

class InventoryPool {
 public:
  const model::StockLevel* Find(model::SkuIndex sku, model::NodeIndex node) const;
  // Nodes that have ever held a level for `sku`, in first-seen order.
  const std::vector<model::NodeIndex>& NodesOf(model::SkuIndex sku) const;
  int64_t Available(model::SkuIndex sku, model::NodeIndex node) const;
  // The nodes holding `sku` and their levels, side by side, for a scan.
  std::pair<std::span<const model::NodeIndex>, std::span<const model::StockLevel>> LevelsOf(
      model::SkuIndex sku) const {
    if (sku >= by_sku_.size()) return {};
    return {by_sku_[sku].nodes, by_sku_[sku].levels};
  }
  // Sum of available over every node holding the sku.
  int64_t AvailableEverywhere(model::SkuIndex sku) const;

  // Validations first; these change nothing when they fail.
  Status CheckSet(model::SkuIndex sku, model::NodeIndex node, int64_t on_hand, int64_t safety) const;
  Status CheckAdjust(model::SkuIndex sku, model::NodeIndex node, int64_t delta) const;

  // REQUIRES: the matching Check* returned OK.
  void Set(model::SkuIndex sku, model::NodeIndex node, int64_t on_hand, int64_t safety);
  void Adjust(model::SkuIndex sku, model::NodeIndex node, int64_t delta);
  // REQUIRES: Available(sku, node) >= qty.
  void Reserve(model::SkuIndex sku, model::NodeIndex node, int64_t qty);
  // REQUIRES: qty <= reserved.
  void Release(model::SkuIndex sku, model::NodeIndex node, int64_t qty);
  // Shipment: reserved units leave the building. REQUIRES: qty <= reserved.
  void Consume(model::SkuIndex sku, model::NodeIndex node, int64_t qty);
  // Puts back a level read from a snapshot, as it was; false when it breaks
  // an invariant.
  bool Restore(model::SkuIndex sku, model::NodeIndex node, const model::StockLevel& level);

 private:
  // A sku's levels sit in one array beside the nodes holding them: an order
  // reads a few skus at a few nodes each, and a short scan of one cache line
  // beats a hash probe. Skus held at many nodes get a position map as well.
  struct SkuLevels {
    std::vector<model::NodeIndex> nodes;
    std::vector<model::StockLevel> levels;
  };
  static constexpr size_t kScanLimit = 16;
  static uint64_t Key(model::SkuIndex sku, model::NodeIndex node) {
    return static_cast<uint64_t>(sku) << 32 | node;
  }
  // Position of (sku, node) in by_sku_[sku], or -1.
  int64_t Position(model::SkuIndex sku, model::NodeIndex node) const;
  model::StockLevel& Level(model::SkuIndex sku, model::NodeIndex node);

  std::vector<SkuLevels> by_sku_;                      // by SkuIndex
  absl::flat_hash_map<uint64_t, uint32_t> position_;  // only skus past kScanLimit nodes
};

// Inline: every order creation calls these a few dozen times.
inline int64_t InventoryPool::Position(model::SkuIndex sku, model::NodeIndex node) const {
  if (sku >= by_sku_.size()) return -1;
  const std::vector<model::NodeIndex>& nodes = by_sku_[sku].nodes;
  if (nodes.size() > kScanLimit) {
    auto it = position_.find(Key(sku, node));
    return it == position_.end() ? -1 : static_cast<int64_t>(it->second);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i] == node) return static_cast<int64_t>(i);
  }
  return -1;
}

inline const model::StockLevel* InventoryPool::Find(model::SkuIndex sku, model::NodeIndex node) const {
  const int64_t at = Position(sku, node);
  return at < 0 ? nullptr : &by_sku_[sku].levels[static_cast<size_t>(at)];
}

inline int64_t InventoryPool::Available(model::SkuIndex sku, model::NodeIndex node) const {
  const model::StockLevel* l = Find(sku, node);
  return l == nullptr ? 0 : l->Available();
}

}  // namespace orderhub::engine
