// CurveSetup: both CURVE files or neither, and every error begins with the flag of the file it
// is about, read from real files.
#include "common/curve_setup.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

constexpr std::string_view kWhy = "the first is ours, the second theirs";

class CurveSetupTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name, const std::string& text) {
    const std::string path = dir_.File(name);
    std::ofstream(path) << text;
    return path;
  }
  Result<std::optional<CurveSetup<std::vector<CurveKey>>>> Load(const std::string& secret_path,
                                                                const std::string& theirs_path) {
    return LoadCurveSetup<std::vector<CurveKey>>({"--curve-secret-file", secret_path},
                                                 {"--their-keys-file", theirs_path}, kWhy,
                                                 &ReadCurveKeyListFile);
  }
  testing::ScratchDir dir_;
  const CurveKeyPair ours_ = MakeCurveKeyPair().value();
  const CurveKeyPair theirs_ = MakeCurveKeyPair().value();
};

TEST_F(CurveSetupTest, BothFilesGiveOurPairAndTheirKeys) {
  auto setup = Load(File("our.secret", ours_.secret_key.ToHex() + "\n"),
                    File("theirs", theirs_.public_key.ToHex() + "  them\n"));
  ASSERT_TRUE(setup) << setup.error();
  ASSERT_TRUE(*setup);
  EXPECT_EQ((*setup)->own.secret_key, ours_.secret_key);
  EXPECT_EQ((*setup)->own.public_key, ours_.public_key);
  EXPECT_EQ((*setup)->theirs, std::vector<CurveKey>{theirs_.public_key});
}

TEST_F(CurveSetupTest, NeitherFileLeavesCurveOff) {
  auto setup = Load("", "");
  ASSERT_TRUE(setup) << setup.error();
  EXPECT_FALSE(*setup);
}

TEST_F(CurveSetupTest, OnlyOneFileIsAnErrorNamingBothFlags) {
  const std::string secret = File("our.secret", ours_.secret_key.ToHex() + "\n");
  const std::string theirs = File("theirs", theirs_.public_key.ToHex() + "\n");
  const std::string expected =
      "--curve-secret-file and --their-keys-file go together: " + std::string(kWhy);
  auto secret_only = Load(secret, "");
  ASSERT_FALSE(secret_only);
  EXPECT_EQ(secret_only.error(), expected);
  auto theirs_only = Load("", theirs);
  ASSERT_FALSE(theirs_only);
  EXPECT_EQ(theirs_only.error(), expected);
}

TEST_F(CurveSetupTest, ABadSecretFileIsAnErrorUnderItsFlag) {
  const std::string secret = File("our.secret", "not a key\n");
  auto setup = Load(secret, File("theirs", theirs_.public_key.ToHex() + "\n"));
  ASSERT_FALSE(setup);
  EXPECT_EQ(setup.error().rfind("--curve-secret-file: " + secret + ": line 1", 0), 0u)
      << setup.error();
  EXPECT_EQ(setup.error().find("not a key"), std::string::npos) << setup.error();
}

TEST_F(CurveSetupTest, ABadListFileIsAnErrorUnderItsFlag) {
  const std::string secret = File("our.secret", ours_.secret_key.ToHex() + "\n");
  const std::string junk = File("theirs", theirs_.public_key.ToHex() + "\nnot a key\n");
  auto setup = Load(secret, junk);
  ASSERT_FALSE(setup);
  EXPECT_EQ(setup.error().rfind("--their-keys-file: " + junk + ": line 2", 0), 0u) << setup.error();
  auto missing = Load(secret, dir_.File("missing"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().rfind("--their-keys-file: ", 0), 0u) << missing.error();
}

}  // namespace
}  // namespace shardtrack
