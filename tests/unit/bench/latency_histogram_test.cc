#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

TEST(LatencyHistogramTest, PercentilesAreWithinThreePercent) {
  LatencyHistogram histogram;
  for (std::uint64_t us = 1; us <= 100000; ++us) histogram.Record(us);
  EXPECT_EQ(histogram.count(), 100000u);
  EXPECT_NEAR(static_cast<double>(histogram.Percentile(0.5)), 50000, 1500);
  EXPECT_NEAR(static_cast<double>(histogram.Percentile(0.99)), 99000, 3000);
  EXPECT_EQ(histogram.Percentile(1.0), 100000u);
  EXPECT_NEAR(histogram.mean(), 50000.5, 1e-6);
}

TEST(LatencyHistogramTest, SmallValuesAreExactAndEmptyIsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.Percentile(0.5), 0u);
  for (std::uint64_t us : {3, 3, 7, 20}) histogram.Record(us);
  EXPECT_EQ(histogram.Percentile(0.5), 3u);
  EXPECT_EQ(histogram.Percentile(0.75), 7u);
  EXPECT_EQ(histogram.max(), 20u);
}

TEST(LatencyHistogramTest, BucketBoundsContainTheirValues) {
  for (std::uint64_t v : {0ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull}) {
    const std::size_t bucket = LatencyHistogram::BucketFor(v);
    EXPECT_GE(LatencyHistogram::BucketUpperBound(bucket), v);
    if (bucket > 0) {
      EXPECT_LT(LatencyHistogram::BucketUpperBound(bucket - 1), v);
    }
  }
}

TEST(LatencyHistogramTest, MergeAddsCounts) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.Record(10);
  b.Record(1000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 1000u);
}

}  // namespace
}  // namespace shardtrack
