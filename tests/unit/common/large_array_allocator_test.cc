// LargeArrayAllocator: large arrays are mappings of their own, gone from the process when freed
// (read from /proc/self/maps); small ones come from malloc.
#include "common/large_array_allocator.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

struct Range {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
  std::string line;
};

// The mapping of /proc/self/maps that holds `address`, if any.
bool FindMapping(const void* address, Range& found) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    Range range;
    char dash = 0;
    fields >> std::hex >> range.begin >> dash >> range.end;
    if (range.begin <= at && at < range.end) {
      range.line = line;
      found = range;
      return true;
    }
  }
  return false;
}

TEST(LargeArrayAllocatorTest, ALargeArrayIsAMappingOfItsOwnUntilFreed) {
  using Array = std::vector<std::uint64_t, LargeArrayAllocator<std::uint64_t>>;
  const std::size_t count = 4 * kMinMappedBytes / sizeof(std::uint64_t);
  const void* address = nullptr;
  {
    Array array(count, 7);
    address = array.data();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(address) % 4096, 0u);
    Range range;
    ASSERT_TRUE(FindMapping(address, range));
    EXPECT_GE(range.end - range.begin, count * sizeof(std::uint64_t));
    EXPECT_EQ(array[count - 1], 7u);
  }
  Range range;
  EXPECT_FALSE(FindMapping(address, range)) << "the freed array is still mapped";
}

TEST(LargeArrayAllocatorTest, ASmallArrayComesFromMalloc) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator keeps no mallinfo";
#else
  const std::size_t count = kMinMappedBytes / 2 / sizeof(std::uint64_t);
  const std::size_t before = mallinfo2().uordblks;
  std::vector<std::uint64_t, LargeArrayAllocator<std::uint64_t>> small(count, 3);
  EXPECT_GE(mallinfo2().uordblks - before, count * sizeof(std::uint64_t));
  EXPECT_EQ(small.back(), 3u);
#endif
}

TEST(LargeArrayAllocatorTest, BytesHeldCountsWholePagesForMappedArraysOnly) {
  using Allocator = LargeArrayAllocator<std::uint8_t>;
  EXPECT_EQ(Allocator::BytesHeld(100), 100u);
  EXPECT_EQ(Allocator::BytesHeld(kMinMappedBytes - 1), kMinMappedBytes - 1);
  EXPECT_EQ(Allocator::BytesHeld(kMinMappedBytes), kMinMappedBytes);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(Allocator::BytesHeld(kMinMappedBytes + 1), (kMinMappedBytes / page + 1) * page);
}

TEST(LargeArrayAllocatorTest, AMappingTheKernelRefusesIsBadAlloc) {
  // More than any x86-64 or arm64 process can map: std::vector's own failure, not a crash.
  EXPECT_THROW(LargeArrayAllocator<std::uint8_t>().allocate(std::size_t{1} << 50), std::bad_alloc);
}

}  // namespace
}  // namespace shardtrack
