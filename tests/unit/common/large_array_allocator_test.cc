// LargeArrayAllocator: large arrays are mappings of their own, gone from the process when freed;
// small ones come from malloc. Read from /proc/self/maps.
#include "common/large_array_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
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
    EXPECT_EQ(range.line.find("[heap]"), std::string::npos) << range.line;
    EXPECT_EQ(array[count - 1], 7u);
  }
  Range range;
  EXPECT_FALSE(FindMapping(address, range)) << "the freed array is still mapped";
}

TEST(LargeArrayAllocatorTest, ASmallArrayComesFromMallocsHeap) {
  std::vector<int, LargeArrayAllocator<int>> small;
  for (int n = 0; n < 100; ++n) small.push_back(n);  // grows through several allocations
  Range range;
  ASSERT_TRUE(FindMapping(small.data(), range));
  EXPECT_NE(range.line.find("[heap]"), std::string::npos) << range.line;
  EXPECT_EQ(small.back(), 99);
}

}  // namespace
}  // namespace shardtrack
