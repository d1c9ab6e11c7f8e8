#include "routing/quantity_split.h"

#include <algorithm>
#include <numeric>

namespace orderhub::routing {

bool FillQuantities(std::span<const SplitLine> lines, int max_parcels, FillOrder order,
                    std::vector<SplitParcel>* parcels) {
  parcels->clear();
  if (lines.size() > kMaxSplitLines) return false;
  auto shipping_from = [&](uint32_t node) -> SplitParcel* {
    for (SplitParcel& p : *parcels) {
      if (p.node == node) return &p;
    }
    return nullptr;
  };
  // What a node has left of line i's sku after the plan so far.
  auto left = [&](size_t i, const SplitNode& n) {
    int64_t taken = 0;
    if (const SplitParcel* p = shipping_from(n.node)) {
      for (size_t j = 0; j < lines.size(); ++j) {
        if (lines[j].sku == lines[i].sku) taken += p->units[j];
      }
    }
    return n.available - taken;
  };
  auto ship = [&](uint32_t node) -> SplitParcel* {
    if (SplitParcel* p = shipping_from(node)) return p;
    if (static_cast<int>(parcels->size()) == max_parcels) return nullptr;
    parcels->push_back(SplitParcel{node, {}});
    return &parcels->back();
  };
  auto before = [order](const SplitNode& a, const SplitNode& b) {
    switch (order) {
      case FillOrder::kMostUnits:
        if (a.available != b.available) return a.available > b.available;
        break;
      case FillOrder::kCheapest:
        if (a.score != b.score) return a.score < b.score;
        break;
      case FillOrder::kNearest:
        break;
    }
    return a.rank < b.rank;
  };
  auto fills_alone = [&](size_t i) {
    return std::any_of(lines[i].nodes.begin(), lines[i].nodes.end(),
                       [&](const SplitNode& n) { return n.available >= lines[i].quantity; });
  };
  std::array<size_t, kMaxSplitLines> turn;
  std::iota(turn.begin(), turn.begin() + static_cast<ptrdiff_t>(lines.size()), size_t{0});
  std::stable_sort(turn.begin(), turn.begin() + static_cast<ptrdiff_t>(lines.size()),
                   [&](size_t a, size_t b) { return !fills_alone(a) && fills_alone(b); });
  std::vector<SplitNode> nodes;
  for (size_t t = 0; t < lines.size(); ++t) {
    const size_t i = turn[t];
    nodes.assign(lines[i].nodes.begin(), lines[i].nodes.end());
    std::sort(nodes.begin(), nodes.end(), before);
    int64_t wanted = lines[i].quantity;
    // Whole, from a node the plan ships from already, else from a new one.
    for (int fresh = 0; fresh < 2 && wanted > 0; ++fresh) {
      for (const SplitNode& n : nodes) {
        if ((shipping_from(n.node) == nullptr) != (fresh == 1) || left(i, n) < wanted) continue;
        SplitParcel* p = ship(n.node);
        if (p == nullptr) break;
        p->units[i] = wanted;
        wanted = 0;
        break;
      }
    }
    // In parts: what the plan's nodes have left, then new nodes.
    for (int fresh = 0; fresh < 2 && wanted > 0; ++fresh) {
      for (const SplitNode& n : nodes) {
        if (wanted == 0) break;
        const int64_t units = std::min(wanted, left(i, n));
        if ((shipping_from(n.node) == nullptr) != (fresh == 1) || units <= 0) continue;
        SplitParcel* p = ship(n.node);
        if (p == nullptr) return false;
        p->units[i] += units;
        wanted -= units;
      }
    }
    if (wanted > 0) return false;
  }
  return true;
}

}  // namespace orderhub::routing
