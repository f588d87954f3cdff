#include "shard/persistence/snapshot_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shardtrack {
namespace {

// Below the pipe's capacity, so the child never blocks on a parent that reads after its exit.
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

[[noreturn]] void RunChild(const SnapshotChild::Job& job, int result_fd, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
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

Result<std::unique_ptr<SnapshotChild>> SnapshotChild::Start(const Job& job) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error{ErrnoText("pipe2")};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(job, fds[1], parent);
  }
  ::close(fds[1]);
  if (pid < 0) {
    const std::string error = ErrnoText("fork");
    ::close(fds[0]);
    return Error{error};
  }
  // The system call itself: glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const std::string error = ErrnoText("pidfd_open");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(fds[0]);
    return Error{error};
  }
  return std::unique_ptr<SnapshotChild>(new SnapshotChild(pid, pidfd, fds[0]));
}

SnapshotChild::~SnapshotChild() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(pidfd_);
  ::close(result_fd_);
}

Result<std::string> SnapshotChild::Wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return Error{ErrnoText("waitpid")};
  }
  reaped_ = true;
  std::string result = ReadAll(result_fd_);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return result;
  if (WIFSIGNALED(status)) {
    return Error{std::string("the child was killed by ") + ::strsignal(WTERMSIG(status))};
  }
  if (!result.empty()) return Error{result};
  return Error{"the child exited with status " + std::to_string(WEXITSTATUS(status))};
}

}  // namespace shardtrack
