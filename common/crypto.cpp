#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>

#include "common/strings.hpp"

namespace amq {

Sha256 sha256(std::string_view data) {
    Sha256 out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != out.size())
        std::abort();
    return out;
}

std::string hex(const std::uint8_t* data, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 15]);
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view text) {
    if (text.size() % 2) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int high = hex_digit(text[i]), low = hex_digit(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<char>(high << 4 | low));
    }
    return out;
}

std::string base64url(const std::uint8_t* data, std::size_t n) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((n * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        std::uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
        out.push_back(alphabet[v >> 18 & 63]);
        out.push_back(alphabet[v >> 12 & 63]);
        out.push_back(alphabet[v >> 6 & 63]);
        out.push_back(alphabet[v & 63]);
    }
    if (n - i == 1) {
        std::uint32_t v = data[i] << 16;
        out.push_back(alphabet[v >> 18 & 63]);
        out.push_back(alphabet[v >> 12 & 63]);
    } else if (n - i == 2) {
        std::uint32_t v = data[i] << 16 | data[i + 1] << 8;
        out.push_back(alphabet[v >> 18 & 63]);
        out.push_back(alphabet[v >> 12 & 63]);
        out.push_back(alphabet[v >> 6 & 63]);
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void random_bytes(std::uint8_t* out, std::size_t n) {
    if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();
}

void id_bytes(std::uint8_t* out, std::size_t n) {
    static std::mt19937_64 generator = [] {
        std::uint8_t seed_bytes[32];
        random_bytes(seed_bytes, sizeof seed_bytes);
        std::seed_seq seed(seed_bytes, seed_bytes + sizeof seed_bytes);
        return std::mt19937_64(seed);
    }();
    for (std::size_t i = 0; i < n; i += 8) {
        std::uint64_t word = generator();
        std::memcpy(out + i, &word, std::min<std::size_t>(8, n - i));
    }
}

std::string prefixed_id(std::string_view prefix) {
    std::uint8_t raw[18];
    id_bytes(raw, sizeof raw);
    return str_cat(prefix, base64url(raw, sizeof raw));
}

std::string uuid4() {
    std::uint8_t b[16];
    id_bytes(b, sizeof b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    std::string h = hex(b, sizeof b);
    return str_cat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4),
                   "-", h.substr(20));
}

std::string api_key_hash(std::string_view secret) { return hex(sha256(secret)); }

std::string api_key_display(std::string_view secret) {
    std::string_view body = secret.substr(std::min(secret.size(), kApiKeyPrefix.size()));
    if (body.size() < 8) return str_cat(kApiKeyPrefix, "…");
    return str_cat(kApiKeyPrefix, body.substr(0, 4), "…", body.substr(body.size() - 4));
}

NewApiKey generate_api_key() {
    std::uint8_t raw[32];
    random_bytes(raw, sizeof raw);
    NewApiKey key;
    key.secret = str_cat(kApiKeyPrefix, base64url(raw, sizeof raw));
    key.hash = api_key_hash(key.secret);
    key.display = api_key_display(key.secret);
    return key;
}

}  // namespace amq
