// Crc32c against Crc32cBytewise: nanoseconds per journal-sized record (64 bytes) and per MB (a
// snapshot's bulk). A benchmark, never run by ctest: build/bin/crc32c_bench, pinned (taskset).
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "bench/micro/nanos_per_call.h"
#include "shard/persistence/crc32c.h"

int main() {
  using Checksum = std::uint32_t (*)(std::string_view, std::uint32_t);
  const std::string record(64, 'r');
  const std::string megabyte(1 << 20, 'm');
  std::printf("| function | ns per 64-byte record | ms per MB |\n|---|---|---|\n");
  for (const auto& [name, checksum] :
       {std::pair<const char*, Checksum>{"Crc32c", shardtrack::Crc32c},
        {"Crc32cBytewise", shardtrack::Crc32cBytewise}}) {
    // Each call extends the previous checksum, so no call can be skipped or hoisted.
    std::uint32_t crc = 0;
    const auto over = [&crc, checksum](const std::string& data) {
      return [&crc, checksum, &data](int) { return crc = checksum(data, crc); };
    };
    std::printf("| %s | %.1f | %.3f |\n", name, shardtrack::NanosPerCall(1000000, over(record)),
                shardtrack::NanosPerCall(50, over(megabyte)) / 1e6);
  }
}
