// OpenListenSocket on the IPv6 wildcard takes IPv4 clients whatever the host's
// net.ipv6.bindv6only says. The setting belongs to a network namespace, so the test sets it to 1
// in a namespace of its own, in a child process (root only: skipped otherwise). HoldListen's
// error says what to do about its cause: a port taken, an address not this machine's, a
// privileged port.
#include "common/reactor/socket_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace shardtrack {
namespace {

constexpr int kNoNamespace = 77;  // the child's exit code when it may not make one

bool BringLoopbackUp() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strcpy(request.ifr_name, "lo");
  request.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  const bool up = fd >= 0 && ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  if (fd >= 0) ::close(fd);
  return up;
}

bool SetBindV6Only() {
  const int fd = ::open("/proc/sys/net/ipv6/bindv6only", O_WRONLY | O_CLOEXEC);
  const bool set = fd >= 0 && ::write(fd, "1", 1) == 1;
  if (fd >= 0) ::close(fd);
  return set;
}

// 0 when an IPv4 client reaches a listener on "::"; what failed otherwise.
int ConnectOverIpv4ToTheIpv6Wildcard() {
  if (::unshare(CLONE_NEWNET) != 0) return kNoNamespace;
  if (!BringLoopbackUp()) return 2;
  if (!SetBindV6Only()) return 3;
  auto listener = OpenListenSocket("::", 0, 4, /*reuse_port=*/false);
  if (!listener) return 4;
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(listener->port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 ? 0 : 5;
}

TEST(SocketUtilTest, TheIpv6WildcardTakesIpv4ClientsEvenWhereBindv6onlyIsSet) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(ConnectOverIpv4ToTheIpv6Wildcard());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kNoNamespace) GTEST_SKIP() << "no network namespace (not root)";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: lo down, 3: sysctl, 4: listen, 5: connect refused";
}

// A port below 1024 refused to a user who is not root: the error says why, not only "is another
// process listening there?". Run as nobody in a child when the test runs as root.
TEST(SocketUtilTest, APrivilegedPortRefusedNamesWhatItNeeds) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && ::setuid(65534) != 0) ::_exit(2);
    const auto held = HoldListen("127.0.0.1", 80);
    const bool said = !held && held.error().find(
                                   "ports below 1024 need root or "
                                   "CAP_NET_BIND_SERVICE") != std::string::npos;
    ::_exit(said ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: setuid, 3: not refused or not said";
}

TEST(SocketUtilTest, APortTakenIsSaidWithWhatToDo) {
  auto first = OpenListenSocket("127.0.0.1", 0, 1, false);
  ASSERT_TRUE(first) << first.error();
  const auto held = HoldListen("127.0.0.1", first->port);
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error(), "bind 127.0.0.1:" + std::to_string(first->port) +
                              ": Address already in use (another process listens there: stop "
                              "it, or choose another port; ss -ltnup shows who)");
}

TEST(SocketUtilTest, AnAddressNotThisMachinesIsSaidWithWhereToLook) {
  const auto held = HoldListen("192.0.2.1", 0);  // TEST-NET-1: no machine's
  if (held) GTEST_SKIP() << "this machine binds addresses it does not have (ip_nonlocal_bind)";
  EXPECT_EQ(held.error(),
            "bind 192.0.2.1:0: Cannot assign requested address (no interface of this machine has "
            "that address: ip -br addr lists them)");
}

}  // namespace
}  // namespace shardtrack
