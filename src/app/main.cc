#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "app/cli.h"

// The engine keeps millions of small allocations, and on virtual machines a
// page fault costs microseconds. Its largest tables ask for transparent huge
// pages themselves (engine/huge_pages.h, engine/arena.h). Built without
// jemalloc, the process also asks glibc to put its heap on them, by a tunable
// glibc reads only at start: the process sets it and runs itself again. An
// operator's own GLIBC_TUNABLES is left alone. (jemalloc ignores the tunable;
// its heap on huge pages made the routed HTTP path slower, BENCHMARKS.md
// 2026-12-05.)
#if !defined(OH_WITH_JEMALLOC)
namespace {

void UseHugePagesForTheHeap(char** argv) {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  // The binary's own path, not /proc/self/exe: the process keeps its name.
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
  execv(self, argv);
  unsetenv("GLIBC_TUNABLES");  // exec failed: run as we are
}

}  // namespace
#endif

int main(int argc, char** argv) {
#if !defined(OH_WITH_JEMALLOC)
  UseHugePagesForTheHeap(argv);
#endif
  return orderhub::app::Main(argc, argv);
}
