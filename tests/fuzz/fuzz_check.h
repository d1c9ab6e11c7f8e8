// What a fuzz target asserts beyond "no crash": a broken promise aborts, so
// libFuzzer keeps the input that showed it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define OH_FUZZ_CHECK(cond)                                                      \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                              \
    }                                                                            \
  } while (0)
