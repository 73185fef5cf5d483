#define BOOST_TEST_MODULE common_sse
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "common/json.hpp"
#include "common/sse.hpp"

BOOST_AUTO_TEST_CASE(event_has_name_one_data_line_and_a_blank_line) {
    std::string out = "before\n\n";
    amq::append_sse_event(out, "ping", R"({"type":"ping"})");
    BOOST_TEST(out == "before\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n");
}

BOOST_AUTO_TEST_CASE(json_from_our_writer_stays_on_one_line) {
    std::string data = amq::json_object([](amq::JsonWriter& w) {
        w.Key("text");
        amq::write_string(w, "line one\nline two\r\n");
    });
    std::string event;
    amq::append_sse_event(event, "content_block_delta", data);
    BOOST_TEST(event.find('\n') == std::string("event: content_block_delta").size());
    BOOST_TEST(event.find('\r') == std::string::npos);
    BOOST_TEST(event.ends_with("\"}\n\n"));
    // Three: ending the event line, ending the data line, and the blank line.
    BOOST_TEST(std::count(event.begin(), event.end(), '\n') == 3);
}

BOOST_AUTO_TEST_CASE(data_only_event) {
    std::string out;
    amq::append_sse_data(out, "[DONE]");
    BOOST_TEST(out == "data: [DONE]\n\n");
}
