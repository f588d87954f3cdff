#include "frontend/info_page.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/fixed_bytes.h"

namespace shardtrack {
namespace {

// Text as HTML shows it: torrent names come from uploaded torrent files.
std::string HtmlEscaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void AppendRow(std::string& html, std::string_view cells_tag, std::vector<std::string> cells) {
  html += "<tr>";
  for (const std::string& cell : cells) {
    html += "<";
    html += cells_tag;
    html += ">";
    html += cell;
    html += "</";
    html += cells_tag;
    html += ">";
  }
  html += "</tr>\n";
}

// Room for what follows the rows: the end of the table and the page, and a note of rows left out.
constexpr std::size_t kRoomAfterRows = 256;

// BEP 21: the leechers that want nothing more (0 from a shard that does not count them).
std::uint32_t PartialSeeds(const proto::ScrapeEntry& entry) {
  return entry.has_downloaders() && entry.incomplete() > entry.downloaders()
             ? entry.incomplete() - entry.downloaders()
             : 0;
}

// BEP 21's partial seeds go just before a row's last column, completed, where a table shows them.
void AddPartialSeedsCell(std::vector<std::string>& row, std::string cell) {
  row.insert(row.end() - 1, std::move(cell));
}

void AppendTopTorrents(std::string& html, const proto::StatsReply& stats, std::size_t max_bytes) {
  html += "<h2>Torrents with the most peers</h2>\n<table>\n";
  auto any = [&](auto&& has) { return std::any_of(stats.top().begin(), stats.top().end(), has); };
  const bool named = any([](const proto::ScrapeEntry& e) { return !e.name().empty(); });
  const bool partial = any([](const proto::ScrapeEntry& e) { return PartialSeeds(e) > 0; });
  std::vector<std::string> heads = {"info hash", "seeders", "leechers", "completed"};
  if (partial) AddPartialSeedsCell(heads, "partial seeds");
  if (named) heads.insert(heads.begin() + 1, "name");
  AppendRow(html, "th", std::move(heads));
  std::string row;
  for (int shown = 0; shown < stats.top_size(); ++shown) {
    const proto::ScrapeEntry& entry = stats.top(shown);
    auto hash = InfoHash::FromRaw(entry.info_hash());
    std::vector<std::string> cells = {
        hash ? hash->ToHex() : std::string("?"), std::to_string(entry.complete()),
        std::to_string(entry.incomplete()), std::to_string(entry.downloaded())};
    if (partial) AddPartialSeedsCell(cells, std::to_string(PartialSeeds(entry)));
    if (named) cells.insert(cells.begin() + 1, HtmlEscaped(entry.name()));
    row.clear();
    AppendRow(row, "td", std::move(cells));
    if (html.size() + row.size() + kRoomAfterRows > max_bytes) {
      html += "</table>\n<p>" + std::to_string(stats.top_size() - shown) +
              " more not shown: the page would pass --max-output-bytes.</p>\n";
      return;
    }
    html += row;
  }
  html += "</table>\n";
}

}  // namespace

std::string RenderInfoPage(const proto::StatsReply& stats, std::uint32_t shards_answered,
                           std::uint32_t shard_count, std::size_t max_bytes) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>shardtrack</title></head>"
      "<body>\n<h1>shardtrack</h1>\n";
  if (shards_answered < shard_count) {
    html += "<p><strong>Partial: " + std::to_string(shards_answered) + " of " +
            std::to_string(shard_count) + " shards answered.</strong></p>\n";
  }
  html += "<table>\n";
  std::vector<std::string> heads = {"torrents", "peers", "seeders", "leechers", "completed"};
  std::vector<std::string> cells = {std::to_string(stats.torrents()), std::to_string(stats.peers()),
                                    std::to_string(stats.seeders()),
                                    std::to_string(stats.leechers()),
                                    std::to_string(stats.completed())};
  if (stats.partial_seeds() > 0) {
    AddPartialSeedsCell(heads, "partial seeds");
    AddPartialSeedsCell(cells, std::to_string(stats.partial_seeds()));
  }
  AppendRow(html, "th", std::move(heads));
  AppendRow(html, "td", std::move(cells));
  html += "</table>\n";
  // None on a members-only tracker (infohashes are for members) or before any announce.
  if (!stats.top().empty()) AppendTopTorrents(html, stats, max_bytes);
  html += "</body></html>\n";
  return html;
}

}  // namespace shardtrack
