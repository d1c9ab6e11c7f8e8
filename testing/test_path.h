// A path under the temporary directory that belongs to the running test and
// process, so that tests run in parallel (ctest -j) never share files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace orderhub::testing {

inline std::filesystem::path TestPath(const std::string& prefix, const std::string& suffix = "") {
  return std::filesystem::temp_directory_path() /
         (prefix + "-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix);
}

// TestPath, emptied and created: a directory of the test's own.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  std::filesystem::path dir = TestPath(prefix);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace orderhub::testing
