// A real hub for end-to-end tests: its data in a directory of the test's own,
// serving on a free port, without an fsync per commit.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "app/hub.h"

namespace orderhub::testing {

// Options for a test hub whose data lives in `dir` (emptied first).
inline app::HubOptions TestHubOptions(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  app::HubOptions o;
  o.data_dir = dir.string();
  o.durability = store::Durability::kNormal;
  o.server.port = 0;
  return o;
}

// Opens and serves; on failure the test fails and gets null.
inline std::unique_ptr<app::Hub> ServeHub(const app::HubOptions& o, const Clock* clock) {
  auto hub = app::Hub::Open(o, clock);
  if (!hub.ok()) {
    ADD_FAILURE() << hub.status().ToString();
    return nullptr;
  }
  if (Status st = (*hub)->Serve(); !st.ok()) {
    ADD_FAILURE() << st.ToString();
    return nullptr;
  }
  return std::move(*hub);
}

}  // namespace orderhub::testing
