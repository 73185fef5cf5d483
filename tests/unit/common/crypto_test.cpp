#define BOOST_TEST_MODULE common_crypto
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.hpp"

using amq::base64url;
using amq::constant_time_equal;
using amq::hex;
using amq::sha256;

namespace {

std::string b64(std::string_view s) {
    return base64url(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string b64(const std::vector<std::uint8_t>& bytes) {
    return base64url(bytes.data(), bytes.size());
}

bool is_url_safe(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

BOOST_AUTO_TEST_CASE(sha256_matches_known_digests) {
    BOOST_TEST(hex(sha256("abc")) ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(hex(sha256("")) ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(hex_writes_two_lowercase_digits_per_byte) {
    const std::uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    BOOST_TEST(hex(bytes, sizeof bytes) == "000fa5ff");
    BOOST_TEST(hex(bytes, 0).empty());
}

BOOST_AUTO_TEST_CASE(base64url_matches_rfc4648_vectors_without_padding) {
    BOOST_TEST(b64("") == "");
    BOOST_TEST(b64("f") == "Zg");
    BOOST_TEST(b64("fo") == "Zm8");
    BOOST_TEST(b64("foo") == "Zm9v");
    BOOST_TEST(b64("foob") == "Zm9vYg");
    BOOST_TEST(b64("fooba") == "Zm9vYmE");
    BOOST_TEST(b64("foobar") == "Zm9vYmFy");
}

BOOST_AUTO_TEST_CASE(base64url_uses_dash_and_underscore_for_62_and_63) {
    BOOST_TEST(b64(std::vector<std::uint8_t>{0xfb, 0xef, 0xbe}) == "----");
    BOOST_TEST(b64(std::vector<std::uint8_t>{0xff, 0xff, 0xff}) == "____");
    BOOST_TEST(b64(std::vector<std::uint8_t>{0xfb, 0xff}) == "-_8");
    BOOST_TEST(b64(std::vector<std::uint8_t>{0x00, 0x00, 0x00}) == "AAAA");
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
    BOOST_TEST(constant_time_equal("", ""));
    BOOST_TEST(constant_time_equal("secret", "secret"));
    BOOST_TEST(!constant_time_equal("secret", "secreT"));
    BOOST_TEST(!constant_time_equal("secret", "secret2"));
    BOOST_TEST(!constant_time_equal("secret", ""));
    BOOST_TEST(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
    BOOST_TEST(!constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

BOOST_AUTO_TEST_CASE(generated_api_key_has_prefix_length_and_url_safe_body) {
    amq::NewApiKey key = amq::generate_api_key();
    BOOST_TEST(key.secret.size() == 47u);
    BOOST_TEST(key.secret.substr(0, 4) == "amq-");
    BOOST_TEST(amq::kApiKeyPrefix == "amq-");
    for (char c : key.secret.substr(4)) BOOST_TEST(is_url_safe(c), "character '" << c << "'");
}

BOOST_AUTO_TEST_CASE(generated_api_key_hash_is_hex_sha256_of_the_secret) {
    amq::NewApiKey key = amq::generate_api_key();
    BOOST_TEST(key.hash == amq::api_key_hash(key.secret));
    BOOST_TEST(key.hash == hex(sha256(key.secret)));
    BOOST_TEST(key.hash.size() == 64u);
    for (char c : key.hash) BOOST_TEST(is_lower_hex(c));
}

BOOST_AUTO_TEST_CASE(generated_api_key_display_shows_first_and_last_four) {
    amq::NewApiKey key = amq::generate_api_key();
    std::string body = key.secret.substr(4);
    BOOST_TEST(key.display == "amq-" + body.substr(0, 4) + "\u2026" + body.substr(body.size() - 4));
    BOOST_TEST(key.display == amq::api_key_display(key.secret));
    BOOST_TEST(key.display.find(key.secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(api_key_display_of_a_short_secret_hides_it_entirely) {
    BOOST_TEST(amq::api_key_display("amq-abc") == "amq-\u2026");
    BOOST_TEST(amq::api_key_display("") == "amq-\u2026");
    BOOST_TEST(amq::api_key_display("amq-abcdefgh") == "amq-abcd\u2026efgh");
}

BOOST_AUTO_TEST_CASE(two_generated_api_keys_differ) {
    amq::NewApiKey a = amq::generate_api_key();
    amq::NewApiKey b = amq::generate_api_key();
    BOOST_TEST(a.secret != b.secret);
    BOOST_TEST(a.hash != b.hash);
}

BOOST_AUTO_TEST_CASE(uuid4_has_the_canonical_form_with_version_and_variant) {
    std::set<std::string> seen;
    for (int i = 0; i < 64; ++i) {
        std::string u = amq::uuid4();
        BOOST_TEST_CONTEXT("uuid " << u) {
            BOOST_REQUIRE(u.size() == 36u);
            for (std::size_t pos : {8u, 13u, 18u, 23u}) BOOST_TEST(u[pos] == '-');
            for (std::size_t pos = 0; pos < u.size(); ++pos) {
                if (pos == 8 || pos == 13 || pos == 18 || pos == 23) continue;
                BOOST_TEST(is_lower_hex(u[pos]));
            }
            BOOST_TEST(u[14] == '4');
            BOOST_TEST(std::string_view("89ab").find(u[19]) != std::string_view::npos);
        }
        seen.insert(u);
    }
    BOOST_TEST(seen.size() == 64u);
}

BOOST_AUTO_TEST_CASE(random_bytes_fills_the_buffer) {
    std::uint8_t a[32] = {};
    std::uint8_t b[32] = {};
    amq::random_bytes(a, sizeof a);
    amq::random_bytes(b, sizeof b);
    BOOST_TEST(hex(a, sizeof a) != hex(b, sizeof b));
}

BOOST_AUTO_TEST_CASE(from_hex_reads_what_hex_writes) {
    const std::uint8_t raw[] = {0x00, 0x7f, 0xab, 0xff};
    BOOST_CHECK(amq::from_hex(amq::hex(raw, sizeof raw)) == std::string("\x00\x7f\xab\xff", 4));
    BOOST_CHECK(amq::from_hex("ABcd") == std::string("\xab\xcd"));
    BOOST_CHECK(!amq::from_hex("abc").has_value());
    BOOST_CHECK(!amq::from_hex("zz").has_value());
}
