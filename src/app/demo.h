// The demo tenant: 32 nodes in real Chinese cities, 500 skus with stock and a
// few hundred orders in various states, created through the API like any
// client would (so the journal holds them and a restart keeps them).
#pragma once

#include "app/hub.h"

namespace orderhub::app {

// Seeds once: does nothing when the demo tenant already has nodes.
Status SeedDemo(Hub& hub);

}  // namespace orderhub::app
