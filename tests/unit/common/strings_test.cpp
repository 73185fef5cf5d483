#define BOOST_TEST_MODULE common_strings
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.hpp"

using amq::iequals;
using amq::parse_host_port;
using amq::parse_int;
using amq::parse_uint;
using amq::split;
using amq::trim;

namespace {

std::vector<std::string> split_strings(std::string_view s, char sep) {
    std::vector<std::string> out;
    for (std::string_view part : split(s, sep)) out.emplace_back(part);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(split_returns_every_piece_including_empty_ones) {
    std::vector<std::string> expected{"a", "", "b", ""};
    std::vector<std::string> actual = split_strings("a,,b,", ',');
    BOOST_TEST(actual == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(split_without_separator_returns_the_whole_string) {
    std::vector<std::string> expected{"abc"};
    std::vector<std::string> actual = split_strings("abc", ',');
    BOOST_TEST(actual == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(split_of_empty_string_is_one_empty_piece) {
    std::vector<std::string> expected{""};
    std::vector<std::string> actual = split_strings("", ',');
    BOOST_TEST(actual == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(trim_removes_surrounding_whitespace_only) {
    BOOST_TEST(trim("  a b \t\r\n") == "a b");
    BOOST_TEST(trim("abc") == "abc");
    BOOST_TEST(trim(" \t\n ").empty());
    BOOST_TEST(trim("").empty());
}

BOOST_AUTO_TEST_CASE(iequals_ignores_ascii_case) {
    BOOST_TEST(iequals("Content-Type", "content-type"));
    BOOST_TEST(iequals("", ""));
    BOOST_TEST(!iequals("abc", "abd"));
    BOOST_TEST(!iequals("abc", "abcd"));
}

BOOST_AUTO_TEST_CASE(parse_int_accepts_whole_signed_numbers) {
    BOOST_TEST(parse_int("0").value() == 0);
    BOOST_TEST(parse_int("42").value() == 42);
    BOOST_TEST(parse_int("-17").value() == -17);
    BOOST_TEST(parse_int("9223372036854775807").value() ==
               std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(parse_int("-9223372036854775808").value() ==
               std::numeric_limits<std::int64_t>::min());
}

BOOST_AUTO_TEST_CASE(parse_int_rejects_garbage_empty_and_overflow) {
    BOOST_TEST(!parse_int(""));
    BOOST_TEST(!parse_int("12x"));
    BOOST_TEST(!parse_int("x12"));
    BOOST_TEST(!parse_int(" 12"));
    BOOST_TEST(!parse_int("12 "));
    BOOST_TEST(!parse_int("1.5"));
    BOOST_TEST(!parse_int("9223372036854775808"));
}

BOOST_AUTO_TEST_CASE(parse_uint_accepts_whole_unsigned_numbers) {
    BOOST_TEST(parse_uint("0").value() == 0u);
    BOOST_TEST(parse_uint("8080").value() == 8080u);
    BOOST_TEST(parse_uint("18446744073709551615").value() ==
               std::numeric_limits<std::uint64_t>::max());
}

BOOST_AUTO_TEST_CASE(parse_uint_rejects_trailing_garbage_signs_and_overflow) {
    BOOST_TEST(!parse_uint(""));
    BOOST_TEST(!parse_uint("80a"));
    BOOST_TEST(!parse_uint("80 "));
    BOOST_TEST(!parse_uint("-1"));
    BOOST_TEST(!parse_uint("+1"));
    BOOST_TEST(!parse_uint("18446744073709551616"));
}

BOOST_AUTO_TEST_CASE(parse_host_port_reads_ipv4_and_names) {
    auto v4 = parse_host_port("127.0.0.1:8080");
    BOOST_REQUIRE(v4);
    BOOST_TEST(v4->host == "127.0.0.1");
    BOOST_TEST(v4->port == 8080);

    auto name = parse_host_port("localhost:0");
    BOOST_REQUIRE(name);
    BOOST_TEST(name->host == "localhost");
    BOOST_TEST(name->port == 0);

    auto max = parse_host_port("0.0.0.0:65535");
    BOOST_REQUIRE(max);
    BOOST_TEST(max->port == 65535);
}

BOOST_AUTO_TEST_CASE(parse_host_port_reads_bracketed_ipv6) {
    auto v6 = parse_host_port("[::1]:8443");
    BOOST_REQUIRE(v6);
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->port == 8443);

    auto full = parse_host_port("[2001:db8::2]:80");
    BOOST_REQUIRE(full);
    BOOST_TEST(full->host == "2001:db8::2");
    BOOST_TEST(full->port == 80);
}

BOOST_AUTO_TEST_CASE(parse_host_port_requires_a_port) {
    BOOST_TEST(!parse_host_port("127.0.0.1"));
    BOOST_TEST(!parse_host_port("127.0.0.1:"));
    BOOST_TEST(!parse_host_port("[::1]"));
    BOOST_TEST(!parse_host_port("[::1]:"));
    BOOST_TEST(!parse_host_port("[::1]8080"));
}

BOOST_AUTO_TEST_CASE(parse_host_port_rejects_out_of_range_and_garbage_ports) {
    BOOST_TEST(!parse_host_port("127.0.0.1:70000"));
    BOOST_TEST(!parse_host_port("127.0.0.1:65536"));
    BOOST_TEST(!parse_host_port("127.0.0.1:-1"));
    BOOST_TEST(!parse_host_port("127.0.0.1:80x"));
}

BOOST_AUTO_TEST_CASE(parse_host_port_rejects_empty_host_and_unbracketed_ipv6) {
    BOOST_TEST(!parse_host_port(":8080"));
    BOOST_TEST(!parse_host_port("[]:8080"));
    BOOST_TEST(!parse_host_port("::1:8080"));
    BOOST_TEST(!parse_host_port("[::1:8080"));
    BOOST_TEST(!parse_host_port(""));
}

BOOST_AUTO_TEST_CASE(str_cat_concatenates_strings_numbers_chars_and_bools) {
    std::string s = "x";
    BOOST_TEST(amq::str_cat("a", s, std::string_view("b"), 'c', 12, -3, true, false) ==
               "axbc12-3truefalse");
    const char* null_text = nullptr;
    BOOST_TEST(amq::str_cat("[", null_text, "]") == "[]");
}

BOOST_AUTO_TEST_CASE(url_passwords_are_redacted) {
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://u:secret@proxy:3128"),
                      "http://u:***@proxy:3128");
    BOOST_CHECK_EQUAL(amq::redact_url_password("socks5://u:p@h"), "socks5://u:***@h");
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://user:p@ss@host:3128"),
                      "http://user:***@host:3128");
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://proxy:3128"), "http://proxy:3128");
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://user@proxy"), "http://user@proxy");
    BOOST_CHECK_EQUAL(amq::redact_url_password(""), "");
}

BOOST_AUTO_TEST_CASE(a_password_runs_to_the_last_at_whatever_it_holds) {
    for (std::string password :
         {"p@ss", "p:ss", "p/ss", "p#ss", "p?ss", "p%40ss", "a@b:c/d#e", "@", "p@ss@"}) {
        BOOST_TEST_CONTEXT(password) {
            std::string masked =
                amq::redact_url_password("http://user:" + password + "@host:3128/path");
            BOOST_CHECK_EQUAL(masked, "http://user:***@host:3128/path");
        }
    }
    BOOST_CHECK_EQUAL(amq::redact_url_password("user:p@ss@host:3128"), "user:***@host:3128");
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://:p@ss@host"), "http://:***@host");
    // An '@' in a path is taken for the end of a userinfo: too much masked, nothing shown.
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://u:p#w@h:3128/x@y"), "http://u:***@y");
    BOOST_CHECK_EQUAL(amq::redact_url_password("http://h/p:x@y"), "http://h/p:***@y");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_and_valid_text_kept) {
    BOOST_CHECK_EQUAL(amq::valid_utf8("curl/8.0 é 中"), "curl/8.0 é 中");
    BOOST_CHECK_EQUAL(amq::valid_utf8("a\xff"
                                      "b"),
                      "a\xEF\xBF\xBD"
                      "b");
    BOOST_CHECK_EQUAL(amq::valid_utf8("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
    BOOST_CHECK_EQUAL(amq::valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
}

BOOST_AUTO_TEST_CASE(url_decode_undoes_percent_escapes_and_plus) {
    BOOST_TEST((amq::url_decode("a%2Fb+c%7e") == "a/b c~"));
    BOOST_TEST((amq::url_decode(amq::url_encode("ümlaut & =")) == "ümlaut & ="));
    BOOST_TEST(!amq::url_decode("50%").has_value());
    BOOST_TEST(!amq::url_decode("%G1").has_value());
    BOOST_TEST(!amq::url_decode("%4").has_value());
}

BOOST_AUTO_TEST_CASE(query_param_finds_a_decoded_value_before_the_fragment) {
    std::string_view url = "http://h/p?a=1&code=x%20y&flag&b=2#code=frag";
    BOOST_TEST((amq::query_param(url, "code") == "x y"));
    BOOST_TEST((amq::query_param(url, "flag") == ""));
    BOOST_TEST(!amq::query_param(url, "frag").has_value());
    BOOST_TEST(!amq::query_param("http://h/p#code=1", "code").has_value());
    BOOST_TEST(!amq::query_param("http://h/?code=%zz", "code").has_value());
}
