// Secrets at rest: the accounts' refresh tokens, client secrets and access tokens are sealed
// with AES-256-GCM under a key that lives apart from the store (daemon/master/secret_key.hpp),
// so that a copy of the store — a backup, a stolen disk image — gives none of them away.
// Each sealed value is bound to what it belongs to (`context`, the record's key): a value
// moved to another record does not open.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace amq {

inline constexpr std::size_t kSecretKeyBytes = 32;

class SecretBox {
public:
    using Key = std::array<std::uint8_t, kSecretKeyBytes>;

    explicit SecretBox(const Key& key) : key_(key) {}

    // kSealMagic, a fresh 12-byte nonce, the ciphertext and the 16-byte tag.
    std::string seal(std::string_view plaintext, std::string_view context) const;
    // Errc::internal for a value that is not sealed, was sealed under another key or context,
    // or was altered.
    Result<std::string> open(std::string_view sealed, std::string_view context) const;

    // Sealed values start with bytes no JSON document starts with.
    static bool is_sealed(std::string_view value);

private:
    Key key_;
};

}  // namespace amq
