#define BOOST_TEST_MODULE common_config_file
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/config_file.hpp"

using amq::ConfigEntry;
using amq::parse_config_text;
using amq::quote_config_value;

namespace {

std::vector<ConfigEntry> entries_of(std::string_view text) {
    auto entries = parse_config_text(text, "f.conf");
    if (!entries) BOOST_FAIL("parse_config_text failed: " << entries.error().message);
    return std::move(entries).value();
}

// The value of the only line of `text`.
std::string value_of(std::string_view text) {
    auto entries = entries_of(text);
    BOOST_REQUIRE_EQUAL(entries.size(), 1u);
    return entries.front().value;
}

std::string error_of(std::string_view text) {
    auto entries = parse_config_text(text, "f.conf");
    if (entries) BOOST_FAIL("parse_config_text accepted: " << text);
    BOOST_TEST((entries.error().code == amq::Errc::invalid_argument));
    return entries.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_value_is_the_whole_rest_of_the_line) {
    BOOST_TEST(value_of("model-map = a=b, default=c\n") == "a=b, default=c");
    BOOST_TEST(value_of("model-map = gpt-4o=claude-sonnet-4.5, default=claude-sonnet-4.5") ==
               "gpt-4o=claude-sonnet-4.5, default=claude-sonnet-4.5");
}

BOOST_AUTO_TEST_CASE(spaces_inside_a_value_are_kept) {
    BOOST_TEST(value_of("state-dir = /srv/my data") == "/srv/my data");
    BOOST_TEST(value_of("state-dir=/srv/my  data  \t") == "/srv/my  data");
}

BOOST_AUTO_TEST_CASE(a_hash_inside_quotes_or_a_word_is_part_of_the_value) {
    BOOST_TEST(value_of(R"(proxy = "http://u:p#w@h:3128")") == "http://u:p#w@h:3128");
    BOOST_TEST(value_of("proxy = http://u:p#w@h:3128") == "http://u:p#w@h:3128");
    BOOST_TEST(value_of(R"(proxy = "a # b" # why)") == "a # b");
}

BOOST_AUTO_TEST_CASE(a_hash_after_a_blank_or_at_the_start_of_a_value_begins_a_comment) {
    BOOST_TEST(value_of("workers = 3 # three") == "3");
    BOOST_TEST(value_of("workers = 3\t#three") == "3");
    BOOST_TEST(value_of("proxy = # direct") == "");
    BOOST_TEST(value_of("proxy =#direct") == "");
}

BOOST_AUTO_TEST_CASE(quotes_unescape_only_quote_and_backslash) {
    BOOST_TEST(value_of(R"(k = "say \"hi\" \\ bye")") == R"(say "hi" \ bye)");
    BOOST_TEST(value_of(R"(k = "")") == "");
    BOOST_TEST(value_of(R"(k = "  padded  ")") == "  padded  ");
    BOOST_TEST(value_of(R"(k = a"b)") == R"(a"b)");        // only a leading quote opens one
    BOOST_TEST(value_of(R"(k = C:\dir)") == R"(C:\dir)");  // unquoted: no escapes
}

BOOST_AUTO_TEST_CASE(broken_quoting_is_an_error_with_file_line_and_key) {
    BOOST_TEST(error_of("\nk = \"open") == "f.conf:2: k: the closing quote is missing");
    BOOST_TEST(error_of(R"(k = "a\nb")") ==
               R"(f.conf:1: k: inside quotes a backslash may only precede " or \)");
    BOOST_TEST(error_of(R"(k = "a" b)") == "f.conf:1: k: unexpected 'b' after the closing quote");
    BOOST_TEST(error_of(R"(k = "a\")") == "f.conf:1: k: the closing quote is missing");
}

BOOST_AUTO_TEST_CASE(comment_and_blank_lines_are_skipped_and_lines_keep_their_numbers) {
    auto entries = entries_of(
        "# comment\n"
        "  ; another\n"
        "\n"
        "\t\n"
        "listen = 127.0.0.1:1\r\n"
        "   workers=2\n"
        "  # indented = comment\n"
        "workers = 3");
    BOOST_REQUIRE_EQUAL(entries.size(), 3u);
    BOOST_TEST(entries[0].key == "listen");
    BOOST_TEST(entries[0].value == "127.0.0.1:1");
    BOOST_TEST(entries[0].line == 5u);
    BOOST_TEST(entries[1].key == "workers");
    BOOST_TEST(entries[1].value == "2");
    BOOST_TEST(entries[1].line == 6u);
    BOOST_TEST(entries[2].value == "3");  // a key set twice stays twice: the reader decides
    BOOST_TEST(entries[2].line == 8u);
}

BOOST_AUTO_TEST_CASE(an_empty_text_has_no_entries) {
    BOOST_TEST(entries_of("").empty());
    BOOST_TEST(entries_of("\n\n# only comments\n").empty());
}

BOOST_AUTO_TEST_CASE(an_empty_value_is_an_entry) {
    BOOST_TEST(value_of("proxy =") == "");
    BOOST_TEST(value_of("proxy =   ") == "");
}

BOOST_AUTO_TEST_CASE(a_line_without_equals_is_an_error_naming_file_and_line) {
    BOOST_TEST(error_of("workers = 2\nworkers 3\n") == "f.conf:2: expected key = value");
    BOOST_TEST(error_of("listen [::1]:8080") == "f.conf:1: expected key = value");
}

BOOST_AUTO_TEST_CASE(a_section_header_is_refused) {
    std::string message = error_of("workers = 2\n[amq2apid]\nlisten = 127.0.0.1:1\n");
    BOOST_TEST(message.starts_with("f.conf:2: sections such as [name] are not used"), message);
}

BOOST_AUTO_TEST_CASE(a_line_without_a_key_is_an_error) {
    BOOST_TEST(error_of("  = 3") == "f.conf:1: the key before '=' is missing");
}

BOOST_AUTO_TEST_CASE(quoted_values_read_back_unchanged) {
    for (std::string value : {"", "plain", "/srv/my data", " leading", "trailing\t", "a#b", "a # b",
                              "\"quoted\"", "back\\slash", "a\"b", "http://u:p@ss@h:1"}) {
        BOOST_TEST_CONTEXT("value '" << value << "'") {
            BOOST_TEST(value_of("k = " + quote_config_value(value)) == value);
        }
    }
}

BOOST_AUTO_TEST_CASE(plain_values_are_written_without_quotes) {
    BOOST_TEST(quote_config_value("127.0.0.1:8080") == "127.0.0.1:8080");
    BOOST_TEST(quote_config_value("a=b, default=c") == "a=b, default=c");
    BOOST_TEST(quote_config_value("") == R"("")");
    BOOST_TEST(quote_config_value("a#b") == R"("a#b")");
    BOOST_TEST(quote_config_value(R"(say "x")") == R"(say "x")");
    BOOST_TEST(quote_config_value(R"("x")") == R"("\"x\"")");
}
