#include "engine/huge_pages.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>

namespace orderhub::engine {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
std::atomic<size_t> mapped{0};

size_t RoundUp(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* MapHugePages(size_t bytes) {
  const size_t size = RoundUp(bytes);
  // The kernel backs only 2 MiB-aligned ranges with huge pages: map one page
  // more and give back what lies outside the aligned range.
  void* p = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(p, aligned - start);
  const uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  // Advice only: where the kernel declines, the memory works the same.
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  mapped.fetch_add(size, std::memory_order_relaxed);
  return reinterpret_cast<void*>(aligned);
}

void FreeHugePages(void* p, size_t bytes) {
  munmap(p, RoundUp(bytes));
  mapped.fetch_sub(RoundUp(bytes), std::memory_order_relaxed);
}

size_t HugePageBytes() { return mapped.load(std::memory_order_relaxed); }

}  // namespace orderhub::engine
