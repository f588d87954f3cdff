// UdpSocket: one non-blocking UDP socket watched by an EventLoop. It hands each datagram to a
// callback with its sender, and sends; it knows nothing of what the datagrams mean.
//
// On a socket bound to every address (0.0.0.0, ::) each datagram also comes with the local
// address it was sent to (IP_PKTINFO, IPV6_PKTINFO), which a reply names to leave from it: the
// kernel would otherwise pick the reply's source, and a client that sent to another of the
// host's addresses drops a reply from elsewhere (libtorrent does; a connected UDP socket never
// sees it). For an IPv6 address the interface goes with it, so a link-local client gets its
// reply too. Bound to one address, replies leave from it anyway.
//
// System calls are batched, since a tracker's datagrams are many and small: datagrams are read
// with recvmmsg, several per call, and the datagrams sent during a turn are queued and go out
// together with sendmmsg once the turn's handlers are done. At most `max_datagrams_per_turn`
// datagrams are read per reactor turn, so a flood cannot starve the loop's other handles (the rest
// wait in the kernel's buffer, level-triggered). A datagram longer than `max_datagram_bytes` is
// dropped. Sends give up rather than wait, since UDP callers must tolerate loss anyway: when the
// kernel has no room (EAGAIN, ENOBUFS, ENOMEM) the flush drops that datagram and the rest of the
// queue; a datagram the kernel refuses alone (a bad destination such as port 0, too long) is
// skipped and the datagrams after it still go out. A flush never waits and never retries beyond
// EINTR. Owns its descriptor. Loop thread only.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/reactor/event_loop.h"
#include "common/reactor/socket_util.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

// Where a datagram arrived: the local address it was sent to, and (IPv6) its interface.
struct LocalAddress {
  IpAddress address;
  std::uint32_t interface = 0;
};

class UdpSocket {
 public:
  // `to`: nullopt when the kernel did not say (a reply's source is then the kernel's choice).
  using OnDatagram = std::function<void(std::string_view datagram, const Endpoint& from,
                                        const std::optional<LocalAddress>& to)>;

  // sendmmsg(2)'s signature: the seam for faults a loopback socket never shows (a full buffer).
  using SendBatch = std::function<int(int fd, mmsghdr* messages, unsigned count, int flags)>;

  struct Options {
    std::string bind_address = "127.0.0.1";     // IPv4 or IPv6 literal, brackets allowed
    std::uint16_t port = 0;                     // 0: an ephemeral port (see port())
    std::uint32_t max_datagrams_per_turn = 64;  // at least 1
    bool reuse_port = false;                    // SO_REUSEPORT: several processes share the port
    // BEP 15's largest request, a scrape of 74 infohashes, is 1,496 bytes.
    std::size_t max_datagram_bytes = 2048;
    SendBatch send_batch = ::sendmmsg;  // tests put a failing one here
  };

  UdpSocket(EventLoop& loop, Options options, OnDatagram on_datagram);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds and starts watching. The error names the address and the reason, or the option that
  // cannot work.
  Status Open();
  std::uint16_t port() const { return port_; }

  // Queues `datagram` until the turn's handlers are done (or the next turn's, called outside
  // one), to leave from `from` (the address its request was sent to) when given. False when it
  // cannot be sent (socket not open, a destination of the wrong family); true promises no
  // delivery (see the give-up rules above).
  bool Send(const Endpoint& to, std::string_view datagram,
            const std::optional<LocalAddress>& from = std::nullopt);
  // Takes no more datagrams (graceful shutdown); Send still works for answers in flight.
  void StopReading();
  // Datagrams dropped unread for being longer than max_datagram_bytes.
  std::uint64_t oversized() const { return oversized_; }
  // Queued datagrams never sent: no room in the kernel, or refused by it (see above).
  std::uint64_t unsent() const { return unsent_; }
  // Datagrams the kernel dropped before they were read, its receive buffer full for most
  // (SO_RXQ_OVFL, as of the last datagram read).
  std::uint64_t receive_drops() const { return receive_drops_; }

 private:
  struct Outgoing {
    sockaddr_storage to;
    socklen_t to_length = 0;
    std::optional<LocalAddress> from;
    std::size_t offset = 0;  // in outgoing_bytes_
    std::size_t size = 0;
  };

  void OnReadable();
  // Takes the kernel's drop count from a datagram's control data, when it carries one.
  void NoteReceiveDrops(const msghdr& header);
  // Puts the control message that makes `header`'s datagram leave from `from` into `header`,
  // in `control` (kPacketInfoBytes of room).
  void SetSource(const LocalAddress& from, msghdr& header, char* control) const;
  void FlushOutgoing();

  EventLoop& loop_;
  Options options_;
  OnDatagram on_datagram_;
  UniqueFd fd_;
  bool is_v6_ = false;
  std::uint16_t port_ = 0;
  // recvmmsg slots: one buffer, address and header per datagram of a batch.
  std::vector<char> buffers_;
  std::vector<sockaddr_storage> senders_;
  std::vector<iovec> receive_iovecs_;
  std::vector<mmsghdr> receive_headers_;
  std::vector<char> receive_controls_;  // each header's room for SO_RXQ_OVFL and PKTINFO
  // Queued sends and their bytes, until the flush.
  std::vector<Outgoing> outgoing_;
  std::string outgoing_bytes_;
  std::vector<iovec> send_iovecs_;
  std::vector<mmsghdr> send_headers_;
  std::vector<char> send_controls_;     // each header's room for its PKTINFO
  std::optional<TimerId> flush_timer_;  // a zero-delay timer: after the turn's handlers
  std::uint64_t oversized_ = 0;
  std::uint64_t unsent_ = 0;
  std::uint64_t receive_drops_ = 0;
  std::uint32_t last_kernel_drops_ = 0;
};

}  // namespace shardtrack
