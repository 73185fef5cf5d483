// The key that seals the accounts' secrets in the store (common/secret_box.hpp): 32 random
// bytes as 64 hex digits in <state-dir>/secrets.key, mode 0600, made on the first start. It
// is not part of the store, nor of its backups: a restore on another host needs a copy of it.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/secret_box.hpp"

namespace amq {

inline constexpr std::string_view kSecretKeyFile = "secrets.key";

// The key in `dir`, made first when missing and `may_create`; a key file others may read is
// restricted to its owner. Errc::not_found when missing and not to be made;
// Errc::invalid_argument when it holds no key; Errc::io when it cannot be read or written.
Result<SecretBox::Key> load_secret_key(const std::string& dir, bool may_create);

}  // namespace amq
