// NanosPerCall: the mean wall time of `calls` calls of `call(i)`, for the micro-benchmarks. Each
// call returns a number that is summed and checked afterwards, so the compiler cannot drop the
// work; a sum of zero is reported, since every benchmark here expects a non-zero one.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace shardtrack {

template <typename Call>
double NanosPerCall(int calls, Call call) {
  std::uint64_t sum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) sum += call(i);
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  if (sum == 0) std::printf("(every call returned 0)\n");
  return elapsed.count() / calls;
}

}  // namespace shardtrack
