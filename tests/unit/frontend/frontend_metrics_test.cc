#include "frontend/frontend_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/reactor/event_loop.h"
#include "frontend/client_request_limiter.h"

namespace shardtrack {
namespace {

bool Contains(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(FrontendMetricsTest, CountsRequestsByRouteAndOutcome) {
  FakeClock clock;
  MetricsRegistry registry;
  FrontendMetrics metrics(registry, clock);
  metrics.Record(Route::kAnnounce, Outcome::kOk, metrics.Now());
  metrics.Record(Route::kAnnounce, Outcome::kOk, metrics.Now());
  metrics.Record(Route::kAnnounce, Outcome::kFailure, metrics.Now());
  metrics.Record(Route::kReadyz, Outcome::kError, metrics.Now());
  std::string text = registry.Render();
  EXPECT_TRUE(Contains(text, R"(shardtrack_http_requests_total{route="announce",outcome="ok"} 2)"))
      << text;
  EXPECT_TRUE(
      Contains(text, R"(shardtrack_http_requests_total{route="announce",outcome="failure"} 1)"));
  EXPECT_TRUE(
      Contains(text, R"(shardtrack_http_requests_total{route="readyz",outcome="error"} 1)"));
  EXPECT_TRUE(Contains(text, R"(shardtrack_http_requests_total{route="scrape",outcome="ok"} 0)"));
}

TEST(FrontendMetricsTest, LatencyIsTheClockTimeSinceArrival) {
  FakeClock clock;
  MetricsRegistry registry;
  FrontendMetrics metrics(registry, clock);
  MonoTime started = metrics.Now();
  clock.Advance(std::chrono::microseconds(3000));  // 3 ms: between the 1.6 ms and 3.2 ms bounds
  metrics.Record(Route::kScrape, Outcome::kOk, started);
  std::string text = registry.Render();
  const std::string name = "shardtrack_http_request_duration_seconds";
  EXPECT_TRUE(Contains(text, name + R"(_bucket{route="scrape",le="0.0016"} 0)")) << text;
  EXPECT_TRUE(Contains(text, name + R"(_bucket{route="scrape",le="0.0032"} 1)"));
  EXPECT_TRUE(Contains(text, name + R"(_sum{route="scrape"} 0.003)"));
  EXPECT_TRUE(Contains(text, name + R"(_count{route="scrape"} 1)"));
  EXPECT_TRUE(Contains(text, name + R"(_count{route="announce"} 0)"));
}

TEST(FrontendMetricsTest, WatchesTheLimitersRefusalsAndTheLoopsTurns) {
  FakeClock clock;
  MetricsRegistry registry;
  FrontendMetrics metrics(registry, clock);
  ClientRequestLimiter limiter(1, 1);
  EventLoop loop(clock);
  metrics.WatchLimiter(limiter);
  metrics.WatchLoop(loop);
  const IpAddress client = *IpAddress::Parse("10.0.0.1");
  EXPECT_TRUE(limiter.Admit(client, clock.Now()));
  EXPECT_FALSE(limiter.Admit(client, clock.Now()));
  std::string text = registry.Render();
  EXPECT_TRUE(Contains(text, "shardtrack_client_request_limit_refusals_total 1")) << text;
  EXPECT_TRUE(Contains(text, "shardtrack_loop_turns_total 0"));
  EXPECT_TRUE(Contains(text, "shardtrack_loop_batch_holds_total 0"));
}

}  // namespace
}  // namespace shardtrack
