// A benchmark tenant: nodes, skus and ample stock, loaded through the API.
#pragma once

#include <string>

#include "app/hub.h"

namespace orderhub::bench {

inline constexpr int kBenchNodes = 20;
inline constexpr int kBenchSkus = 1000;
inline constexpr const char* kBenchKey = "ohk_bench_key";

// Adds the bench key and network to `hub`'s store. Routed: the nodes are in
// Shanghai, so every order is decided by the routing engine; else they are
// in no GB/T 2260 region and orders are sourced by stock alone.
Status LoadBenchNetwork(app::Hub& hub, bool routed = true);

}  // namespace orderhub::bench
