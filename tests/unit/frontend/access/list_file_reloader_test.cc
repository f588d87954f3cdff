// ListFileReloader (of an access list) on a real loop and real files, with a fake clock for its
// interval: a changed file is read again at the next check and swapped in, an unchanged one is not
// re-read, a missing or malformed file keeps the list in force (and is not read again until it
// changes), and Reload() re-reads at once. Every wait is a bounded number of loop turns.
#include "common/list_file_reloader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "frontend/access/torrent_access.h"
#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kHexA = "0123456789abcdef0123456789abcdef01234567";
const std::string kHexB = "fedcba9876543210fedcba9876543210fedcba98";
constexpr Duration kInterval = seconds(60);

InfoHash FromHex(const std::string& hex) { return *InfoHash::FromHex(hex); }

class ListFileReloaderTest : public ::testing::Test {
 protected:
  ListFileReloaderTest() {
    Replace(kHexA + "\n");
    reloader_.emplace(loop_, path_, kInterval, StampOf(path_), access_);
    reloader_->Start();
  }

  // Writes a new version the safe way: a new file renamed over the old one.
  void Replace(const std::string& text) {
    std::ofstream(path_ + ".new", std::ios::binary | std::ios::trunc) << text;
    std::filesystem::rename(path_ + ".new", path_);
  }

  // Lets the interval pass and turns the loop until that check has finished.
  void NextCheck() {
    const std::uint64_t before = reloader_->checks();
    clock_.Advance(kInterval);
    TurnUntilChecks(before + 1);
  }
  void TurnUntilChecks(std::uint64_t checks) {
    for (int i = 0; i < 500 && reloader_->checks() < checks; ++i) loop_.RunOnce(milliseconds(10));
    ASSERT_EQ(reloader_->checks(), checks) << "the check did not finish";
  }

  FakeClock clock_;
  EventLoop loop_{clock_};
  testing::ScratchDir dir_;  // declared before reloader_: it outlives the reloader's thread
  const std::string path_ = dir_.File("list");
  TorrentAccess access_{AccessMode::kAllow, AccessList({FromHex(kHexA)})};
  std::optional<ListFileReloader<TorrentAccess>> reloader_;
};

TEST_F(ListFileReloaderTest, AnUnchangedFileIsNotReadAgain) {
  NextCheck();
  NextCheck();
  EXPECT_EQ(access_.reloads().ok, 0u);
  EXPECT_EQ(access_.reloads().failed, 0u);
}

TEST_F(ListFileReloaderTest, NothingIsCheckedBeforeTheInterval) {
  clock_.Advance(kInterval - milliseconds(1));
  for (int i = 0; i < 5; ++i) loop_.RunOnce(milliseconds(10));
  EXPECT_EQ(reloader_->checks(), 0u);
}

TEST_F(ListFileReloaderTest, AChangedFileIsSwappedInAtTheNextCheck) {
  Replace(kHexB + "\n");
  NextCheck();
  EXPECT_EQ(access_.reloads().ok, 1u);
  EXPECT_TRUE(access_.Serves(FromHex(kHexB)));
  EXPECT_FALSE(access_.Serves(FromHex(kHexA)));
}

TEST_F(ListFileReloaderTest, AMalformedFileKeepsTheListInForceUntilItIsFixed) {
  Replace(kHexB + "\nnonsense\n");
  NextCheck();
  EXPECT_EQ(access_.reloads().failed, 1u);
  EXPECT_TRUE(access_.Serves(FromHex(kHexA)));
  EXPECT_FALSE(access_.Serves(FromHex(kHexB)));

  NextCheck();  // the same bad version: not read (nor reported) again
  EXPECT_EQ(access_.reloads().failed, 1u);

  Replace(kHexA + "\n" + kHexB + "\n");
  NextCheck();
  EXPECT_EQ(access_.reloads().ok, 1u);
  EXPECT_EQ(access_.entries(), 2u);
}

// An allow list emptied (a site's export that failed after truncating the file) would refuse
// every torrent: it is kept out like a malformed file.
TEST_F(ListFileReloaderTest, AnAllowListThatNamesNothingKeepsTheListInForce) {
  Replace("# exported 2026-12-05, 0 torrents\n");
  NextCheck();
  EXPECT_EQ(access_.reloads().failed, 1u);
  EXPECT_TRUE(access_.reloads().stale);
  EXPECT_TRUE(access_.Serves(FromHex(kHexA)));
}

TEST_F(ListFileReloaderTest, ADenyListMayNameNothing) {
  TorrentAccess blocked(AccessMode::kDeny, AccessList({FromHex(kHexA)}));
  reloader_.reset();
  reloader_.emplace(loop_, path_, kInterval, StampOf(path_), blocked);
  reloader_->Start();
  Replace("\n");
  NextCheck();
  EXPECT_EQ(blocked.reloads().ok, 1u);
  EXPECT_EQ(blocked.entries(), 0u);
  EXPECT_TRUE(blocked.Serves(FromHex(kHexA)));
  reloader_.reset();  // before `blocked` goes
}

TEST_F(ListFileReloaderTest, AMissingFileKeepsTheListInForceUntilItReturns) {
  std::filesystem::remove(path_);
  NextCheck();
  EXPECT_EQ(access_.reloads().failed, 1u);
  EXPECT_TRUE(access_.Serves(FromHex(kHexA)));
  NextCheck();
  EXPECT_EQ(access_.reloads().failed, 1u);

  Replace(kHexB + "\n");
  NextCheck();
  EXPECT_EQ(access_.reloads().ok, 1u);
  EXPECT_TRUE(access_.Serves(FromHex(kHexB)));
}

TEST_F(ListFileReloaderTest, ReloadReadsTheFileAtOnceEvenUnchanged) {
  reloader_->Reload();
  TurnUntilChecks(1);
  EXPECT_EQ(access_.reloads().ok, 1u);
  EXPECT_TRUE(access_.Serves(FromHex(kHexA)));

  Replace(kHexB + "\n");
  reloader_->Reload();
  reloader_->Reload();  // while the first is in progress: one more read after it
  TurnUntilChecks(3);
  EXPECT_EQ(access_.reloads().ok, 3u);
  EXPECT_TRUE(access_.Serves(FromHex(kHexB)));
}

}  // namespace
}  // namespace shardtrack
