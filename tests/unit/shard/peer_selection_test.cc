// SelectPeers with left-out candidates (BEP 21's partial seeds, for a peer that wants nothing from
// them): never one of them, as many of the others as asked for and there are, each once, and
// each with about the same chance, however the left-out ones lie.
#include "shard/peer_selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

// Entries as a family lays them out without ids: a 6-byte endpoint (10.0.n, port n) and 3
// bytes of last-seen time and flags, the last byte's top bit marking a partial seed.
constexpr std::size_t kEntrySize = 9;
constexpr std::size_t kFlagsAt = 8;
constexpr std::uint8_t kPartialSeed = 0x80;

struct Swarm {
  std::vector<std::uint8_t> bytes;
  std::uint32_t left_out = 0;

  Swarm(std::uint32_t count, const std::function<bool(std::uint32_t)>& partial_seed)
      : bytes(count * kEntrySize) {
    for (std::uint32_t n = 0; n < count; ++n) {
      std::uint8_t* entry = bytes.data() + n * kEntrySize;
      entry[0] = 10;
      entry[2] = static_cast<std::uint8_t>(n >> 8);
      entry[3] = static_cast<std::uint8_t>(n);
      entry[5] = static_cast<std::uint8_t>(n);
      entry[kFlagsAt] = partial_seed(n) ? kPartialSeed : 0;
      left_out += partial_seed(n);
    }
  }
  PeerSpan Span(std::uint32_t skip = PeerSpan::kNoSkip) const {
    PeerSpan span;
    span.entries = bytes.data();
    span.count = static_cast<std::uint32_t>(bytes.size() / kEntrySize);
    span.skip = skip;
    span.entry_size = kEntrySize;
    span.flags_offset = kFlagsAt;
    span.left_out_flags = kPartialSeed;
    span.left_out = left_out - (skip < span.count && bytes[skip * kEntrySize + kFlagsAt] != 0);
    return span;
  }
};

// The entry numbers of a reply's peers4.
std::vector<std::uint32_t> Drawn(const proto::AnnounceReply& reply) {
  std::vector<std::uint32_t> out;
  for (std::size_t at = 0; at < reply.peers4().size(); at += 6) {
    out.push_back(static_cast<std::uint8_t>(reply.peers4()[at + 2]) << 8 |
                  static_cast<std::uint8_t>(reply.peers4()[at + 3]));
  }
  return out;
}

TEST(SelectPeersTest, LeavesOutPartialSeedsAndGivesAsManyOthersAsAskedWhereverTheyLie) {
  constexpr std::uint32_t kCount = 60;
  const std::map<std::string, std::function<bool(std::uint32_t)>> layouts = {
      {"first two thirds", [](std::uint32_t n) { return n < 40; }},
      {"last two thirds", [](std::uint32_t n) { return n >= 20; }},
      {"every other", [](std::uint32_t n) { return n % 2 == 0; }},
      {"all but one", [](std::uint32_t n) { return n != 37; }},
      {"two stretches", [](std::uint32_t n) { return n % 30 < 25; }},
  };
  FastRng rng(3);
  for (const auto& [name, partial_seed] : layouts) {
    const Swarm swarm(kCount, partial_seed);
    for (const std::uint32_t skip : {PeerSpan::kNoSkip, 37u, 5u}) {
      const PeerSpan span = swarm.Span(skip);
      const std::uint32_t others = span.candidates() - span.left_out;
      for (std::uint32_t numwant = 1; numwant <= kCount + 1; ++numwant) {
        proto::AnnounceReply reply;
        const std::uint32_t given = SelectPeers(std::array{span}, numwant, false, rng, reply);
        const std::vector<std::uint32_t> drawn = Drawn(reply);
        ASSERT_EQ(given, std::min(numwant, others)) << name << ", numwant " << numwant;
        ASSERT_EQ(drawn.size(), given) << name;
        EXPECT_EQ(std::set(drawn.begin(), drawn.end()).size(), drawn.size()) << name;
        for (const std::uint32_t n : drawn) {
          EXPECT_FALSE(partial_seed(n)) << name << ": " << n;
          EXPECT_NE(n, skip) << name;
        }
      }
    }
  }
}

// Past 64 replacements the given ones are looked up in a bitmap: still each once, none left out.
TEST(SelectPeersTest, ManyRunsOfLeftOutDrawsStillGiveEachOtherOnce) {
  const auto partial_seed = [](std::uint32_t n) { return n < 500; };  // a quarter, in a row
  const Swarm swarm(2000, partial_seed);
  FastRng rng(5);
  for (const std::uint32_t numwant : {600u, 1200u, 1500u, 1600u}) {
    proto::AnnounceReply reply;
    const std::uint32_t given = SelectPeers(std::array{swarm.Span()}, numwant, false, rng, reply);
    const std::vector<std::uint32_t> drawn = Drawn(reply);
    ASSERT_EQ(given, std::min(numwant, 1500u)) << numwant;
    ASSERT_EQ(drawn.size(), given);
    EXPECT_EQ(std::set(drawn.begin(), drawn.end()).size(), drawn.size()) << numwant;
    EXPECT_TRUE(std::none_of(drawn.begin(), drawn.end(), partial_seed)) << numwant;
  }
}

// A span that counts fewer left out than its flags mark gets only what exists, each once, and
// says how many: nothing is read past the candidates.
TEST(SelectPeersTest, ASpanUndercountingItsLeftOutGetsWhatThereIsAndSaysSo) {
  const auto partial_seed = [](std::uint32_t n) { return n < 20; };
  const Swarm swarm(60, partial_seed);
  PeerSpan span = swarm.Span();
  span.left_out = 5;  // 20 are marked
  FastRng rng(9);
  proto::AnnounceReply reply;
  EXPECT_EQ(SelectPeers(std::array{span}, 60, false, rng, reply), 40u);
  const std::vector<std::uint32_t> drawn = Drawn(reply);
  EXPECT_EQ(std::set(drawn.begin(), drawn.end()).size(), 40u);
  EXPECT_TRUE(std::none_of(drawn.begin(), drawn.end(), partial_seed));
}

TEST(SelectPeersTest, EachCandidateNotLeftOutHasAboutTheSameChance) {
  // Ten partial seeds in a row, then ten others, then five partial seeds and five others.
  const Swarm swarm(30, [](std::uint32_t n) { return n < 10 || (n >= 20 && n < 25); });
  FastRng rng(11);
  std::map<std::uint32_t, int> times;
  constexpr int kDraws = 30'000;
  for (int i = 0; i < kDraws; ++i) {
    proto::AnnounceReply reply;
    SelectPeers(std::array{swarm.Span()}, 3, false, rng, reply);
    for (const std::uint32_t n : Drawn(reply)) ++times[n];
  }
  ASSERT_EQ(times.size(), 15u);  // every one of the 15 others, and only they
  for (const auto& [n, count] : times) {
    EXPECT_NEAR(count, kDraws * 3 / 15, kDraws * 3 / 15 / 20) << n;  // within 5% (4 sigma)
  }
}

}  // namespace
}  // namespace shardtrack
