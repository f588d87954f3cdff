#include "common/flags.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "common/clock.h"
#include "common/nearest_spelling.h"
#include "common/trim.h"

namespace shardtrack {
namespace {

// `range` cut to the values an `Int` holds.
template <typename Int>
IntRange WithinType(IntRange range) {
  range.least = std::max<std::int64_t>(range.least, std::numeric_limits<Int>::min());
  range.most = std::min<std::int64_t>(range.most, std::numeric_limits<Int>::max());
  return range;
}

// "1 to 3600 (an hour)", or "at least 4096" when nothing but the type bounds it above.
template <typename Int>
std::string RangeText(const IntRange& range) {
  const bool only_least = range.most == std::numeric_limits<Int>::max() &&
                          range.least > std::numeric_limits<Int>::min();
  std::string text = only_least ? "at least " + std::to_string(range.least)
                                : std::to_string(range.least) + " to " + std::to_string(range.most);
  return range.why.empty() ? text : text + " (" + range.why + ")";
}

// Parses an `Int` within `range` (already WithinType) into *value.
template <typename Int>
std::function<Status(std::string_view)> IntegerSetter(Int* value, IntRange range) {
  return [value, range, allowed = RangeText<Int>(range)](std::string_view text) -> Status {
    Int parsed{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error != std::errc() || end != text.data() + text.size()) {
      return Error{"must be an integer, " + allowed + ", not '" + std::string(text) + "'"};
    }
    if (std::cmp_less(parsed, range.least) || std::cmp_greater(parsed, range.most)) {
      return Error{"must be " + allowed + ", not " + std::to_string(parsed)};
    }
    *value = parsed;
    return OkStatus();
  };
}

// "allow or deny", "local, always or never".
std::string OneOf(const std::vector<std::string>& texts) {
  std::string out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == texts.size() ? " or " : ", ") + texts[i];
  }
  return out;
}

std::string Join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

IntRange Between(std::int64_t least, std::int64_t most, std::string why) {
  return {least, most, std::move(why)};
}

IntRange AtLeast(std::int64_t least, std::string why) {
  return {least, std::numeric_limits<std::int64_t>::max(), std::move(why)};
}

IntRange UpToTenYears(std::int64_t least, std::int64_t per_second) {
  return Between(least, kLongestSettingSeconds * per_second, "ten years");
}

Words<std::string> WordsOf(std::vector<std::string> texts) {
  Words<std::string> words;
  for (std::string& text : texts) words.push_back({text, std::move(text)});
  return words;
}

std::string EnvironmentVariableOf(std::string_view setting) {
  std::string out = "SHARDTRACK_";
  for (char c : setting) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

FlagSet::FlagSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void FlagSet::AddFlag(Flag flag) { flags_.push_back(std::move(flag)); }

void FlagSet::Add(std::string name, std::string* value, std::string help) {
  AddFlag({std::move(name),
           std::move(help),
           *value,
           "",
           false,
           false,
           [value](std::string_view t) {
             *value = std::string(t);
             return OkStatus();
           },
           {}});
}

void FlagSet::Add(std::string name, bool* value, std::string help) {
  AddFlag({std::move(name),
           std::move(help),
           *value ? "true" : "false",
           "",
           true,
           false,
           [value](std::string_view t) -> Status {
             if (t == "true" || t == "1" || t == "yes") {
               *value = true;
             } else if (t == "false" || t == "0" || t == "no") {
               *value = false;
             } else {
               return Error{"must be true or false (or 1 or 0, yes or no), not '" + std::string(t) +
                            "'"};
             }
             return OkStatus();
           },
           {}});
}

void FlagSet::AddWords(std::string name, std::string help, std::vector<std::string> texts,
                       std::size_t listed, std::size_t default_index,
                       std::function<void(std::size_t)> set) {
  std::string allowed = OneOf({texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(listed)});
  if (default_index >= listed) {
    // A programming error, not an operator's: the program could never start with its default.
    std::fprintf(stderr, "FlagSet: --%s's default is none of its words, %s\n", name.c_str(),
                 allowed.c_str());
    std::abort();
  }
  std::string default_text = texts[default_index];
  AddFlag({std::move(name),
           std::move(help),
           std::move(default_text),
           allowed,
           false,
           false,
           [texts = std::move(texts), allowed, set = std::move(set)](std::string_view t) -> Status {
             const auto found = std::find(texts.begin(), texts.end(), t);
             if (found == texts.end()) {
               return Error{"must be " + allowed + ", not '" + std::string(t) + "'"};
             }
             set(static_cast<std::size_t>(found - texts.begin()));
             return OkStatus();
           },
           {}});
}

template <typename Integer>
void FlagSet::AddInteger(std::string name, Integer* value, std::string help, IntRange range) {
  const bool declared = range.least > std::numeric_limits<Integer>::min() ||
                        range.most < std::numeric_limits<Integer>::max();
  range = WithinType<Integer>(std::move(range));
  if (std::cmp_less(*value, range.least) || std::cmp_greater(*value, range.most)) {
    // A programming error, not an operator's: the program could never start with its default.
    std::fprintf(stderr, "FlagSet: --%s's default %s is outside its range, %s\n", name.c_str(),
                 std::to_string(*value).c_str(), RangeText<Integer>(range).c_str());
    std::abort();
  }
  AddFlag({std::move(name),
           std::move(help),
           std::to_string(*value),
           declared ? RangeText<Integer>(range) : "",
           false,
           false,
           IntegerSetter(value, range),
           {}});
}

void FlagSet::Add(std::string name, std::int64_t* value, std::string help, IntRange range) {
  AddInteger(std::move(name), value, std::move(help), std::move(range));
}

void FlagSet::Add(std::string name, std::uint32_t* value, std::string help, IntRange range) {
  AddInteger(std::move(name), value, std::move(help), std::move(range));
}

void FlagSet::Add(std::string name, std::uint16_t* value, std::string help, IntRange range) {
  AddInteger(std::move(name), value, std::move(help), std::move(range));
}

void FlagSet::Add(std::string name, double* value, std::string help) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", *value);
  AddFlag({std::move(name),
           std::move(help),
           text,
           "",
           false,
           false,
           [value](std::string_view t) -> Status {
             std::string copy(t);
             char* end = nullptr;
             double parsed = std::strtod(copy.c_str(), &end);
             if (copy.empty() || *end != '\0') {
               return Error{"must be a number, not '" + copy + "'"};
             }
             *value = parsed;
             return OkStatus();
           },
           {}});
}

void FlagSet::Add(std::string name, std::vector<std::string>* values, std::string help) {
  AddFlag({std::move(name), std::move(help), Join(*values), "", false, true,
           [values](std::string_view t) {
             values->emplace_back(t);
             return OkStatus();
           },
           [values] { values->clear(); }});
}

void FlagSet::NotTaken(std::string name, std::string why) {
  not_taken_.emplace_back(std::move(name), std::move(why));
}

std::string FlagSet::Unknown(std::string_view name) const {
  for (const auto& [not_taken, why] : not_taken_) {
    if (not_taken == name) {
      return "--" + not_taken + " is not an option here (" + why + ")";
    }
  }
  const std::string nearest = NearestSpelling(name, Names());
  return "unknown option --" + std::string(name) +
         (nearest.empty() ? " (see --help)" : " (did you mean --" + nearest + "? see --help)");
}

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const auto& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

Status FlagSet::Set(const Flag& flag, std::string_view text) const {
  Status status = flag.set(text);
  if (!status.ok()) return Error{"--" + flag.name + " " + status.error()};
  return status;
}

Result<FlagSet::Outcome> FlagSet::Parse(int argc, const char* const* argv,
                                        const std::function<const char*(const char*)>& getenv) {
  // The command line first; then the variables of the settings it did not give, which are not
  // read at all (so that a bad value there can be overridden), nor any for --help.
  std::vector<const Flag*> given;
  auto outcome = ReadArguments(argc, argv, given);
  if (!outcome || *outcome == Outcome::kHelpShown) return outcome;
  if (Status read = ReadEnvironment(getenv, given); !read) return Error{read.error()};
  return Outcome::kRun;
}

Status FlagSet::ReadEnvironment(const std::function<const char*(const char*)>& getenv,
                                const std::vector<const Flag*>& given) const {
  for (const auto& flag : flags_) {
    if (ignore_environment_ || std::find(given.begin(), given.end(), &flag) != given.end()) {
      continue;
    }
    const char* env = getenv(EnvironmentVariableOf(flag.name).c_str());
    if (env == nullptr) continue;
    std::string_view text(env);
    if (flag.repeatable) {
      while (!text.empty()) {  // "a, b": the spaces after commas are not part of the items
        auto comma = text.find(',');
        if (auto s = Set(flag, Trim(text.substr(0, comma), " ")); !s.ok()) {
          return Error{s.error()};
        }
        text = comma == std::string_view::npos ? "" : text.substr(comma + 1);
      }
    } else if (auto s = Set(flag, text); !s.ok()) {
      return Error{EnvironmentVariableOf(flag.name) + ": " + s.error()};
    }
  }
  return OkStatus();
}

Result<FlagSet::Outcome> FlagSet::ReadArguments(int argc, const char* const* argv,
                                                std::vector<const Flag*>& given) {
  const Flag* bare_bool = nullptr;  // the previous argument: a yes/no flag without "="
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") return Outcome::kHelpShown;
    if (arg == "--help-markdown") {
      markdown_help_ = true;
      return Outcome::kHelpShown;
    }
    if (arg.substr(0, 2) != "--") {
      std::string error = "unexpected argument '" + std::string(arg) + "'";
      if (bare_bool != nullptr) {
        error += " (a yes/no setting takes its value after '=': --" + bare_bool->name + "=" +
                 std::string(arg) + ")";
      }
      return Error{error};
    }
    bare_bool = nullptr;
    arg.remove_prefix(2);
    auto equals = arg.find('=');
    const Flag* flag = Find(arg.substr(0, equals));
    if (flag == nullptr) return Error{Unknown(arg.substr(0, equals))};
    std::string_view text;
    if (equals != std::string_view::npos) {
      text = arg.substr(equals + 1);
    } else if (flag->is_bool) {
      text = "true";
      bare_bool = flag;
    } else if (i + 1 < argc) {
      text = argv[++i];
    } else {
      return Error{"--" + flag->name + " needs a value"};
    }
    if (std::find(given.begin(), given.end(), flag) == given.end()) {
      given.push_back(flag);
      if (flag->repeatable) flag->clear();  // the command line's list replaces what was held
    }
    if (auto s = Set(*flag, text); !s.ok()) return Error{s.error()};
  }
  return Outcome::kRun;
}

Result<FlagSet::Outcome> FlagSet::Parse(int argc, const char* const* argv) {
  return Parse(argc, argv, [](const char* name) { return std::getenv(name); });
}

std::optional<int> FlagSet::ParseCommandLine(int argc, const char* const* argv) {
  return ParseCommandLine(argc, argv, [](const char* name) { return std::getenv(name); });
}

std::optional<int> FlagSet::ParseCommandLine(
    int argc, const char* const* argv, const std::function<const char*(const char*)>& getenv) {
  auto parsed = Parse(argc, argv, getenv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), parsed.error().c_str());
    return 2;
  }
  if (*parsed == Outcome::kHelpShown) {
    std::fputs(Help().c_str(), stdout);
    return 0;
  }
  return std::nullopt;
}

std::string FlagSet::Help() const {
  if (markdown_help_) return MarkdownTable();
  std::string out = "usage: " + program_ + " [options]\n" + summary_ + "\n\noptions:\n";
  for (const auto& flag : flags_) {
    out += "  --" + flag.name + (flag.is_bool ? "" : " VALUE") + "\n      " + flag.help;
    if (flag.repeatable) out += " (repeatable)";
    out += "\n      default: " + (flag.default_text.empty() ? "(none)" : flag.default_text);
    if (!ignore_environment_) out += "; environment: " + EnvironmentVariableOf(flag.name);
    out += "\n";
    if (!flag.allowed_text.empty()) out += "      allowed: " + flag.allowed_text + "\n";
  }
  return out;
}

std::string FlagSet::MarkdownTable() const {
  std::string out = "| option | default | allowed | meaning |\n| --- | --- | --- | --- |\n";
  for (const auto& flag : flags_) {
    out += "| `--" + flag.name + "` | " +
           (flag.default_text.empty() ? "" : "`" + flag.default_text + "`") + " | " +
           flag.allowed_text + " | " + flag.help + (flag.repeatable ? " (repeatable)" : "") +
           " |\n";
  }
  return out;
}

std::vector<std::string> FlagSet::Names() const {
  std::vector<std::string> names;
  for (const auto& flag : flags_) names.push_back(flag.name);
  return names;
}

}  // namespace shardtrack
