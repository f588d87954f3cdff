#include "bench/zipf_sampler.h"

#include <gtest/gtest.h>

#include <vector>

namespace shardtrack {
namespace {

TEST(ZipfSamplerTest, ProbabilitiesFollowThePowerLawAndSumToOne) {
  ZipfSampler zipf(1000, 1.0);
  double sum = 0;
  for (std::uint64_t k = 0; k < 1000; ++k) sum += zipf.Probability(k);
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_NEAR(zipf.Probability(0) / zipf.Probability(1), 2.0, 1e-9);
  EXPECT_NEAR(zipf.Probability(0) / zipf.Probability(9), 10.0, 1e-9);
  EXPECT_EQ(zipf.Probability(1000), 0);
}

TEST(ZipfSamplerTest, ExponentShapesTheDecay) {
  ZipfSampler zipf(100, 2.0);
  EXPECT_NEAR(zipf.Probability(0) / zipf.Probability(1), 4.0, 1e-9);
}

TEST(ZipfSamplerTest, SamplesStayInRangeWithTheExpectedFrequencies) {
  ZipfSampler zipf(100, 1.0);
  std::mt19937_64 rng(7);
  std::vector<int> counts(100, 0);
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t rank = zipf.Sample(rng);
    ASSERT_LT(rank, 100u);
    ++counts[rank];
  }
  for (std::uint64_t k : {0, 1, 9, 99}) {
    EXPECT_NEAR(counts[k] / double{kDraws}, zipf.Probability(k), 0.01) << "rank " << k;
  }
}

TEST(ZipfSamplerTest, OneTorrentIsAlwaysRankZero) {
  ZipfSampler zipf(1, 1.0);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(zipf.Sample(rng), 0u);
  EXPECT_EQ(zipf.Probability(0), 1.0);
}

}  // namespace
}  // namespace shardtrack
