#include "engine/arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <set>

namespace orderhub::engine {
namespace {

// Every allocation is 8-aligned, disjoint from the others and writable, across
// several chunks; with and without the prefaulting helper.
void FillAcrossChunks(bool prefault) {
  Arena arena(prefault);
  std::vector<std::pair<char*, size_t>> blocks;
  size_t total = 0;
  for (size_t i = 0; total < 2 * Arena::kChunkBytes + 12345; ++i) {
    const size_t size = 1 + (i * 7919) % 5000;
    auto* p = static_cast<char*>(arena.Allocate(size));
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
    std::memset(p, static_cast<int>(i & 0xff), size);
    blocks.emplace_back(p, size);
    total += (size + 7) & ~size_t{7};
  }
  EXPECT_EQ(arena.used(), total);
  // Nothing was written over: each block still holds its own byte.
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto [p, size] = blocks[i];
    ASSERT_EQ(p[0], static_cast<char>(i & 0xff)) << i;
    ASSERT_EQ(p[size - 1], static_cast<char>(i & 0xff)) << i;
  }
}

TEST(ArenaTest, AllocationsAreAlignedDisjointAndSpanChunks) { FillAcrossChunks(false); }

TEST(ArenaTest, PrefaultingHelperHandsOverUsableChunks) { FillAcrossChunks(true); }

TEST(ArenaTest, ARequestLargerThanAChunkGetsItsOwnMapping) {
  Arena arena;
  auto* small = static_cast<char*>(arena.Allocate(16));
  auto* big = static_cast<char*>(arena.Allocate(Arena::kChunkBytes + 1));
  std::memset(big, 1, Arena::kChunkBytes + 1);
  auto* next = static_cast<char*>(arena.Allocate(16));
  // The current chunk stays open after the big one.
  EXPECT_EQ(next, small + 16);
}

TEST(ArenaTest, AllocatorKeepsADequeOfRecordsInPlace) {
  Arena arena;
  std::deque<std::pair<int64_t, int64_t>, ArenaAllocator<std::pair<int64_t, int64_t>>> d{
      ArenaAllocator<std::pair<int64_t, int64_t>>(&arena)};
  std::vector<const std::pair<int64_t, int64_t>*> where;
  for (int64_t i = 0; i < 200000; ++i) {
    d.emplace_back(i, -i);
    where.push_back(&d.back());
  }
  // A deque never moves its elements, also when its map grows on the heap.
  for (int64_t i = 0; i < 200000; ++i) {
    ASSERT_EQ(where[static_cast<size_t>(i)], &d[static_cast<size_t>(i)]);
    ASSERT_EQ(d[static_cast<size_t>(i)].second, -i);
  }
  EXPECT_GE(arena.used(), 200000 * sizeof(std::pair<int64_t, int64_t>));
}

#if defined(__SANITIZE_ADDRESS__)
// Only in the sanitizer build: a write past a block is caught there as it
// would be on the heap, though the arena's memory is one mapping.
TEST(ArenaDeathTest, WritingPastABlockIsCaughtByTheSanitizer) {
  Arena arena;
  auto* p = static_cast<char*>(arena.Allocate(13));
  arena.Allocate(8);
  EXPECT_DEATH(
      {
        volatile char* q = p;
        q[13] = 1;
      },
      "AddressSanitizer");
}
#endif

}  // namespace
}  // namespace orderhub::engine
