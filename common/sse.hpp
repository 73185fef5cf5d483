// Server-sent events framing (text/event-stream) for the streaming APIs.
#pragma once

#include <string>
#include <string_view>

namespace amq {

// "event: <event>\ndata: <data_json>\n\n". The data must be one line: JSON from our writer
// never holds a raw newline (strings escape it), and a newline would split the event.
std::string sse_event(std::string_view event, std::string_view data_json);

// "data: <data>\n\n" without an event name (OpenAI's chunks and its "[DONE]").
std::string sse_data(std::string_view data);

}  // namespace amq
