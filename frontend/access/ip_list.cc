#include "frontend/access/ip_list.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "common/list_file.h"

namespace shardtrack {
namespace {

IpList::Value ValueOf(const IpAddress& address) {
  IpList::Value value = 0;
  for (char byte : address.raw()) value = value << 8 | static_cast<unsigned char>(byte);
  return value;
}

int BitsOf(const IpAddress& address) { return address.is_v4() ? 32 : 128; }

Result<IpAddress> AddressOf(std::string_view text) {
  auto address = IpAddress::Parse(text);
  if (!address) return Error{"\"" + std::string(text) + "\" is not an IPv4 or IPv6 address"};
  return *address;
}

// An entry's address family and range.
struct Entry {
  bool v4 = true;
  IpList::Range range;
};

Result<Entry> ParseCidr(std::string_view base_text, std::string_view prefix_text) {
  auto base = AddressOf(base_text);
  if (!base) return Error{base.error()};
  // An IPv4-mapped block ("::ffff:10.0.0.0/104") is an IPv4 block 96 bits shorter.
  const bool mapped = base->is_v4() && base_text.find(':') != std::string_view::npos;
  const int written_bits = mapped ? 128 : BitsOf(*base);
  int prefix = -1;
  auto [end, error] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (error != std::errc() || end != prefix_text.data() + prefix_text.size() ||
      prefix < (mapped ? 96 : 0) || prefix > written_bits) {
    return Error{"the prefix must be " + std::string(mapped ? "96" : "0") + " to " +
                 std::to_string(written_bits)};
  }
  if (mapped) prefix -= 96;
  const int bits = BitsOf(*base);
  const int host_bits = bits - prefix;
  const IpList::Value host_mask =
      host_bits == 128 ? ~IpList::Value{0} : (IpList::Value{1} << host_bits) - 1;
  const IpList::Value first = ValueOf(*base) & ~host_mask;
  return Entry{base->is_v4(), {first, first | host_mask}};
}

Result<Entry> ParseRange(std::string_view first_text, std::string_view last_text) {
  auto first = AddressOf(first_text);
  if (!first) return Error{first.error()};
  auto last = AddressOf(last_text);
  if (!last) return Error{last.error()};
  if (first->is_v4() != last->is_v4()) return Error{"a range must not mix IPv4 and IPv6"};
  if (ValueOf(*last) < ValueOf(*first)) return Error{"a range must not end before it starts"};
  return Entry{first->is_v4(), {ValueOf(*first), ValueOf(*last)}};
}

Result<Entry> ParseEntry(std::string_view word) {
  if (const auto slash = word.find('/'); slash != std::string_view::npos) {
    return ParseCidr(word.substr(0, slash), word.substr(slash + 1));
  }
  if (const auto dash = word.find('-'); dash != std::string_view::npos) {
    return ParseRange(word.substr(0, dash), word.substr(dash + 1));
  }
  auto address = AddressOf(word);
  if (!address) return Error{address.error()};
  return Entry{address->is_v4(), {ValueOf(*address), ValueOf(*address)}};
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
    auto entry = ParseEntry(FirstWord(line));
    if (!entry) return Error{entry.error()};
    (entry->v4 ? v4 : v6).push_back(entry->range);
    return OkStatus();
  });
  if (!parsed) return Error{parsed.error()};
  const std::size_t entries = v4.size() + v6.size();
  return IpList(std::move(v4), std::move(v6), entries);
}

}  // namespace shardtrack
