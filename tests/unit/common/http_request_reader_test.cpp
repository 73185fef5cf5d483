#define BOOST_TEST_MODULE common_http_request_reader
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/http_request_reader.hpp"

using amq::HttpLimits;
using amq::HttpRequestReader;
using Progress = HttpRequestReader::Progress;

namespace {

// Feeds `input` whole (or in pieces of `step` bytes) until the request completes or fails.
struct Outcome {
    Progress progress = Progress::more;
    std::size_t consumed = 0;
    bool saw_head = false;
};

Outcome feed(HttpRequestReader& reader, std::string_view input, std::size_t step = 0) {
    Outcome out;
    std::size_t offset = 0;
    for (int guard = 0; guard < 1000000; ++guard) {
        std::size_t n = step == 0 ? input.size() - offset : std::min(step, input.size() - offset);
        std::size_t consumed = 0;
        out.progress = reader.read(input.substr(offset, n), consumed);
        offset += consumed;
        out.consumed = offset;
        if (out.progress == Progress::head) {
            out.saw_head = true;
            continue;
        }
        if (out.progress != Progress::more || offset == input.size()) return out;
    }
    BOOST_FAIL("the reader made no progress");
    return out;
}

HttpLimits small_limits() {
    HttpLimits limits;
    limits.max_head = 1024;
    limits.max_fields = 8;
    limits.max_field = 300;
    limits.max_target = 100;
    limits.max_body = 1000;
    return limits;
}

void expect_rejected(std::string_view input, int status, std::string_view words) {
    BOOST_TEST_CONTEXT("input " << std::string(input.substr(0, 80))) {
        HttpRequestReader reader(small_limits());
        Outcome out = feed(reader, input);
        BOOST_REQUIRE((out.progress == Progress::rejected));
        BOOST_TEST(reader.reject_status() == status);
        BOOST_TEST(reader.reject_message().find(words) != std::string::npos,
                   reader.reject_message());
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_a_request_with_a_body_and_canonicalises_it) {
    HttpRequestReader reader(small_limits());
    std::string input =
        "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nX-Api-Key:  k1 \r\n"
        "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello";
    Outcome out = feed(reader, input);
    BOOST_REQUIRE((out.progress == Progress::complete));
    BOOST_TEST(out.saw_head);
    BOOST_TEST(out.consumed == input.size());
    BOOST_TEST(reader.head().method == "POST");
    BOOST_TEST(reader.head().target == "/v1/messages?beta=true");
    BOOST_TEST(reader.head().expect_continue);
    BOOST_TEST(reader.head().keep_alive);
    BOOST_TEST(reader.body() == "hello");
    BOOST_TEST(reader.canonical_head() ==
               "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nX-Api-Key: k1\r\n"
               "Content-Length: 5\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(byte_by_byte_gives_the_same_request) {
    HttpRequestReader reader(small_limits());
    std::string input = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    Outcome out = feed(reader, input, 1);
    BOOST_REQUIRE((out.progress == Progress::complete));
    BOOST_TEST(reader.body() == "abc");
}

BOOST_AUTO_TEST_CASE(stops_at_the_end_of_a_request_leaving_the_pipelined_next) {
    HttpRequestReader reader(small_limits());
    std::string first = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string second = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
    Outcome out = feed(reader, first + second);
    BOOST_REQUIRE((out.progress == Progress::complete));
    BOOST_TEST(out.consumed == first.size());
    BOOST_TEST(reader.head().target == "/health");
    reader.next_request();
    BOOST_TEST(!reader.started());
    out = feed(reader, second);
    BOOST_REQUIRE((out.progress == Progress::complete));
    BOOST_TEST(reader.head().target == "/v1/models");
}

BOOST_AUTO_TEST_CASE(decodes_chunks_with_extensions_and_trailers) {
    HttpRequestReader reader(small_limits());
    std::string input =
        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value\r\nhello\r\n1 ; ext\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        reader.next_request();
        Outcome out = feed(reader, input, step);
        BOOST_REQUIRE((out.progress == Progress::complete));
        BOOST_TEST(reader.body() == "hello!");
        BOOST_TEST(reader.canonical_head() ==
                   "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n");
    }
}

BOOST_AUTO_TEST_CASE(a_request_without_a_body_completes_at_its_head) {
    HttpRequestReader reader(small_limits());
    std::size_t consumed = 0;
    BOOST_TEST((reader.read("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", consumed) == Progress::head));
    BOOST_TEST(!reader.has_body());
    BOOST_TEST((reader.read("", consumed) == Progress::complete));
}

BOOST_AUTO_TEST_CASE(ignores_empty_lines_before_the_request_line_and_reads_absolute_form) {
    HttpRequestReader reader(small_limits());
    Outcome out = feed(
        reader, "\r\n\r\nGET http://example.com:8080/v1/models?x=1 HTTP/1.1\r\nHost: y\r\n\r\n");
    BOOST_REQUIRE((out.progress == Progress::complete));
    BOOST_TEST(reader.head().target == "/v1/models?x=1");
}

BOOST_AUTO_TEST_CASE(keep_alive_follows_version_and_connection) {
    struct Case {
        std::string_view input;
        bool keep_alive;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
    };
    for (const Case& c : cases) {
        HttpRequestReader reader(small_limits());
        BOOST_REQUIRE((feed(reader, c.input).progress == Progress::complete));
        BOOST_TEST(reader.head().keep_alive == c.keep_alive);
    }
}

BOOST_AUTO_TEST_CASE(drops_the_form_content_type_that_libevhtp_would_parse_as_a_query) {
    HttpRequestReader reader(small_limits());
    BOOST_REQUIRE((feed(reader,
                        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        "application/x-www-form-urlencoded\r\nContent-Length: 2\r\n\r\n{}")
                       .progress == Progress::complete));
    BOOST_TEST(reader.canonical_head() ==
               "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_lines_with_400) {
    expect_rejected("GET / HTTP/1.1\nHost: x\n\n", 400, "bare LF");
    expect_rejected("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400, "bare CR");
    expect_rejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n", 400, "obs-fold");
    expect_rejected("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, "without ':'");
    expect_rejected("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "invalid field name");
    expect_rejected(
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01"
        "b\r\n\r\n",
        400, "control character");
    expect_rejected("GET /\r\n\r\n", 400, "request line");
    expect_rejected("GET  / HTTP/1.1\r\n\r\n", 400, "request line");
    expect_rejected("GET relative HTTP/1.1\r\n\r\n", 400, "must be a path");
    expect_rejected("GET / FOO/1.1\r\n\r\n", 400, "protocol version");
    expect_rejected("GET / HTTP/1.1\r\n\r\n", 400, "Host");
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host");
}

BOOST_AUTO_TEST_CASE(rejects_unsupported_versions_codings_and_expectations) {
    expect_rejected("GET / HTTP/2.0\r\n\r\n", 505, "not supported");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
                    "chunked");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417, "100-continue");
}

BOOST_AUTO_TEST_CASE(rejects_ambiguous_framing_that_smuggles_requests) {
    expect_rejected(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400, "both");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                    400, "Content-Length");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400,
                    "Content-Length");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                    400, "Content-Length");
    expect_rejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
                    "chunk size");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                    400, "longer than its size");
}

BOOST_AUTO_TEST_CASE(enforces_every_limit_with_the_status_http_prescribes) {
    expect_rejected("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n", 414, "target");
    expect_rejected("GET /" + std::string(5000, 'a'), 414, "target");  // before its end arrives
    std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 9; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
    expect_rejected(many + "\r\n", 431, "header fields");
    expect_rejected("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(400, 'v'), 431,
                    "header field larger");
    std::string big = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 6; ++i)
        big += "X-" + std::to_string(i) + ": " + std::string(250, 'v') + "\r\n";
    expect_rejected(big, 431, "header section");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413, "body");
    expect_rejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413,
                    "body");
    std::string chunks = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 11; ++i) chunks += "64\r\n" + std::string(100, 'b') + "\r\n";
    expect_rejected(chunks, 413, "body");
    std::string empty_lines;
    for (int i = 0; i < 600; ++i) empty_lines += "\r\n";
    expect_rejected(empty_lines, 431, "header section");
}

BOOST_AUTO_TEST_CASE(the_target_is_known_when_a_later_line_is_rejected) {
    HttpRequestReader reader(small_limits());
    feed(reader, "POST /v1/chat/completions HTTP/1.1\r\nBad Name: x\r\n\r\n");
    BOOST_TEST(reader.head().target == "/v1/chat/completions");
}
