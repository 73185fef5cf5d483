#include "common/sse.hpp"

namespace amq {

void append_sse_event(std::string& out, std::string_view event, std::string_view data_json) {
    out.append("event: ").append(event).append("\ndata: ").append(data_json).append("\n\n");
}

void append_sse_data(std::string& out, std::string_view data) {
    out.append("data: ").append(data).append("\n\n");
}

}  // namespace amq
