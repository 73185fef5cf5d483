// Hashes, randomness and API key secrets (OpenSSL). A secret exists only in the answer that
// creates it; everything stored or logged is its hash or its display form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace amq {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view data);
std::string hex(const std::uint8_t* data, std::size_t n);
inline std::string hex(const Sha256& h) { return hex(h.data(), h.size()); }
// The bytes `text` spells in hex digits of either case; nullopt for an odd length or another
// character.
std::optional<std::string> from_hex(std::string_view text);
std::string base64url(const std::uint8_t* data, std::size_t n);  // no padding
bool constant_time_equal(std::string_view a, std::string_view b);

// Aborts when the kernel's RNG fails: a predictable key is worse than no daemon.
void random_bytes(std::uint8_t* out, std::size_t n);

// Ids that must be unique, not secret (message ids, invocation ids): a per-process generator
// seeded once from random_bytes. OpenSSL's RAND checks getpid() on every call, a syscall per
// id on the request path.
void id_bytes(std::uint8_t* out, std::size_t n);
std::string uuid4();
std::string prefixed_id(std::string_view prefix);  // "msg_" + 24 URL-safe characters

inline constexpr std::string_view kApiKeyPrefix = "amq-";

struct NewApiKey {
    std::string secret;   // amq- + 43 URL-safe characters (32 random bytes)
    std::string hash;     // hex SHA-256 of the secret
    std::string display;  // amq-abcd…wxyz
};

NewApiKey generate_api_key();
std::string api_key_hash(std::string_view secret);
std::string api_key_display(std::string_view secret);

}  // namespace amq
