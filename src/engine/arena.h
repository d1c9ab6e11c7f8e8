// Memory for what the engine keeps as long as it lives: order records and
// order blocks, carved from large chunks and never freed one by one.
//
// Orders are never dropped from the engine, so per-allocation frees buy
// nothing; one bump pointer replaces a malloc per order. The chunks ask for
// transparent huge pages. On virtual machines where touching new memory is
// slow (2-3 s per GiB on the ones BENCHMARKS.md names, about fifty times the
// cost of reusing it), `prefault` has a helper thread map and touch the next
// chunk while the engine fills the current one, so that the writer thread
// does not stop for page faults. The helper only touches memory: what the
// engine computes does not depend on it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace orderhub::engine {

class Arena {
 public:
  static constexpr size_t kChunkBytes = size_t{64} << 20;

  explicit Arena(bool prefault = false);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // `size` bytes, 8-aligned (the next allocation starts at the next multiple
  // of 8). Larger than a quarter chunk: its own mapping.
  void* Allocate(size_t size);
  // Bytes handed out so far.
  size_t used() const { return used_; }

 private:
  struct Chunk {
    char* base = nullptr;
    size_t size = 0;
  };
  static Chunk Map(size_t bytes, bool touch);
  void NextChunk();
  void Helper();

  std::vector<Chunk> chunks_;  // every mapping, unmapped when the arena dies
  char* next_ = nullptr;       // bump pointer into the current chunk
  char* end_ = nullptr;
  size_t used_ = 0;

  // Prefault: the helper keeps one touched chunk in `spare_`.
  std::mutex mu_;
  std::condition_variable cv_;
  Chunk spare_;                 // GUARDED_BY(mu_)
  bool want_spare_ = false;     // GUARDED_BY(mu_)
  bool stopping_ = false;       // GUARDED_BY(mu_)
  bool helper_failed_ = false;  // GUARDED_BY(mu_); the helper could not map and stopped
  std::thread helper_;
};

// An allocator over an Arena for standard containers that only grow (a deque
// of records): small requests come from the arena and are never given back;
// large ones (a deque's map of chunk pointers, which it reallocates as it
// grows) go to the heap and are freed as usual.
template <typename T>
class ArenaAllocator {
 public:
  using value_type = T;
  static constexpr size_t kHeapFrom = 16 << 10;

  explicit ArenaAllocator(Arena* arena) : arena_(arena) {}
  template <typename U>
  ArenaAllocator(const ArenaAllocator<U>& o) : arena_(o.arena()) {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    static_assert(alignof(T) <= 8, "the arena aligns to 8");
    const size_t bytes = n * sizeof(T);
    if (bytes >= kHeapFrom) return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
    return static_cast<T*>(arena_->Allocate(bytes));
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) >= kHeapFrom) ::operator delete (p, std::align_val_t{alignof(T)});
  }
  Arena* arena() const { return arena_; }
  template <typename U>
  bool operator==(const ArenaAllocator<U>& o) const {
    return arena_ == o.arena();
  }

 private:
  Arena* arena_;
};

}  // namespace orderhub::engine
