// Server-sent events framing (text/event-stream) for the streaming APIs. Frames are appended
// to the caller's buffer, which collects all the frames of one upstream event.
#pragma once

#include <string>
#include <string_view>

namespace amq {

// "event: <event>\ndata: <data_json>\n\n". The data must be one line: JSON from our writer
// never holds a raw newline (strings escape it), and a newline would split the event.
void append_sse_event(std::string& out, std::string_view event, std::string_view data_json);

// "data: <data>\n\n" without an event name (OpenAI's chunks and its "[DONE]").
void append_sse_data(std::string& out, std::string_view data);

}  // namespace amq
