#include "common/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <utility>

namespace shardtrack {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFdTest, ClosesWhatItHoldsWhenDestroyedOrReset) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    write_end.Reset();
    EXPECT_FALSE(IsOpen(fds[1]));
    EXPECT_FALSE(write_end.valid());
    EXPECT_TRUE(IsOpen(fds[0]));
  }
  EXPECT_FALSE(IsOpen(fds[0]));
}

TEST(UniqueFdTest, AMoveHandsTheDescriptorOverAndReleaseGivesItUp) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd first(fds[0]);
  UniqueFd second(std::move(first));
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): what a move leaves
  EXPECT_EQ(second.get(), fds[0]);
  UniqueFd other(fds[1]);
  other = std::move(second);  // closes the write end it held
  EXPECT_FALSE(IsOpen(fds[1]));
  EXPECT_EQ(other.Release(), fds[0]);
  EXPECT_FALSE(other.valid());
  EXPECT_TRUE(IsOpen(fds[0]));  // released: the caller owns it now
  ::close(fds[0]);
}

}  // namespace
}  // namespace shardtrack
