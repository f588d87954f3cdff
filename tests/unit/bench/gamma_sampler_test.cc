#include "bench/gamma_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bench/torrent_picker.h"

namespace shardtrack {
namespace {

TEST(GammaSamplerTest, MapsDrawsLinearlyOntoRanks) {
  GammaSampler gamma(10001, 0.2, 100);
  EXPECT_EQ(gamma.RankFor(0.0), 0u);
  EXPECT_EQ(gamma.RankFor(0.99), 0u);
  EXPECT_EQ(gamma.RankFor(1.0), 0u);
  EXPECT_EQ(gamma.RankFor(51.0), 5000u);
  EXPECT_EQ(gamma.RankFor(101.0), 10000u);
  EXPECT_EQ(gamma.RankFor(5000.0), 10000u);  // clamped to the last rank
  EXPECT_EQ(gamma.RankFor(std::numeric_limits<double>::quiet_NaN()), 0u);
}

TEST(GammaSamplerTest, AquaticsModelSendsAboutFortyThreePercentToOneTorrent) {
  GammaSampler gamma(10000, 0.2, 100);
  std::mt19937_64 rng(11);
  constexpr int kDraws = 200000;
  int first = 0;
  int last = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t rank = gamma.Sample(rng);
    ASSERT_LT(rank, 10000u);
    first += rank == 0;
    last += rank == 9999;
  }
  // P(X < 1) for Gamma(0.2, 100) is about 0.43; P(X >= 101) about 0.06.
  EXPECT_NEAR(first / double{kDraws}, 0.43, 0.02);
  EXPECT_NEAR(last / double{kDraws}, 0.06, 0.02);
}

TEST(TorrentPickerTest, BuildsEachModelItNames) {
  std::mt19937_64 rng(3);
  EXPECT_EQ(TorrentPicker::Distributions().size(), 3u);
  for (const std::string& name : TorrentPicker::Distributions()) {
    auto picker = TorrentPicker::Create(name, 50, 1.0);
    ASSERT_TRUE(picker.ok()) << name << ": " << picker.error();
    for (int i = 0; i < 1000; ++i) ASSERT_LT(picker->Pick(rng), 50u) << name;
  }
}

TEST(TorrentPickerTest, RejectsUnknownModelsAndNoTorrents) {
  EXPECT_FALSE(TorrentPicker::Create("pareto", 10, 1.0).ok());
  EXPECT_FALSE(TorrentPicker::Create("zipf", 0, 1.0).ok());
}

}  // namespace
}  // namespace shardtrack
