#include "bench/run_stats.h"

#include <algorithm>
#include <cstdio>

namespace shardtrack {
namespace {

constexpr std::size_t kErrorsKept = 5;

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

}  // namespace

void RunStats::NoteError(std::string message) {
  if (first_errors.size() >= kErrorsKept ||
      std::find(first_errors.begin(), first_errors.end(), message) != first_errors.end()) {
    return;
  }
  first_errors.push_back(std::move(message));
}

std::string RunStats::ToJson(const std::string& label, const std::string& config) const {
  const double rps = seconds > 0 ? static_cast<double>(requests) / seconds : 0;
  std::string out = "{\"label\":" + JsonString(label);
  if (!config.empty()) out += "," + config;
  out += ",\"requests\":" + std::to_string(requests) + ",\"seconds\":" + Format("%.3f", seconds) +
         ",\"rps\":" + Format("%.1f", rps) + ",\"requests_all\":" + std::to_string(requests_all) +
         ",\"p50_us\":" + std::to_string(latency.Percentile(0.5)) +
         ",\"p99_us\":" + std::to_string(latency.Percentile(0.99)) +
         ",\"p999_us\":" + std::to_string(latency.Percentile(0.999)) +
         ",\"max_us\":" + std::to_string(latency.max()) +
         ",\"mean_us\":" + Format("%.1f", latency.mean()) + ",\"p99_without_completed_us\":" +
         std::to_string(latency_without_completed.Percentile(0.99)) +
         ",\"peers_returned\":" + std::to_string(peers_returned) +
         ",\"errors\":" + std::to_string(errors()) + ",\"invalid\":" + std::to_string(invalid) +
         ",\"http_errors\":" + std::to_string(http_errors) +
         ",\"connect_errors\":" + std::to_string(connect_errors) +
         ",\"closed_early\":" + std::to_string(closed_early) +
         ",\"timeouts\":" + std::to_string(timeouts) +
         ",\"connections_opened\":" + std::to_string(connections_opened) + ",\"first_errors\":[";
  for (std::size_t i = 0; i < first_errors.size(); ++i) {
    out += (i == 0 ? "" : ",") + JsonString(first_errors[i]);
  }
  return out + "]}";
}

std::string RunStats::ToHuman(const std::string& label) const {
  const double rps = seconds > 0 ? static_cast<double>(requests) / seconds : 0;
  std::string out = label + ": " + std::to_string(requests) + " replies in " +
                    Format("%.2f", seconds) + " s = " + Format("%.0f", rps) +
                    " req/s; latency p50 " + std::to_string(latency.Percentile(0.5)) + " us, p99 " +
                    std::to_string(latency.Percentile(0.99)) + " us, p99.9 " +
                    std::to_string(latency.Percentile(0.999)) + " us (p99 without completed " +
                    std::to_string(latency_without_completed.Percentile(0.99)) + " us); errors " +
                    std::to_string(errors()) + " (invalid " + std::to_string(invalid) + ")";
  for (const std::string& error : first_errors) out += "\n  error: " + error;
  return out;
}

}  // namespace shardtrack
