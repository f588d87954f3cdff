// LoadAccessList reads a real file and names it in every error; AccessListReader that or a
// directory's torrent files, the changed ones only when it reads the directory again;
// StampOf tells versions of a file apart by size and by inode (a new file renamed over the old),
// a missing file from both, and versions of a directory by any file below it.
#include "frontend/access/access_list_file.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "frontend/access/torrent_file.h"
#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

constexpr std::string_view kHexA = "0123456789abcdef0123456789abcdef01234567";

// While it lives, this process may open `more` descriptors beyond those open now (a frontend
// out of descriptors under load).
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t more) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    const int lowest_free = ::dup(0);
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free) + more;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;

 private:
  rlimit saved_{};
};

std::string TorrentWithPieces(char piece) {
  return "d4:infod6:lengthi1e4:name1:a12:piece lengthi16e6:pieces20:" + std::string(20, piece) +
         "ee";
}

class AccessListFileTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  testing::ScratchDir dir_;
  const std::string path_ = dir_.File("list");
};

TEST_F(AccessListFileTest, LoadsTheListAFileHolds) {
  Write(path_, "# ours\n" + std::string(kHexA) + "\n");
  auto list = LoadAccessList(path_);
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(AccessListFileTest, AMalformedFileIsAnErrorNamingTheFileAndTheLine) {
  Write(path_, std::string(kHexA) + "\n\nnot an infohash\n");
  auto list = LoadAccessList(path_);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().rfind(path_ + ": line 3 ", 0), 0u) << list.error();
}

TEST_F(AccessListFileTest, AMissingFileIsAnErrorNamingTheFileAndTheReason) {
  auto list = LoadAccessList(path_);
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().find(path_), std::string::npos) << list.error();
  EXPECT_NE(list.error().find("No such file"), std::string::npos) << list.error();
}

TEST_F(AccessListFileTest, ADirectoryListsItsTorrentFilesAndLeavesBadOnesOut) {
  const auto info = [](const char* name) {
    return "d6:lengthi1e4:name1:" + std::string(name) +
           "12:piece lengthi16e6:pieces20:" + std::string(20, 'p') + "e";
  };
  std::filesystem::create_directories(dir_.File("torrents/old"));
  Write(dir_.File("torrents/a.torrent"), "d4:info" + info("a") + "e");
  Write(dir_.File("torrents/old/b.torrent"), "d4:info" + info("b") + "e");
  Write(dir_.File("torrents/broken.torrent"), "d4:info");
  {  // a good torrent but for its size: a piece list of zeros (a hole: no disk space taken)
    const std::string head = "d4:infod6:pieces" + std::to_string(kMaxTorrentFileBytes) + ":";
    std::ofstream huge(dir_.File("torrents/huge.torrent"), std::ios::binary);
    huge << head;
    huge.seekp(static_cast<std::streamoff>(head.size() + kMaxTorrentFileBytes));
    huge << "ee";
  }
  Write(dir_.File("torrents/notes.txt"), std::string(kHexA) + "\n");  // not a list file here
  auto list = AccessListReader().Load(dir_.File("torrents"));
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(list->Contains(*InfoHash::FromHex("6d16af9aa63b825503b5b4990c14831309c09780")));
  EXPECT_TRUE(list->Contains(*InfoHash::FromHex("a9f7dbf59a21b2fe29faa8949fce5c14b426074c")));
  EXPECT_FALSE(list->Contains(*InfoHash::FromHex(kHexA)));
}

TEST_F(AccessListFileTest, ADirectoryReadAgainRereadsOnlyTheFilesThatChanged) {
  const auto hash_of = [](char piece) {
    return IdentifyTorrent(TorrentWithPieces(piece)).value().info_hashes.front();
  };
  const std::string directory = dir_.File("torrents");
  std::filesystem::create_directories(directory);
  const std::string kept = dir_.File("torrents/kept.torrent");
  const std::string changed = dir_.File("torrents/changed.torrent");
  Write(kept, TorrentWithPieces('k'));
  Write(changed, TorrentWithPieces('c'));
  AccessListReader reader;
  ASSERT_TRUE(reader.Load(directory));

  // Out of descriptors for any file: the one that did not change is listed still (it is not
  // opened again), the changed one is left out (it had to be).
  Write(changed, TorrentWithPieces('C'));
  {
    DescriptorLimit limit(1);  // the directory's own
    auto again = reader.Load(directory);
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(again->size(), 1u);
    EXPECT_TRUE(again->Contains(hash_of('k')));
  }
  auto later = reader.Load(directory);
  ASSERT_TRUE(later) << later.error();
  EXPECT_EQ(later->size(), 2u);
  EXPECT_TRUE(later->Contains(hash_of('C')));
  EXPECT_FALSE(later->Contains(hash_of('c')));
}

// Read while out of descriptors: left out then, read again at the next check although the file
// did not change.
TEST_F(AccessListFileTest, ATorrentFileThatCouldNotBeReadIsReadAgainAtTheNextLoad) {
  const std::string directory = dir_.File("torrents");
  std::filesystem::create_directories(directory);
  Write(dir_.File("torrents/a.torrent"), TorrentWithPieces('a'));
  AccessListReader reader;
  {
    DescriptorLimit limit(1);  // the directory's own
    auto starved = reader.Load(directory);
    ASSERT_TRUE(starved) << starved.error();
    EXPECT_EQ(starved->size(), 0u);
  }
  auto again = reader.Load(directory);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->size(), 1u);
}

// A subdirectory that cannot be opened fails the Load (no list with holes comes into force), and
// the next Load still has every file.
TEST_F(AccessListFileTest, ADirectoryWalkThatFailsPartWayIsAnErrorAndLosesNothing) {
  const std::string directory = dir_.File("torrents");
  std::filesystem::create_directories(dir_.File("torrents/sub"));
  Write(dir_.File("torrents/a.torrent"), TorrentWithPieces('a'));
  Write(dir_.File("torrents/sub/b.torrent"), TorrentWithPieces('b'));
  AccessListReader reader;
  ASSERT_EQ(reader.Load(directory).value().size(), 2u);
  {
    DescriptorLimit limit(1);
    auto starved = reader.Load(directory);
    ASSERT_FALSE(starved) << "a list of " << starved->size() << " came into force";
    EXPECT_NE(starved.error().find(directory), std::string::npos) << starved.error();
  }
  auto again = reader.Load(directory);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->size(), 2u);
}

// As a user who may not open a subdirectory (root may open any: the test then has nothing to show).
TEST_F(AccessListFileTest, ASubdirectoryThatMayNotBeReadFailsTheLoad) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to read as another user";
  namespace fs = std::filesystem;
  const std::string directory = dir_.File("torrents");
  fs::create_directories(dir_.File("torrents/sub"));
  Write(dir_.File("torrents/a.torrent"), TorrentWithPieces('a'));
  Write(dir_.File("torrents/sub/b.torrent"), TorrentWithPieces('b'));
  for (const std::string& path : {dir_.path(), directory, dir_.File("torrents/a.torrent")}) {
    fs::permissions(path, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  }
  fs::permissions(dir_.File("torrents/sub"), fs::perms::owner_all, fs::perm_options::replace);
  EXPECT_EXIT(
      {
        // nobody, in no group of root's
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0) {
          std::_Exit(2);
        }
        auto loaded = AccessListReader().Load(directory);
        std::_Exit(loaded ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(AccessListFileTest, AnEmptyDirectoryListsNoTorrent) {
  auto list = AccessListReader().Load(dir_.path());
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 0u);
}

TEST_F(AccessListFileTest, AStampTellsVersionsOfAFileApart) {
  EXPECT_FALSE(StampOf(path_).exists);
  EXPECT_EQ(StampOf(path_), FileStamp{});
  Write(path_, std::string(kHexA) + "\n");
  const FileStamp first = StampOf(path_);
  EXPECT_TRUE(first.exists);
  EXPECT_EQ(first.size, 41);
  EXPECT_EQ(StampOf(path_), first);

  Write(path_, std::string(kHexA) + "\n# more\n");
  const FileStamp grown = StampOf(path_);
  EXPECT_NE(grown, first);

  Write(dir_.File("list.new"), std::string(kHexA) + "\n#  ore\n");  // the same size
  std::filesystem::rename(dir_.File("list.new"), path_);
  const FileStamp renamed = StampOf(path_);
  EXPECT_EQ(renamed.size, grown.size);
  EXPECT_NE(renamed, grown);
}

// A file that could not be read for its permissions is read again once they are mended.
TEST_F(AccessListFileTest, AStampChangesWithThePermissionsOfAFileOrOfOneBelowADirectory) {
  namespace fs = std::filesystem;
  fs::create_directories(dir_.File("torrents"));
  Write(dir_.File("torrents/a.torrent"), "one");
  Write(path_, std::string(kHexA) + "\n");
  const FileStamp file = StampOf(path_);
  const FileStamp directory = StampOf(dir_.File("torrents"));
  fs::permissions(path_, fs::perms::owner_read, fs::perm_options::replace);
  fs::permissions(dir_.File("torrents/a.torrent"), fs::perms::owner_read,
                  fs::perm_options::replace);
  EXPECT_NE(StampOf(path_), file);
  EXPECT_NE(StampOf(dir_.File("torrents")), directory);
}

TEST_F(AccessListFileTest, ADirectorysStampChangesWithAnyFileBelowIt) {
  std::filesystem::create_directories(dir_.File("torrents/sub"));
  const std::string torrents = dir_.File("torrents");
  const FileStamp empty = StampOf(torrents);
  EXPECT_TRUE(empty.exists);
  EXPECT_EQ(StampOf(torrents), empty);

  Write(dir_.File("torrents/sub/a.torrent"), "one");
  const FileStamp added = StampOf(torrents);
  EXPECT_NE(added, empty);
  EXPECT_EQ(StampOf(torrents), added);

  Write(dir_.File("torrents/sub/a.torrent"), "two");  // rewritten in place, the same size
  std::filesystem::last_write_time(
      dir_.File("torrents/sub/a.torrent"),
      std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  EXPECT_NE(StampOf(torrents), added);
}

}  // namespace
}  // namespace shardtrack
