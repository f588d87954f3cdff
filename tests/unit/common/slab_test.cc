#include "common/slab.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

TEST(SlabTest, HandsOutDistinctIndexesAndReusesReleasedOnes) {
  Slab<std::string> slab;
  const std::uint32_t a = slab.Acquire();
  const std::uint32_t b = slab.Acquire();
  EXPECT_NE(a, b);
  slab[a] = "first";
  slab[b] = "second";
  slab.Release(a);
  EXPECT_EQ(slab[b], "second");
  EXPECT_EQ(slab.Acquire(), a);  // reused, not grown
  EXPECT_EQ(slab[a], "first");   // the caller resets what it reuses
  EXPECT_NE(slab.Acquire(), b);
}

}  // namespace
}  // namespace shardtrack
