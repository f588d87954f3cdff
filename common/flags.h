// FlagSet: a process's settings, named once with their default and their reason.
//
// Every setting is read from `--name value` (or `--name=value`) and from the environment
// variable SHARDTRACK_<NAME> (upper case, '-' as '_'), for containers; the command line wins
// (a tool that is not a server can IgnoreEnvironment()).
// A repeatable setting takes a comma-separated list from the environment. An integer setting may
// declare the values it allows (IntRange), and a setting that is one of a few words declares them
// (Words): a value outside is refused where it is read, with one message naming the setting and
// what it allows. `--help` prints every setting with its default and what it allows;
// `--help-markdown` prints MarkdownTable() instead, which is what the README's settings tables are
// generated from (scripts/settings-tables).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace shardtrack {

// The values an integer setting allows, from `least` to `most` (each cut to what its type
// holds), and in a few words why the bounds are what they are ("ten years", "what a shard
// answers"): shown in --help, the README and the error. Made by the functions below.
struct IntRange {
  std::int64_t least = std::numeric_limits<std::int64_t>::min();
  std::int64_t most = std::numeric_limits<std::int64_t>::max();
  std::string why;
};

// From `least` to `most`, both allowed. The setting's default must be in it: Add aborts when it
// is not, a programming error.
IntRange Between(std::int64_t least, std::int64_t most, std::string why = {});
// From `least` to the most the setting's type holds.
IntRange AtLeast(std::int64_t least, std::string why = {});
// From `least` to ten years (kLongestSettingSeconds) of seconds, or with `per_second` 1000 of
// milliseconds: a longer time is a typo, and a few hundred years would overflow a Duration.
IntRange UpToTenYears(std::int64_t least, std::int64_t per_second = 1);

// The words a setting allows, each with the value it stands for. Two words may stand for one
// value: an older spelling kept so that older configurations start, which --help and errors need
// not list (`listed` false). The setting's default must be the value of a listed word: Add aborts
// when it is not, a programming error.
template <typename Value>
struct Word {
  std::string text;
  Value value;
  bool listed = true;
};
template <typename Value>
using Words = std::vector<Word<Value>>;
// Words that stand for themselves, for a setting kept as text.
Words<std::string> WordsOf(std::vector<std::string> texts);
// The first listed word for `value`, to name it in a log line or a label ("?" if none is).
template <typename Value>
std::string WordFor(const Words<Value>& words, const Value& value) {
  for (const Word<Value>& word : words) {
    if (word.listed && word.value == value) return word.text;
  }
  return "?";
}

// The environment variable a setting is read from: "access-list" -> "SHARDTRACK_ACCESS_LIST".
std::string EnvironmentVariableOf(std::string_view setting);

class FlagSet {
 public:
  FlagSet(std::string program, std::string summary);

  void Add(std::string name, std::string* value, std::string help);
  void Add(std::string name, bool* value, std::string help);
  void Add(std::string name, std::int64_t* value, std::string help, IntRange range = {});
  void Add(std::string name, std::uint32_t* value, std::string help, IntRange range = {});
  void Add(std::string name, std::uint16_t* value, std::string help, IntRange range = {});
  void Add(std::string name, double* value, std::string help);
  void Add(std::string name, std::vector<std::string>* values, std::string help);  // repeatable
  template <typename Value>
  void Add(std::string name, Value* value, std::string help, Words<Value> words);
  // An option of another program that this one does not take, and why: given on the command
  // line it is refused saying so (as SHARDTRACK_<NAME> it is ignored, as any unknown name is,
  // since one environment file serves every kind of process).
  void NotTaken(std::string name, std::string why);
  // Parse reads no SHARDTRACK_* variable and Help() names none: for tools that run beside a
  // server configured by them (shardtrack-loadgen).
  void IgnoreEnvironment() { ignore_environment_ = true; }

  enum class Outcome { kRun, kHelpShown };
  // Reads the environment through `getenv` (a seam for tests), then argv.
  Result<Outcome> Parse(int argc, const char* const* argv,
                        const std::function<const char*(const char*)>& getenv);
  Result<Outcome> Parse(int argc, const char* const* argv);

  // The text for kHelpShown: the plain list, or the Markdown table after --help-markdown.
  std::string Help() const;
  // What every main() does: Parse, print the help (exit status 0) or the error naming the
  // program (status 2). Returns the exit status when the process should exit now.
  std::optional<int> ParseCommandLine(int argc, const char* const* argv);
  std::optional<int> ParseCommandLine(int argc, const char* const* argv,
                                      const std::function<const char*(const char*)>& getenv);
  std::string MarkdownTable() const;
  // The settings' names, in the order they were added (not those NotTaken).
  std::vector<std::string> Names() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    std::string allowed_text;  // "1 to 3600 (an hour)", "allow or deny"; empty: any value
    bool is_bool = false;
    bool repeatable = false;
    std::function<Status(std::string_view)> set;
    std::function<void()> clear;  // repeatable flags: forget the environment's list
  };
  void AddFlag(Flag flag);
  // A setting that is one of `texts` (the first `listed` of them shown); `set(i)` gives it the
  // value of texts[i].
  void AddWords(std::string name, std::string help, std::vector<std::string> texts,
                std::size_t listed, std::size_t default_index,
                std::function<void(std::size_t)> set);
  template <typename Integer>
  void AddInteger(std::string name, Integer* value, std::string help, IntRange range);
  Status Set(const Flag& flag, std::string_view text) const;
  // The command line's settings, each appended to `given` (a repeatable one's list replacing
  // what it held); kHelpShown at --help.
  Result<Outcome> ReadArguments(int argc, const char* const* argv, std::vector<const Flag*>& given);
  // The SHARDTRACK_* variables of the settings not among `given`.
  Status ReadEnvironment(const std::function<const char*(const char*)>& getenv,
                         const std::vector<const Flag*>& given) const;
  const Flag* Find(std::string_view name) const;
  std::string Unknown(std::string_view name) const;  // the error for an option not found

  std::string program_;
  bool markdown_help_ = false;
  bool ignore_environment_ = false;
  std::string summary_;
  std::vector<Flag> flags_;
  std::vector<std::pair<std::string, std::string>> not_taken_;  // name, why
};

template <typename Value>
void FlagSet::Add(std::string name, Value* value, std::string help, Words<Value> words) {
  std::stable_partition(words.begin(), words.end(), [](const Word<Value>& w) { return w.listed; });
  std::vector<std::string> texts;
  std::size_t listed = 0;
  std::size_t default_index = words.size();
  for (std::size_t i = 0; i < words.size(); ++i) {
    texts.push_back(words[i].text);
    if (!words[i].listed) continue;
    ++listed;
    if (default_index == words.size() && words[i].value == *value) default_index = i;
  }
  AddWords(std::move(name), std::move(help), std::move(texts), listed, default_index,
           [value, words = std::move(words)](std::size_t i) { *value = words[i].value; });
}

}  // namespace shardtrack
