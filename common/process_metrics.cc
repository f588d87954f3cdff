#include "common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace shardtrack {
namespace {

double CpuSeconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  const auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Field `index` (0: total size, 1: resident) of /proc/self/statm, in bytes.
double StatmBytes(int index) {
  std::FILE* file = std::fopen("/proc/self/statm", "re");
  if (file == nullptr) return 0;
  unsigned long pages[2] = {0, 0};
  const bool read = std::fscanf(file, "%lu %lu", &pages[0], &pages[1]) == 2;
  std::fclose(file);
  return read ? double(pages[index]) * double(::sysconf(_SC_PAGESIZE)) : 0;
}

double OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int entries = 0;
  while (const dirent* entry = ::readdir(dir)) entries += entry->d_name[0] != '.';
  ::closedir(dir);
  return entries - 1;  // the directory's own descriptor, open while it was read
}

double MaxFds() {
  rlimit limit{};
  return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? double(limit.rlim_cur) : 0;
}

}  // namespace

void AddProcessMetrics(MetricsRegistry& registry, std::int64_t started_unix_seconds) {
  registry.AddGauge("process_start_time_seconds",
                    "Start time of the process since the Unix epoch, in seconds.", {},
                    [started_unix_seconds] { return static_cast<double>(started_unix_seconds); });
  registry.AddFloatCounter("process_cpu_seconds_total",
                           "User and system CPU time of every thread, in seconds.", {}, CpuSeconds);
  registry.AddGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                    [] { return StatmBytes(1); });
  registry.AddGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                    [] { return StatmBytes(0); });
  registry.AddGauge("process_open_fds", "Open file descriptors.", {}, OpenFds);
  registry.AddGauge("process_max_fds", "The open-file limit (soft RLIMIT_NOFILE).", {}, MaxFds);
}

}  // namespace shardtrack
