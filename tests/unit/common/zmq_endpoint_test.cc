#include "common/zmq_endpoint.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "common/reactor/socket_util.h"

namespace shardtrack {
namespace {

bool Bindable(std::string_view endpoint) {
  return CheckZmqEndpoint("--listen", endpoint, EndpointUse::kBind).ok();
}
bool Connectable(std::string_view endpoint) {
  return CheckZmqEndpoint("--shard", endpoint, EndpointUse::kConnect).ok();
}

TEST(ZmqEndpointTest, TakesTcpWithAPortInRangeAndIpcAndInproc) {
  for (const char* endpoint :
       {"tcp://127.0.0.1:7000", "tcp://[::1]:65535", "ipc:///run/shard.sock", "inproc://shard-0"}) {
    EXPECT_TRUE(Connectable(endpoint)) << endpoint;
    EXPECT_TRUE(Bindable(endpoint)) << endpoint;
  }
  // ZeroMQ binds an address or an interface, never a host name: refused as a setting.
  EXPECT_TRUE(Connectable("tcp://shard-0:1"));
  EXPECT_TRUE(Bindable("tcp://lo:7000"));
  const Status named = CheckZmqEndpoint("--listen", "tcp://localhost:7000", EndpointUse::kBind);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().rfind("--listen: localhost is neither an IP address nor a network "
                                "interface of this machine",
                                0),
            0u)
      << named.error();
  EXPECT_TRUE(Bindable("tcp://*:7000"));
  EXPECT_TRUE(Bindable("tcp://127.0.0.1:*")) << "any port";
  EXPECT_TRUE(Bindable("tcp://127.0.0.1:0"));
  EXPECT_FALSE(Connectable("tcp://127.0.0.1:0")) << "nothing listens on port 0";
  EXPECT_FALSE(Connectable("tcp://127.0.0.1:*"));
  EXPECT_TRUE(Connectable("tcp://10.0.0.1:7000;10.0.0.2:7000")) << "from a source address";
  EXPECT_FALSE(Bindable("tcp://10.0.0.1:7000;10.0.0.2:7000"));
  EXPECT_FALSE(Connectable("tcp://*:7000"));
}

TEST(ZmqEndpointTest, RefusesWhatZeroMqWouldTakeAndGetWrong) {
  for (const char* endpoint :
       {"tcp://127.0.0.1:99999", "tcp://127.0.0.1:65536", "tcp://127.0.0.1", "tcp://:7000",
        "tcp://127.0.0.1:70a", "tcp://127.0.0.1:-1", "127.0.0.1:7000", "udp://127.0.0.1:7000",
        "ipc://", "inproc://", ""}) {
    EXPECT_FALSE(Bindable(endpoint)) << endpoint;
    EXPECT_FALSE(Connectable(endpoint)) << endpoint;
  }
  const Status refused = CheckZmqEndpoint("--shard", "tcp://h:99999", EndpointUse::kConnect);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "--shard must be a ZeroMQ endpoint: tcp://HOST:PORT with a port from 1 to 65535 (like "
            "tcp://127.0.0.1:7000), ipc://PATH or inproc://NAME, not 'tcp://h:99999'");
}

// A list given to one flag would pass as a host name with a comma in it, and fail to connect.
TEST(ZmqEndpointTest, RefusesAListOfEndpointsGivenAsOneSayingToRepeatTheFlag) {
  const Status refused = CheckZmqEndpoint("--shard", "tcp://127.0.0.1:7000,tcp://127.0.0.1:7001",
                                          EndpointUse::kConnect);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "--shard 'tcp://127.0.0.1:7000,tcp://127.0.0.1:7001' holds a comma: give one endpoint "
            "to each --shard (commas separate endpoints only in a SHARDTRACK_* variable)");
  const Status bind =
      CheckZmqEndpoint("--listen", "tcp://127.0.0.1:7000,tcp://127.0.0.1:7001", EndpointUse::kBind);
  ASSERT_FALSE(bind.ok());
  EXPECT_EQ(bind.error(),
            "--listen 'tcp://127.0.0.1:7000,tcp://127.0.0.1:7001' holds a comma: it binds one "
            "endpoint");
}

TEST(ZmqEndpointTest, ATcpBindEndpointNamesItsAddressAndPortWhenFixed) {
  const auto any = TcpBindEndpoint("tcp://*:7000");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->address.ToString(), "0.0.0.0");
  EXPECT_EQ(any->port, 7000);
  const auto v6 = TcpBindEndpoint("tcp://[::1]:7001");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address.ToString(), "::1");
  EXPECT_EQ(v6->port, 7001);
  // An interface by its first IPv4 address, as ZeroMQ binds it.
  const auto loopback = TcpBindEndpoint("tcp://lo:7002");
  ASSERT_TRUE(loopback);
  EXPECT_EQ(loopback->address.ToString(), "127.0.0.1");
  EXPECT_EQ(loopback->port, 7002);
  for (const char* other : {"tcp://127.0.0.1:0", "tcp://127.0.0.1:*", "tcp://no-such-nic:7000",
                            "ipc:///tmp/shard.sock", "inproc://shard-0"}) {
    EXPECT_FALSE(TcpBindEndpoint(other)) << other;
  }
}

// ZeroMQ turns IPv6 on only for a bracketed literal: tcp://::1:7000 would be taken and never
// connect (a bind fails with "No such device").
TEST(ZmqEndpointTest, RefusesAnIpv6LiteralWithoutBracketsSayingHowToWriteIt) {
  for (const char* endpoint : {"tcp://::1:7000", "tcp://2001:db8::5:7000"}) {
    const Status refused = CheckZmqEndpoint("--shard", endpoint, EndpointUse::kConnect);
    ASSERT_FALSE(refused.ok()) << endpoint;
    EXPECT_NE(refused.error().find("goes in brackets, like tcp://[::1]:7000"), std::string::npos);
    EXPECT_FALSE(Bindable(endpoint)) << endpoint;
  }
  EXPECT_FALSE(Connectable("tcp://10.0.0.1:7000;::1:7000"));
  EXPECT_FALSE(Bindable("tcp://fe80::1%lo:7000")) << "scoped, still unbracketed";
  EXPECT_TRUE(Connectable("tcp://[::1]:7001;[::1]:7000"));
  EXPECT_TRUE(Bindable("tcp://eth0:1:7000")) << "an interface's alias label is no IPv6 literal";
}

// A bind's host must be an address or an interface of this machine, and an ipc:// path's
// directory must exist: said before a shard loads its files, not by ZeroMQ after.
TEST(ZmqEndpointTest, HoldingABindPortRefusesHostNamesAndIpcPathsInNoDirectory) {
  const auto named = HoldZmqBindPort("--listen", "tcp://localhost:7000");
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().find("--listen: localhost is neither an IP address nor a network "
                               "interface of this machine"),
            std::string::npos)
      << named.error();
  EXPECT_TRUE(HoldZmqBindPort("--listen", "tcp://lo:0").ok()) << "an interface's name";
  EXPECT_TRUE(HoldZmqBindPort("--listen", "tcp://[fe80::1%lo]:7000").ok()) << "a scoped literal";
  EXPECT_TRUE(HoldZmqBindPort("--listen", "tcp://*:0").ok());
  const auto nowhere = HoldZmqBindPort("--listen", "ipc:///nonexistent/dir/shard.sock");
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(nowhere.error().find("the directory of /nonexistent/dir/shard.sock does not exist"),
            std::string::npos)
      << nowhere.error();
  EXPECT_TRUE(HoldZmqBindPort("--listen", "ipc:///tmp/shard.sock").ok());
}

TEST(ZmqEndpointTest, HoldingABindPortKeepsItTakenUntilDropped) {
  auto held = HoldZmqBindPort("--listen", "tcp://127.0.0.1:0");
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held->valid()) << "port 0: nothing to hold";
  // A fixed port: found free by binding port 0 first.
  auto probe = HoldListen("127.0.0.1", 0);
  ASSERT_TRUE(probe.ok());
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(::getsockname(probe->get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(ntohs(bound.sin_port));
  const auto taken = HoldZmqBindPort("--listen", endpoint);
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(taken.error().starts_with("--listen: bind 127.0.0.1:")) << taken.error();
  probe->Reset();
  auto mine = HoldZmqBindPort("--listen", endpoint);
  ASSERT_TRUE(mine.ok()) << mine.error();
  EXPECT_TRUE(mine->valid());
  EXPECT_FALSE(HoldZmqBindPort("--listen", endpoint).ok()) << "held until dropped";
}

TEST(ZmqEndpointTest, OnlyAnIpv6LiteralNeedsTheIpv6Option) {
  EXPECT_TRUE(NeedsZmqIpv6("tcp://[::1]:7000"));
  EXPECT_TRUE(NeedsZmqIpv6("tcp://10.0.0.1:7001;[::1]:7000")) << "from a source address";
  EXPECT_TRUE(NeedsZmqIpv6("tcp://[2001:db8::5]:7000"));
  EXPECT_FALSE(NeedsZmqIpv6("tcp://127.0.0.1:7000"));
  EXPECT_FALSE(NeedsZmqIpv6("tcp://shard-0:7000"));
  EXPECT_FALSE(NeedsZmqIpv6("inproc://shard-0"));
}

}  // namespace
}  // namespace shardtrack
