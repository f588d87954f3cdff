// AddProcessMetrics: the series read this process's state at render time.
#include "common/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>

namespace shardtrack {
namespace {

// name -> value of every sample a registry renders.
std::map<std::string, double> Samples(const MetricsRegistry& registry) {
  std::map<std::string, double> samples;
  std::istringstream lines(registry.Render());
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(ProcessMetricsTest, ReadTheProcessWhenRendered) {
  MetricsRegistry registry;
  AddProcessMetrics(registry, 1'700'000'000);
  const auto before = Samples(registry);
  EXPECT_EQ(before.at("process_start_time_seconds"), 1'700'000'000);

  const int extra = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(extra, 0);
  volatile double spin = 0;
  for (int i = 0; i < 20'000'000; ++i) spin = spin + i;  // some CPU time to count
  const auto after = Samples(registry);
  ::close(extra);

  EXPECT_EQ(after.at("process_open_fds"), before.at("process_open_fds") + 1);
  EXPECT_GT(after.at("process_cpu_seconds_total"), before.at("process_cpu_seconds_total"));
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(after.at("process_max_fds"), double(limit.rlim_cur));
  EXPECT_GT(after.at("process_resident_memory_bytes"), 1 << 20);  // a test binary: over 1 MiB
  EXPECT_GT(after.at("process_virtual_memory_bytes"), after.at("process_resident_memory_bytes"));
}

}  // namespace
}  // namespace shardtrack
