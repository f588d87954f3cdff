// MappedArray: a large array is a mapping of its own (read from /proc/self/maps), gone when freed;
// a resize keeps the elements across the malloc/mapping boundary both ways; growing a mapping
// faults only its new pages (counted by getrusage).
#include "common/mapped_array.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>

namespace shardtrack {
namespace {

const std::size_t kPage = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));

// Whether /proc/self/maps has a mapping other than the heap that holds `address`.
bool IsOwnMapping(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    fields >> std::hex >> begin >> dash >> end;
    if (begin <= at && at < end) return line.find("[heap]") == std::string::npos;
  }
  return false;
}

[[maybe_unused]] long MinorFaults() {  // unused under AddressSanitizer
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

using Words = MappedArray<std::uint64_t>;

TEST(MappedArrayTest, ALargeArrayIsAMappingOfItsOwnUntilFreed) {
  const void* address = nullptr;
  {
    Words array(4 * kPage / sizeof(std::uint64_t));
    address = array.begin();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(address) % kPage, 0u);
    EXPECT_TRUE(IsOwnMapping(address));
    EXPECT_EQ(array[array.size() - 1], 0u) << "new elements are value-initialised";
  }
  EXPECT_FALSE(IsOwnMapping(address)) << "the freed array is still mapped";
}

TEST(MappedArrayTest, AMappedArrayFillsItsLastPage) {
  const std::size_t asked = kPage / sizeof(std::uint64_t) + 1;
  Words array(asked);
  EXPECT_EQ(array.size(), Words::SizeFor(asked));
  EXPECT_EQ(array.size() * sizeof(std::uint64_t), kPage + kPage);
  EXPECT_EQ(array.BytesHeld(), kPage + kPage);
  EXPECT_EQ(Words::SizeFor(10), 10u) << "a small array is not rounded";
  EXPECT_EQ(Words::BytesHeld(10), 10 * sizeof(std::uint64_t));
}

// From nothing to malloc to a mapping and bigger, then back down: what was kept reads back.
TEST(MappedArrayTest, AResizeKeepsTheElementsBothWays) {
  const std::size_t small = kPage / sizeof(std::uint64_t) / 4;
  const std::size_t large = 16 * kPage / sizeof(std::uint64_t);
  Words array;
  auto fill = [&](std::size_t from) {
    for (std::size_t i = from; i < array.size(); ++i) array[i] = i * 7 + 1;
  };
  auto holds = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      if (array[i] != i * 7 + 1) return ::testing::AssertionFailure() << "element " << i;
    }
    return ::testing::AssertionSuccess();
  };
  for (const std::size_t count : {small, small * 3, large / 3, large, large / 5, small, 0ul}) {
    const std::size_t before = array.size();
    array.Resize(count);
    ASSERT_EQ(array.size(), Words::SizeFor(count));
    ASSERT_TRUE(holds(std::min(before, array.size()))) << before << " -> " << count;
    for (std::size_t i = before; i < array.size(); ++i) ASSERT_EQ(array[i], 0u);
    fill(0);
  }
  EXPECT_EQ(array.begin(), array.end());
}

TEST(MappedArrayTest, GrowingAMappingFaultsOnlyItsNewPages) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory faults pages of its own";
#else
  const std::size_t pages = 256;
  Words array(pages * kPage / sizeof(std::uint64_t));
  for (std::uint64_t& word : array) word = 1;  // every page resident
  const long before = MinorFaults();
  array.Resize(array.size() + array.size() / 4);
  const long faults = MinorFaults() - before;
  // The 64 new pages are written (value-initialised); the 256 old ones stay where they were. A
  // fresh mapping and a copy would fault all 320.
  EXPECT_GE(faults, 64);
  EXPECT_LT(faults, 64 + pages / 4);
  EXPECT_EQ(array[0], 1u);
  EXPECT_EQ(array[pages * kPage / sizeof(std::uint64_t) - 1], 1u);
#endif
}

// Elements with owners (the table's swarms hold unique_ptrs) move by their bytes and are
// destroyed once: no leak under LeakSanitizer, no double free.
TEST(MappedArrayTest, OwningElementsSurviveMovesAndAreFreedOnce) {
  MappedArray<std::unique_ptr<int>> array(8);
  for (std::size_t i = 0; i < array.size(); ++i)
    array[i] = std::make_unique<int>(static_cast<int>(i));
  array.Resize(4 * kPage / sizeof(void*));
  array.Resize(3);
  ASSERT_EQ(array.size(), 3u);
  EXPECT_EQ(*array[2], 2);
  MappedArray<std::unique_ptr<int>> taken(std::move(array));
  EXPECT_EQ(*taken[1], 1);
  EXPECT_EQ(array.size(), 0u);
}

TEST(MappedArrayTest, AMoveAssignmentFreesWhatItReplaces) {
  MappedArray<std::unique_ptr<int>> kept(4 * kPage / sizeof(void*));
  kept[0] = std::make_unique<int>(1);
  MappedArray<std::unique_ptr<int>> replaced(2);
  replaced[1] = std::make_unique<int>(2);  // freed by the assignment: LeakSanitizer would tell
  const void* old_mapping = kept.begin();
  replaced = std::move(kept);
  EXPECT_EQ(*replaced[0], 1);
  EXPECT_EQ(replaced.begin(), old_mapping);
  replaced = MappedArray<std::unique_ptr<int>>(3);
  EXPECT_FALSE(IsOwnMapping(old_mapping)) << "the replaced mapping is still there";
}

// More than any x86-64 or arm64 process can map, from malloc and from a mapping.
TEST(MappedArrayTest, AnArrayTheSystemCannotGiveIsBadAllocAndChangesNothing) {
  for (const std::size_t count : {std::size_t{100}, 4 * kPage / sizeof(std::uint64_t)}) {
    Words array(count);
    array[count - 1] = 5;
    EXPECT_THROW(array.Resize(std::size_t{1} << 50), std::bad_alloc);
    ASSERT_EQ(array.size(), count);
    EXPECT_EQ(array[count - 1], 5u);
  }
  Words array;
  EXPECT_THROW(array.Resize(SIZE_MAX / 4), std::bad_alloc) << "bytes that overflow";
  EXPECT_EQ(array.size(), 0u);
}

}  // namespace
}  // namespace shardtrack
