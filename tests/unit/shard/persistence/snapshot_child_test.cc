// SnapshotChild: the job runs in a forked child whose result comes back through Wait(). Given
// CPUs, the child runs the job on those alone (its job reports the affinity the kernel gave it);
// given CPUs it cannot use, it still runs the job, on the parent's CPUs, and says why. The child
// holds none of the parent's descriptors but the standard ones.
#include "shard/persistence/snapshot_child.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

// The CPUs the calling process may run on, in order.
std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return {};
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::string Text(const std::vector<int>& cpus) {
  std::string text;
  for (int cpu : cpus) text += (text.empty() ? "" : ",") + std::to_string(cpu);
  return text;
}

// A job that answers with the CPUs its process may run on.
Result<std::string> ReportAffinity() { return Text(AllowedCpus()); }

// Runs ReportAffinity in a child given `cpus`; the child's answer, or a test failure.
std::string AffinityOfChild(const std::vector<int>& cpus, std::string* affinity_error = nullptr) {
  auto child = SnapshotChild::Start(ReportAffinity, cpus);
  EXPECT_TRUE(child.ok()) << (child.ok() ? "" : child.error());
  if (!child.ok()) return "";
  auto result = (*child)->Wait();
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error());
  if (affinity_error != nullptr) *affinity_error = (*child)->affinity_error();
  return result.ok() ? *result : "";
}

TEST(SnapshotChildTest, RunsTheJobOnEachRequestedCpuAlone) {
  const std::vector<int> allowed = AllowedCpus();
  if (allowed.size() < 2) GTEST_SKIP() << "needs two CPUs to tell a move from inheritance";
  for (int cpu : allowed) {
    std::string affinity_error = "not set";
    EXPECT_EQ(AffinityOfChild({cpu}, &affinity_error), std::to_string(cpu));
    EXPECT_EQ(affinity_error, "");
  }
  EXPECT_EQ(Text(AllowedCpus()), Text(allowed)) << "the parent must stay where it was";
}

TEST(SnapshotChildTest, WithoutCpusTheChildKeepsTheParentsCpus) {
  std::string affinity_error = "not set";
  EXPECT_EQ(AffinityOfChild({}, &affinity_error), Text(AllowedCpus()));
  EXPECT_EQ(affinity_error, "");
}

TEST(SnapshotChildTest, ACpuTheChildCannotUseIsReportedAndTheJobStillRuns) {
  constexpr int kAbsentCpu = CPU_SETSIZE - 1;  // no test machine has 1024 CPUs
  std::string affinity_error;
  EXPECT_EQ(AffinityOfChild({kAbsentCpu}, &affinity_error), Text(AllowedCpus()));
  EXPECT_NE(affinity_error.find("sched_setaffinity"), std::string::npos) << affinity_error;
}

TEST(SnapshotChildTest, AFailedJobsErrorComesBackAfterTheAffinityReport) {
  auto child = SnapshotChild::Start([]() -> Result<std::string> { return Error{"disk full"}; },
                                    {CPU_SETSIZE - 1});
  ASSERT_TRUE(child.ok()) << child.error();
  auto result = (*child)->Wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "disk full");
  EXPECT_NE((*child)->affinity_error(), "");
}

TEST(SnapshotChildTest, TheChildHoldsNoneOfTheParentsDescriptors) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, 0), 0);  // not close-on-exec: a fork alone keeps it
  auto child = SnapshotChild::Start(
      [&]() -> Result<std::string> {
        std::string open;
        for (int fd : {0, 1, 2, pipe_fds[0], pipe_fds[1]}) {
          open += ::fcntl(fd, F_GETFD) >= 0 ? "1" : "0";
        }
        return open;
      },
      {});
  ASSERT_TRUE(child.ok()) << child.error();
  auto result = (*child)->Wait();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(*result, "11100");
}

}  // namespace
}  // namespace shardtrack
