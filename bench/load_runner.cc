#include "bench/load_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "bench/reply_validator.h"
#include "bench/request_builder.h"

namespace shardtrack {
namespace {

constexpr int kMaxEvents = 512;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr auto kTimeoutScan = std::chrono::milliseconds(100);
constexpr auto kRetryDelay = std::chrono::milliseconds(10);
// A paced request due sooner than this is waited for by spinning: epoll_wait's millisecond
// timeout would otherwise add up to a millisecond to measured latencies.
constexpr auto kSpinWindow = std::chrono::milliseconds(2);

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::uint64_t Micros(std::chrono::steady_clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

std::chrono::steady_clock::duration Seconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds));
}

}  // namespace

LoadRunner::LoadRunner(const LoadgenOptions& options, Workload& workload)
    : options_(options), workload_(workload), slots_(options.connections) {
  populate_ = workload_.options().mode == WorkloadMode::kPopulate;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].source = static_cast<std::uint32_t>(i % options_.sources);
  }
}

LoadRunner::~LoadRunner() {
  for (Slot& slot : slots_) Close(slot);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool LoadRunner::Admits(Clock::time_point origin) const {
  if (populate_ || origin < measure_start_) return true;
  if (options_.requests > 0) return admitted_ < static_cast<std::uint64_t>(options_.requests);
  return origin < measure_end_;
}

LoadRunner::Clock::time_point LoadRunner::DueTime(std::uint64_t index) const {
  return start_ + Seconds(static_cast<double>(index) / options_.rate);
}

LoadRunner::Clock::time_point LoadRunner::NextOrigin(Clock::time_point now) const {
  return options_.rate > 0 ? DueTime(scheduled_) : now;
}

bool LoadRunner::InFlight() const {
  return std::any_of(slots_.begin(), slots_.end(),
                     [](const Slot& slot) { return slot.request.has_value(); });
}

bool LoadRunner::Finished(Clock::time_point now) const {
  if (populate_) return active_ == 0;
  return !Admits(NextOrigin(now)) && !InFlight();
}

void LoadRunner::Open(Slot& slot) {
  slot.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (slot.fd < 0) return;
  const int one = 1;
  // Choose the source port at connect time, so the 4-tuple (not the port alone) must be unique.
  ::setsockopt(slot.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  ::setsockopt(slot.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(0x7f000001u + slot.source);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(options_.port);
  ::inet_pton(AF_INET, options_.host.c_str(), &target.sin_addr);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = static_cast<std::uint64_t>(&slot - slots_.data());
  if (::bind(slot.fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, slot.fd, &event) != 0) {
    Close(slot);
    return;
  }
  const int rc = ::connect(slot.fd, reinterpret_cast<sockaddr*>(&target), sizeof(target));
  if (rc != 0 && errno != EINPROGRESS) {
    Close(slot);
    return;
  }
  slot.connected = rc == 0;
  slot.served = 0;
  ++stats_.connections_opened;
}

void LoadRunner::Close(Slot& slot) {
  if (slot.fd >= 0) ::close(slot.fd);
  slot.fd = -1;
  slot.connected = false;
  slot.reader.Reset();
}

void LoadRunner::StartRequest(Slot& slot, Clock::time_point now) {
  SkipOverdue(now);
  const Clock::time_point origin = NextOrigin(now);
  if (!Admits(origin)) return;  // the run is closing: the slot stays idle
  if (origin > now) {
    waiting_.push_back(static_cast<std::size_t>(&slot - slots_.data()));
    return;
  }
  std::optional<PlannedRequest> request = workload_.Next(slot.source);
  if (!request) {  // a populate run has sent every peer of this source
    if (MoveToNextSource(slot)) return StartRequest(slot, now);
    Close(slot);
    --active_;
    return;
  }
  Admit(origin);
  slot.request = std::move(request);
  slot.written = 0;
  slot.started = origin;
  if (slot.fd < 0) Open(slot);
  if (slot.fd < 0) {
    NoteConnectError(errno);
    ++stats_.connect_errors;
    stats_.NoteError(Errno("socket/bind/connect"));
    workload_.OnReply(*slot.request, false);
    slot.request.reset();
    waiting_.push_back(static_cast<std::size_t>(&slot - slots_.data()));
    return;
  }
  if (slot.connected) Write(slot, now);
}

bool LoadRunner::MoveToNextSource(Slot& slot) {
  const std::uint64_t next = std::uint64_t{slot.source} + slots_.size();
  if (next >= options_.sources) return false;
  Close(slot);
  slot.source = static_cast<std::uint32_t>(next);
  return true;
}

void LoadRunner::Admit(Clock::time_point origin) {
  ++scheduled_;
  if (origin >= measure_start_) ++admitted_;
}

// A paced request not sent within --timeout of its due time (every connection was busy) is a
// timeout: sent now, its reply could only come later than that.
void LoadRunner::SkipOverdue(Clock::time_point now) {
  if (options_.rate <= 0) return;
  while (now - DueTime(scheduled_) > timeout_ && Admits(DueTime(scheduled_))) {
    Admit(DueTime(scheduled_));
    ++stats_.timeouts;
    stats_.NoteError("not sent within --timeout of its scheduled time (too few --connections?)");
  }
}

void LoadRunner::OnEvent(Slot& slot, std::uint32_t events, Clock::time_point now) {
  if (slot.fd < 0 || !slot.request) return;
  if (!slot.connected) {
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      NoteConnectError(error);
      errno = error;
      return Fail(slot, stats_.connect_errors, Errno("connect"), now);
    }
    if ((events & EPOLLOUT) == 0) return;
    slot.connected = true;
  }
  if (slot.written < slot.request->wire.size()) Write(slot, now);
  if (slot.fd >= 0 && slot.connected && slot.request &&
      (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
    Read(slot, now);
  }
}

void LoadRunner::Write(Slot& slot, Clock::time_point now) {
  const std::string& wire = slot.request->wire;
  while (slot.written < wire.size()) {
    const ssize_t n =
        ::send(slot.fd, wire.data() + slot.written, wire.size() - slot.written, MSG_NOSIGNAL);
    if (n > 0) {
      slot.written += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    } else {
      // A keep-alive connection the server closed while idle: reconnect and send again.
      if (slot.served > 0) return Reconnect(slot, now);
      return Fail(slot, stats_.connect_errors, Errno("send"), now);
    }
  }
}

void LoadRunner::Reconnect(Slot& slot, Clock::time_point now) {
  Close(slot);
  slot.written = 0;
  Open(slot);
  if (slot.fd < 0) return Fail(slot, stats_.connect_errors, Errno("reconnect"), now);
  if (slot.connected) Write(slot, now);
}

void LoadRunner::Read(Slot& slot, Clock::time_point now) {
  std::array<char, kReadChunk> buffer;
  while (true) {
    const ssize_t n = ::recv(slot.fd, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      const auto state = slot.reader.Feed(std::string_view(buffer.data(), n));
      if (state == HttpResponseReader::State::kComplete) return Complete(slot, now);
      if (state == HttpResponseReader::State::kError) {
        return Fail(slot, stats_.http_errors, "bad response: " + slot.reader.error(), now);
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // End of stream or reset. Silence on a reused connection means the server closed it
    // while idle (opentracker closes after every reply): send again on a new connection.
    if (!slot.reader.started() && slot.served > 0) return Reconnect(slot, now);
    return Fail(slot, stats_.closed_early,
                n == 0 ? "server closed before the reply was complete" : Errno("recv"), now);
  }
}

bool LoadRunner::CheckReply(const Slot& slot, std::size_t& peers) {
  const PlannedRequest& request = *slot.request;
  if (slot.reader.status() != 200) {
    ++stats_.http_errors;
    stats_.NoteError("HTTP " + std::to_string(slot.reader.status()) + ": " +
                     std::string(slot.reader.body().substr(0, 120)));
    return false;
  }
  if (slot.reader.excess_bytes() != 0) {
    ++stats_.http_errors;
    stats_.NoteError("bytes after the reply");
    return false;
  }
  const bool expect = workload_.ExpectPeers(request);
  Status valid = OkStatus();
  if (request.is_scrape) {
    valid = ValidateScrapeReply(slot.reader.body(), BenchInfoHash(request.torrent), expect);
  } else if (auto count = ValidateAnnounceReply(slot.reader.body(), expect); count.ok()) {
    peers = *count;
  } else {
    valid = Error{count.error()};
  }
  if (!valid.ok()) {
    ++stats_.invalid;
    stats_.NoteError("invalid reply: " + valid.error());
  }
  return valid.ok();
}

void LoadRunner::Record(const PlannedRequest& request, Clock::duration latency, std::size_t peers) {
  ++stats_.requests;
  stats_.latency.Record(Micros(latency));
  if (request.event != AnnounceEvent::kCompleted) {
    stats_.latency_without_completed.Record(Micros(latency));
  }
  stats_.peers_returned += peers;
}

void LoadRunner::Complete(Slot& slot, Clock::time_point now) {
  const PlannedRequest& request = *slot.request;
  const Clock::duration latency = now - slot.started;
  const bool late = latency > timeout_;
  std::size_t peers = 0;
  const bool ok = !late && CheckReply(slot, peers);
  if (late) {
    ++stats_.timeouts;
    stats_.NoteError("a reply later than --timeout");
  } else if (Measured(slot.started)) {
    Record(request, latency, peers);
  }
  workload_.OnReply(request, ok);
  ++stats_.requests_all;
  const bool keep = options_.keep_alive && slot.reader.keep_alive() && (ok || late);
  slot.request.reset();
  ++slot.served;
  if (keep) {
    slot.reader.Reset();
  } else {
    Close(slot);
  }
  StartRequest(slot, now);
}

void LoadRunner::Fail(Slot& slot, std::uint64_t& counter, std::string message,
                      Clock::time_point now) {
  ++counter;
  stats_.NoteError(std::move(message));
  if (slot.request) workload_.OnReply(*slot.request, false);
  slot.request.reset();
  Close(slot);
  StartRequest(slot, now);
}

void LoadRunner::NoteConnectError(int error) {
  if (error != ECONNREFUSED || stats_.requests_all > 0 || unreachable_) return;
  unreachable_ = "nothing listens on " + options_.host + ":" + std::to_string(options_.port) +
                 " (connection refused): start the tracker first, or give --host and --port of "
                 "its HTTP listener";
}

void LoadRunner::CheckTimeouts(Clock::time_point now) {
  for (Slot& slot : slots_) {
    if (slot.request && now - slot.started > timeout_) {
      Fail(slot, stats_.timeouts, "no reply within --timeout", now);
    }
  }
}

void LoadRunner::ServeWaiting(Clock::time_point now) {
  std::vector<std::size_t> ready;
  ready.swap(waiting_);
  for (std::size_t i = 0; i < ready.size(); ++i) {
    StartRequest(slots_[ready[i]], now);
    if (options_.rate > 0 && !waiting_.empty()) {  // not due yet: keep the rest in order
      waiting_.insert(waiting_.end(), ready.begin() + static_cast<long>(i) + 1, ready.end());
      return;
    }
  }
}

int LoadRunner::WaitMillis(Clock::time_point now) const {
  Clock::duration wait = kTimeoutScan;
  if (!waiting_.empty()) {
    if (options_.rate <= 0) return static_cast<int>(kRetryDelay.count());
    const auto due = DueTime(scheduled_);
    if (due - now < kSpinWindow) return 0;
    wait = std::min(wait, due - now - std::chrono::milliseconds(1));
  }
  return static_cast<int>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
}

Result<RunStats> LoadRunner::Run() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Error{Errno("epoll_create1")};
  start_ = Clock::now();
  measure_start_ = populate_ ? start_ : start_ + Seconds(options_.warmup);
  measure_end_ = (!populate_ && options_.requests <= 0)
                     ? measure_start_ + Seconds(options_.duration)
                     : Clock::time_point::max();
  timeout_ = Seconds(options_.timeout);
  active_ = slots_.size();
  for (Slot& slot : slots_) StartRequest(slot, start_);
  std::array<epoll_event, kMaxEvents> events;
  Clock::time_point now = Clock::now();
  Clock::time_point next_scan = now + kTimeoutScan;
  while (!Finished(now) && !unreachable_) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), kMaxEvents, WaitMillis(now));
    if (n < 0 && errno != EINTR) return Error{Errno("epoll_wait")};
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      OnEvent(slots_[events[i].data.u64], events[i].events, now);
    }
    if (!waiting_.empty()) ServeWaiting(now);
    if (now >= next_scan) {
      CheckTimeouts(now);
      next_scan = now + kTimeoutScan;
    }
  }
  if (unreachable_) return Error{*unreachable_};
  const auto end = measure_end_ == Clock::time_point::max() ? now : measure_end_;
  stats_.seconds = std::chrono::duration<double>(end - measure_start_).count();
  return stats_;
}

}  // namespace shardtrack
