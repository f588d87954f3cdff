// CURVE keys: a made pair belongs together, and key files are read as the list files' format,
// with a clear error for anything else.
#include "common/curve_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

class CurveKeysTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  testing::ScratchDir dir_;
};

TEST_F(CurveKeysTest, AMadePairBelongsTogetherAndPairsDiffer) {
  const CurveKeyPair pair = MakeCurveKeyPair().value();
  EXPECT_EQ(CurvePublicKeyOf(pair.secret_key).value(), pair.public_key);
  EXPECT_NE(pair.public_key, pair.secret_key);
  EXPECT_NE(MakeCurveKeyPair()->secret_key, pair.secret_key);
}

TEST_F(CurveKeysTest, AKeyFileHoldsOneKeyAsHexWithCommentsAndANote) {
  const CurveKeyPair pair = MakeCurveKeyPair().value();
  const std::string path =
      File("shards.public", "# the shards' key\n\n  " + pair.public_key.ToHex() + "  made 2026\n");
  auto key = ReadCurveKeyFile(path);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(*key, pair.public_key);
}

TEST_F(CurveKeysTest, AKeyFileWithoutExactlyOneGoodKeyIsAnErrorNamingIt) {
  const std::string hex = MakeCurveKeyPair()->public_key.ToHex();
  struct Case {
    std::string text;
    std::string mentions;
  };
  for (const Case& bad :
       {Case{"", "holds 0 keys"}, Case{hex + "\n" + hex + "\n", "holds 2 keys"},
        Case{hex.substr(1) + "\n", "line 1"},
        Case{"# z85 is not taken\nrq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n", "64 hex digits"}}) {
    const std::string path = File("bad", bad.text);
    auto key = ReadCurveKeyFile(path);
    ASSERT_FALSE(key) << bad.text;
    EXPECT_NE(key.error().find(path), std::string::npos) << key.error();
    EXPECT_NE(key.error().find(bad.mentions), std::string::npos) << key.error();
  }
  EXPECT_FALSE(ReadCurveKeyFile(dir_.path() + "/missing"));
}

TEST_F(CurveKeysTest, ABadSecretFileIsNamedButItsTextIsNotShown) {
  const std::string z85 = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";  // a secret in libzmq's form
  const std::string path = File("frontend.secret", z85 + "\n");
  auto key = ReadCurveSecretKeyFile(path);
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().find(path + ": line 1: a CURVE key is 64 hex digits"), std::string::npos)
      << key.error();
  EXPECT_EQ(key.error().find("rq:rM"), std::string::npos) << key.error();
  const std::string hex = MakeCurveKeyPair()->secret_key.ToHex();
  auto good = ReadCurveSecretKeyFile(File("good.secret", hex + "\n"));
  ASSERT_TRUE(good) << good.error();
  EXPECT_EQ(good->ToHex(), hex);
  auto cut = ReadCurveSecretKeyFile(File("cut.secret", hex.substr(1) + "\n"));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().find(hex.substr(1, 20)), std::string::npos) << cut.error();
}

// Any 32 bytes pass for either kind, so a swap would only show as handshakes failing.
TEST_F(CurveKeysTest, AFileNamedForTheOtherKindOfKeyIsRefusedUnread) {
  const CurveKeyPair pair = MakeCurveKeyPair().value();
  const std::string secret = File("shard.secret", pair.secret_key.ToHex() + "\n");
  const std::string public_key = File("shard.public", pair.public_key.ToHex() + "\n");
  auto as_public = ReadCurveKeyFile(secret);
  ASSERT_FALSE(as_public);
  EXPECT_EQ(as_public.error(), secret +
                                   " is named as a secret key's file: give the NAME.public file "
                                   "of the pair here, and keep NAME.secret on the machine it is "
                                   "for");
  EXPECT_FALSE(ReadCurveKeyListFile(secret));
  auto as_secret = ReadCurveSecretKeyFile(public_key);
  ASSERT_FALSE(as_secret);
  EXPECT_EQ(as_secret.error(), public_key +
                                   " is named as a public key's file: give this process's own "
                                   "NAME.secret here (shardtrack-curve-keys NAME writes both)");
  EXPECT_EQ(ReadCurveKeyFile(public_key).value(), pair.public_key);
  EXPECT_EQ(ReadCurveSecretKeyFile(secret).value(), pair.secret_key);
  EXPECT_EQ(ReadCurveKeyListFile(public_key).value(), std::vector<CurveKey>{pair.public_key});
}

// What shardtrack-curve-keys writes after each key: a file renamed is still known by it.
TEST_F(CurveKeysTest, AKeyMarkedAsTheOtherKindIsRefusedWithoutShowingIt) {
  const CurveKeyPair pair = MakeCurveKeyPair().value();
  const std::string secret_hex = pair.secret_key.ToHex();
  const std::string renamed = File("shards.key", secret_hex + " secret\n");
  auto as_public = ReadCurveKeyFile(renamed);
  ASSERT_FALSE(as_public);
  EXPECT_EQ(as_public.error(),
            renamed + ": line 1: its key is marked secret, and a secret key does not go here");
  auto in_list = ReadCurveKeyListFile(
      File("admitted", pair.public_key.ToHex() + " public\n" + secret_hex + " secret\n"));
  ASSERT_FALSE(in_list);
  EXPECT_NE(in_list.error().find("line 2: its key is marked secret"), std::string::npos);
  EXPECT_EQ(in_list.error().find(secret_hex), std::string::npos) << "the secret was shown";
  auto as_secret = ReadCurveSecretKeyFile(File("mine.key", pair.public_key.ToHex() + " public\n"));
  ASSERT_FALSE(as_secret);
  EXPECT_NE(as_secret.error().find("its key is marked public"), std::string::npos);
  EXPECT_EQ(ReadCurveKeyFile(File("theirs.key", pair.public_key.ToHex() + " public\n")).value(),
            pair.public_key);
  EXPECT_EQ(ReadCurveSecretKeyFile(renamed).value(), pair.secret_key);
  EXPECT_EQ(ReadCurveKeyFile(File("noted.key", pair.public_key.ToHex() + " secretary's\n")).value(),
            pair.public_key);  // only the word itself marks a kind
}

TEST_F(CurveKeysTest, AListFileNamesSeveralKeysAndMayNotBeEmpty) {
  const CurveKeyPair first = MakeCurveKeyPair().value();
  const CurveKeyPair second = MakeCurveKeyPair().value();
  auto keys = ReadCurveKeyListFile(File(
      "frontends", first.public_key.ToHex() + " fe1\n" + second.public_key.ToHex() + " fe2\n"));
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(*keys, (std::vector<CurveKey>{first.public_key, second.public_key}));
  auto empty = ReadCurveKeyListFile(File("none", "# nobody yet\n"));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("lists no key"), std::string::npos) << empty.error();
}

}  // namespace
}  // namespace shardtrack
