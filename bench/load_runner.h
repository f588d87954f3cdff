// LoadRunner: the load generator's event loop. One thread, epoll (edge-triggered), a fixed set
// of connection slots each with at most one request in flight; every reply is read with
// HttpResponseReader and checked with the reply validator against the Workload's knowledge.
// Owns its sockets (closed by the destructor); loop thread only.
//
// Each slot sends from one source address (slot i from 127.0.0.<1 + i mod sources>); a populate
// run with fewer connections than sources moves each slot on to its next source when one runs dry,
// so that every peer is sent.
//
// Keep-alive runs reuse a connection until the server closes it (opentracker closes after every
// reply: the slot then reconnects, which is not an error). Without keep-alive every request
// opens a connection, and its latency includes the TCP handshake. With a --rate, requests are
// paced on a global schedule and latency counts from the scheduled time (no coordinated
// omission).
//
// The run measures every request that starts (paced: is due) inside the measured window: once
// the window closes it starts no new request but still sends those already due and waits for
// every reply. A reply later than --timeout, a request still unanswered then, and a paced
// request that could not be sent within --timeout of its due time are timeouts, not latencies.
//
// A connection refused before any reply came means nothing listens there (a wrong port, a
// tracker not started): the run ends at once with an error instead of retrying in a tight loop.
// Once a reply came, a refused connection is an error of the run like any other.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/http_response_reader.h"
#include "bench/loadgen_options.h"
#include "bench/run_stats.h"
#include "bench/workload.h"
#include "common/result.h"

namespace shardtrack {

class LoadRunner {
 public:
  LoadRunner(const LoadgenOptions& options, Workload& workload);
  ~LoadRunner();
  LoadRunner(const LoadRunner&) = delete;
  LoadRunner& operator=(const LoadRunner&) = delete;

  // Runs to the end (duration, request count, or a populate run's last peer). An error: the run
  // could not start, or nothing listened at the tracker's address.
  Result<RunStats> Run();

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    int fd = -1;
    std::uint32_t source = 0;
    bool connected = false;
    std::uint32_t served = 0;  // replies on this connection
    std::optional<PlannedRequest> request;
    std::size_t written = 0;
    Clock::time_point started;  // latency origin of the request in flight
    HttpResponseReader reader;
  };

  bool Measured(Clock::time_point origin) const {
    return origin >= measure_start_ && origin < measure_end_;
  }
  // Whether the run starts a request whose latency origin is `origin`.
  bool Admits(Clock::time_point origin) const;
  Clock::time_point DueTime(std::uint64_t index) const;  // of the rate schedule's request
  Clock::time_point NextOrigin(Clock::time_point now) const;
  bool InFlight() const;
  bool Finished(Clock::time_point now) const;
  void Open(Slot& slot);
  void Close(Slot& slot);
  void StartRequest(Slot& slot, Clock::time_point now);
  // Populate with fewer connections than sources: slot i sends the peers of sources i,
  // i + connections, ... in turn. Whether `slot` moved on (to a new connection).
  bool MoveToNextSource(Slot& slot);
  void Admit(Clock::time_point origin);
  void SkipOverdue(Clock::time_point now);
  void OnEvent(Slot& slot, std::uint32_t events, Clock::time_point now);
  void Write(Slot& slot, Clock::time_point now);
  void Reconnect(Slot& slot, Clock::time_point now);
  void Read(Slot& slot, Clock::time_point now);
  void Complete(Slot& slot, Clock::time_point now);
  // Counts an invalid reply; returns whether it is valid, and the peers it lists in `peers`.
  bool CheckReply(const Slot& slot, std::size_t& peers);
  void Record(const PlannedRequest& request, Clock::duration latency, std::size_t peers);
  void Fail(Slot& slot, std::uint64_t& counter, std::string message, Clock::time_point now);
  // A connection failed with `error` (an errno): before any reply, a refusal ends the run.
  void NoteConnectError(int error);
  void CheckTimeouts(Clock::time_point now);
  void ServeWaiting(Clock::time_point now);
  int WaitMillis(Clock::time_point now) const;

  const LoadgenOptions& options_;
  Workload& workload_;
  int epoll_fd_ = -1;
  std::vector<Slot> slots_;
  std::vector<std::size_t> waiting_;  // slots idle until the rate schedule allows a request
  RunStats stats_;
  Clock::time_point start_;
  Clock::time_point measure_start_;
  Clock::time_point measure_end_;  // max() without a duration
  Clock::duration timeout_;
  std::uint64_t scheduled_ = 0;  // requests started or skipped (the rate schedule's index)
  std::uint64_t admitted_ = 0;   // requests started inside the measured window
  std::size_t active_ = 0;       // slots not exhausted (populate)
  bool populate_ = false;
  std::optional<std::string> unreachable_;  // why the run ended early
};

}  // namespace shardtrack
