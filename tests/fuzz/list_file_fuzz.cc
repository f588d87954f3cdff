// The operator's list files (list_file.h's ForEachListLine and the parsers built on it: access
// list, IP list, client list, passkey list) and ShardFileName::Parse. Input: the file's text.
// Checks: a parsed list contains what each accepted line names (where that is cheap to tell),
// ShardFileName round trip.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/list_file.h"
#include "common/trim.h"
#include "frontend/access/access_list.h"
#include "frontend/access/client_list.h"
#include "frontend/access/ip_list.h"
#include "frontend/access/passkey_list.h"
#include "shard/persistence/shard_file_name.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  std::string_view text(reinterpret_cast<const char*>(bytes), size);

  std::vector<std::string> lines;
  Status walked = ForEachListLine(text, [&](std::string_view line) -> Status {
    FUZZ_CHECK(!line.empty() && line.front() != '#');
    FUZZ_CHECK(Trim(line) == line);
    FUZZ_CHECK(line.find('\n') == std::string_view::npos);
    lines.emplace_back(line);
    if (line == "stop") return Error{"stop"};
    return OkStatus();
  });
  if (!walked) FUZZ_CHECK(walked.error().find("stop") != std::string::npos);

  if (auto access = ParseAccessList(text)) {
    for (const auto& l : lines) {
      auto hash = InfoHash::FromHex(FirstWord(l));
      if (hash) FUZZ_CHECK(access->Contains(*hash));
    }
    FUZZ_CHECK(access->size() <= lines.size());
  }
  if (auto ips = ParseIpList(text)) {
    for (const auto& l : lines) {
      auto a = IpAddress::Parse(FirstWord(l));
      if (a) FUZZ_CHECK(ips->Contains(*a));
      if (auto c = Cidr::Parse(FirstWord(l))) {
        FUZZ_CHECK(ips->Contains(c->first()));
        FUZZ_CHECK(ips->Contains(c->last()));
      }
    }
  }
  if (auto clients = ParseClientList(text)) {
    (void)clients->Matches("-qB4520-abcdefghijkl");
    (void)clients->Matches(text.substr(0, 20));
  }
  if (auto keys = ParsePasskeyList(text)) {
    for (const auto& l : lines) {
      auto w = FirstWord(l);
      if (IsValidPasskey(w)) FUZZ_CHECK(keys->Contains(w));
    }
    (void)keys->Contains(text);
  }

  if (auto name = ShardFileName::Parse(text)) {
    FUZZ_CHECK(name->index < name->count);
    auto again = ShardFileName::Parse(name->ToString());
    FUZZ_CHECK(again && again->index == name->index && again->count == name->count &&
               again->kind == name->kind);
    if (name->ToString() != text) {
      std::fprintf(stderr, "ShardFileName: '%.*s' parses but prints as '%s'\n",
                   static_cast<int>(text.size()), text.data(), name->ToString().c_str());
      std::abort();
    }
  }
  return 0;
}
