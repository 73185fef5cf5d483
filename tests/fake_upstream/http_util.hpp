// Small helpers over libevent's evhttp requests.
#pragma once

#include <string>
#include <string_view>

#include <event2/http.h>

#include "tests/fake_upstream/script.hpp"

namespace fake {

// The request body, made contiguous in place (no copy).
std::string_view request_body(evhttp_request* req);

// A request header's value, or "" when absent.
std::string_view request_header(evhttp_request* req, const char* name);

// The token of "Authorization: Bearer <token>", or "".
std::string_view bearer_token(evhttp_request* req);

// The path without the query.
std::string_view request_path(evhttp_request* req);

// Every request header with its name in lower case, in arrival order.
HeaderList lower_case_headers(evhttp_request* req);

// True when the body is one well-formed JSON object (validated without building a DOM).
bool is_json_object(std::string_view body);

void add_header(evhttp_request* req, const std::string& name, const std::string& value);

// A complete (non-streamed) answer.
void send_body(evhttp_request* req, int status, const char* content_type, std::string_view body);

}  // namespace fake
