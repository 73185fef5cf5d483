#define BOOST_TEST_MODULE common_time_format
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string_view>

#include "common/time_format.hpp"

using amq::iso8601;
using amq::parse_iso8601;

BOOST_AUTO_TEST_CASE(iso8601_of_zero_is_empty_for_never) { BOOST_TEST(iso8601(0).empty()); }

BOOST_AUTO_TEST_CASE(iso8601_formats_utc_with_a_z_suffix) {
    BOOST_TEST(iso8601(1) == "1970-01-01T00:00:01Z");
    BOOST_TEST(iso8601(1700000000) == "2023-11-14T22:13:20Z");
    BOOST_TEST(iso8601(1801396800) == "2027-01-31T12:00:00Z");
    BOOST_TEST(iso8601(4102444799) == "2099-12-31T23:59:59Z");
}

BOOST_AUTO_TEST_CASE(parse_iso8601_accepts_a_date_as_midnight_utc) {
    BOOST_TEST(parse_iso8601("2027-01-31").value() == 1801353600);
    BOOST_TEST(parse_iso8601("2024-02-29").value() == 1709164800);
}

BOOST_AUTO_TEST_CASE(parse_iso8601_accepts_t_and_z_form) {
    BOOST_TEST(parse_iso8601("2027-01-31T12:00:00Z").value() == 1801396800);
    BOOST_TEST(parse_iso8601("2023-11-14T22:13:20Z").value() == 1700000000);
}

BOOST_AUTO_TEST_CASE(parse_iso8601_accepts_space_separated_form) {
    BOOST_TEST(parse_iso8601("2027-01-31 12:00:00").value() == 1801396800);
}

BOOST_AUTO_TEST_CASE(parse_iso8601_reads_back_what_iso8601_writes) {
    for (std::int64_t t : {std::int64_t{1}, std::int64_t{86399}, std::int64_t{1700000000},
                           std::int64_t{1801396800}, std::int64_t{4102444799}}) {
        BOOST_TEST_CONTEXT("t = " << t) {
            auto parsed = parse_iso8601(iso8601(t));
            BOOST_REQUIRE(parsed);
            BOOST_TEST(*parsed == t);
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_iso8601_rejects_other_shapes) {
    for (std::string_view text : {"", "2027", "2027-01", "31/01/2027", "2027-01-31T", "tomorrow",
                                  "2027-01-31x", "2027-01-31T12:00", "2027-01-31T12:00:00+01:00",
                                  "2027-01-31X12:00:00Z", "2027-01-31T12:00:00Q"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'")
        BOOST_TEST(!parse_iso8601(text));
    }
}

BOOST_AUTO_TEST_CASE(parse_iso8601_rejects_out_of_range_fields) {
    for (std::string_view text :
         {"2027-00-10", "2027-13-10", "2027-01-00", "2027-01-32", "2027-01-31T24:00:00Z",
          "2027-01-31T12:60:00Z", "2027-01-31T12:00:61Z"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'")
        BOOST_TEST(!parse_iso8601(text));
    }
}

BOOST_AUTO_TEST_CASE(parse_iso8601_rejects_garbage_inside_the_time) {
    // "%2d" stops at the 'x', and only the total length is checked afterwards.
    for (std::string_view text : {"2027-01-31T12:00:0x", "2027-01-31T1:00:00ZZ"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'")
        BOOST_TEST(!parse_iso8601(text));
    }
}

BOOST_AUTO_TEST_CASE(parse_iso8601_rejects_negative_time_fields) {
    for (std::string_view text :
         {"2027-01-31T-1:00:00Z", "2027-01-31T12:-5:00Z", "2027-01-31T12:00:-1Z"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'")
        BOOST_TEST(!parse_iso8601(text));
    }
}

BOOST_AUTO_TEST_CASE(parse_iso8601_rejects_days_beyond_the_end_of_the_month) {
    // timegm() normalises 2027-02-31 to 2027-03-03 instead of failing.
    for (std::string_view text : {"2027-02-31", "2027-02-29", "2027-04-31T00:00:00Z"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'")
        BOOST_TEST(!parse_iso8601(text));
    }
}

BOOST_AUTO_TEST_CASE(iso8601_millis_keeps_three_digits) {
    BOOST_TEST(amq::iso8601_millis(1764355829042) == "2025-11-28T18:50:29.042Z");
    BOOST_TEST(amq::iso8601_millis(1764355829000) == "2025-11-28T18:50:29.000Z");
}
