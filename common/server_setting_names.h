// The name of every setting of every shardtrack server (shardtrack-frontend, -shard, -node), and
// the SHARDTRACK_* variables our own tools read: what a SHARDTRACK_* variable in a server's
// environment may name. A server ignores a variable that names another program's setting, since
// one environment file serves every kind of process; one that names nothing here is misspelt,
// and a misspelt SHARDTRACK_ACCES_LIST would otherwise start a private tracker that serves
// every torrent without a word.
//
// The list is kept by hand so that a frontend need not link the shard library to know the
// shard's names; tests/unit/common/server_setting_names_test.cc fails when it and the servers'
// FlagSets drift apart.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardtrack {

// Setting names as FlagSet knows them ("access-list"), each server's once.
std::span<const std::string_view> ServerSettingNames();

// Whole variable names ("SHARDTRACK_BIN_DIR") that our build, test and bench tooling reads,
// none of them a server's setting.
std::span<const std::string_view> ToolingVariables();

// One warning for each SHARDTRACK_* variable in `environment` that names no server setting nor
// tooling variable, in the order found. `environment` is as `environ` holds it: "NAME=value"
// entries, ending in nullptr (or nullptr itself: none).
std::vector<std::string> UnknownVariableWarnings(const char* const* environment);

}  // namespace shardtrack
