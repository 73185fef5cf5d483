#define BOOST_TEST_MODULE multipart
#include <boost/test/unit_test.hpp>

#include "common/multipart.hpp"

using amq::parse_multipart;

BOOST_AUTO_TEST_CASE(files_and_fields_are_split_with_their_names) {
    std::string body =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n"
        "Content-Type: application/json\r\n\r\n"
        "{\"refreshToken\":\"r\"}\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
        "line one\r\nline two\r\n"
        "--XyZ--\r\n";
    auto parts = parse_multipart(body, "multipart/form-data; boundary=XyZ");
    BOOST_REQUIRE(parts);
    BOOST_REQUIRE_EQUAL(parts->size(), 2u);
    BOOST_CHECK_EQUAL((*parts)[0].name, "file");
    BOOST_CHECK_EQUAL((*parts)[0].filename, "a.json");
    BOOST_CHECK_EQUAL((*parts)[0].content_type, "application/json");
    BOOST_CHECK_EQUAL((*parts)[0].data, "{\"refreshToken\":\"r\"}");
    BOOST_CHECK_EQUAL((*parts)[1].filename, "");
    BOOST_CHECK_EQUAL((*parts)[1].data, "line one\r\nline two");
}

BOOST_AUTO_TEST_CASE(quoted_boundaries_work) {
    std::string body = "--a b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--a b--";
    auto parts = parse_multipart(body, "multipart/form-data; boundary=\"a b\"");
    BOOST_REQUIRE(parts);
    BOOST_CHECK_EQUAL((*parts)[0].data, "x");
}

BOOST_AUTO_TEST_CASE(broken_bodies_are_errors_not_crashes) {
    BOOST_CHECK(!parse_multipart("anything", "multipart/form-data"));
    BOOST_CHECK(!parse_multipart("no delimiter here", "multipart/form-data; boundary=B"));
    BOOST_CHECK(!parse_multipart("--B\r\nContent-Disposition: form-data\r\n\r\nunterminated",
                                 "multipart/form-data; boundary=B"));
    BOOST_CHECK(
        !parse_multipart("--B\r\nno blank line\r\n--B--", "multipart/form-data; boundary=B"));
    BOOST_CHECK(!parse_multipart("--Bjunk", "multipart/form-data; boundary=B"));
}
