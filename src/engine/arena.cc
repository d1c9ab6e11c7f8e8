#include "engine/arena.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <new>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// Chunks are poisoned and each allocation unpoisoned to its exact size, so
// that the sanitizer build catches overruns of order blocks as it would on
// the heap.
#define OH_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define OH_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define OH_POISON(p, n) ((void)(p), (void)(n))
#define OH_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace orderhub::engine {

Arena::Arena(bool prefault) {
  if (!prefault) return;
  want_spare_ = true;
  helper_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oh-prefault");
    // Idle class: runs only on a core nothing else wants. Sharing the
    // writer's core, its 64 MiB of page faults would come out of the writer's
    // time; and when the writer waits for it, the writer's core is idle.
    sched_param idle{};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    Helper();
  });
}

Arena::~Arena() {
  if (helper_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    helper_.join();
  }
  if (spare_.base != nullptr) chunks_.push_back(spare_);
  for (const Chunk& c : chunks_) {
    OH_UNPOISON(c.base, c.size);
    munmap(c.base, c.size);
  }
}

Arena::Chunk Arena::Map(size_t bytes, bool touch) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Huge pages: one fault per 2 MiB instead of one per 4 KiB. Advice only;
  // where the kernel declines, the chunk works the same.
  madvise(p, bytes, MADV_HUGEPAGE);
  if (touch) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    auto* c = static_cast<volatile char*>(p);
    for (size_t at = 0; at < bytes; at += page) c[at] = 0;
  }
  OH_POISON(p, bytes);
  return Chunk{static_cast<char*>(p), bytes};
}

void Arena::Helper() {
  std::unique_lock<std::mutex> lock(mu_);
  // Polls rather than being woken by the writer, so that the scheduler does
  // not place it beside its waker (wake-affine). A chunk lasts at least
  // ~300 ms at full speed: every 20 ms while orders flow, backing off to
  // 160 ms when idle (a touch takes ~150 ms, so the writer never waits long).
  auto interval = std::chrono::milliseconds(20);
  for (;;) {
    cv_.wait_for(lock, interval, [&] { return stopping_ || (want_spare_ && spare_.base == nullptr); });
    if (stopping_) return;
    if (!(want_spare_ && spare_.base == nullptr)) {
      interval = std::min(interval * 2, std::chrono::milliseconds(160));
      continue;
    }
    interval = std::chrono::milliseconds(20);
    lock.unlock();
    Chunk c;
    try {
      c = Map(kChunkBytes, /*touch=*/true);
    } catch (const std::bad_alloc&) {
      // Out of address space: the writer maps for itself, and fails there.
    }
    lock.lock();
    spare_ = c;
    helper_failed_ = c.base == nullptr;
    want_spare_ = false;
    cv_.notify_all();
    if (helper_failed_) return;
  }
}

void Arena::NextChunk() {
  Chunk c;
  if (helper_.joinable()) {
    // The helper's chunk if it is ready; never a wait. The helper is
    // idle-class, so on cores kept busy by others it may not have run at
    // all, and a writer waiting for it stalls every caller (waiting up to
    // 200 ms here once put 135-210 ms into the HTTP p99). Without a ready
    // chunk the writer maps one itself and takes its page faults as it
    // fills it; the helper's chunk, when done, serves the next turn.
    std::lock_guard<std::mutex> lock(mu_);
    c = std::exchange(spare_, Chunk{});
    want_spare_ = !helper_failed_;  // the helper polls for this (no wake-up: see Helper)
  }
  if (c.base == nullptr) c = Map(kChunkBytes, /*touch=*/false);
  chunks_.push_back(c);
  next_ = c.base;
  end_ = c.base + c.size;
}

void* Arena::Allocate(size_t size) {
  const size_t bytes = (size + 7) & ~size_t{7};
  if (bytes > static_cast<size_t>(end_ - next_)) {
    if (bytes > kChunkBytes / 4) {
      // A huge request gets its own mapping; the current chunk stays open.
      const Chunk c = Map(bytes, /*touch=*/false);
      chunks_.push_back(c);
      used_ += bytes;
      OH_UNPOISON(c.base, size);
      return c.base;
    }
    NextChunk();
  }
  void* p = next_;
  next_ += bytes;
  used_ += bytes;
  OH_UNPOISON(p, size);
  return p;
}

}  // namespace orderhub::engine
