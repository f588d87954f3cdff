// PackedSlots: slots of 2, 3 or 4 bytes that hold every value up to their width's largest and
// leave their neighbours alone.
#include "shard/endpoint_slots.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace shardtrack {
namespace {

template <std::size_t kBytes>
void ExpectEachSlotHoldsItsOwnValue() {
  constexpr std::size_t kSlots = 5;
  std::array<std::uint8_t, kSlots * kBytes + 1> bytes{};
  bytes.back() = 0xAB;  // just past the last slot
  PackedSlots<kBytes> slots(bytes.data(), kSlots);
  ASSERT_EQ(slots.size(), kSlots);
  const std::array<std::uint32_t, kSlots> values = {PackedSlots<kBytes>::kMax, 1, 0x0102,
                                                    PackedSlots<kBytes>::kMax - 1, 0};
  for (std::size_t i = 0; i < kSlots; ++i) slots.Set(i, values[i]);
  for (std::size_t i = 0; i < kSlots; ++i) EXPECT_EQ(slots[i], values[i]) << kBytes << " " << i;
  slots.Set(1, 0);  // a neighbour of the largest values changes alone
  EXPECT_EQ(slots[0], PackedSlots<kBytes>::kMax);
  EXPECT_EQ(slots[1], 0u);
  EXPECT_EQ(slots[2], 0x0102u);
  slots.Clear();
  for (std::size_t i = 0; i < kSlots; ++i) EXPECT_EQ(slots[i], 0u) << kBytes << " " << i;
  EXPECT_EQ(bytes.back(), 0xAB);
}

TEST(PackedSlotsTest, EachWidthHoldsUpToItsLargestValueAndLeavesItsNeighboursAlone) {
  static_assert(PackedSlots<2>::kMax == 0xFFFF);
  static_assert(PackedSlots<3>::kMax == 0xFF'FFFF);
  static_assert(PackedSlots<4>::kMax == 0xFFFF'FFFF);
  ExpectEachSlotHoldsItsOwnValue<2>();
  ExpectEachSlotHoldsItsOwnValue<3>();
  ExpectEachSlotHoldsItsOwnValue<4>();
}

}  // namespace
}  // namespace shardtrack
