#include "frontend/info_page.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

constexpr std::size_t kRoomy = 1 << 20;

proto::StatsReply Stats() {
  proto::StatsReply stats;
  stats.set_torrents(2);
  stats.set_peers(7);
  stats.set_seeders(3);
  stats.set_leechers(4);
  stats.set_completed(9);
  proto::ScrapeEntry* entry = stats.add_top();
  entry->set_info_hash(std::string(20, '\xab'));
  entry->set_complete(3);
  entry->set_incomplete(4);
  entry->set_downloaded(9);
  return stats;
}

TEST(InfoPageTest, ShowsTotalsAndTorrentRows) {
  std::string html = RenderInfoPage(Stats(), 2, 2, kRoomy);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find("<tr><td>2</td><td>7</td><td>3</td><td>4</td><td>9</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td>abababababababababababababababababababab</td><td>3</td><td>4</td>"
                      "<td>9</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("Partial"), std::string::npos);
}

TEST(InfoPageTest, NamesAreShownEscapedWhenATorrentHasOne) {
  proto::StatsReply stats = Stats();
  stats.mutable_top(0)->set_name("<b>Tom & Jerry's \"best\"</b>");
  stats.add_top()->set_info_hash(std::string(20, '\x01'));  // no name: an empty cell
  std::string html = RenderInfoPage(stats, 1, 1, kRoomy);
  EXPECT_NE(html.find("<th>info hash</th><th>name</th><th>seeders</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>abababababababababababababababababababab</td><td>&lt;b&gt;Tom &amp; "
                      "Jerry&#39;s &quot;best&quot;&lt;/b&gt;</td><td>3</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>0101010101010101010101010101010101010101</td><td></td><td>0</td>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos);
}

TEST(InfoPageTest, PartialSeedsHaveAColumnWhenATorrentHasOne) {
  proto::StatsReply stats = Stats();
  stats.mutable_top(0)->set_downloaders(4);  // no partial seed: no column
  EXPECT_EQ(RenderInfoPage(stats, 1, 1, kRoomy).find("partial seeds"), std::string::npos);
  stats.mutable_top(0)->set_downloaders(1);         // 3 of its 4 leechers want nothing more
  proto::ScrapeEntry* uncounted = stats.add_top();  // from a shard that does not count them
  uncounted->set_info_hash(std::string(20, '\x01'));
  uncounted->set_incomplete(2);
  std::string html = RenderInfoPage(stats, 1, 1, kRoomy);
  EXPECT_NE(html.find("<th>leechers</th><th>partial seeds</th><th>completed</th>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>abababababababababababababababababababab</td><td>3</td><td>4</td>"
                      "<td>3</td><td>9</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>0101010101010101010101010101010101010101</td><td>0</td><td>2</td>"
                      "<td>0</td><td>0</td></tr>"),
            std::string::npos)
      << html;
}

TEST(InfoPageTest, TheTotalsHaveAPartialSeedsColumnWhenThereIsOne) {
  proto::StatsReply stats = Stats();
  EXPECT_EQ(RenderInfoPage(stats, 1, 1, kRoomy).find("partial seeds"), std::string::npos);
  stats.set_partial_seeds(2);
  const std::string html = RenderInfoPage(stats, 1, 1, kRoomy);
  EXPECT_NE(html.find("<tr><th>torrents</th><th>peers</th><th>seeders</th><th>leechers</th>"
                      "<th>partial seeds</th><th>completed</th></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td>2</td><td>7</td><td>3</td><td>4</td><td>2</td><td>9</td></tr>"),
            std::string::npos)
      << html;
}

TEST(InfoPageTest, WithoutTorrentsToListThereIsNoListAtAll) {
  proto::StatsReply stats = Stats();  // members only: the shards send totals, no torrents
  stats.clear_top();
  std::string html = RenderInfoPage(stats, 1, 1, kRoomy);
  EXPECT_NE(html.find("<td>2</td><td>7</td>"), std::string::npos) << html;
  EXPECT_EQ(html.find("most peers"), std::string::npos) << html;
  EXPECT_EQ(html.find("info hash"), std::string::npos) << html;
}

TEST(InfoPageTest, RowsStopBeforeThePagePassesItsBound) {
  proto::StatsReply stats = Stats();
  stats.mutable_top(0)->set_name(std::string(200, '"'));  // 1,200 bytes escaped
  for (int i = 0; i < 999; ++i) *stats.add_top() = stats.top(0);
  const std::size_t bound = 100 * 1000;
  std::string html = RenderInfoPage(stats, 1, 1, bound);
  EXPECT_LE(html.size(), bound);
  EXPECT_GT(html.size(), bound - 2000);
  EXPECT_TRUE(html.ends_with("</body></html>\n")) << html.substr(html.size() - 300);
  std::size_t rows = 0;
  for (auto at = html.find("<tr><td>abab"); at != std::string::npos;
       at = html.find("<tr><td>abab", at + 1)) {
    ++rows;
  }
  EXPECT_GT(rows, 50u);
  EXPECT_NE(html.find("<p>" + std::to_string(1000 - rows) +
                      " more not shown: the page would pass --max-output-bytes.</p>"),
            std::string::npos)
      << html.substr(html.size() - 300);
}

TEST(InfoPageTest, WarnsWhenShardsAreMissing) {
  std::string html = RenderInfoPage(Stats(), 1, 3, kRoomy);
  EXPECT_NE(html.find("Partial: 1 of 3 shards answered."), std::string::npos) << html;
}

TEST(InfoPageTest, MalformedHashIsShownAsPlaceholder) {
  proto::StatsReply stats;
  stats.add_top()->set_info_hash("<script>");
  std::string html = RenderInfoPage(stats, 1, 1, kRoomy);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>?</td>"), std::string::npos) << html;
}

}  // namespace
}  // namespace shardtrack
