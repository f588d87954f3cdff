// RunLoggingEscapes: a process's main returns what its Run returns, and an exception escaping Run
// becomes exit status 1 instead of an abort.
#include "common/logging.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace shardtrack {
namespace {

int ReturnsArgc(int argc, char**) { return argc; }
int Throws(int, char**) { throw std::runtime_error("epoll_create1: Too many open files"); }

TEST(RunLoggingEscapesTest, ReturnsWhatRunReturns) {
  EXPECT_EQ(RunLoggingEscapes(ReturnsArgc, 3, nullptr), 3);
}

TEST(RunLoggingEscapesTest, AnEscapingExceptionExitsOneInsteadOfAborting) {
  EXPECT_EQ(RunLoggingEscapes(Throws, 0, nullptr), 1);
}

}  // namespace
}  // namespace shardtrack
