#include "bench/load_runner.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/bench/fake_tracker.h"

namespace shardtrack {
namespace {

using namespace std::chrono_literals;
using testing::FakeTracker;

LoadgenOptions Options(std::uint16_t port) {
  LoadgenOptions options;
  options.port = port;
  options.warmup = 0;
  options.torrents = 10;
  options.peers = 100;
  options.sources = 1;
  options.connections = 4;
  return options;
}

// Runs a load on a thread of its own; nullopt when it has not ended within `limit` (the thread
// is then left running, so that a run that never ends fails its test instead of hanging it).
std::optional<Result<RunStats>> RunToEnd(const LoadgenOptions& options,
                                         std::chrono::seconds limit = 10s) {
  struct Run {
    LoadgenOptions options;
    std::promise<Result<RunStats>> result;
  };
  auto run = std::make_shared<Run>(Run{options, {}});
  std::future<Result<RunStats>> result = run->result.get_future();
  std::thread([run] {
    auto workload_options = run->options.ToWorkloadOptions();
    auto picker = TorrentPicker::Create("uniform", workload_options->torrents, 1.0);
    Workload workload(*workload_options, std::move(*picker));
    LoadRunner runner(run->options, workload);
    run->result.set_value(runner.Run());
  }).detach();
  if (result.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return result.get();
}

// RunToEnd for a run expected to succeed: nullopt when it did not end or failed.
std::optional<RunStats> RunLoad(const LoadgenOptions& options) {
  std::optional<Result<RunStats>> stats = RunToEnd(options);
  if (!stats) return std::nullopt;
  EXPECT_TRUE(stats->ok()) << stats->error();
  if (!stats->ok()) return std::nullopt;
  return **stats;
}

// A loopback port nothing listens on.
std::uint16_t ClosedPort() {
  auto listening = OpenListenSocket("127.0.0.1", 0, 1, /*reuse_port=*/false);
  EXPECT_TRUE(listening.ok());
  if (!listening.ok()) return 0;
  return listening->port;  // closed as `listening` goes
}

TEST(LoadRunnerTest, PacedRunMeasuresRequestsAStallAtTheEndOfTheWindowHolds) {
  FakeTracker tracker;
  // 400 requests a second for 0.5 s; the tracker stands still from 0.3 s to 0.8 s.
  const auto start = FakeTracker::Clock::now();
  tracker.StallBetween(start + 300ms, start + 800ms);
  tracker.Start();
  LoadgenOptions options = Options(tracker.port());
  options.rate = 400;
  options.duration = 0.5;
  const auto stats = RunLoad(options);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->errors(), 0u);
  EXPECT_EQ(stats->requests, 200u);  // every request scheduled inside the window
  // 2 in 5 were due during the stall, and waited for its end: 0.3 to 0.5 s.
  EXPECT_GE(stats->latency.Percentile(0.75), 250000u);
  EXPECT_GE(stats->latency.max(), 450000u);
}

TEST(LoadRunnerTest, AReplyLaterThanTheTimeoutIsATimeoutNotALatency) {
  FakeTracker tracker(180ms);
  tracker.Start();
  LoadgenOptions options = Options(tracker.port());
  options.connections = 2;
  options.duration = 0.6;
  options.timeout = 0.12;
  const auto stats = RunLoad(options);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->requests, 0u);
  EXPECT_EQ(stats->latency.max(), 0u);
  EXPECT_GT(stats->timeouts, 0u);
}

TEST(LoadRunnerTest, PacedRequestsAreRepliesWithinTheTimeoutOrTimeouts) {
  FakeTracker tracker(20ms);  // one connection answers 50 requests a second
  tracker.Start();
  LoadgenOptions options = Options(tracker.port());
  options.connections = 1;
  options.rate = 200;
  options.duration = 1;
  options.timeout = 0.2;
  const auto stats = RunLoad(options);
  ASSERT_TRUE(stats);
  EXPECT_LE(stats->latency.max(), 200000u);
  EXPECT_GT(stats->timeouts, 0u);
  EXPECT_EQ(stats->requests + stats->errors(), 200u);
}

TEST(LoadRunnerTest, PopulateSendsEveryPeerWithFewerConnectionsThanSources) {
  FakeTracker tracker;
  tracker.Start();
  LoadgenOptions options = Options(tracker.port());
  options.mode = WorkloadMode::kPopulate;
  options.peers = 50;
  options.sources = 5;
  options.connections = 2;
  const auto stats = RunLoad(options);
  tracker.Stop();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->requests, 50u);
  EXPECT_EQ(stats->errors(), 0u);
  std::set<std::pair<std::uint32_t, std::string>> peers;  // source address, peer id
  for (const FakeTracker::Request& request : tracker.Requests()) {
    const std::size_t id = request.head.find("peer_id=");
    peers.insert({request.source_address, request.head.substr(id, 28)});
  }
  EXPECT_EQ(peers.size(), 50u);
}

TEST(LoadRunnerTest, RequestCountIncludesFailedRequests) {
  FakeTracker tracker(200ms);
  tracker.Start();
  LoadgenOptions options = Options(tracker.port());
  options.requests = 6;
  options.connections = 2;
  options.timeout = 0.05;
  const auto stats = RunLoad(options);
  ASSERT_TRUE(stats) << "the run did not end";
  EXPECT_EQ(stats->requests, 0u);
  EXPECT_EQ(stats->timeouts, 6u);
  // Each distinct message once.
  EXPECT_EQ(stats->first_errors, std::vector<std::string>{"no reply within --timeout"});
}

// Once replies came, a refused connection is an error of the run, which goes on to its end.
TEST(LoadRunnerTest, AConnectionRefusedOnceRepliesCameIsAnErrorOfTheRun) {
  FakeTracker tracker;
  tracker.GoAwayAt(FakeTracker::Clock::now() + 200ms);
  tracker.Start();
  LoadgenOptions options = Options(tracker.port());
  options.duration = 0.5;
  const auto stats = RunLoad(options);
  ASSERT_TRUE(stats) << "the run did not end or failed";
  EXPECT_GT(stats->requests, 0u);
  EXPECT_GT(stats->connect_errors, 0u);
}

// Nothing listening: the run ends at once saying so, also from inside a warm-up (where it once
// retried in a tight loop for the whole warm-up, and then reported a run of errors).
TEST(LoadRunnerTest, ARunAgainstAPortNobodyListensOnEndsSayingSo) {
  LoadgenOptions options = Options(ClosedPort());
  options.warmup = 30;
  options.requests = 20;
  const auto stats = RunToEnd(options, 5s);
  ASSERT_TRUE(stats) << "the run did not end";
  ASSERT_FALSE(stats->ok());
  EXPECT_EQ(stats->error(), "nothing listens on 127.0.0.1:" + std::to_string(options.port) +
                                " (connection refused): start the tracker first, or give "
                                "--host and --port of its HTTP listener");
}

}  // namespace
}  // namespace shardtrack
