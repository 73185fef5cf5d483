#define BOOST_TEST_MODULE pg_copy_text
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "daemon/master/pg_copy_text.hpp"

using namespace amq;

namespace {

std::vector<std::string> parsed(std::string_view line) {
    auto fields = parse_copy_row(line);
    BOOST_REQUIRE_MESSAGE(fields.ok(), (fields.ok() ? std::string() : fields.error().message));
    return *fields;
}

}  // namespace

BOOST_AUTO_TEST_CASE(text_that_would_break_a_row_is_escaped) {
    BOOST_CHECK_EQUAL(copy_text("plain"), "plain");
    BOOST_CHECK_EQUAL(copy_text("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
}

BOOST_AUTO_TEST_CASE(bytes_travel_as_hex) {
    BOOST_CHECK_EQUAL(copy_bytes(std::string("\0\xff"
                                             "A",
                                             3)),
                      "\\\\x00ff41");
    BOOST_CHECK_EQUAL(copy_bytes(""), "\\\\x");
}

BOOST_AUTO_TEST_CASE(a_row_is_fields_joined_by_tabs) {
    std::string out;
    append_copy_row(out, {"1", copy_text("x\ty"), copy_bytes("z")});
    BOOST_CHECK_EQUAL(out, "1\tx\\ty\t\\\\x7a\n");
}

// What COPY … TO writes comes back as the values that went in, whatever the bytes.
BOOST_AUTO_TEST_CASE(rows_round_trip) {
    std::string odd("n\0ul\xfe\t\n\\", 8);
    std::string row;
    append_copy_row(row, {copy_text("a\tb\\c"), copy_bytes(odd), "42"});
    row.pop_back();  // copy_out hands rows over without their newline
    auto fields = parsed(row);
    BOOST_REQUIRE_EQUAL(fields.size(), 3u);
    BOOST_CHECK_EQUAL(fields[0], "a\tb\\c");
    auto bytes = bytes_of(fields[1]);
    BOOST_REQUIRE(bytes.ok());
    BOOST_CHECK_EQUAL(*bytes, odd);
    BOOST_CHECK_EQUAL(fields[2], "42");
}

BOOST_AUTO_TEST_CASE(every_escape_copy_writes_is_read) {
    auto fields = parsed("\\b\\f\\n\\r\\t\\v\\\\\t");
    BOOST_REQUIRE_EQUAL(fields.size(), 2u);
    BOOST_CHECK_EQUAL(fields[0], "\b\f\n\r\t\v\\");
    BOOST_CHECK_EQUAL(fields[1], "");
}

BOOST_AUTO_TEST_CASE(malformed_rows_are_refused) {
    for (std::string_view bad : {"a\\", "\\N", "x\t\\N", "\\q"}) {
        auto fields = parse_copy_row(bad);
        BOOST_REQUIRE(!fields.ok());
        BOOST_CHECK_EQUAL(errc_name(fields.error().code), errc_name(Errc::protocol));
    }
    for (std::string_view bad : {"", "\\x0", "\\xzz", "00ff"}) BOOST_CHECK(!bytes_of(bad).ok());
}
