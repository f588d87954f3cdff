#include "common/curve_setup.h"

#include "common/secret_permissions.h"

namespace shardtrack {

Result<bool> BothCurveFilesGiven(const FlagFile& secret, const FlagFile& theirs,
                                 std::string_view why_together) {
  const bool secret_given = !secret.path.empty();
  if (secret_given == !theirs.path.empty()) return secret_given;
  return Error{std::string(secret.flag) + " and " + std::string(theirs.flag) +
               " go together: " + std::string(why_together)};
}

Result<CurveKeyPair> ReadCurveKeyPair(const FlagFile& secret) {
  const std::string prefix = std::string(secret.flag) + ": ";
  auto secret_key = ReadCurveSecretKeyFile(secret.path);
  if (!secret_key) return Error{prefix + secret_key.error()};
  auto public_key = CurvePublicKeyOf(*secret_key);
  if (!public_key) return Error{prefix + public_key.error()};
  WarnIfOthersMayRead(prefix, secret.path,
                      "whoever reads it can pose as this process to the cluster");
  return CurveKeyPair{*public_key, *secret_key};
}

}  // namespace shardtrack
