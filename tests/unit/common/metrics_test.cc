#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace shardtrack {
namespace {

TEST(MetricsRegistryTest, RendersCounterWithHelpAndType) {
  MetricsRegistry registry;
  Counter& requests = registry.AddCounter("http_requests_total", "Requests answered.");
  requests.Increment();
  requests.Increment(4);
  EXPECT_EQ(registry.Render(),
            "# HELP http_requests_total Requests answered.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total 5\n");
}

TEST(MetricsRegistryTest, GroupsLabelledSeriesUnderOneFamilyInRegistrationOrder) {
  MetricsRegistry registry;
  registry.AddCounter("requests_total", "By kind.", {{"kind", "announce"}}).Increment(2);
  registry.AddGauge("open_connections", "Open.").Set(3);
  registry.AddCounter("requests_total", "By kind.", {{"kind", "scrape"}}).Increment(1);
  EXPECT_EQ(registry.Render(),
            "# HELP requests_total By kind.\n"
            "# TYPE requests_total counter\n"
            "requests_total{kind=\"announce\"} 2\n"
            "requests_total{kind=\"scrape\"} 1\n"
            "# HELP open_connections Open.\n"
            "# TYPE open_connections gauge\n"
            "open_connections 3\n");
}

TEST(MetricsRegistryTest, CallbackSeriesAreReadAtRenderTime) {
  MetricsRegistry registry;
  std::uint64_t announces = 1;
  double peers = 2.5;
  registry.AddCounter("announces_total", "Announces.", {}, [&] { return announces; });
  registry.AddGauge("peers", "Peers.", {{"shard", "0"}}, [&] { return peers; });
  announces = 7;
  peers = 9;
  std::string text = registry.Render();
  EXPECT_NE(text.find("\nannounces_total 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\npeers{shard=\"0\"} 9\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.AddGauge("g", "line one\nback\\slash \"quoted\"", {{"path", "a\"b\\c\nd"}}).Set(1);
  EXPECT_EQ(registry.Render(),
            "# HELP g line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry registry;
  Histogram& latency =
      registry.AddHistogram("latency_seconds", "Latency.", {0.25, 0.5, 1}, {{"kind", "a"}});
  latency.Observe(0.125);
  latency.Observe(0.25);  // bounds are inclusive
  latency.Observe(0.75);
  latency.Observe(4);
  latency.Observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{kind=\"a\",le=\"0.25\"} 2\n"
            "latency_seconds_bucket{kind=\"a\",le=\"0.5\"} 2\n"
            "latency_seconds_bucket{kind=\"a\",le=\"1\"} 3\n"
            "latency_seconds_bucket{kind=\"a\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{kind=\"a\"} 5.125\n"
            "latency_seconds_count{kind=\"a\"} 4\n");
}

TEST(MetricsRegistryTest, HistogramWithoutLabelsHasOnlyLe) {
  MetricsRegistry registry;
  registry.AddHistogram("h", "H.", {1}).Observe(0.5);
  std::string text = registry.Render();
  EXPECT_NE(text.find("\nh_bucket{le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nh_sum 0.5\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(-2), "-2");
  EXPECT_EQ(FormatMetricValue(0.0001), "0.0001");
  EXPECT_EQ(FormatMetricValue(0.0008), "0.0008");
  EXPECT_EQ(FormatMetricValue(0.00001), "1e-05");
  EXPECT_EQ(FormatMetricValue(123456), "123456");
}

TEST(MetricsRegistryTest, ExponentialBucketsMultiplyFromStart) {
  EXPECT_EQ(ExponentialBuckets(0.5, 2, 4), (std::vector<double>{0.5, 1, 2, 4}));
}

TEST(MetricsRegistryDeathTest, RefusesDuplicateSeries) {
  MetricsRegistry registry;
  registry.AddCounter("c", "C.", {{"a", "1"}});
  EXPECT_DEATH(registry.AddCounter("c", "C.", {{"a", "1"}}), "duplicate series");
}

TEST(MetricsRegistryDeathTest, RefusesOneNameWithTwoTypes) {
  MetricsRegistry registry;
  registry.AddCounter("c", "C.");
  EXPECT_DEATH(registry.AddGauge("c", "C.", {{"a", "1"}}), "two types");
}

TEST(MetricsRegistryDeathTest, RefusesInvalidNames) {
  MetricsRegistry registry;
  EXPECT_DEATH(registry.AddCounter("1bad", "B."), "invalid metric name");
  EXPECT_DEATH(registry.AddCounter("good", "G.", {{"bad-label", "x"}}), "invalid label name");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", {1}, {{"le", "x"}}), "invalid label name");
  EXPECT_DEATH(registry.AddHistogram("h2", "H.", {2, 1}), "strictly increasing");
}

}  // namespace
}  // namespace shardtrack
