#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace shardtrack {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "MetricsRegistry: %s\n", message.c_str());
  std::abort();
}

bool IsNameChar(char c, bool first, bool allow_colon) {
  bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (letter || (allow_colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string_view text, bool quote, std::string& out) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string RenderLabels(const MetricLabels& labels, bool histogram) {
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!IsValidName(name, false) || name.starts_with("__") || (histogram && name == "le")) {
      Die("invalid label name '" + name + "'");
    }
    if (!out.empty()) out += ',';
    out += name;
    out += "=\"";
    AppendEscaped(value, true, out);
    out += '"';
  }
  return out;
}

void AppendSample(std::string_view name, std::string_view suffix, std::string_view labels,
                  std::string_view value, std::string& out) {
  out += name;
  out += suffix;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string LeLabel(const std::string& labels, const std::string& bound) {
  return labels.empty() ? "le=\"" + bound + "\"" : labels + ",le=\"" + bound + "\"";
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general);
  if (error != std::errc{}) return "NaN";
  return std::string(buffer, end);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), bucket_counts_(upper_bounds_.size() + 1, 0) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (std::isnan(upper_bounds_[i]) || (i > 0 && upper_bounds_[i] <= upper_bounds_[i - 1])) {
      Die("histogram bounds must be strictly increasing");
    }
  }
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  auto bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  ++bucket_counts_[bucket - upper_bounds_.begin()];
  ++count_;
  sum_ += value;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  for (int i = 0; i < count; ++i, start *= factor) bounds.push_back(start);
  return bounds;
}

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help,
                                     MetricLabels labels) {
  Counter& counter = counters_.emplace_back();
  AddSeries(name, help, Type::kCounter, labels,
            Series{{}, [&counter] { return std::to_string(counter.value()); }, nullptr});
  return counter;
}

void MetricsRegistry::AddCounter(std::string_view name, std::string_view help, MetricLabels labels,
                                 std::function<std::uint64_t()> read) {
  AddSeries(name, help, Type::kCounter, labels,
            Series{{}, [read = std::move(read)] { return std::to_string(read()); }, nullptr});
}

void MetricsRegistry::AddFloatCounter(std::string_view name, std::string_view help,
                                      MetricLabels labels, std::function<double()> read) {
  AddSeries(name, help, Type::kCounter, labels,
            Series{{}, [read = std::move(read)] { return FormatMetricValue(read()); }, nullptr});
}

Gauge& MetricsRegistry::AddGauge(std::string_view name, std::string_view help,
                                 MetricLabels labels) {
  Gauge& gauge = gauges_.emplace_back();
  AddSeries(name, help, Type::kGauge, labels,
            Series{{}, [&gauge] { return FormatMetricValue(gauge.value()); }, nullptr});
  return gauge;
}

void MetricsRegistry::AddGauge(std::string_view name, std::string_view help, MetricLabels labels,
                               std::function<double()> read) {
  AddSeries(name, help, Type::kGauge, labels,
            Series{{}, [read = std::move(read)] { return FormatMetricValue(read()); }, nullptr});
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> upper_bounds, MetricLabels labels) {
  Histogram& histogram = histograms_.emplace_back(std::move(upper_bounds));
  AddSeries(name, help, Type::kHistogram, labels, Series{{}, {}, &histogram});
  return histogram;
}

void MetricsRegistry::AddSeries(std::string_view name, std::string_view help, Type type,
                                const MetricLabels& labels, Series series) {
  if (!IsValidName(name, true)) Die("invalid metric name '" + std::string(name) + "'");
  series.labels = RenderLabels(labels, type == Type::kHistogram);
  auto family = std::find_if(families_.begin(), families_.end(),
                             [&](const Family& f) { return f.name == name; });
  if (family == families_.end()) {
    families_.push_back(Family{std::string(name), std::string(help), type, {}});
    family = families_.end() - 1;
  } else if (family->type != type || family->help != help) {
    Die("metric '" + std::string(name) + "' registered with two types or helps");
  }
  for (const Series& existing : family->series) {
    if (existing.labels == series.labels) {
      Die("duplicate series " + std::string(name) + "{" + series.labels + "}");
    }
  }
  family->series.push_back(std::move(series));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  for (const Family& family : families_) RenderFamily(family, out);
  return out;
}

void MetricsRegistry::RenderFamily(const Family& family, std::string& out) {
  out += "# HELP " + family.name + " ";
  AppendEscaped(family.help, false, out);
  static constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};
  out += "\n# TYPE " + family.name + " ";
  out += kTypeNames[static_cast<int>(family.type)];
  out += '\n';
  for (const Series& series : family.series) {
    if (series.histogram == nullptr) {
      AppendSample(family.name, "", series.labels, series.value_text(), out);
      continue;
    }
    const Histogram& histogram = *series.histogram;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < histogram.upper_bounds().size(); ++i) {
      cumulative += histogram.bucket_counts()[i];
      AppendSample(family.name, "_bucket",
                   LeLabel(series.labels, FormatMetricValue(histogram.upper_bounds()[i])),
                   std::to_string(cumulative), out);
    }
    AppendSample(family.name, "_bucket", LeLabel(series.labels, "+Inf"),
                 std::to_string(histogram.count()), out);
    AppendSample(family.name, "_sum", series.labels, FormatMetricValue(histogram.sum()), out);
    AppendSample(family.name, "_count", series.labels, std::to_string(histogram.count()), out);
  }
}

}  // namespace shardtrack
