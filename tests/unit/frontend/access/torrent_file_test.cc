// IdentifyTorrent hashes the info dictionary's bytes as the file holds them, under the hashes
// each kind of torrent is announced with, and takes its name. The expected digests are Python
// hashlib's of the same bytes.
#include "frontend/access/torrent_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

const std::string kPieces = std::string(20, 'p');
const std::string kV1Info =
    "d6:lengthi1024e4:name5:a.bin12:piece lengthi16384e6:pieces20:" + kPieces + "e";
const std::string kV2Info =
    "d9:file treed5:a.bind0:d6:lengthi1024eeee12:meta versioni2e4:name5:a.bin12:piece "
    "lengthi16384ee";
const std::string kHybridInfo =
    "d9:file treed5:a.bind0:d6:lengthi1024e11:pieces root32:" + std::string(32, 'r') +
    "eee6:lengthi1024e12:meta versioni2e4:name5:a.bin12:piece "
    "lengthi16384e6:pieces20:" +
    kPieces + "e";

std::string Torrent(const std::string& info) {
  return "d8:announce23:http://tracker/announce4:info" + info + "e";
}

// The infohashes of `torrent` in hex; none when it is bad (the test fails then).
std::vector<std::string> Hex(const std::string& torrent) {
  auto identity = IdentifyTorrent(torrent);
  EXPECT_TRUE(identity) << identity.error();
  std::vector<std::string> out;
  if (identity) {
    for (const InfoHash& hash : identity->info_hashes) out.push_back(hash.ToHex());
  }
  return out;
}

std::string ErrorOf(const std::string& torrent) {
  auto identity = IdentifyTorrent(torrent);
  return identity ? "no error" : identity.error();
}

TEST(TorrentFileTest, AV1TorrentIsTheSha1OfItsInfo) {
  EXPECT_EQ(Hex(Torrent(kV1Info)),
            std::vector<std::string>{"47e0239de6259cf7b7148c0de753afc0e03e9e05"});
}

TEST(TorrentFileTest, KeysOutOfOrderAreHashedAsWritten) {
  const std::string unsorted =
      "d4:name5:a.bin6:lengthi1024e12:piece lengthi16384e6:pieces20:" + kPieces + "e";
  EXPECT_EQ(Hex("d4:info" + unsorted + "8:announce3:urle"),
            std::vector<std::string>{"8ad9fa35fef3b352d76630a79f54b0fa8c8239aa"});
}

TEST(TorrentFileTest, AV2TorrentIsItsTruncatedSha256) {
  EXPECT_EQ(Hex(Torrent(kV2Info)),
            std::vector<std::string>{"ecb1edacc7da73f537d05f1518bfbd11f90e9439"});
}

TEST(TorrentFileTest, AHybridTorrentIsAnnouncedUnderBoth) {
  EXPECT_EQ(Hex(Torrent(kHybridInfo)),
            (std::vector<std::string>{"984f4f8c7ccb441200a2c8943df03a4defa4e464",
                                      "7ebfdaa58f397309b1a32a7ea2f12a37a6001dc5"}));
}

TEST(TorrentFileTest, TheNameIsInfosCutAtACharacterWithinTheLimit) {
  EXPECT_EQ(IdentifyTorrent(Torrent(kV1Info))->name, "a.bin");
  const std::string accented = std::string(kMaxTorrentNameBytes - 1, 'x') + "\xc3\xa9";  // é
  const std::string long_name = std::to_string(accented.size()) + ":" + accented;
  auto identity = IdentifyTorrent(Torrent("d4:name" + long_name + "6:pieces20:" + kPieces + "e"));
  ASSERT_TRUE(identity) << identity.error();
  EXPECT_EQ(identity->name, std::string(kMaxTorrentNameBytes - 1, 'x'));
  EXPECT_EQ(IdentifyTorrent(Torrent("d6:pieces20:" + kPieces + "e"))->name, "");
  EXPECT_EQ(ErrorOf(Torrent("d4:name9:abce")).find("bad bencoding"), 0u);
}

TEST(TorrentFileTest, BrokenFilesAreErrorsThatSayWhat) {
  EXPECT_EQ(ErrorOf(""), "bad bencoding at byte 0");
  EXPECT_EQ(ErrorOf("l4:infoe"), "bad bencoding at byte 0");
  EXPECT_EQ(ErrorOf("d8:announce3:urle"), "no info dictionary");
  EXPECT_EQ(ErrorOf("d4:infoli1eee"), "the info value is not a dictionary");
  EXPECT_EQ(ErrorOf(Torrent(kV1Info) + "x"),
            "bad bencoding at byte " + std::to_string(Torrent(kV1Info).size()));
  const std::string cut = Torrent(kV1Info).substr(0, 60);
  EXPECT_NE(ErrorOf(cut).find("bad bencoding"), std::string::npos) << ErrorOf(cut);
  EXPECT_EQ(ErrorOf(Torrent("d12:meta versioni3ee")), "meta version 3 is not 1 or 2");
  EXPECT_NE(ErrorOf(Torrent("d1:x99999999999999999:ee")).find("bad bencoding"), std::string::npos);
  EXPECT_NE(ErrorOf(Torrent("d1:xi12")).find("bad bencoding"), std::string::npos);
}

TEST(TorrentFileTest, DeepNestingIsRefusedNotFollowed) {
  const std::string deep = std::string(100'000, 'l') + std::string(100'000, 'e');
  EXPECT_NE(ErrorOf("d1:x" + deep + "4:info" + kV1Info + "e").find("bad bencoding"),
            std::string::npos);
}

}  // namespace
}  // namespace shardtrack
