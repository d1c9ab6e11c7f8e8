// Memory on transparent huge pages for the engine's largest tables: the hash
// tables that find an order by id and by channel order id, and the posting
// lists of every order of a tenant and of a customer.
//
// They grow to tens of MiB and are read at random, one miss per create; on
// 4 KiB pages each of those misses also misses the TLB, and each doubling
// faults its new table in 4 KiB at a time (microseconds per fault on virtual
// machines). Only these tables ask for huge pages: the whole heap on huge
// pages cost the routed HTTP path more in page faults than the engine won
// (BENCHMARKS.md, 2026-12-05).
#pragma once

#include <cstddef>
#include <new>

namespace orderhub::engine {

// At least `bytes`, aligned to 2 MiB and advised onto huge pages; throws
// std::bad_alloc. FreeHugePages takes the same `bytes`.
void* MapHugePages(size_t bytes);
void FreeHugePages(void* p, size_t bytes);
// Bytes mapped by MapHugePages and not yet freed, process-wide: the heap's
// statistics do not see them.
size_t HugePageBytes();

// An allocator for standard and absl containers: requests from 1 MiB up get
// their own huge-page mapping, smaller ones come from the heap.
template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  static constexpr size_t kMapFrom = size_t{1} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= kMapFrom) return static_cast<T*>(MapHugePages(bytes));
    return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= kMapFrom) {
      FreeHugePages(p, bytes);
    } else {
      ::operator delete (p, std::align_val_t{alignof(T)});
    }
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace orderhub::engine
