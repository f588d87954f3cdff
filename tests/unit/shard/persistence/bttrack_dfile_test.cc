#include "shard/persistence/bttrack_dfile.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "shard/persistence/data_dir_tools.h"
#include "shard/persistence/faulty_file_ops.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

const std::string kHashA(20, 'a');
const std::string kHashB(20, 'b');
const std::string kSeeder(20, 'S');
const std::string kLeecher(20, 'L');

std::string Str(const std::string& text) { return std::to_string(text.size()) + ":" + text; }

// A dfile as bttrack.py / BitTornado write it, BitTornado's extra keys included.
std::string OriginalDfile() {
  return "d" + Str("allowed") + "de" + Str("completed") + "d" + Str(kHashA) + "i7e" + Str(kHashB) +
         "i2ee" + Str("peers") + "d" + Str(kHashA) + "d" + Str(kLeecher) + "d" + Str("ip") +
         Str("10.0.0.2") + Str("left") + "i100e" + Str("nat") + "i0e" + Str("port") + "i6882ee" +
         Str(kSeeder) + "d" + Str("ip") + Str("10.0.0.1") + Str("left") + "i0e" + Str("port") +
         "i6881ee" + Str(std::string(20, 'X')) + "d" + Str("ip") + Str("not.an.address") +
         Str("left") + "i0e" + Str("port") + "i1ee" + "ee" + "e";
}

TEST(BttrackDfileTest, ReadsPeersAndCompletedCounts) {
  auto imported = ParseBttrackDfile(OriginalDfile(), 1000);
  ASSERT_TRUE(imported.ok()) << imported.error();
  ASSERT_EQ(imported->torrents.size(), 2u);
  const TorrentRecord& a = imported->torrents[0];
  EXPECT_EQ(a.info_hash.ToRaw(), kHashA);
  EXPECT_EQ(a.completed, 7u);
  ASSERT_EQ(a.peers.size(), 2u);
  EXPECT_EQ(a.peers[0].peer_id.ToRaw(), kLeecher);
  EXPECT_FALSE(a.peers[0].seeder);
  EXPECT_EQ(a.peers[1].ip.ToString(), "10.0.0.1");
  EXPECT_EQ(a.peers[1].port, 6881);
  EXPECT_TRUE(a.peers[1].seeder);
  EXPECT_EQ(a.peers[1].last_seen, 1000);
  EXPECT_EQ(imported->torrents[1].completed, 2u);
  EXPECT_EQ(imported->skipped_peers, 1u);
  EXPECT_EQ(imported->ignored_keys, std::vector<std::string>{"allowed"});
}

TEST(BttrackDfileTest, RejectsWhatIsNotADfile) {
  EXPECT_FALSE(ParseBttrackDfile("i3e", 0).ok());
  EXPECT_FALSE(ParseBttrackDfile("d5:peersi1ee", 0).ok());
  EXPECT_FALSE(ParseBttrackDfile("d9:completedi1ee", 0).ok());
}

// One damaged entry does not keep the rest of a tracker's state out: it is skipped and counted.
TEST(BttrackDfileTest, EntriesNotKeyedByAnInfohashOrHoldingNoPeersOrCountAreSkippedAndCounted) {
  const std::string peer = "d" + Str("ip") + Str("10.0.0.1") + Str("port") + "i6881ee";
  // Keys in bencode's order: "X" (1 byte) < kHashA ('a' * 20) < kHashB < "c".
  const std::string dfile = "d" + Str("completed") + "d" + Str("X") + "i1e" + Str(kHashA) + "i3e" +
                            Str(kHashB) + Str("many") + "e" + Str("peers") + "d" + Str(kHashA) +
                            "d" + Str(kSeeder) + peer + "e" + Str(kHashB) + "i4e" + Str("c") +
                            "dee" + "e";
  auto imported = ParseBttrackDfile(dfile, 1000);
  ASSERT_TRUE(imported.ok()) << imported.error();
  ASSERT_EQ(imported->torrents.size(), 1u);
  EXPECT_EQ(imported->torrents[0].info_hash.ToRaw(), kHashA);
  EXPECT_EQ(imported->torrents[0].completed, 3u);
  EXPECT_EQ(imported->torrents[0].peers.size(), 1u);
  EXPECT_EQ(imported->skipped_entries, 4u);

  testing::ScratchDir dir;
  PosixFileOps ops;
  auto summary = ImportDfile(ops, dir.path(), dfile, 1000);
  ASSERT_TRUE(summary.ok()) << summary.error();
  EXPECT_NE(summary->find("skipped 4 torrent entries"), std::string::npos) << *summary;
}

// bttrack.py reads a dfile without 'peers' as the peers dict alone, as its first versions wrote it.
TEST(BttrackDfileTest, ReadsTheOldestFormThePeersDictAlone) {
  const std::string dfile = "d" + Str(kHashA) + "d" + Str(kSeeder) + "d" + Str("ip") +
                            Str("10.0.0.1") + Str("left") + "i0e" + Str("port") + "i6881eeee";
  auto imported = ParseBttrackDfile(dfile, 1000);
  ASSERT_TRUE(imported.ok()) << imported.error();
  ASSERT_EQ(imported->torrents.size(), 1u);
  EXPECT_EQ(imported->torrents[0].info_hash.ToRaw(), kHashA);
  ASSERT_EQ(imported->torrents[0].peers.size(), 1u);
  EXPECT_TRUE(imported->torrents[0].peers[0].seeder);
  EXPECT_TRUE(imported->ignored_keys.empty());
}

// A swarm's peer is its address and port: of two ids there (a client that restarted under a
// new id), the later is kept and the summary says so, not counted twice.
TEST(BttrackDfileTest, TwoIdsAtOneAddressAndPortKeepTheLaterAndAreCounted) {
  const auto peer = [](const std::string& ip, int left) {
    return "d" + Str("ip") + Str(ip) + Str("left") + "i" + std::to_string(left) + "e" +
           Str("port") + "i6881ee";
  };
  const std::string dfile = "d" + Str("completed") + "de" + Str("peers") + "d" + Str(kHashA) + "d" +
                            Str(kLeecher) + peer("10.0.0.1", 5) + Str(kSeeder) +
                            peer("10.0.0.1", 0) + Str(std::string(20, 'Z')) + peer("10.0.0.2", 5) +
                            "eee";
  auto imported = ParseBttrackDfile(dfile, 1000);
  ASSERT_TRUE(imported.ok()) << imported.error();
  ASSERT_EQ(imported->torrents.size(), 1u);
  const auto& peers = imported->torrents[0].peers;
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].peer_id.ToRaw(), kSeeder);  // 'S' after 'L': the later id
  EXPECT_TRUE(peers[0].seeder);
  EXPECT_EQ(peers[1].ip.ToString(), "10.0.0.2");
  EXPECT_EQ(imported->duplicate_peers, 1u);

  testing::ScratchDir dir;
  PosixFileOps ops;
  auto summary = ImportDfile(ops, dir.path(), dfile, 1000);
  ASSERT_TRUE(summary.ok()) << summary.error();
  EXPECT_NE(summary->find("imported 1 torrents, 2 peers and 0 completed"), std::string::npos)
      << *summary;
  EXPECT_NE(summary->find("1 peers left out: a later peer id of their torrent is at the same "
                          "address and port"),
            std::string::npos)
      << *summary;
}

// A swarm keeps a count of 32 bits: a larger one is taken as the largest, and said so.
TEST(BttrackDfileTest, ACountOverWhatASwarmKeepsIsTakenAsTheLargestAndCounted) {
  const std::string dfile = "d" + Str("completed") + "d" + Str(kHashA) + "i5000000000e" +
                            Str(kHashB) + "i4294967295ee" + Str("peers") + "dee";
  auto imported = ParseBttrackDfile(dfile, 1000);
  ASSERT_TRUE(imported.ok()) << imported.error();
  ASSERT_EQ(imported->torrents.size(), 2u);
  EXPECT_EQ(imported->torrents[0].completed, 4294967295u);
  EXPECT_EQ(imported->torrents[1].completed, 4294967295u);
  EXPECT_EQ(imported->clamped_counts, 1u);
}

TEST(BttrackDfileTest, ExportReadsBackAsWhatWasWritten) {
  auto imported = ParseBttrackDfile(OriginalDfile(), 1000);
  ASSERT_TRUE(imported.ok());
  auto again = ParseBttrackDfile(WriteBttrackDfile(imported->torrents), 1000);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->torrents, imported->torrents);
}

TEST(DataDirToolsTest, ImportThenExportRoundTripsAndInspectSaysOk) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  auto summary = ImportDfile(ops, dir.path(), OriginalDfile(), 1000);
  ASSERT_TRUE(summary.ok()) << summary.error();
  EXPECT_NE(summary->find("imported 2 torrents, 2 peers and 9 completed"), std::string::npos)
      << *summary;
  auto exported = ExportDfile(ops, dir.path());
  ASSERT_TRUE(exported.ok()) << exported.error();
  EXPECT_EQ(ParseBttrackDfile(*exported, 1000)->torrents,
            ParseBttrackDfile(OriginalDfile(), 1000)->torrents);
  DataDirReport report = InspectDataDir(ops, dir.path());
  EXPECT_TRUE(report.ok());
  ASSERT_EQ(report.files.size(), 2u);  // the snapshot and an empty first journal
  for (const FileReport& file : report.files) {
    EXPECT_NE(file.text.find("checksums OK"), std::string::npos) << file.text;
  }
  EXPECT_FALSE(ImportDfile(ops, dir.path(), OriginalDfile(), 1000).ok());  // never over data
}

TEST(DataDirToolsTest, AnImportSaysWhatItClampedAndShowsIgnoredKeysPrintably) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  const std::string dfile = "d" + Str("\x01key") + "i0e" + Str("completed") + "d" + Str(kHashA) +
                            "i5000000000ee" + Str("peers") + "dee";
  auto summary = ImportDfile(ops, dir.path(), dfile, 1000);
  ASSERT_TRUE(summary.ok()) << summary.error();
  EXPECT_NE(summary->find("4294967295 completed"), std::string::npos) << *summary;
  EXPECT_NE(summary->find("1 completed counts over 4294967295"), std::string::npos) << *summary;
  EXPECT_NE(summary->find("ignored '\\x01key'"), std::string::npos) << *summary;
}

// Run as root into a directory a shard user owns, the files are that user's, as the shard must
// read them.
TEST(DataDirToolsTest, AnImportRunAsRootGivesItsFilesToTheDirectorysOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  testing::ScratchDir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), 65534, 65534), 0);
  PosixFileOps ops;
  auto summary = ImportDfile(ops, dir.path(), OriginalDfile(), 1000);
  ASSERT_TRUE(summary.ok()) << summary.error();
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    struct stat info {};
    ASSERT_EQ(::stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 65534u) << entry.path();
    EXPECT_EQ(info.st_gid, 65534u) << entry.path();
  }
}

TEST(DataDirToolsTest, InspectReportsACorruptFile) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  ASSERT_TRUE(ImportDfile(ops, dir.path(), OriginalDfile(), 1000).ok());
  const std::string path = dir.File("shard-0-of-1.snapshot");
  std::string bytes = testing::ReadAll(path);
  bytes[40] ^= 1;
  testing::WriteAll(path, bytes);
  DataDirReport report = InspectDataDir(ops, dir.path());
  EXPECT_FALSE(report.ok());
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_EQ(report.files[0].name, "shard-0-of-1.journal");
  EXPECT_NE(report.files[1].text.find("CORRUPT"), std::string::npos) << report.files[1].text;
  EXPECT_FALSE(ExportDfile(ops, dir.path()).ok());
}

// An import cut short leaves its empty first journal and perhaps a half-written snapshot: a
// second import goes ahead (nothing is lost), where one over a directory holding anything more
// is refused.
TEST(DataDirToolsTest, AnImportCutShortMayBeRunAgain) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  ASSERT_TRUE(StartFirstJournal(ops, dir.path(), 0, 1, 1000).ok());
  testing::WriteAll(dir.File("shard-0-of-1.snapshot.tmp"), "STSNAP half of it");
  auto summary = ImportDfile(ops, dir.path(), OriginalDfile(), 1000);
  ASSERT_TRUE(summary.ok()) << summary.error();
  EXPECT_TRUE(InspectDataDir(ops, dir.path()).ok());
  auto again = ImportDfile(ops, dir.path(), OriginalDfile(), 1000);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("already holds shardtrack files"), std::string::npos)
      << again.error();
}

// The format has no announce times, so an import makes every peer live again: export leaves out
// the expired ones, keeping their torrents' completed counts.
TEST(DataDirToolsTest, ExportLeavesOutPeersLastSeenBeforeTheCutoff) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  ASSERT_TRUE(ImportDfile(ops, dir.path(), OriginalDfile(), 1000).ok());  // all seen at 1000
  auto live = ExportDfile(ops, dir.path(), 1000);
  ASSERT_TRUE(live.ok()) << live.error();
  EXPECT_EQ(ParseBttrackDfile(*live, 1000)->torrents,
            ParseBttrackDfile(OriginalDfile(), 1000)->torrents);
  auto expired = ExportDfile(ops, dir.path(), 1001);
  ASSERT_TRUE(expired.ok()) << expired.error();
  auto read = ParseBttrackDfile(*expired, 1000);
  ASSERT_TRUE(read.ok()) << read.error();
  std::uint64_t completed = 0;
  for (const TorrentRecord& torrent : read->torrents) {
    EXPECT_TRUE(torrent.peers.empty());
    completed += torrent.completed;
  }
  EXPECT_EQ(completed, 9u);
}

// An empty dfile written over --out for a mistyped directory would lose what --out held.
TEST(DataDirToolsTest, ExportRefusesADirectoryWithoutShardFiles) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  testing::WriteAll(dir.File("notes.txt"), "not a shard's");
  auto exported = ExportDfile(ops, dir.path());
  ASSERT_FALSE(exported.ok());
  EXPECT_NE(exported.error().find("no shard files in " + dir.path()), std::string::npos)
      << exported.error();
}

// A load that fails once (a running shard rotated a file between two reads) is tried again.
TEST(DataDirToolsTest, ExportAndInspectTryAgainAfterALoadThatFailed) {
  testing::ScratchDir dir;
  PosixFileOps real;
  ASSERT_TRUE(ImportDfile(real, dir.path(), OriginalDfile(), 1000).ok());
  FaultyFileOps ops(real);
  ops.FailNth(FaultyFileOps::Op::kOpenToRead, 1);
  EXPECT_TRUE(ExportDfile(ops, dir.path()).ok());
  ops.FailNth(FaultyFileOps::Op::kOpenToRead, 1);
  EXPECT_TRUE(InspectDataDir(ops, dir.path()).ok());
}

// Every file is whole, but together they are not what a shard leaves: a shard would refuse them,
// so the tool (whose exit status follows ok()) must not say they are fine.
TEST(DataDirToolsTest, InspectReportsAMissingJournal) {
  testing::ScratchDir dir;
  PosixFileOps ops;
  ASSERT_TRUE(ImportDfile(ops, dir.path(), OriginalDfile(), 1000).ok());
  std::filesystem::remove(dir.File("shard-0-of-1.journal"));
  DataDirReport report = InspectDataDir(ops, dir.path());
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.merged.find("cannot merge: no journal of shard 0 of 1"), std::string::npos)
      << report.merged;
}

TEST(BttrackDfileTest, PeersWhoseIdsAreNotKnownAreEachExportedAndReadBackAsNotKnown) {
  TorrentRecord torrent;
  torrent.info_hash = *InfoHash::FromRaw(kHashA);
  for (std::uint16_t port = 1; port <= 3; ++port) {
    PeerRecord& peer = torrent.peers.emplace_back();
    peer.ip = *IpAddress::Parse("10.0.0.1");
    peer.port = port;
    peer.last_seen = 1000;
  }
  torrent.peers[1].peer_id = *PeerId::FromRaw(kSeeder);
  // A client may choose the first stand-in itself: the peer without an id must not replace it.
  PeerRecord chosen = torrent.peers[0];
  chosen.port = 4;
  chosen.peer_id = *PeerId::FromRaw(std::string(19, '\0') + "\x01");
  torrent.peers.push_back(chosen);
  auto again = ParseBttrackDfile(WriteBttrackDfile({torrent}), 1000);
  ASSERT_TRUE(again.ok()) << again.error();
  ASSERT_EQ(again->torrents.size(), 1u);
  std::vector<PeerRecord> peers = again->torrents[0].peers;
  std::sort(peers.begin(), peers.end(),
            [](const PeerRecord& a, const PeerRecord& b) { return a.port < b.port; });
  ASSERT_EQ(peers.size(), 4u);
  torrent.peers.back().peer_id = PeerId();  // read back as not known, as every stand-in is
  EXPECT_EQ(peers, torrent.peers);
}

}  // namespace
}  // namespace shardtrack
