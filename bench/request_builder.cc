#include "bench/request_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace shardtrack {
namespace {

// SplitMix64: a tiny, well-mixed deterministic generator for identities.
std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint16_t kFirstPort = 1024;

const char* EventName(AnnounceEvent event) {
  switch (event) {
    case AnnounceEvent::kStarted:
      return "started";
    case AnnounceEvent::kCompleted:
      return "completed";
    case AnnounceEvent::kStopped:
      return "stopped";
    case AnnounceEvent::kNone:
      break;
  }
  return nullptr;
}

void AppendRequestEnd(std::string& out, std::string_view host, bool keep_alive) {
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
}

}  // namespace

std::string UrlEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (unsigned char c : bytes) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

InfoHash BenchInfoHash(std::uint64_t torrent) {
  std::uint64_t state = torrent * 0x2545f4914f6cdd1dULL + 0x5348415244ULL;
  InfoHash out;
  for (std::size_t i = 0; i < out.bytes.size(); i += 8) {
    const std::uint64_t word = SplitMix64(state);
    std::memcpy(out.bytes.data() + i, &word, std::min<std::size_t>(8, out.bytes.size() - i));
  }
  return out;
}

BenchPeer BenchPeerFor(std::uint64_t peer, std::uint32_t source_count) {
  char text[21];
  std::snprintf(text, sizeof(text), "-SB0001-%012llu",
                static_cast<unsigned long long>(peer % 1000000000000ULL));
  BenchPeer out{*PeerId::FromRaw(std::string_view(text, 20)), 0, 0};
  out.source_index = static_cast<std::uint32_t>(peer % source_count);
  out.port = static_cast<std::uint16_t>(kFirstPort + (peer / source_count) % kBenchPortsPerSource);
  return out;
}

std::string BenchPasskey(std::uint64_t peer, std::uint64_t passkeys) {
  char text[32];
  std::snprintf(text, sizeof(text), "bench%08llu",
                static_cast<unsigned long long>(peer % passkeys));
  return text;
}

std::string BuildAnnounceRequest(const AnnounceSpec& spec, std::string_view host, bool keep_alive) {
  std::string out;
  out.reserve(320);
  out += "GET ";
  if (!spec.passkey.empty()) out += "/" + spec.passkey;
  out += "/announce?info_hash=";
  out += UrlEncode(spec.info_hash.view());
  out += "&peer_id=";
  out += UrlEncode(spec.peer_id.view());
  out += "&port=" + std::to_string(spec.port);
  out += "&uploaded=0&downloaded=0&left=" + std::to_string(spec.left);
  out += "&compact=1&numwant=" + std::to_string(spec.numwant);
  if (const char* name = EventName(spec.event)) {
    out += "&event=";
    out += name;
  }
  AppendRequestEnd(out, host, keep_alive);
  return out;
}

std::string BuildScrapeRequest(const InfoHash& info_hash, std::string_view host, bool keep_alive,
                               std::string_view passkey) {
  std::string out = "GET ";
  if (!passkey.empty()) out += "/" + std::string(passkey);
  out += "/scrape?info_hash=" + UrlEncode(info_hash.view());
  AppendRequestEnd(out, host, keep_alive);
  return out;
}

}  // namespace shardtrack
