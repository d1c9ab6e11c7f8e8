// Quantity splits for the decider (decider.cc): when no node can fill a
// line alone, which nodes give how many of its units. Internal to routing/.
//
// A fill is greedy and takes the lines in turn, those no node can fill
// alone first. A line goes whole to a node the plan ships from already, else
// whole to a new node, else in parts: first what the plan's nodes have left,
// then from new nodes in the fill's order of preference. The decider scores
// the fills of every order and keeps the best as it keeps any plan.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace orderhub::routing {

inline constexpr size_t kMaxSplitLines = 16;  // orders with more lines are not split

// A node that has some of a line's units and a way to the destination.
struct SplitNode {
  uint32_t node = 0;
  int64_t available = 0;  // units of the line's sku
  uint32_t rank = 0;      // by distance from the destination, nearest 0
  double score = 0;       // of a parcel carrying the whole line from it
};

struct SplitLine {
  uint32_t sku = 0;
  int64_t quantity = 0;
  std::span<const SplitNode> nodes;
};

struct SplitParcel {
  uint32_t node = 0;
  std::array<int64_t, kMaxSplitLines> units{};  // per line
  bool operator==(const SplitParcel&) const = default;
};

// Which of a line's nodes a fill takes first.
enum class FillOrder : uint8_t {
  kMostUnits,  // fewest parcels
  kNearest,
  kCheapest,   // by the line's own parcel score
};

// Parcels carrying every unit of every line, at most `max_parcels`; false
// when the nodes given cannot (too few units, or too many parcels needed).
// Two lines of one sku share a node's units.
bool FillQuantities(std::span<const SplitLine> lines, int max_parcels, FillOrder order,
                    std::vector<SplitParcel>* parcels);

}  // namespace orderhub::routing
