// ExpirySweep: slices come every interval while a lap over all torrents fits the bound, faster
// (never closer than kMinGap) when it would not; expired peers, forgotten torrents and the time
// of each whole lap and its longest slice are counted. Time comes from a fake clock.
#include "shard/expiry_sweep.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::AnnounceBuilder;
using testing::AnnounceFromWire;
using testing::HashOf;

constexpr UnixSeconds kStart = 1'700'000'000;
constexpr std::int64_t kTimeout = 2700;

ExpirySweep::Options Pace(std::size_t slice, Duration max_lap) {
  return {kTimeout, seconds(5), slice, max_lap};
}

TEST(ExpirySweepTest, SlicesComeEveryIntervalWhileALapFitsTheBound) {
  const ExpirySweep sweep(Pace(10, seconds(50)));
  EXPECT_EQ(sweep.GapFor(0), seconds(5));
  EXPECT_EQ(sweep.GapFor(7), seconds(5));
  EXPECT_EQ(sweep.GapFor(100), seconds(5));  // 10 slices of 5 s: exactly the bound
}

TEST(ExpirySweepTest, SlicesComeFasterWhenALapWouldOutlastTheBound) {
  const ExpirySweep sweep(Pace(10, seconds(50)));
  EXPECT_EQ(sweep.GapFor(200), milliseconds(2500));          // 20 slices in 50 s
  EXPECT_EQ(sweep.GapFor(101), Duration(seconds(50)) / 11);  // 11 slices
}

// An interval longer than the bound (--expire-interval 40, --expire-lap 1) is cut to the bound
// on an empty shard too: its first torrent's dead peers would stay listed for the interval.
TEST(ExpirySweepTest, AnEmptyTableWaitsNoLongerThanTheBound) {
  const ExpirySweep sweep({kTimeout, seconds(40), 10, seconds(1)});
  EXPECT_EQ(sweep.GapFor(0), seconds(1));
  EXPECT_EQ(sweep.GapFor(5), seconds(1));
}

TEST(ExpirySweepTest, SlicesNeverComeCloserThanTheMinimumGap) {
  const ExpirySweep sweep(Pace(1, seconds(1)));
  EXPECT_EQ(sweep.GapFor(1'000'000), ExpirySweep::kMinGap);
}

class ExpirySweepRunTest : public ::testing::Test {
 protected:
  // Torrent `n` with one leecher last seen at `when`.
  void AddTorrent(std::uint8_t n, UnixSeconds when) {
    proto::AnnounceReply reply;
    auto request = AnnounceBuilder(HashOf(n), "10.0.0." + std::to_string(n), 6881).request;
    ASSERT_TRUE(AnnounceFromWire(store_, request, when, rng_, reply).accepted);
  }

  SwarmStore store_;
  FastRng rng_{1};
  FakeClock clock_;  // its wall time starts at kStart
};

// Each reading of the monotonic time moves it on by `step`: a slice then takes `step`.
class SteppingClock final : public Clock {
 public:
  MonoTime Now() const override { return now_ += step; }
  UnixSeconds WallNow() const override { return kStart; }
  Duration step{};

 private:
  mutable MonoTime now_{};
};

TEST_F(ExpirySweepRunTest, CountsExpiredPeersAndForgottenTorrents) {
  ExpirySweep sweep(Pace(10, seconds(50)));
  AddTorrent(1, kStart);
  AddTorrent(2, kStart);
  AddTorrent(3, kStart + 100);
  clock_.SetWall(kStart + kTimeout);
  sweep.RunSlice(store_, clock_);
  EXPECT_EQ(sweep.stats().peers_expired, 2u);
  EXPECT_EQ(sweep.stats().torrents_forgotten, 2u);
  EXPECT_EQ(store_.torrents(), 1u);
  clock_.SetWall(kStart + 100 + kTimeout);
  sweep.RunSlice(store_, clock_);
  EXPECT_EQ(sweep.stats().peers_expired, 3u);
  EXPECT_EQ(sweep.stats().torrents_forgotten, 3u);
}

TEST_F(ExpirySweepRunTest, HandsOverTheTorrentsItRetiredAndCountsThem) {
  ExpirySweep::Options options = Pace(10, seconds(50));
  options.torrent_retention = kTimeout;
  ExpirySweep sweep(options);
  proto::AnnounceReply reply;
  auto completed = AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder();
  completed.Event(proto::EVENT_COMPLETED);
  ASSERT_TRUE(AnnounceFromWire(store_, completed.request, kStart, rng_, reply).accepted);
  AddTorrent(2, kStart);
  clock_.SetWall(kStart + kTimeout);
  sweep.RunSlice(store_, clock_);
  EXPECT_EQ(sweep.retired(), std::vector<InfoHash>{HashOf(1)});
  EXPECT_EQ(sweep.stats().torrents_retired, 1u);
  EXPECT_EQ(sweep.stats().torrents_forgotten, 2u);
  sweep.RunSlice(store_, clock_);
  EXPECT_TRUE(sweep.retired().empty());  // the last slice's only
  EXPECT_EQ(sweep.stats().torrents_retired, 1u);
}

TEST_F(ExpirySweepRunTest, AWholeLapTakesNoLongerThanTheBound) {
  for (std::uint8_t n = 1; n <= 200; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(10, seconds(50)));  // at every 5 s, 20 slices would take 100 s
  for (int slice = 0; slice < 100 && sweep.stats().laps < 2; ++slice) {
    clock_.Advance(sweep.RunSlice(store_, clock_));
  }
  ASSERT_EQ(sweep.stats().laps, 2u);
  EXPECT_EQ(sweep.stats().gap, milliseconds(2500));
  EXPECT_EQ(sweep.stats().last_lap, seconds(50));  // the second lap, end to end
  EXPECT_EQ(store_.torrents(), 200u);              // nobody was due
}

TEST_F(ExpirySweepRunTest, ALapSlowerThanTheBoundIsReported) {
  for (std::uint8_t n = 1; n <= 200; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(1, milliseconds(100)));  // 200 slices at kMinGap: 2 s a lap
  for (int slice = 0; slice < 500 && sweep.stats().laps < 2; ++slice) {
    clock_.Advance(sweep.RunSlice(store_, clock_));
  }
  ASSERT_EQ(sweep.stats().laps, 2u);
  EXPECT_EQ(sweep.stats().last_lap, 200 * ExpirySweep::kMinGap);
  EXPECT_TRUE(sweep.LastLapOverran());
}

TEST_F(ExpirySweepRunTest, ALapWithinTheBoundIsNotReported) {
  for (std::uint8_t n = 1; n <= 20; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(10, seconds(50)));
  for (int slice = 0; slice < 10 && sweep.stats().laps < 2; ++slice) {
    clock_.Advance(sweep.RunSlice(store_, clock_));
  }
  ASSERT_EQ(sweep.stats().laps, 2u);
  EXPECT_EQ(sweep.stats().last_lap, seconds(10));
  EXPECT_FALSE(sweep.LastLapOverran());
}

TEST_F(ExpirySweepRunTest, TheGapFollowsTheTableAsItShrinks) {
  for (std::uint8_t n = 1; n <= 200; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(100, seconds(5)));  // 2 slices per lap: 2.5 s apart
  EXPECT_EQ(sweep.RunSlice(store_, clock_), milliseconds(2500));
  // Everyone expires; the table empties and slices go back to every interval.
  clock_.SetWall(kStart + kTimeout);
  sweep.RunSlice(store_, clock_);
  sweep.RunSlice(store_, clock_);
  EXPECT_EQ(store_.torrents(), 0u);
  EXPECT_EQ(sweep.stats().gap, seconds(5));
}

TEST_F(ExpirySweepRunTest, ReportsTheLongestSliceOfTheLastLap) {
  for (std::uint8_t n = 1; n <= 30; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(10, seconds(50)));  // 3 slices a lap
  SteppingClock clock;
  for (const auto step : {milliseconds(1), milliseconds(7), milliseconds(2)}) {
    clock.step = step;
    sweep.RunSlice(store_, clock);
  }
  ASSERT_EQ(sweep.stats().laps, 1u);
  EXPECT_EQ(sweep.stats().longest_slice, milliseconds(7));
  clock.step = milliseconds(1);  // the next lap's slices are all short: its own longest counts
  for (int slice = 0; slice < 3; ++slice) sweep.RunSlice(store_, clock);
  ASSERT_EQ(sweep.stats().laps, 2u);
  EXPECT_EQ(sweep.stats().longest_slice, milliseconds(1));
}

TEST_F(ExpirySweepRunTest, ALapKeepsItsPaceWhileItForgetsTorrents) {
  for (std::uint8_t n = 1; n <= 200; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(10, seconds(50)));  // 20 slices a lap: about 2.5 s apart
  clock_.SetWall(kStart + kTimeout);         // every torrent is forgotten when swept
  while (sweep.stats().laps == 0) {
    clock_.Advance(sweep.RunSlice(store_, clock_));
    clock_.SetWall(kStart + kTimeout);
  }
  // Had the pace eased as the table shrank (10 slices fit 50 s at every 5 s), the lap would have
  // taken 81 s.
  EXPECT_LE(sweep.stats().last_lap, seconds(50));
  EXPECT_EQ(store_.torrents(), 0u);
}

TEST_F(ExpirySweepRunTest, TheNextSliceIsPacedFromTheStartOfThisOne) {
  for (std::uint8_t n = 1; n <= 200; ++n) AddTorrent(n, kStart);
  ExpirySweep sweep(Pace(10, seconds(50)));  // 2.5 s apart
  SteppingClock clock;
  clock.step = seconds(1);
  EXPECT_EQ(sweep.RunSlice(store_, clock), milliseconds(1500));
  clock.step = seconds(3);  // longer than the gap: the next comes as soon as it may
  EXPECT_EQ(sweep.RunSlice(store_, clock), ExpirySweep::kMinGap);
}

}  // namespace
}  // namespace shardtrack
