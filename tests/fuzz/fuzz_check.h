// FUZZ_CHECK: a fuzz target's assertion. A failed one names the expression and aborts, which
// libFuzzer reports as a crash with the input that caused it (and a seed replay as a failure).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                   \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)
