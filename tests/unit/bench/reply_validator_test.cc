#include "bench/reply_validator.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

std::string Str(const std::string& s) { return std::to_string(s.size()) + ":" + s; }

std::string AnnounceReply(const std::string& peers, const std::string& peers6 = "") {
  std::string out = "d8:completei1e10:incompletei2e8:intervali1800e5:peers" + peers;
  if (!peers6.empty()) out += "6:peers6" + peers6;
  return out + "e";
}

InfoHash Hash(char fill) { return *InfoHash::FromRaw(std::string(20, fill)); }

TEST(ReplyValidatorTest, AcceptsCompactPeersAndCountsThem) {
  auto count = ValidateAnnounceReply(AnnounceReply(Str(std::string(12, 'x'))), true);
  ASSERT_TRUE(count.ok()) << count.error();
  EXPECT_EQ(*count, 2u);
}

TEST(ReplyValidatorTest, CountsIpv6PeersToo) {
  auto count = ValidateAnnounceReply(AnnounceReply(Str(""), Str(std::string(36, 'y'))), true);
  ASSERT_TRUE(count.ok()) << count.error();
  EXPECT_EQ(*count, 2u);
}

TEST(ReplyValidatorTest, AcceptsDictModelPeers) {
  auto count = ValidateAnnounceReply(
      AnnounceReply("ld2:ip9:127.0.0.17:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti6881eee"), true);
  ASSERT_TRUE(count.ok()) << count.error();
  EXPECT_EQ(*count, 1u);
}

TEST(ReplyValidatorTest, AcceptsNoPeersWhileTheSwarmIsCold) {
  auto count = ValidateAnnounceReply(AnnounceReply("0:"), false);
  ASSERT_TRUE(count.ok()) << count.error();
  EXPECT_EQ(*count, 0u);
}

TEST(ReplyValidatorTest, RejectsNoPeersOnceTheSwarmIsWarm) {
  EXPECT_FALSE(ValidateAnnounceReply(AnnounceReply("0:"), true).ok());
}

TEST(ReplyValidatorTest, RejectsFailureReason) {
  auto result = ValidateAnnounceReply("d14:failure reason9:forbiddene", false);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("forbidden"), std::string::npos);
  EXPECT_FALSE(ValidateScrapeReply("d14:failure reason9:forbiddene", Hash('a'), false).ok());
}

TEST(ReplyValidatorTest, RejectsMalformedBencode) {
  const std::string good = AnnounceReply(Str(std::string(6, 'x')));
  EXPECT_FALSE(ValidateAnnounceReply(good.substr(0, good.size() - 1), false).ok());  // truncated
  EXPECT_FALSE(ValidateAnnounceReply(good + "e", false).ok());                       // trailing
  EXPECT_FALSE(ValidateAnnounceReply("d8:intervali1800e5:peers7:xxxxxxe", false).ok());
  EXPECT_FALSE(  // unsorted keys
      ValidateAnnounceReply("d5:peers0:8:intervali1800ee", false).ok());
  EXPECT_FALSE(ValidateAnnounceReply("<html>busy</html>", false).ok());
  EXPECT_FALSE(ValidateAnnounceReply("", false).ok());
}

TEST(ReplyValidatorTest, RejectsCompactPeersOfWrongLength) {
  EXPECT_FALSE(ValidateAnnounceReply(AnnounceReply(Str(std::string(7, 'x'))), false).ok());
  EXPECT_FALSE(ValidateAnnounceReply(AnnounceReply(Str(std::string(5, 'x'))), false).ok());
}

TEST(ReplyValidatorTest, RejectsIpv6PeersOfWrongLength) {
  EXPECT_FALSE(
      ValidateAnnounceReply(AnnounceReply(Str(""), Str(std::string(17, 'y'))), false).ok());
  EXPECT_FALSE(
      ValidateAnnounceReply(AnnounceReply(Str(""), Str(std::string(24, 'y'))), false).ok());
}

TEST(ReplyValidatorTest, RejectsMissingIntervalOrPeers) {
  EXPECT_FALSE(ValidateAnnounceReply("d5:peers0:e", false).ok());
  EXPECT_FALSE(ValidateAnnounceReply("d8:intervali1800ee", false).ok());
  EXPECT_FALSE(ValidateAnnounceReply("d8:intervali0e5:peers0:e", false).ok());
  EXPECT_FALSE(ValidateAnnounceReply("l8:intervale", false).ok());
}

TEST(ReplyValidatorTest, RejectsDictPeersWithoutAddress) {
  EXPECT_FALSE(ValidateAnnounceReply(AnnounceReply("ld4:porti6881eee"), false).ok());
}

std::string ScrapeReply(const InfoHash& hash, int complete, int incomplete) {
  return "d5:filesd20:" + std::string(hash.view()) + "d8:completei" + std::to_string(complete) +
         "e10:downloadedi0e10:incompletei" + std::to_string(incomplete) + "eeee";
}

TEST(ReplyValidatorTest, AcceptsScrapeEntryForTheTorrent) {
  EXPECT_TRUE(ValidateScrapeReply(ScrapeReply(Hash('a'), 1, 2), Hash('a'), true).ok());
}

TEST(ReplyValidatorTest, ScrapeEntryMayBeAbsentOnlyForAnUnknownTorrent) {
  const std::string empty = "d5:filesdee";
  EXPECT_TRUE(ValidateScrapeReply(empty, Hash('a'), false).ok());
  EXPECT_FALSE(ValidateScrapeReply(empty, Hash('a'), true).ok());
  EXPECT_FALSE(ValidateScrapeReply(ScrapeReply(Hash('b'), 1, 0), Hash('a'), true).ok());
}

TEST(ReplyValidatorTest, RejectsScrapeWithoutPeersForAWarmTorrent) {
  EXPECT_FALSE(ValidateScrapeReply(ScrapeReply(Hash('a'), 0, 0), Hash('a'), true).ok());
  EXPECT_TRUE(ValidateScrapeReply(ScrapeReply(Hash('a'), 0, 0), Hash('a'), false).ok());
}

TEST(ReplyValidatorTest, RejectsMalformedScrape) {
  EXPECT_FALSE(ValidateScrapeReply("d5:filesle", Hash('a'), false).ok());
  EXPECT_FALSE(ValidateScrapeReply("de", Hash('a'), false).ok());
  EXPECT_FALSE(ValidateScrapeReply(ScrapeReply(Hash('a'), -1, 0), Hash('a'), false).ok());
  const std::string good = ScrapeReply(Hash('a'), 1, 0);
  EXPECT_FALSE(ValidateScrapeReply(good.substr(1), Hash('a'), false).ok());
}

}  // namespace
}  // namespace shardtrack
