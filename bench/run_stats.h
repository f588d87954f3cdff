// RunStats: what one load-generator run counted, and its two report lines: one JSON object
// (for scripts) and one sentence (for people). Value type. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/latency_histogram.h"

namespace shardtrack {

struct RunStats {
  // Replies to the requests started (paced: due) inside the measured window that came within
  // --timeout, and their latencies.
  std::uint64_t requests = 0;
  double seconds = 0;  // length of the measured window
  LatencyHistogram latency;
  // The same without announces carrying event=completed: a tracker that makes a completion
  // durable before answering it shows its disk in `latency` and its serving in this one.
  LatencyHistogram latency_without_completed;
  // Replies completed over the whole run, warm-up included (divide server CPU by this).
  std::uint64_t requests_all = 0;
  std::uint64_t peers_returned = 0;  // over the measured announce replies

  // Failures over the whole run.
  std::uint64_t invalid = 0;         // HTTP 200 whose body failed validation
  std::uint64_t http_errors = 0;     // another status, or an unparsable response
  std::uint64_t connect_errors = 0;  // connect or send failed
  std::uint64_t closed_early = 0;    // the server closed before the reply was complete
  // No complete reply within --timeout of the request's start (paced: its due time), or a
  // paced request not sent by then.
  std::uint64_t timeouts = 0;
  std::uint64_t connections_opened = 0;
  std::vector<std::string> first_errors;  // the first few distinct messages, for the report

  std::uint64_t errors() const {
    return invalid + http_errors + connect_errors + closed_early + timeouts;
  }
  void NoteError(std::string message);

  // `label` and `config` are copied in: config is a JSON object's members (no braces).
  std::string ToJson(const std::string& label, const std::string& config) const;
  std::string ToHuman(const std::string& label) const;
};

}  // namespace shardtrack
