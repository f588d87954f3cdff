#include "shard/persistence/snapshot_file.h"

#include <gtest/gtest.h>

#include "shard/persistence/faulty_file_ops.h"
#include "shard/persistence/record_codec.h"
#include "shard/persistence/record_framing.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Hash;
using testing::Peer;
using testing::ScratchDir;
using testing::Torrent;

const FileHeader kHeader{0, 1, 7, 1'700'000'000};
const std::string kName = "shard-0-of-1.snapshot";

ForEachTorrent Each(const std::vector<TorrentRecord>& torrents) {
  return [&torrents](const TorrentVisitor& visit) {
    for (const TorrentRecord& torrent : torrents) visit(torrent);
  };
}

Result<SnapshotContents> Parse(const std::string& bytes) {
  return ParseSnapshot(bytes, [](const InfoHash&) { return true; });
}

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteSnapshot(real_, dir_.path(), kHeader, Each(old_)).ok());
  }
  // The snapshot on disk still holds `old_`, and no temp file is left.
  void ExpectOldSnapshotIntact() {
    auto contents = Parse(testing::ReadAll(dir_.File(kName)));
    ASSERT_TRUE(contents.ok()) << contents.error();
    EXPECT_EQ(contents->torrents, old_);
    EXPECT_FALSE(real_.Exists(dir_.File(kName + ".tmp")));
  }

  ScratchDir dir_;
  PosixFileOps real_;
  std::vector<TorrentRecord> old_ = {Torrent(Hash('a'), 3, {Peer(1, 6881, 100, true)})};
  std::vector<TorrentRecord> new_ = {Torrent(Hash('a'), 4), Torrent(Hash('b'), 1)};
};

TEST_F(SnapshotFileTest, RoundTripsTorrentsPeersAndHeader) {
  std::vector<TorrentRecord> torrents = {
      Torrent(Hash('a'), 3, {Peer(1, 6881, 100, true), Peer(2, 6882, 200)}),
      Torrent(Hash('b'), 0, {Peer(3, 1, 300)})};
  torrents[0].peers[0].completed = true;
  torrents[1].peers[0].ip = *IpAddress::Parse("2001:db8::1");
  auto stats = WriteSnapshot(real_, dir_.path(), kHeader, Each(torrents));
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_EQ(stats->torrents, 2u);
  EXPECT_EQ(stats->peers, 3u);
  auto contents = Parse(testing::ReadAll(dir_.File(kName)));
  ASSERT_TRUE(contents.ok()) << contents.error();
  EXPECT_EQ(contents->torrents, torrents);
  EXPECT_EQ(contents->header.generation, 7u);
  EXPECT_EQ(contents->header.written_at, kHeader.written_at);
}

// A swarm of millions would not fit one frame (a reader refuses frames past kMaxFrameBody):
// its peers go in parts of kPeersPerTorrentRecord, and come back as one torrent.
TEST_F(SnapshotFileTest, ASwarmLargerThanOneRecordIsWrittenInPartsAndReadWhole) {
  std::vector<TorrentRecord> torrents = {
      Torrent(Hash('a'), 9, testing::ManyPeers(2 * kPeersPerTorrentRecord + 3)),
      Torrent(Hash('b'), 1, {Peer(1, 1, 100)}), Torrent(Hash('c'), 2)};
  auto stats = WriteSnapshot(real_, dir_.path(), kHeader, Each(torrents));
  ASSERT_TRUE(stats.ok()) << stats.error();
  EXPECT_EQ(stats->torrents, 3u);

  const std::string bytes = testing::ReadAll(dir_.File(kName));
  FrameCursor cursor(bytes, kPreambleSize);
  FrameCursor::Frame frame;
  std::vector<std::size_t> torrent_records;  // each kTorrent record's body size
  while (cursor.Next(frame) == FrameCursor::Step::kFrame) {
    if (frame.type == RecordType::kTorrent) torrent_records.push_back(frame.fields.size());
  }
  ASSERT_EQ(torrent_records.size(), 5u);  // 3 parts of the large swarm, then one each
  for (std::size_t size : torrent_records) {
    EXPECT_LE(size, 32 + kPeersPerTorrentRecord * kMaxPeerRecordSize);
  }

  auto contents = Parse(bytes);
  ASSERT_TRUE(contents.ok()) << contents.error();
  EXPECT_EQ(contents->stats.torrents, 3u);
  EXPECT_EQ(contents->stats.peers, 2 * kPeersPerTorrentRecord + 4);
  EXPECT_EQ(contents->torrents, torrents);
}

TEST_F(SnapshotFileTest, KeepsThePreviousSnapshotAsPrev) {
  ASSERT_TRUE(WriteSnapshot(real_, dir_.path(), kHeader, Each(new_)).ok());
  auto previous = Parse(testing::ReadAll(dir_.File(kName + ".prev")));
  ASSERT_TRUE(previous.ok()) << previous.error();
  EXPECT_EQ(previous->torrents, old_);
}

TEST_F(SnapshotFileTest, FailedOpenWriteSyncOrRenameLeavesTheOldSnapshot) {
  for (auto op : {FaultyFileOps::Op::kOpen, FaultyFileOps::Op::kWrite, FaultyFileOps::Op::kSync,
                  FaultyFileOps::Op::kLink, FaultyFileOps::Op::kRename}) {
    SCOPED_TRACE(static_cast<int>(op));
    FaultyFileOps faulty(real_);
    faulty.FailNth(op, 1);
    auto stats = WriteSnapshot(faulty, dir_.path(), kHeader, Each(new_));
    ASSERT_FALSE(stats.ok());
    EXPECT_NE(stats.error().find(kName), std::string::npos) << stats.error();
    ExpectOldSnapshotIntact();
  }
}

TEST_F(SnapshotFileTest, FailedDirectorySyncIsReportedAfterTheRename) {
  FaultyFileOps faulty(real_);
  faulty.FailNth(FaultyFileOps::Op::kSyncDir, 1);
  EXPECT_FALSE(WriteSnapshot(faulty, dir_.path(), kHeader, Each(new_)).ok());
  // The rename happened: the new file is complete, the old one is the .prev.
  auto contents = Parse(testing::ReadAll(dir_.File(kName)));
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->torrents, new_);
}

TEST_F(SnapshotFileTest, CrashWhileWritingTheTempFileLeavesTheOldSnapshot) {
  FaultyFileOps faulty(real_);
  faulty.TearNthWrite(1, 20);
  EXPECT_FALSE(WriteSnapshot(faulty, dir_.path(), kHeader, Each(new_)).ok());
  auto contents = Parse(testing::ReadAll(dir_.File(kName)));
  ASSERT_TRUE(contents.ok()) << contents.error();
  EXPECT_EQ(contents->torrents, old_);
}

TEST_F(SnapshotFileTest, DetectsEveryFlippedByte) {
  const std::string good = testing::ReadAll(dir_.File(kName));
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_FALSE(Parse(bad).ok()) << "flipped byte " << i;
  }
}

TEST_F(SnapshotFileTest, DetectsTruncationAtAnyLength) {
  const std::string good = testing::ReadAll(dir_.File(kName));
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(Parse(good.substr(0, size)).ok()) << "cut at " << size;
  }
}

TEST_F(SnapshotFileTest, ErrorsSayWhatAndWhere) {
  std::string bad = testing::ReadAll(dir_.File(kName));
  bad[0] = 'X';
  auto magic = Parse(bad);
  ASSERT_FALSE(magic.ok());
  EXPECT_NE(magic.error().find("bad magic"), std::string::npos) << magic.error();
  bad = testing::ReadAll(dir_.File(kName));
  bad[bad.size() - 1] ^= 1;
  auto checksum = Parse(bad);
  ASSERT_FALSE(checksum.ok());
  EXPECT_NE(checksum.error().find("checksum"), std::string::npos) << checksum.error();
}

}  // namespace
}  // namespace shardtrack
