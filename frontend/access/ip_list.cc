#include "frontend/access/ip_list.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "common/list_file.h"
#include "common/trim.h"

namespace shardtrack {
namespace {

IpList::Value ValueOf(const IpAddress& address) {
  IpList::Value value = 0;
  for (char byte : address.raw()) value = value << 8 | static_cast<unsigned char>(byte);
  return value;
}

// An entry's address family and range.
struct Entry {
  bool v4 = true;
  IpList::Range range;
};

// One end of a range: an address (a one-host block), not a block.
Result<IpAddress> RangeEnd(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return Error{"a range's ends are addresses"};
  auto host = Cidr::Read(text);
  if (!host) return Error{host.error()};
  return host->first();
}

Result<Entry> ParseRange(std::string_view first_text, std::string_view last_text) {
  auto first = RangeEnd(first_text);
  if (!first) return Error{first.error()};
  auto last = RangeEnd(last_text);
  if (!last) return Error{last.error()};
  if (first->is_v4() != last->is_v4()) return Error{"a range must not mix IPv4 and IPv6"};
  const IpList::Range range{ValueOf(*first), ValueOf(*last)};
  if (range.last < range.first) return Error{"a range must not end before it starts"};
  return Entry{first->is_v4(), range};
}

// An address, a CIDR block or a range "first-last".
Result<Entry> ParseEntry(std::string_view word) {
  if (const auto dash = word.find('-'); dash != std::string_view::npos) {
    return ParseRange(word.substr(0, dash), word.substr(dash + 1));
  }
  auto block = Cidr::Read(word);
  if (!block) return Error{block.error()};
  return Entry{block->first().is_v4(), {ValueOf(block->first()), ValueOf(block->last())}};
}

std::string_view SkipBlanks(std::string_view text) {
  return text.substr(std::min(text.size(), text.find_first_not_of(kWhitespace)));
}

// Whether `text` can be an address: a note ("a scraper", "-- flood") has neither '.' nor ':'.
bool LooksLikeAnAddress(std::string_view text) {
  return !text.empty() && std::isxdigit(static_cast<unsigned char>(text.front())) != 0 &&
         text.find_first_of(".:") != std::string_view::npos;
}

// A range spelled with blanks around its dash ("first - last", "first -last", "first- last"), as
// blocklists often write it, joined; nullopt when what follows the dash is no address (a note).
std::optional<std::string> SpacedRange(std::string_view line) {
  const std::string_view first = FirstWord(line);
  std::string_view rest = SkipBlanks(line.substr(first.size()));
  const std::string_view second = FirstWord(rest);
  if (second.empty() || (first.back() != '-' && second.front() != '-')) return std::nullopt;
  const std::string_view last = second == "-" ? FirstWord(SkipBlanks(rest.substr(second.size())))
                                              : (second.front() == '-' ? second.substr(1) : second);
  if (!LooksLikeAnAddress(last)) return std::nullopt;
  std::string joined(first);
  if (joined.back() != '-') joined += '-';
  return joined += last;
}

// A line's entry: its first word, or a range spelled with blanks; what follows is the note.
Result<Entry> ParseLine(std::string_view line) {
  if (auto spaced = SpacedRange(line)) return ParseEntry(*spaced);
  return ParseEntry(FirstWord(line));
}

// Sorted by start, overlapping or adjacent ranges joined.
std::vector<IpList::Range> Merged(std::vector<IpList::Range> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<IpList::Range> merged;
  for (const IpList::Range& range : ranges) {
    const bool joins = !merged.empty() && (merged.back().last == ~IpList::Value{0} ||
                                           range.first <= merged.back().last + 1);
    if (joins) {
      merged.back().last = std::max(merged.back().last, range.last);
    } else {
      merged.push_back(range);
    }
  }
  merged.shrink_to_fit();
  return merged;
}

bool InRanges(const std::vector<IpList::Range>& ranges, IpList::Value value) {
  auto after = std::upper_bound(ranges.begin(), ranges.end(), value,
                                [](IpList::Value v, const auto& range) { return v < range.first; });
  return after != ranges.begin() && value <= std::prev(after)->last;
}

}  // namespace

IpList::IpList(std::vector<Range> v4, std::vector<Range> v6, std::size_t entries)
    : v4_(Merged(std::move(v4))), v6_(Merged(std::move(v6))), entries_(entries) {}

bool IpList::Contains(const IpAddress& address) const {
  return InRanges(address.is_v4() ? v4_ : v6_, ValueOf(address));
}

Result<IpList> ParseIpList(std::string_view text) {
  std::vector<IpList::Range> v4, v6;
  Status parsed = ForEachListLine(text, [&](std::string_view line) -> Status {
    auto entry = ParseLine(line);
    if (!entry) return Error{entry.error()};
    (entry->v4 ? v4 : v6).push_back(entry->range);
    return OkStatus();
  });
  if (!parsed) return Error{parsed.error()};
  const std::size_t entries = v4.size() + v6.size();
  return IpList(std::move(v4), std::move(v6), entries);
}

}  // namespace shardtrack
