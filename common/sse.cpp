#include "common/sse.hpp"

#include "common/strings.hpp"

namespace amq {

std::string sse_event(std::string_view event, std::string_view data_json) {
    return str_cat("event: ", event, "\ndata: ", data_json, "\n\n");
}

std::string sse_data(std::string_view data) { return str_cat("data: ", data, "\n\n"); }

}  // namespace amq
