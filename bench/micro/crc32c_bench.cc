// Crc32c against Crc32cBytewise: nanoseconds per journal-sized record (64 bytes) and per MB (a
// snapshot's bulk). A benchmark, never run by ctest: build/bin/crc32c_bench, pinned (taskset).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "shard/persistence/crc32c.h"

namespace shardtrack {
namespace {

using Checksum = std::uint32_t (*)(std::string_view, std::uint32_t);

double NanosPerCall(Checksum checksum, std::string_view data, int calls) {
  std::uint32_t crc = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int call = 0; call < calls; ++call) crc = checksum(data, crc);
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  if (crc == 0x12345678) std::printf("(unlikely checksum)\n");
  return elapsed.count() / calls;
}

}  // namespace
}  // namespace shardtrack

int main() {
  using shardtrack::NanosPerCall;
  const std::string record(64, 'r');
  const std::string megabyte(1 << 20, 'm');
  std::printf("| function | ns per 64-byte record | ms per MB |\n|---|---|---|\n");
  for (const auto& [name, checksum] :
       {std::pair<const char*, shardtrack::Checksum>{"Crc32c", shardtrack::Crc32c},
        {"Crc32cBytewise", shardtrack::Crc32cBytewise}}) {
    std::printf("| %s | %.1f | %.3f |\n", name, NanosPerCall(checksum, record, 1000000),
                NanosPerCall(checksum, megabyte, 50) / 1e6);
  }
}
