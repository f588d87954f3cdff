#include "common/zmq_endpoint.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

bool Bindable(std::string_view endpoint) {
  return CheckZmqEndpoint("--listen", endpoint, EndpointUse::kBind).ok();
}
bool Connectable(std::string_view endpoint) {
  return CheckZmqEndpoint("--shard", endpoint, EndpointUse::kConnect).ok();
}

TEST(ZmqEndpointTest, TakesTcpWithAPortInRangeAndIpcAndInproc) {
  for (const char* endpoint : {"tcp://127.0.0.1:7000", "tcp://shard-0:1", "tcp://[::1]:65535",
                               "ipc:///run/shard.sock", "inproc://shard-0"}) {
    EXPECT_TRUE(Connectable(endpoint)) << endpoint;
    EXPECT_TRUE(Bindable(endpoint)) << endpoint;
  }
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
            "tcp://127.0.0.1:7000), ipc://PATH or inproc://NAME; got 'tcp://h:99999'");
}

TEST(ZmqEndpointTest, OnlyAnIpv6LiteralNeedsTheIpv6Option) {
  EXPECT_TRUE(NeedsZmqIpv6("tcp://[::1]:7000"));
  EXPECT_TRUE(NeedsZmqIpv6("tcp://[2001:db8::5]:7000"));
  EXPECT_FALSE(NeedsZmqIpv6("tcp://127.0.0.1:7000"));
  EXPECT_FALSE(NeedsZmqIpv6("tcp://shard-0:7000"));
  EXPECT_FALSE(NeedsZmqIpv6("inproc://shard-0"));
}

}  // namespace
}  // namespace shardtrack
