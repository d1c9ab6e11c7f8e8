#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "app/cli.h"

namespace {

// The engine keeps millions of small allocations, and on virtual machines a
// page fault costs microseconds: with 4 KiB pages, restarts and order
// creation spend most of their time faulting. glibc puts its heap on
// transparent huge pages when asked by this tunable, which it reads only at
// start, so the process asks once and runs itself again. An operator's own
// GLIBC_TUNABLES is left alone.
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

int main(int argc, char** argv) {
  UseHugePagesForTheHeap(argv);
  return orderhub::app::Main(argc, argv);
}
