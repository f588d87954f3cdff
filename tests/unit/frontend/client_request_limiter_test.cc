#include "frontend/client_request_limiter.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

IpAddress Ip(const std::string& text) { return *IpAddress::Parse(text); }

// The n-th of many distinct IPv4 clients.
IpAddress NthClient(std::uint32_t n) {
  return Ip("10." + std::to_string(n >> 16 & 255) + "." + std::to_string(n >> 8 & 255) + "." +
            std::to_string(n & 255));
}

class ClientRequestLimiterTest : public testing::Test {
 protected:
  // How many of `count` requests of `client` at the current time are admitted.
  int AdmittedOf(ClientRequestLimiter& limiter, const IpAddress& client, int count) {
    int admitted = 0;
    for (int i = 0; i < count; ++i) admitted += limiter.Admit(client, now_) ? 1 : 0;
    return admitted;
  }

  MonoTime now_ = MonoTime{} + std::chrono::hours(1);
};

TEST_F(ClientRequestLimiterTest, OffAdmitsEverything) {
  ClientRequestLimiter limiter(0, 1);
  EXPECT_FALSE(limiter.enabled());
  EXPECT_EQ(AdmittedOf(limiter, Ip("10.0.0.1"), 10000), 10000);
  EXPECT_EQ(limiter.refusals(), 0u);
}

TEST_F(ClientRequestLimiterTest, AdmitsTheBurstAtOnceThenRefuses) {
  ClientRequestLimiter limiter(10, 5);
  EXPECT_EQ(AdmittedOf(limiter, Ip("10.0.0.1"), 8), 5);
  EXPECT_EQ(limiter.refusals(), 3u);
  EXPECT_EQ(AdmittedOf(limiter, Ip("10.0.0.2"), 8), 5);  // another client has its own
}

TEST_F(ClientRequestLimiterTest, ARateOverABillionASecondStillHoldsTheBurst) {
  ClientRequestLimiter limiter(4'000'000'000u, 3);  // an interval under a nanosecond
  EXPECT_TRUE(limiter.enabled());
  EXPECT_EQ(AdmittedOf(limiter, Ip("10.0.0.1"), 5), 3);
}

TEST_F(ClientRequestLimiterTest, GivesOneRequestBackPerIntervalAndTheBurstAfterIdling) {
  ClientRequestLimiter limiter(10, 5);  // one request back every 100 ms
  const IpAddress client = Ip("10.0.0.1");
  ASSERT_EQ(AdmittedOf(limiter, client, 5), 5);
  now_ += milliseconds(99);
  EXPECT_FALSE(limiter.Admit(client, now_));
  now_ += milliseconds(1);
  EXPECT_TRUE(limiter.Admit(client, now_));
  EXPECT_FALSE(limiter.Admit(client, now_));
  now_ += milliseconds(300);
  EXPECT_EQ(AdmittedOf(limiter, client, 5), 3);
  now_ += seconds(10);  // idle long enough: the whole burst, not more
  EXPECT_EQ(AdmittedOf(limiter, client, 8), 5);
}

TEST_F(ClientRequestLimiterTest, ARefusedRequestCostsNothing) {
  ClientRequestLimiter limiter(10, 1);
  const IpAddress client = Ip("10.0.0.1");
  ASSERT_TRUE(limiter.Admit(client, now_));
  for (int i = 0; i < 50; ++i) {  // a client hammering while refused does not dig deeper
    now_ += milliseconds(1);
    ASSERT_FALSE(limiter.Admit(client, now_));
  }
  now_ += milliseconds(50);  // 100 ms after the admitted one
  EXPECT_TRUE(limiter.Admit(client, now_));
}

TEST_F(ClientRequestLimiterTest, SustainsItsRateAndNoMore) {
  ClientRequestLimiter limiter(100, 10);
  const IpAddress client = Ip("10.0.0.1");
  int admitted = 0;
  for (int ms = 0; ms < 10000; ++ms) {  // 1,000 requests a second for 10 s
    admitted += limiter.Admit(client, now_) ? 1 : 0;
    now_ += milliseconds(1);
  }
  EXPECT_GE(admitted, 1000);
  EXPECT_LE(admitted, 1010);  // 100 a second, plus the burst
}

// A token bucket as the textbook has it: up to `burst` tokens, one back every 1/rate s, one
// taken by each admitted request. Kept in nanoseconds of credit so that it is exact.
class TokenBucket {
 public:
  TokenBucket(std::int64_t rate, std::int64_t burst)
      : interval_(1'000'000'000 / rate), capacity_(burst * interval_), credit_(capacity_) {}
  bool Admit(std::int64_t now_ns) {
    credit_ = std::min(capacity_, credit_ + (now_ns - last_));
    last_ = now_ns;
    if (credit_ < interval_) return false;
    credit_ -= interval_;
    return true;
  }

 private:
  std::int64_t interval_, capacity_, credit_, last_ = 0;
};

TEST_F(ClientRequestLimiterTest, DecidesAsATokenBucketWhileNoClientIsForgotten) {
  // Four clients fit one set, so none is ever forgotten: every decision must be the bucket's.
  std::mt19937_64 random(7);
  int admitted = 0;
  int refused = 0;
  for (int round = 0; round < 20; ++round) {
    const auto rate = static_cast<std::uint32_t>(random() % 1000 + 1);
    const auto burst = static_cast<std::uint32_t>(random() % 50 + 1);
    ClientRequestLimiter limiter(rate, burst);
    std::array<TokenBucket, ClientRequestLimiter::kWays> buckets{
        TokenBucket(rate, burst), TokenBucket(rate, burst), TokenBucket(rate, burst),
        TokenBucket(rate, burst)};
    const std::int64_t interval = 1'000'000'000 / rate;
    std::int64_t at = std::chrono::hours(1) / std::chrono::nanoseconds(1);
    for (int request = 0; request < 5000; ++request) {
      // Each client asks at about its rate on average, in bursts and lulls.
      at += static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(interval / 2 + 1));
      const std::size_t client = random() % buckets.size();
      const bool expected = buckets[client].Admit(at);
      ASSERT_EQ(limiter.Admit(NthClient(static_cast<std::uint32_t>(client)),
                              MonoTime{} + std::chrono::nanoseconds(at)),
                expected)
          << "rate " << rate << ", burst " << burst << ", request " << request;
      (expected ? admitted : refused) += 1;
    }
  }
  EXPECT_GT(admitted, 10000);
  EXPECT_GT(refused, 1000);
}

TEST_F(ClientRequestLimiterTest, AnIpv6ClientIsItsSlash64) {
  ClientRequestLimiter limiter(1, 2);
  EXPECT_TRUE(limiter.Admit(Ip("2001:db8:1:2::1"), now_));
  EXPECT_TRUE(limiter.Admit(Ip("2001:db8:1:2:ffff::9"), now_));
  EXPECT_FALSE(limiter.Admit(Ip("2001:db8:1:2:abcd::1"), now_));
  EXPECT_TRUE(limiter.Admit(Ip("2001:db8:1:3::1"), now_));  // the next /64
}

TEST_F(ClientRequestLimiterTest, AFloodOfNewClientsIsAdmittedAndDoesNotFreeAnAbuser) {
  ClientRequestLimiter limiter(1, 100);
  const IpAddress abuser = Ip("192.0.2.1");
  ASSERT_EQ(AdmittedOf(limiter, abuser, 150), 100);
  // Ten times as many clients as the table has slots, one request each, at the same moment:
  // each is new, so each is admitted, and each takes the slot nearest to idle.
  const auto clients = static_cast<std::uint32_t>(ClientRequestLimiter::kSlots * 10);
  int admitted = 0;
  for (std::uint32_t n = 0; n < clients; ++n) admitted += limiter.Admit(NthClient(n), now_);
  EXPECT_EQ(admitted, static_cast<int>(clients));
  EXPECT_FALSE(limiter.Admit(abuser, now_));
}

TEST_F(ClientRequestLimiterTest, ClientsOverTheTableAreEachStillLimited) {
  // More clients over their rate than slots: the limiter forgets some (they get their burst
  // again) but never refuses a client within its own rate.
  ClientRequestLimiter limiter(1, 2);
  const auto clients = static_cast<std::uint32_t>(ClientRequestLimiter::kSlots * 2);
  for (std::uint32_t n = 0; n < clients; ++n) ASSERT_EQ(AdmittedOf(limiter, NthClient(n), 2), 2);
  std::uint64_t before = limiter.refusals();
  for (std::uint32_t n = 0; n < clients; ++n) limiter.Admit(NthClient(n), now_);
  EXPECT_GT(limiter.refusals(), before);  // the ones still held are refused
}

}  // namespace
}  // namespace shardtrack
