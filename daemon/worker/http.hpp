// One HTTP exchange on libevhtp, seen by route handlers: headers in, a complete reply out.
#pragma once

#include <evhtp.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/api_error.hpp"

namespace amq {

// evhtp takes every hook as one generic function pointer type.
template <class Fn>
evhtp_hook as_hook(Fn* fn) {
    return reinterpret_cast<evhtp_hook>(reinterpret_cast<void (*)()>(fn));
}

struct Route;

struct HttpRequest {
    evhtp_request_t* req;
    std::string_view path;
    const Route* route = nullptr;          // the route that matched, if any
    std::vector<std::string_view> params;  // the route's "{}" segments
    std::string id;                        // request-id: in the response and every log line
    std::string client;  // the peer's address, or the client a trusted proxy names

    std::optional<std::string_view> header(const char* name) const;
    std::optional<std::string_view> query(const char* name) const;  // a query string parameter
    std::string_view body();  // linearises the body buffer (bounded by max-body-size)
    // x-api-key, else Authorization: Bearer (never the query string).
    std::optional<std::string_view> api_key() const;

    void add_header(std::string_view name, std::string_view value);
    void send(int status, std::string_view content_type, std::string_view body);
    void send_json(int status, std::string_view body) { send(status, "application/json", body); }
    void send_error(Dialect dialect, int status, std::string_view message);
    // The JSON body of an API call; nullopt once 400 (not JSON, or nested too deep, or not
    // UTF-8) has been answered.
    std::optional<rapidjson::Document> api_call_body(Dialect dialect);
    void add_rate_headers(std::int64_t limit, std::int64_t remaining, std::int64_t reset_ms);
};

// x-ratelimit-limit-requests, -remaining-requests, -reset-requests ("12s"): (name, value).
std::array<std::pair<std::string_view, std::string>, 3> rate_headers(std::int64_t limit,
                                                                     std::int64_t remaining,
                                                                     std::int64_t reset_ms);

// The connection closes after this request's answer, which says "Connection: close" when its
// head has not gone out yet. (evhtp_request_set_keepalive(req, 0) does nothing in 1.2.18.)
void end_keep_alive(evhtp_request_t* req);

// "127.0.0.1", "::1"; "" for anything else.
std::string peer_address(const sockaddr* address);

}  // namespace amq
