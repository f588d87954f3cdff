// shardtrack-curve-keys NAME: makes a CURVE key pair for the hop between frontends and shards
// (docs/deploy.md, "Across machines"): NAME.secret (readable by its owner only) and NAME.public,
// each one key as 64 hex digits. Never replaces a file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/curve_keys.h"

namespace {

constexpr int kUsage = 2;
constexpr const char* kUsageText =
    "usage: shardtrack-curve-keys NAME\n"
    "  writes NAME.secret (mode 600) and NAME.public: a CURVE key pair for\n"
    "  --curve-secret-file, --shard-public-key-file and --frontend-keys-file\n";

// Writes `text` to a new file `path` with `mode`; false (and a message) if it exists or fails.
// A file it made but could not fill is removed: half a key is no use, and blocks a retry.
bool WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    std::fprintf(stderr, "shardtrack-curve-keys: cannot create %s: %s%s\n", path.c_str(),
                 std::strerror(errno), errno == EEXIST ? " (remove it, or pick another name)" : "");
    return false;
  }
  errno = ENOSPC;  // what a short write means; one that fails sets its own
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (synced) return true;
  std::fprintf(stderr, "shardtrack-curve-keys: cannot write %s: %s\n", path.c_str(),
               std::strerror(error));
  ::unlink(path.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const bool help =
      argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0);
  if (argc != 2 || argv[1][0] == '-') {
    std::fputs(kUsageText, help ? stdout : stderr);
    return help ? 0 : kUsage;
  }
  const std::string name = argv[1];
  const std::string base = name.substr(name.find_last_of('/') + 1);
  if (base.empty() || base == "." || base == "..") {  // NAME.secret would be hidden or odd
    std::fprintf(stderr, "shardtrack-curve-keys: '%s' names a directory; give DIR/NAME\n",
                 name.c_str());
    return kUsage;
  }
  const auto pair = shardtrack::MakeCurveKeyPair();
  if (!pair) {
    std::fprintf(stderr, "shardtrack-curve-keys: %s\n", pair.error().c_str());
    return 1;
  }
  const std::string secret = name + ".secret";
  // Each key with its kind as its note, which a reader of the other kind refuses.
  const auto line = [](const shardtrack::CurveKey& key, std::string_view kind) {
    return key.ToHex() + " " + std::string(kind) + "\n";
  };
  if (!WriteNewFile(secret, line(pair->secret_key, shardtrack::kSecretNote), 0600)) return 1;
  if (!WriteNewFile(name + ".public", line(pair->public_key, shardtrack::kPublicNote), 0644)) {
    ::unlink(secret.c_str());  // likewise a secret whose public half is nowhere
    return 1;
  }
  std::printf("%s.secret\n%s.public %s\n", name.c_str(), name.c_str(),
              pair->public_key.ToHex().c_str());
  return 0;
}
