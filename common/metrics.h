// MetricsRegistry: one process's metrics, rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics. Loop thread only: nothing is atomic or locked.
//
// The registry owns every Counter, Gauge and Histogram it hands out; the references stay valid
// for the registry's lifetime, so an increment is one add on a plain integer. Labels are fixed
// at registration: one series per (name, labels). Values kept elsewhere (a store's size) are
// read by a callback at render time instead. There is no global registry: main() builds one and
// passes references down. Registering an invalid name, a duplicate series, or one name with two
// types or helps is a programming error and aborts with a message.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardtrack {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(std::uint64_t by = 1) { value_ += by; }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0;
};

class Gauge {
 public:
  void Set(double value) { value_ = value; }
  void Add(double delta) { value_ += delta; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

// Fixed buckets given by their inclusive upper bounds (strictly increasing); +Inf is implied.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);  // NaN is ignored

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Observations per bucket, not cumulative; one more entry than upper_bounds() (the +Inf one).
  const std::vector<std::uint64_t>& bucket_counts() const { return bucket_counts_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> upper_bounds_;
  std::vector<std::uint64_t> bucket_counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// `count` bounds: start, start*factor, start*factor^2, ...
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// A sample value as the format spells it: NaN, +Inf, -Inf, or the shortest round-trip decimal in
// %g's style, as Prometheus's own clients write it (0.0001, not 1e-04: a query that names a
// bucket by its `le` label must find it).
std::string FormatMetricValue(double value);

// The Content-Type of a rendered registry.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsRegistry {
 public:
  Counter& AddCounter(std::string_view name, std::string_view help, MetricLabels labels = {});
  void AddCounter(std::string_view name, std::string_view help, MetricLabels labels,
                  std::function<std::uint64_t()> read);
  // A counter of a quantity that is not a count, such as seconds.
  void AddFloatCounter(std::string_view name, std::string_view help, MetricLabels labels,
                       std::function<double()> read);
  Gauge& AddGauge(std::string_view name, std::string_view help, MetricLabels labels = {});
  void AddGauge(std::string_view name, std::string_view help, MetricLabels labels,
                std::function<double()> read);
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<double> upper_bounds, MetricLabels labels = {});

  // Families in registration order, each with its HELP and TYPE lines, then its series.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    std::string labels;                       // rendered pairs, without braces
    std::function<std::string()> value_text;  // counters and gauges
    const Histogram* histogram = nullptr;     // histograms
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<Series> series;
  };

  void AddSeries(std::string_view name, std::string_view help, Type type,
                 const MetricLabels& labels, Series series);
  static void RenderFamily(const Family& family, std::string& out);

  std::vector<Family> families_;
  std::deque<Counter> counters_;  // deques: growth never moves an element
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
};

}  // namespace shardtrack
