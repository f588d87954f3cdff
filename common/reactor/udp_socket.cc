#include "common/reactor/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shardtrack {
namespace {

constexpr unsigned kReceiveBatch = 32;  // datagrams per recvmmsg
constexpr std::size_t kSendBatch = 64;  // datagrams per sendmmsg
// Room for one PKTINFO of either family (in6_pktinfo is the larger).
constexpr std::size_t kPacketInfoBytes = CMSG_SPACE(sizeof(in6_pktinfo));
// What a received datagram carries: SO_RXQ_OVFL's count and its PKTINFO.
constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(std::uint32_t)) + kPacketInfoBytes;

// The kernel has no room for more: the rest of a flush would fail the same way.
bool IsOutOfBuffers(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS || error == ENOMEM;
}

// The destination in the socket's family (an IPv4 peer of an IPv6 socket becomes v4-mapped).
bool ToSockaddr(const Endpoint& to, bool socket_v6, sockaddr_storage& storage, socklen_t& length) {
  storage = {};
  const std::string_view raw = to.address.raw();
  if (!socket_v6) {
    if (!to.address.is_v4()) return false;
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(to.port);
    std::memcpy(&v4.sin_addr, raw.data(), 4);
    length = sizeof(sockaddr_in);
    return true;
  }
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(to.port);
  if (to.address.is_v4()) {
    v6.sin6_addr.s6_addr[10] = 0xff;
    v6.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&v6.sin6_addr.s6_addr[12], raw.data(), 4);
  } else {
    std::memcpy(&v6.sin6_addr, raw.data(), 16);
  }
  length = sizeof(sockaddr_in6);
  return true;
}

// The address a datagram was sent to, from its IP_PKTINFO or IPV6_PKTINFO.
std::optional<LocalAddress> LocalAddressOf(const msghdr& header) {
  for (const cmsghdr* control = CMSG_FIRSTHDR(&header); control != nullptr;
       control = CMSG_NXTHDR(const_cast<msghdr*>(&header), const_cast<cmsghdr*>(control))) {
    if (control->cmsg_level == IPPROTO_IP && control->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(control), sizeof info);
      // The local address (the destination's, or the host's for a broadcast).
      auto address = IpAddress::FromRaw(std::string_view(
          reinterpret_cast<const char*>(&info.ipi_spec_dst), sizeof info.ipi_spec_dst));
      if (address) return LocalAddress{*address, 0};
    }
    if (control->cmsg_level == IPPROTO_IPV6 && control->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(control), sizeof info);
      auto address = IpAddress::FromRaw(
          std::string_view(reinterpret_cast<const char*>(&info.ipi6_addr), sizeof info.ipi6_addr));
      if (address) return LocalAddress{*address, info.ipi6_ifindex};
    }
  }
  return std::nullopt;
}

// Whether `address` is 0.0.0.0 or ::, where the kernel picks each reply's source among the
// host's addresses. Bound to one address, the source is that one already.
bool IsEveryAddress(const SocketAddress& address) {
  if (!address.is_v6) {
    return reinterpret_cast<const sockaddr_in&>(address.storage).sin_addr.s_addr == INADDR_ANY;
  }
  const in6_addr& bytes = reinterpret_cast<const sockaddr_in6&>(address.storage).sin6_addr;
  return IN6_IS_ADDR_UNSPECIFIED(&bytes);
}

}  // namespace

UdpSocket::UdpSocket(EventLoop& loop, Options options, OnDatagram on_datagram)
    : loop_(loop), options_(std::move(options)), on_datagram_(std::move(on_datagram)) {}

UdpSocket::~UdpSocket() {
  FlushOutgoing();
  if (fd_.valid()) loop_.UnwatchClosingFd(fd_.get());
}

void UdpSocket::StopReading() {
  if (fd_.valid()) loop_.UnwatchFd(fd_.get());
}

Status UdpSocket::Open() {
  // Reading none per turn would leave the descriptor readable forever: a spinning loop.
  if (options_.max_datagrams_per_turn == 0) return Error{"udp max_datagrams_per_turn is 0"};
  auto parsed = ParseSocketAddress(options_.bind_address, options_.port);
  if (!parsed.ok()) return Error{parsed.error()};
  auto fd = NewServerSocket(*parsed, SOCK_DGRAM, options_.reuse_port);
  if (!fd) return Error{fd.error()};
  const int one = 1;
  // Each datagram read then says how many the kernel dropped so far; without it, none are seen.
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  // And, on every address, the one it was sent to, for its reply to leave from (which costs the
  // kernel a route lookup per reply: not paid where the source is the bound address anyway).
  if (IsEveryAddress(*parsed)) {
    const bool info =
        parsed->is_v6
            ? ::setsockopt(fd->get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) == 0
            : ::setsockopt(fd->get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one) == 0;
    if (!info) return SocketError("PKTINFO on", parsed->where);
  }
  auto bound = BindSocket(fd->get(), *parsed);
  if (!bound) return Error{"udp " + bound.error()};
  fd_ = std::move(*fd);
  is_v6_ = parsed->is_v6;
  port_ = *bound;
  buffers_.resize(kReceiveBatch * options_.max_datagram_bytes);
  senders_.resize(kReceiveBatch);
  receive_iovecs_.resize(kReceiveBatch);
  receive_headers_.resize(kReceiveBatch);
  receive_controls_.resize(kReceiveBatch * kControlBytes);
  for (unsigned i = 0; i < kReceiveBatch; ++i) {
    receive_iovecs_[i] = {buffers_.data() + i * options_.max_datagram_bytes,
                          options_.max_datagram_bytes};
    msghdr& header = receive_headers_[i].msg_hdr;
    header = {};
    header.msg_name = &senders_[i];
    header.msg_iov = &receive_iovecs_[i];
    header.msg_iovlen = 1;
  }
  loop_.WatchFd(fd_.get(), EventLoop::kReadable, [this](short) { OnReadable(); });
  return OkStatus();
}

void UdpSocket::OnReadable() {
  std::uint32_t budget = options_.max_datagrams_per_turn;
  while (budget > 0 && fd_.valid()) {
    const unsigned batch = std::min<std::uint32_t>(budget, kReceiveBatch);
    for (unsigned i = 0; i < batch; ++i) {
      msghdr& header = receive_headers_[i].msg_hdr;
      header.msg_namelen = sizeof(sockaddr_storage);
      header.msg_flags = 0;
      header.msg_control = receive_controls_.data() + i * kControlBytes;
      header.msg_controllen = kControlBytes;
    }
    const int received =
        ::recvmmsg(fd_.get(), receive_headers_.data(), batch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return;  // EAGAIN (drained) or a transient error from an earlier send
    for (int i = 0; i < received; ++i) {
      const mmsghdr& message = receive_headers_[i];
      if (message.msg_hdr.msg_flags & MSG_TRUNC) {  // over max_datagram_bytes
        ++oversized_;
        continue;
      }
      auto endpoint = EndpointFrom(senders_[i]);
      if (!endpoint) continue;
      on_datagram_(
          std::string_view(buffers_.data() + i * options_.max_datagram_bytes, message.msg_len),
          *endpoint, LocalAddressOf(message.msg_hdr));
    }
    NoteReceiveDrops(receive_headers_[received - 1].msg_hdr);
    budget -= static_cast<std::uint32_t>(received);
    if (static_cast<unsigned>(received) < batch) return;  // drained
  }
}

void UdpSocket::NoteReceiveDrops(const msghdr& header) {
  for (const cmsghdr* control = CMSG_FIRSTHDR(&header); control != nullptr;
       control = CMSG_NXTHDR(const_cast<msghdr*>(&header), const_cast<cmsghdr*>(control))) {
    if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SO_RXQ_OVFL) {
      std::uint32_t dropped = 0;  // the kernel's count: 32 bits, so it wraps; added up by change
      std::memcpy(&dropped, CMSG_DATA(control), sizeof dropped);
      receive_drops_ += static_cast<std::uint32_t>(dropped - last_kernel_drops_);
      last_kernel_drops_ = dropped;
    }
  }
}

bool UdpSocket::Send(const Endpoint& to, std::string_view datagram,
                     const std::optional<LocalAddress>& from) {
  if (!fd_.valid()) return false;
  Outgoing out;
  if (!ToSockaddr(to, is_v6_, out.to, out.to_length)) return false;
  // Not from a multicast or broadcast address a datagram was sent to: the kernel picks then.
  if (from && from->address.CanBePeer() && (is_v6_ || from->address.is_v4())) out.from = from;
  out.offset = outgoing_bytes_.size();
  out.size = datagram.size();
  outgoing_bytes_.append(datagram);
  outgoing_.push_back(out);
  if (!flush_timer_) flush_timer_ = loop_.RunAfter(Duration::zero(), [this] { FlushOutgoing(); });
  return true;
}

void UdpSocket::FlushOutgoing() {
  if (flush_timer_) loop_.Cancel(*flush_timer_);  // harmless when it is the one running
  flush_timer_.reset();
  std::size_t next = 0;
  while (next < outgoing_.size() && fd_.valid()) {
    const std::size_t batch = std::min(outgoing_.size() - next, kSendBatch);
    send_iovecs_.resize(batch);
    send_headers_.resize(batch);
    send_controls_.resize(batch * kPacketInfoBytes);
    for (std::size_t i = 0; i < batch; ++i) {
      Outgoing& out = outgoing_[next + i];
      send_iovecs_[i] = {outgoing_bytes_.data() + out.offset, out.size};
      msghdr& header = send_headers_[i].msg_hdr;
      header = {};
      header.msg_name = &out.to;
      header.msg_namelen = out.to_length;
      header.msg_iov = &send_iovecs_[i];
      header.msg_iovlen = 1;
      if (out.from) SetSource(*out.from, header, send_controls_.data() + i * kPacketInfoBytes);
    }
    // A short count means the next one failed; the next call reports why.
    const int sent = options_.send_batch(fd_.get(), send_headers_.data(),
                                         static_cast<unsigned>(batch), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      next += static_cast<std::size_t>(sent);
    } else if (IsOutOfBuffers(errno)) {
      break;  // no room in the kernel: drop the rest
    } else if (errno != EINTR) {
      ++next;  // the kernel refused this one alone (a bad destination, too long): skip it
      ++unsent_;
    }
  }
  unsent_ += outgoing_.size() - next;
  outgoing_.clear();
  outgoing_bytes_.clear();
}

void UdpSocket::SetSource(const LocalAddress& from, msghdr& header, char* control) const {
  std::memset(control, 0, kPacketInfoBytes);
  header.msg_control = control;
  header.msg_controllen = kPacketInfoBytes;
  cmsghdr* message = CMSG_FIRSTHDR(&header);
  if (!is_v6_) {
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, from.address.raw().data(), 4);
    message->cmsg_level = IPPROTO_IP;
    message->cmsg_type = IP_PKTINFO;
    message->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(message), &info, sizeof info);
    header.msg_controllen = CMSG_SPACE(sizeof info);
    return;
  }
  in6_pktinfo info{};
  const auto bytes = from.address.As16();  // an IPv4 one as v4-mapped: the kernel takes it so
  std::memcpy(&info.ipi6_addr, bytes.data(), bytes.size());
  // The interface only for a link-local source, which means nothing without it. For any other,
  // the kernel routes: it reports a request to one of the host's global addresses as come in on
  // the interface owning that address, even from the host itself over lo, where a reply pinned
  // to that interface would be lost.
  info.ipi6_ifindex = from.address.IsLinkLocal() ? from.interface : 0;
  message->cmsg_level = IPPROTO_IPV6;
  message->cmsg_type = IPV6_PKTINFO;
  message->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(message), &info, sizeof info);
  header.msg_controllen = CMSG_SPACE(sizeof info);
}

}  // namespace shardtrack
