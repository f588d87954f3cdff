// Test helper: a loopback HTTP tracker on its own thread for LoadRunner tests. It answers every
// request with the same valid announce reply (one compact peer), `reply_delay` after the request
// arrived, keeps connections alive, and stands still (reads and answers nothing, like a process
// stopped with SIGSTOP) between the two times given to StallBetween, and from the time given to
// GoAwayAt closes every connection and its listening socket, as a tracker that crashed. Requests()
// lists what it received, after Stop().
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/reactor/socket_util.h"
#include "common/unique_fd.h"

namespace shardtrack::testing {

class FakeTracker {
 public:
  using Clock = std::chrono::steady_clock;

  struct Request {
    std::uint32_t source_address;  // host order
    std::string head;              // request line and headers
  };

  explicit FakeTracker(Clock::duration reply_delay = {}) : reply_delay_(reply_delay) {
    auto listening = OpenListenSocket("127.0.0.1", 0, 128, /*reuse_port=*/false);
    if (!listening.ok()) throw std::runtime_error(listening.error());
    listen_fd_ = std::move(listening->fd);
    port_ = listening->port;
  }
  ~FakeTracker() {
    Stop();
    for (const Client& client : clients_) ::close(client.fd);
  }
  FakeTracker(const FakeTracker&) = delete;
  FakeTracker& operator=(const FakeTracker&) = delete;

  // Call before Start().
  void StallBetween(Clock::time_point from, Clock::time_point until) {
    stall_from_ = from;
    stall_until_ = until;
  }
  // Call before Start().
  void GoAwayAt(Clock::time_point when) { go_away_at_ = when; }
  void Start() {
    thread_ = std::thread([this] { Serve(); });
  }
  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return port_; }
  const std::vector<Request>& Requests() const { return requests_; }

 private:
  struct Client {
    int fd;
    std::uint32_t source_address;
    bool open;
    std::string received;
    std::deque<Clock::time_point> replies_due;
  };

  void Serve() {
    while (!stopping_) {
      const Clock::time_point now = Clock::now();
      if (now >= go_away_at_) return GoAway();
      if (now >= stall_from_ && now < stall_until_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      WaitForInput();
      Accept();
      for (Client& client : clients_) {
        client.open = Receive(client);
        SendDueReplies(client);
      }
      DropClosed();
    }
  }

  void GoAway() {
    for (Client& client : clients_) ::close(client.fd);
    clients_.clear();
    listen_fd_ = UniqueFd();
  }

  void WaitForInput() {
    std::vector<pollfd> fds{{listen_fd_.get(), POLLIN, 0}};
    for (const Client& client : clients_) fds.push_back({client.fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 1);
  }

  void Accept() {
    sockaddr_in peer{};
    socklen_t length = sizeof(peer);
    int fd;
    while ((fd = ::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&peer), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
      clients_.push_back({fd, ntohl(peer.sin_addr.s_addr), true, {}, {}});
    }
  }

  // Whether the client's connection is still open.
  bool Receive(Client& client) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(client.fd, buffer, sizeof(buffer), 0)) > 0)
      client.received.append(buffer, n);
    const bool open = n < 0 && (errno == EAGAIN || errno == EINTR);
    std::size_t end;
    while ((end = client.received.find("\r\n\r\n")) != std::string::npos) {
      requests_.push_back({client.source_address, client.received.substr(0, end)});
      client.received.erase(0, end + 4);
      client.replies_due.push_back(Clock::now() + reply_delay_);
    }
    return open;
  }

  void DropClosed() {
    std::vector<Client> open;
    for (Client& client : clients_) {
      if (client.open) {
        open.push_back(std::move(client));
      } else {
        ::close(client.fd);
      }
    }
    clients_.swap(open);
  }

  static void SendDueReplies(Client& client) {
    static const std::string kBody = "d8:intervali1800e5:peers6:abcdefe";  // one peer
    static const std::string kReply =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
    while (!client.replies_due.empty() && client.replies_due.front() <= Clock::now()) {
      ::send(client.fd, kReply.data(), kReply.size(), MSG_NOSIGNAL);
      client.replies_due.pop_front();
    }
  }

  const Clock::duration reply_delay_;
  UniqueFd listen_fd_;
  std::uint16_t port_ = 0;
  Clock::time_point stall_from_ = Clock::time_point::max();
  Clock::time_point stall_until_ = Clock::time_point::max();
  Clock::time_point go_away_at_ = Clock::time_point::max();
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
  std::vector<Client> clients_;
  std::vector<Request> requests_;
};

}  // namespace shardtrack::testing
