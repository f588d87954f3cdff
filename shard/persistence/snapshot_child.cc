#include "shard/persistence/snapshot_child.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shardtrack {
namespace {

// Below the pipe's capacity (with the affinity error below), so the child never blocks on a
// parent that reads after its exit.
constexpr std::size_t kMaxResultBytes = 4000;

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// What the child sends first: the length of the affinity error (one byte), then the error, then
// the job's result; 1 + 95 + 4000 bytes fit the smallest pipe (one page).
constexpr std::size_t kMaxAffinityErrorBytes = 95;

// In the child: moves it to `cpus`, or says why it could not.
std::string MoveToCpus(const std::vector<int>& cpus) {
  if (cpus.empty()) return "";
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return "CPU " + std::to_string(cpu) + " is out of range";
    CPU_SET(cpu, &set);
  }
  if (::sched_setaffinity(0, sizeof set, &set) == 0) return "";
  return ErrnoText("sched_setaffinity");
}

// In the child: closes every descriptor but the standard ones and `keep`. A connection or a
// listener the parent closes while the child writes must really close then, not when the child
// exits (shardtrack-node's client connections; a shard's metrics listener).
void CloseInheritedDescriptors(int keep) {
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
  ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
}

[[noreturn]] void RunChild(const SnapshotChild::Job& job, const std::vector<int>& cpus,
                           int result_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
  CloseInheritedDescriptors(result_fd);
  std::string affinity_error = MoveToCpus(cpus);
  if (affinity_error.size() > kMaxAffinityErrorBytes) affinity_error.resize(kMaxAffinityErrorBytes);
  WriteAll(result_fd, std::string(1, static_cast<char>(affinity_error.size())) + affinity_error);
  int status = 1;
  std::string result;
  try {
    auto done = job();
    status = done ? 0 : 1;
    result = done ? std::move(*done) : done.error();
  } catch (const std::exception& error) {
    result = error.what();
  }
  if (result.size() > kMaxResultBytes) result.resize(kMaxResultBytes);
  WriteAll(result_fd, result);
  ::_exit(status);
}

}  // namespace

Result<std::unique_ptr<SnapshotChild>> SnapshotChild::Start(const Job& job,
                                                            const std::vector<int>& cpus) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error{ErrnoText("pipe2")};
  UniqueFd result_end(fds[0]);
  UniqueFd child_end(fds[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    result_end.Reset();
    RunChild(job, cpus, child_end.get(), parent);
  }
  if (pid < 0) return Error{ErrnoText("fork")};
  child_end.Reset();
  // The system call itself: glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) {
    const std::string error = ErrnoText("pidfd_open");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return Error{error};
  }
  return std::make_unique<SnapshotChild>(OnlyStart{}, pid, std::move(pidfd), std::move(result_end));
}

SnapshotChild::~SnapshotChild() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<std::string> SnapshotChild::Wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return Error{ErrnoText("waitpid")};
  }
  reaped_ = true;
  std::string result = ReadAll(result_fd_.get());
  if (!result.empty()) {
    const std::size_t length = static_cast<unsigned char>(result[0]);
    affinity_error_ = result.substr(1, length);
    result.erase(0, std::min(result.size(), 1 + length));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return result;
  if (WIFSIGNALED(status)) {
    return Error{std::string("the child was killed by ") + ::strsignal(WTERMSIG(status))};
  }
  if (!result.empty()) return Error{result};
  return Error{"the child exited with status " + std::to_string(WEXITSTATUS(status))};
}

}  // namespace shardtrack
