// SHA-1 and SHA-256 against FIPS 180-4's examples and lengths around the padding's edges (55 bytes
// fit one final block, 56 need two; 64 is a whole block before the padding's own).
#include <gtest/gtest.h>

#include <string>

#include "common/sha1.h"
#include "common/sha256.h"

namespace shardtrack {
namespace {

struct Vector {
  std::string message;
  const char* sha1;
  const char* sha256;
};

const Vector kVectors[] = {
    {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {std::string(55, 'x'), "cef734ba81a024479e09eb5a75b6ddae62e6abf1",
     "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
    {std::string(56, 'x'), "901305367c259952f4e7af8323f480d59f81335b",
     "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
    {std::string(64, 'x'), "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163",
     "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
    {std::string(1'000'000, 'a'), "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

TEST(DigestTest, Sha1MatchesTheKnownDigests) {
  for (const Vector& vector : kVectors) {
    EXPECT_EQ(Sha1(vector.message).ToHex(), vector.sha1) << vector.message.size() << " bytes";
  }
}

TEST(DigestTest, Sha256MatchesTheKnownDigests) {
  for (const Vector& vector : kVectors) {
    EXPECT_EQ(Sha256(vector.message).ToHex(), vector.sha256) << vector.message.size() << " bytes";
  }
}

}  // namespace
}  // namespace shardtrack
