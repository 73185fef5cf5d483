// Driving an answer stream (AnswerStream) through whole upstream replies, and splitting the SSE
// text it writes into its events.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/q_events.hpp"

namespace amq::test {

// The SSE text of a whole stream: start, the events in order, finish.
template <class Stream>
std::string replay(Stream& s, const std::vector<QEvent>& events) {
    std::string sse = s.start();
    for (const QEvent& e : events) sse += s.on_event(e);
    sse += s.finish();
    return sse;
}

// The events of an SSE text, each without the blank line that ends it; fails the test when
// the text does not end with one.
inline std::vector<std::string_view> sse_events(std::string_view sse) {
    std::vector<std::string_view> events;
    while (!sse.empty()) {
        std::size_t end = sse.find("\n\n");
        BOOST_REQUIRE(end != std::string_view::npos);
        events.push_back(sse.substr(0, end));
        sse.remove_prefix(end + 2);
    }
    return events;
}

}  // namespace amq::test
