// NearestSpelling: one edit (a letter left out, added, changed, or two swapped) or two for a long
// name is guessed; farther, a tie, or a short word two edits off is not.
#include "common/nearest_spelling.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

const std::vector<std::string> kKnown = {"access-list", "access-mode", "port",
                                         "udp-port",    "bind",        "max-give"};

TEST(NearestSpellingTest, GuessesOneEditOfAnyKind) {
  EXPECT_EQ(NearestSpelling("acces-list", kKnown), "access-list");    // left out
  EXPECT_EQ(NearestSpelling("access-lists", kKnown), "access-list");  // added
  EXPECT_EQ(NearestSpelling("access-lost", kKnown), "access-list");   // changed
  EXPECT_EQ(NearestSpelling("prot", kKnown), "port");                 // two swapped
}

TEST(NearestSpellingTest, GuessesTwoEditsOnlyForALongName) {
  EXPECT_EQ(NearestSpelling("max_givve", kKnown), "max-give");
  EXPECT_EQ(NearestSpelling("bnid", kKnown), "bind");  // one swap
  EXPECT_EQ(NearestSpelling("bd", kKnown), "");        // two edits off a short name
}

TEST(NearestSpellingTest, GuessesNothingFarOrTied) {
  EXPECT_EQ(NearestSpelling("flavour", kKnown), "");
  EXPECT_EQ(NearestSpelling("access-xxxx", kKnown), "");                          // four off either
  EXPECT_EQ(NearestSpelling("cap", std::vector<std::string>{"cat", "car"}), "");  // a tie
  EXPECT_EQ(NearestSpelling("anything", {}), "");
}

}  // namespace
}  // namespace shardtrack
