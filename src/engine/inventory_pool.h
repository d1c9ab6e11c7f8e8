// The shared inventory pool (库存共享池): stock levels per (sku, node).
//
// available-to-promise = on hand - reserved - safety stock. Invariants kept
// by every method: on_hand >= 0, 0 <= reserved <= on_hand. A call that would
// break one changes nothing and says why. Owned by the Engine; single-threaded.
#pragma once

#include <cstdint>
#include <absl/container/flat_hash_map.h>
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
  static uint64_t Key(model::SkuIndex sku, model::NodeIndex node) {
    return static_cast<uint64_t>(sku) << 32 | node;
  }
  model::StockLevel& Level(model::SkuIndex sku, model::NodeIndex node);

  absl::flat_hash_map<uint64_t, model::StockLevel> levels_;
  std::vector<std::vector<model::NodeIndex>> nodes_of_sku_;  // by SkuIndex
};

}  // namespace orderhub::engine
