// FrontendSettings: the UDP socket's limits are settings with their defaults, read from the
// command line and the environment; a value out of its range is refused where it is read, with a
// message naming the setting, and a valid one reaches UdpSocket::Options. The smallest limit
// allowed still reads BEP 15's longest request, over a real loopback socket. Every count and time
// is held to its range the same way, CheckRequestLimits checks the settings that bound each other,
// and the access lists, the batch window and the announce options reach what the code takes.
#include "frontend/frontend_settings.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/reactor/event_loop.h"
#include "frontend/udp/udp_tracker_protocol.h"
#include "tests/unit/common/flag_test_util.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;

class FrontendSettingsTest : public ::testing::Test {
 protected:
  FrontendSettingsTest() { settings_.Register(flags_); }

  // Parses `args` (and env_), then derives the UDP socket's options.
  Result<UdpSocket::Options> UdpOptions(std::vector<const char*> args) {
    auto parsed = testing::ParseWithEnvironment(flags_, std::move(args), env_);
    if (!parsed) return Error{parsed.error()};
    return Result<UdpSocket::Options>(UdpSocketOptionsFrom(settings_));
  }

  // Parses `args` (and env_), then checks one list file's settings with `from`.
  Result<ListFileSettings> ListFile(ListFileSettings (*from)(const FrontendSettings&),
                                    std::vector<const char*> args) {
    auto parsed = testing::ParseWithEnvironment(flags_, std::move(args), env_);
    if (!parsed) return Error{parsed.error()};
    return Result<ListFileSettings>(from(settings_));
  }
  Result<ListFileSettings> Access(std::vector<const char*> args) {
    return ListFile(&AccessSettingsFrom, std::move(args));
  }
  Result<ListFileSettings> Passkeys(std::vector<const char*> args) {
    return ListFile(&PasskeySettingsFrom, std::move(args));
  }
  Result<ListFileSettings> Clients(std::vector<const char*> args) {
    return ListFile(&ClientListSettingsFrom, std::move(args));
  }

  FrontendSettings settings_;
  FlagSet flags_{"shardtrack-frontend", "test"};
  std::map<std::string, std::string> env_;
};

template <typename Checked>
void ExpectRefused(const Result<Checked>& options, const std::vector<std::string>& mentions) {
  ASSERT_FALSE(options) << "accepted";
  for (const std::string& text : mentions) {
    EXPECT_NE(options.error().find(text), std::string::npos) << options.error();
  }
}

TEST_F(FrontendSettingsTest, UdpLimitsDefaultTo2048BytesAnd64DatagramsPerTurn) {
  auto options = UdpOptions({});
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->max_datagram_bytes, 2048u);
  EXPECT_EQ(options->max_datagrams_per_turn, 64u);
}

TEST_F(FrontendSettingsTest, UdpSettingsFromTheCommandLineReachTheSocketOptions) {
  auto options = UdpOptions({"--udp-max-datagram-bytes", "1496", "--udp-datagrams-per-turn=8",
                             "--bind", "::1", "--udp-port", "7070", "--reuse-port"});
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->max_datagram_bytes, 1496u);
  EXPECT_EQ(options->max_datagrams_per_turn, 8u);
  EXPECT_EQ(options->bind_address, "::1");
  EXPECT_EQ(options->port, 7070);
  EXPECT_TRUE(options->reuse_port);
}

TEST_F(FrontendSettingsTest, UdpLimitsAreReadFromTheEnvironment) {
  env_["SHARDTRACK_UDP_MAX_DATAGRAM_BYTES"] = "65535";
  env_["SHARDTRACK_UDP_DATAGRAMS_PER_TURN"] = "1";
  auto options = UdpOptions({});
  ASSERT_TRUE(options) << options.error();
  EXPECT_EQ(options->max_datagram_bytes, 65535u);
  EXPECT_EQ(options->max_datagrams_per_turn, 1u);
}

TEST_F(FrontendSettingsTest, RefusesADatagramLimitShorterThanTheLongestBep15Request) {
  ASSERT_EQ(kUdpMaxRequestBytes, 1496u);  // 16-byte header and 74 info hashes
  ExpectRefused(UdpOptions({"--udp-max-datagram-bytes", "1495"}),
                {"--udp-max-datagram-bytes", "1496", "1495", "scrape"});
  ExpectRefused(UdpOptions({"--udp-max-datagram-bytes", "0"}), {"--udp-max-datagram-bytes"});
}

TEST_F(FrontendSettingsTest, RefusesADatagramLimitBeyondWhatUdpCarries) {
  ExpectRefused(UdpOptions({"--udp-max-datagram-bytes", "65536"}),
                {"--udp-max-datagram-bytes", "65535", "65536"});
}

// The first error parsing `args` or CheckRequestLimits finds; empty: none.
std::string SettingsError(std::vector<const char*> args) {
  FrontendSettings settings;
  FlagSet flags{"shardtrack-frontend", "test"};
  settings.Register(flags);
  std::map<std::string, std::string> no_environment;
  auto parsed = testing::ParseWithEnvironment(flags, std::move(args), no_environment);
  if (!parsed) return parsed.error();
  const Status checked = CheckRequestLimits(settings);
  return checked ? "" : checked.error();
}

TEST_F(FrontendSettingsTest, RefusesAReplyLimitWithoutRoomForOnePeerOrBeyondADatagram) {
  EXPECT_EQ(SettingsError({"--udp-max-reply-bytes", "38"}), "");
  EXPECT_EQ(SettingsError({"--udp-max-reply-bytes", "65507"}), "");
  const std::string range =
      "38 to 65507 (room for one IPv6 peer to a UDP datagram's payload), not ";
  EXPECT_EQ(SettingsError({"--udp-max-reply-bytes", "37"}),
            "--udp-max-reply-bytes must be " + range + "37");
  EXPECT_EQ(SettingsError({"--udp-max-reply-bytes", "65508"}),
            "--udp-max-reply-bytes must be " + range + "65508");
}

TEST_F(FrontendSettingsTest, RefusesRequestLimitsThatWouldFailEveryRequest) {
  EXPECT_TRUE(CheckRequestLimits(settings_));  // the defaults
  const std::pair<const char*, std::string> at_least_one[] = {
      {"--shard-timeout-ms", "1 to 4294967295 (what a batch tells its shard: 49 days)"},
      {"--max-scrape-hashes", "1 to 10000 (what one message to a shard carries)"},
      {"--max-udp-scrape-hashes", "1 to 74 (BEP 15: what fits one datagram)"},
      {"--socket-timeout", "1 to 315360000 (ten years)"},
      {"--max-connections", "at least 1"},
      {"--listen-backlog", "1 to 2147483647 (what listen(2) takes)"},
      {"--max-pending-per-shard", "at least 1"},
      {"--max-request-line",
       "at least 96 (a scrape of one torrent, percent-encoded; more after a passkey)"},
      {"--max-header-bytes", "at least 1"},
      {"--max-pipelined", "at least 1"},
      {"--announce-interval",
       "1 to 345600 (four days: with its jitter, under the longest --peer-timeout)"},
      {"--max-give", "1 to 10000 (what a shard answers)"},
      {"--retry-in", "1 to 1440 (a day)"}};
  for (const auto& [flag, range] : at_least_one) {
    EXPECT_EQ(SettingsError({flag, "0", "--min-interval", "0"}),
              std::string(flag) + " must be " + range + ", not 0");
  }
  EXPECT_EQ(SettingsError({"--socket-timeout", "-5"}),
            "--socket-timeout must be 1 to 315360000 (ten years), not -5");
  EXPECT_EQ(SettingsError({"--drain-grace-ms", "-1"}),
            "--drain-grace-ms must be 0 to 315360000000 (ten years), not -1");
  EXPECT_EQ(SettingsError({"--drain-grace-ms", "0"}), "");
  EXPECT_EQ(SettingsError({"--max-output-bytes", "4095"}),
            "--max-output-bytes must be at least 4096 (a reply's head and an info page), not 4095");
  EXPECT_EQ(SettingsError({"--max-output-bytes", "4096"}), "");
  EXPECT_EQ(SettingsError({"--max-output-bytes", "4294967295"}), "");
}

TEST_F(FrontendSettingsTest, RefusesLimitsBeyondWhatIsServedInsteadOfCuttingThemShort) {
  const std::pair<std::vector<const char*>, std::string> cases[] = {
      {{"--socket-timeout", "9300000000"},
       "--socket-timeout must be 1 to 315360000 (ten years), not 9300000000"},
      // A shard would read 2^32 + 1 as 1 ms and drop its batches unanswered (a reviewer's find).
      {{"--shard-timeout-ms", "4294967296"},
       "--shard-timeout-ms must be 1 to 4294967295 (what a batch tells its shard: 49 days), not "
       "4294967296"},
      {{"--drain-grace-ms", "9223372036854775807"},
       "--drain-grace-ms must be 0 to 315360000000 (ten years), not 9223372036854775807"},
      {{"--max-give", "10001"}, "--max-give must be 1 to 10000 (what a shard answers), not 10001"},
      {{"--announce-interval", "345601"},
       "--announce-interval must be 1 to 345600 (four days: with its jitter, under the longest "
       "--peer-timeout), not 345601"},
      {{"--info-page-torrents", "1001"},
       "--info-page-torrents must be 0 to 1000 (what a shard lists), not 1001"},
      {{"--max-udp-scrape-hashes", "75"},
       "--max-udp-scrape-hashes must be 1 to 74 (BEP 15: what fits one datagram), not 75"},
      {{"--retry-in", "1441"}, "--retry-in must be 1 to 1440 (a day), not 1441"},
      {{"--listen-backlog", "2147483648"},
       "--listen-backlog must be 1 to 2147483647 (what listen(2) takes), not 2147483648"},
      {{"--min-interval", "4000", "--announce-interval", "60"},
       "--min-interval must be at most 60 (--announce-interval), not 4000"},
      {{"--max-scrape-hashes", "200"},
       "--max-scrape-hashes must be at most 115 (what a request line of --max-request-line 8192 "
       "bytes holds, percent-encoded), not 200: lower it or raise --max-request-line"},
      {{"--max-scrape-hashes", "10001", "--max-request-line", "1000000"},
       "--max-scrape-hashes must be 1 to 10000 (what one message to a shard carries), not 10001"},
      {{"--max-request-line", "95"},
       "--max-request-line must be at least 96 (a scrape of one torrent, percent-encoded; more "
       "after a passkey), not 95"},
      {{"--passkey-file", "/nonexistent", "--max-request-line", "160"},
       "--max-request-line must be at least 161 on a members-only tracker (a scrape of one torrent "
       "after a passkey), not 160"},
      // "/<passkey>/scrape.php?": the longest route, after the longest passkey.
      {{"--passkey-file", "/nonexistent", "--max-scrape-hashes", "3", "--max-request-line", "302"},
       "--max-scrape-hashes must be at most 2 (what a request line of --max-request-line 302"},
      {{"--defer-accept", "3601"}, "--defer-accept must be 0 to 3600 (an hour), not 3601"},
      {{"--socket-timeout", "1"}, "--socket-timeout (1 s) must be longer than --shard-timeout-ms"},
      {{"--shard-heartbeat-ms", "99"},
       "--shard-heartbeat-ms must be 0 (no pings) or at least 100 (ZeroMQ counts a ping's time "
       "to live in tenths of a second), not 99"},
      {{"--shard-heartbeat-ms", "600001"},
       "--shard-heartbeat-ms must be 0 to 600000 (ten minutes), not 600001"}};
  for (const auto& [args, error] : cases) {
    EXPECT_EQ(SettingsError(args).substr(0, error.size()), error) << args[0];
  }
  // Each at its bound is taken.
  for (const std::vector<const char*>& args :
       {std::vector<const char*>{"--max-give", "10000", "--info-page-torrents", "1000"},
        {"--max-scrape-hashes", "115", "--max-udp-scrape-hashes", "74"},
        {"--response-size", "500", "--max-give", "5"},  // capped, as numwant is
        {"--max-scrape-hashes", "200", "--max-request-line", "14225"},
        {"--max-scrape-hashes", "1", "--max-request-line", "96", "--defer-accept", "3600"},
        {"--max-scrape-hashes", "10000", "--max-request-line", "1000000"},
        {"--retry-in", "1440", "--listen-backlog", "2147483647", "--info-page-torrents", "0"},
        {"--socket-timeout", "315360000", "--shard-timeout-ms", "4294967295", "--announce-interval",
         "345600", "--drain-grace-ms", "315360000000"},
        {"--socket-timeout", "2", "--shard-timeout-ms", "1999", "--min-interval", "60",
         "--announce-interval", "60"},
        {"--shard-heartbeat-ms", "0"},
        {"--shard-heartbeat-ms", "100"},
        {"--shard-heartbeat-ms", "600000"}}) {
    EXPECT_EQ(SettingsError(args), "") << args[0];
  }
  // Read at its top, then refused only for what it asks of --socket-timeout.
  EXPECT_EQ(SettingsError({"--shard-timeout-ms", "4294967295"}).find("--socket-timeout (15 s)"),
            0u);
}

TEST_F(FrontendSettingsTest, RefusesZeroDatagramsPerTurn) {
  ExpectRefused(UdpOptions({"--udp-datagrams-per-turn", "0"}),
                {"--udp-datagrams-per-turn", "at least 1"});
  env_["SHARDTRACK_UDP_DATAGRAMS_PER_TURN"] = "0";
  ExpectRefused(UdpOptions({}), {"--udp-datagrams-per-turn"});
}

TEST_F(FrontendSettingsTest, TheSmallestDatagramLimitStillReadsTheLongestScrape) {
  auto options = UdpOptions({"--udp-max-datagram-bytes", "1496"});
  ASSERT_TRUE(options) << options.error();
  SystemClock clock;
  EventLoop loop(clock);
  std::vector<std::size_t> sizes;
  UdpSocket socket(loop, *options, [&](std::string_view datagram, const Endpoint&, const auto&) {
    sizes.push_back(datagram.size());
  });
  ASSERT_TRUE(socket.Open().ok());

  const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(socket.port());
  for (const std::size_t size : {kUdpMaxRequestBytes, kUdpMaxRequestBytes + 1}) {
    const std::string datagram(size, 's');
    ::sendto(client, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof to);
  }
  ::close(client);
  for (int turn = 0; turn < 20 && sizes.empty(); ++turn) loop.RunOnce(milliseconds(10));
  loop.RunOnce(milliseconds(10));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{kUdpMaxRequestBytes}));  // one byte more: dropped
}

TEST_F(FrontendSettingsTest, AccessListIsOffByDefaultInAllowModeCheckedEveryMinute) {
  auto access = Access({});
  ASSERT_TRUE(access) << access.error();
  EXPECT_EQ(access->path, "");
  EXPECT_EQ(access->mode, AccessMode::kAllow);
  EXPECT_EQ(access->interval, std::chrono::seconds(60));
}

TEST_F(FrontendSettingsTest, AccessSettingsComeFromTheCommandLineAndTheEnvironment) {
  env_["SHARDTRACK_ACCESS_MODE"] = "deny";
  auto access = Access({"--access-list", "/etc/blocked", "--access-list-interval=5"});
  ASSERT_TRUE(access) << access.error();
  EXPECT_EQ(access->path, "/etc/blocked");
  EXPECT_EQ(access->mode, AccessMode::kDeny);
  EXPECT_EQ(access->interval, std::chrono::seconds(5));
}

TEST_F(FrontendSettingsTest, RefusesAnAccessModeOtherThanAllowOrDeny) {
  ExpectRefused(Access({"--access-mode", "whitelist"}),
                {"--access-mode", "allow or deny", "whitelist"});
}

TEST_F(FrontendSettingsTest, TheIpListIsOffByDefaultInDenyMode) {
  auto ips = ListFile(&IpListSettingsFrom, {});
  ASSERT_TRUE(ips) << ips.error();
  EXPECT_EQ(ips->path, "");
  EXPECT_EQ(ips->mode, AccessMode::kDeny);
  ips = ListFile(&IpListSettingsFrom, {"--ip-list", "/etc/members", "--ip-mode=allow"});
  ASSERT_TRUE(ips) << ips.error();
  EXPECT_EQ(ips->mode, AccessMode::kAllow);
  ExpectRefused(ListFile(&IpListSettingsFrom, {"--ip-mode", "block"}),
                {"--ip-mode must be allow or deny, not 'block'"});
}

TEST_F(FrontendSettingsTest, RefusesAZeroAccessListInterval) {
  ExpectRefused(Access({"--access-list", "x", "--access-list-interval", "0"}),
                {"--access-list-interval", "at least 1"});
}

TEST_F(FrontendSettingsTest, PasskeysAreOffByDefaultAndTheirFileIsCheckedEveryMinute) {
  auto passkeys = Passkeys({});
  ASSERT_TRUE(passkeys) << passkeys.error();
  EXPECT_EQ(passkeys->path, "");
  EXPECT_EQ(passkeys->interval, std::chrono::seconds(60));
  env_["SHARDTRACK_PASSKEY_FILE"] = "/etc/shardtrack/passkeys";
  passkeys = Passkeys({"--passkey-file-interval", "5"});
  ASSERT_TRUE(passkeys) << passkeys.error();
  EXPECT_EQ(passkeys->path, "/etc/shardtrack/passkeys");
  EXPECT_EQ(passkeys->interval, std::chrono::seconds(5));
  ExpectRefused(Passkeys({"--passkey-file-interval", "0"}),
                {"--passkey-file-interval", "at least 1"});
}

TEST_F(FrontendSettingsTest, TheClientListIsOffByDefaultInAllowModeCheckedEveryMinute) {
  auto clients = Clients({});
  ASSERT_TRUE(clients) << clients.error();
  EXPECT_EQ(clients->path, "");
  EXPECT_EQ(clients->mode, AccessMode::kAllow);
  EXPECT_EQ(clients->interval, std::chrono::seconds(60));
  env_["SHARDTRACK_CLIENT_MODE"] = "deny";
  clients = Clients({"--client-list", "/etc/clients", "--client-list-interval=7"});
  ASSERT_TRUE(clients) << clients.error();
  EXPECT_EQ(clients->path, "/etc/clients");
  EXPECT_EQ(clients->mode, AccessMode::kDeny);
  EXPECT_EQ(clients->interval, std::chrono::seconds(7));
  ExpectRefused(Clients({"--client-mode", "block"}), {"--client-mode", "allow or deny", "block"});
  ExpectRefused(Clients({"--client-list-interval", "0"}), {"--client-list-interval", "at least 1"});
}

TEST_F(FrontendSettingsTest, TheBatchWindowIsMicrosecondsUpTo10Milliseconds) {
  EXPECT_EQ(FrontendSettings{}.batch_window_us, 500u);  // the default
  ASSERT_TRUE(testing::ParseWithEnvironment(flags_, {"--batch-window-us", "750"}, env_));
  EXPECT_EQ(BatchWindowFrom(settings_), std::chrono::microseconds(750));
  ASSERT_TRUE(testing::ParseWithEnvironment(flags_, {"--batch-window-us", "0"}, env_));  // off
  EXPECT_EQ(BatchWindowFrom(settings_), Duration::zero());
  ASSERT_TRUE(testing::ParseWithEnvironment(flags_, {"--batch-window-us", "10000"}, env_));
  EXPECT_EQ(BatchWindowFrom(settings_), std::chrono::milliseconds(10));
  EXPECT_EQ(SettingsError({"--batch-window-us", "10001"}),
            "--batch-window-us must be 0 to 10000 (10 ms: a longer wait is felt), not 10001");
}

TEST_F(FrontendSettingsTest, AnnounceOptionsTakeTheIpOverrideByNameOnly) {
  ASSERT_TRUE(testing::ParseWithEnvironment(
      flags_, {"--response-size", "30", "--max-give", "80", "--ip-override", "always"}, env_));
  const AnnounceOptions options = AnnounceOptionsFrom(settings_);
  EXPECT_EQ(options.response_size, 30u);
  EXPECT_EQ(options.max_give, 80u);
  EXPECT_EQ(options.ip_override, IpOverride::kAlways);
  for (auto [word, value] :
       {std::pair{"local", IpOverride::kLocal}, std::pair{"never", IpOverride::kNever}}) {
    ASSERT_TRUE(testing::ParseWithEnvironment(flags_, {"--ip-override", word}, env_));
    EXPECT_EQ(AnnounceOptionsFrom(settings_).ip_override, value) << word;
  }
  EXPECT_EQ(SettingsError({"--ip-override", "sometimes"}),
            "--ip-override must be local, always or never, not 'sometimes'");
  EXPECT_EQ(SettingsError({"--ip-override", "Local"}),
            "--ip-override must be local, always or never, not 'Local'");
}

TEST_F(FrontendSettingsTest, TheClientRequestRateIsOffUnlessSetAndItsBurstIsAtLeastOne) {
  EXPECT_FALSE(ClientRequestLimiterFrom(settings_).enabled());
  ASSERT_TRUE(testing::ParseWithEnvironment(
      flags_, {"--client-request-rate", "20", "--client-request-burst", "2"}, env_));
  ClientRequestLimiter on = ClientRequestLimiterFrom(settings_);
  EXPECT_TRUE(on.enabled());
  const IpAddress client = *IpAddress::Parse("10.0.0.1");
  EXPECT_TRUE(on.Admit(client, MonoTime{}));
  EXPECT_TRUE(on.Admit(client, MonoTime{}));
  EXPECT_FALSE(on.Admit(client, MonoTime{}));
  EXPECT_EQ(SettingsError({"--client-request-rate", "5", "--client-request-burst", "0"}),
            "--client-request-burst must be at least 1, not 0");
}

TEST_F(FrontendSettingsTest, AFullScrapeListsNoMoreThanItsReplyCanCarry) {
  ASSERT_TRUE(testing::ParseWithEnvironment(flags_, {"--shard", "tcp://127.0.0.1:7000"}, env_));
  const std::uint32_t fits = settings_.max_output_bytes / kFullScrapeBytesPerTorrent;
  EXPECT_LT(fits, settings_.full_scrape_limit);  // the defaults: 8,388 of 100,000
  EXPECT_EQ(FullScrapeLimitPerShard(settings_), fits);
  settings_.shards.push_back("tcp://127.0.0.1:7001");  // two shards share the reply
  EXPECT_EQ(FullScrapeLimitPerShard(settings_), fits / 2);
  settings_.full_scrape_limit = 50;  // a limit that fits stays
  EXPECT_EQ(FullScrapeLimitPerShard(settings_), 50u);
  settings_.full_scrape_limit = 0;  // "all" is what fits
  EXPECT_EQ(FullScrapeLimitPerShard(settings_), fits / 2);
  // Torrents named by a list whose longest name has 190 bytes: each may take 325 bytes.
  EXPECT_EQ(FullScrapeLimitPerShard(settings_, 190), settings_.max_output_bytes / 325 / 2);
  settings_.max_output_bytes = 10;  // never nothing at all
  EXPECT_EQ(FullScrapeLimitPerShard(settings_), 1u);
  EXPECT_EQ(FullScrapeLimitPerShard(settings_, 200), 1u);
}

}  // namespace
}  // namespace shardtrack
