// The engine's huge-page tables: aligned so that the kernel can back them with
// 2 MiB pages, counted (the engine_create memory figure adds them to the
// heap's), and usable by the containers that hold the order indexes.
#include "engine/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <absl/container/flat_hash_set.h>

namespace orderhub::engine {
namespace {

constexpr size_t kTwoMiB = size_t{2} << 20;

TEST(HugePagesTest, MappingsAreAlignedWritableAndCounted) {
  const size_t before = HugePageBytes();
  void* a = MapHugePages(3 << 20);
  void* b = MapHugePages(1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kTwoMiB, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % kTwoMiB, 0u);
  EXPECT_EQ(HugePageBytes() - before, 3 * kTwoMiB);  // whole pages: 4 MiB and 2 MiB
  std::memset(a, 0x5a, 3 << 20);
  EXPECT_EQ(static_cast<unsigned char*>(a)[(3 << 20) - 1], 0x5a);
  FreeHugePages(a, 3 << 20);
  FreeHugePages(b, 1);
  EXPECT_EQ(HugePageBytes(), before);
}

TEST(HugePagesTest, ContainersKeepTheirContentsAcrossTheMappingThreshold) {
  const size_t before = HugePageBytes();
  {
    std::vector<uint32_t, HugePageAllocator<uint32_t>> postings;
    absl::flat_hash_set<uint64_t, absl::Hash<uint64_t>, std::equal_to<uint64_t>, HugePageAllocator<uint64_t>> ids;
    for (uint32_t i = 0; i < 600'000; ++i) {
      postings.push_back(i);
      ids.insert(uint64_t{i} * 7919);
    }
    EXPECT_GT(HugePageBytes(), before);  // both outgrew the heap's share
    for (uint32_t i = 0; i < 600'000; ++i) {
      ASSERT_EQ(postings[i], i);
      ASSERT_TRUE(ids.contains(uint64_t{i} * 7919)) << i;
    }
    EXPECT_FALSE(ids.contains(1));
  }
  EXPECT_EQ(HugePageBytes(), before);  // all given back
}

}  // namespace
}  // namespace orderhub::engine
