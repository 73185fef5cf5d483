#include "daemon/worker/http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

std::optional<std::string_view> HttpRequest::header(const char* name) const {
    const char* v = evhtp_header_find(req->headers_in, name);
    if (!v) return std::nullopt;
    return std::string_view(v);
}

std::optional<std::string_view> HttpRequest::query(const char* name) const {
    if (!req->uri || !req->uri->query) return std::nullopt;
    const char* v = evhtp_kv_find(req->uri->query, name);
    if (!v) return std::nullopt;
    return std::string_view(v);
}

std::string_view HttpRequest::body() {
    size_t n = evbuffer_get_length(req->buffer_in);
    if (n == 0) return {};
    auto* bytes =
        reinterpret_cast<const char*>(evbuffer_pullup(req->buffer_in, static_cast<ssize_t>(n)));
    return std::string_view(bytes, n);
}

std::optional<std::string_view> HttpRequest::api_key() const {
    if (auto key = header("x-api-key"); key && !trim(*key).empty()) return trim(*key);
    auto auth = header("authorization");
    if (!auth) return std::nullopt;
    std::string_view v = trim(*auth);
    if (v.size() > 7 && iequals(v.substr(0, 7), "bearer ")) {
        std::string_view token = trim(v.substr(7));
        if (!token.empty()) return token;
    }
    return std::nullopt;
}

void end_keep_alive(evhtp_request_t* req) { req->flags &= ~EVHTP_REQ_FLAG_KEEPALIVE; }

std::string peer_address(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
    return buf;
}

void HttpRequest::add_header(std::string_view name, std::string_view value) {
    std::string k(name), v(value);
    evhtp_headers_add_header(req->headers_out, evhtp_header_new(k.c_str(), v.c_str(), 1, 1));
}

void HttpRequest::send(int status, std::string_view content_type, std::string_view body) {
    add_header("Content-Type", content_type);
    // HEAD: the length the body would have, without the body.
    if (req->method == htp_method_HEAD)
        add_header("Content-Length", str_cat(body.size()));
    else
        evbuffer_add(req->buffer_out, body.data(), body.size());
    evhtp_send_reply(req, static_cast<evhtp_res>(status));
}

std::array<std::pair<std::string_view, std::string>, 3> rate_headers(std::int64_t limit,
                                                                     std::int64_t remaining,
                                                                     std::int64_t reset_ms) {
    return {{{"x-ratelimit-limit-requests", str_cat(limit)},
             {"x-ratelimit-remaining-requests", str_cat(remaining)},
             {"x-ratelimit-reset-requests", str_cat((reset_ms + 999) / 1000, "s")}}};
}

void HttpRequest::add_rate_headers(std::int64_t limit, std::int64_t remaining,
                                   std::int64_t reset_ms) {
    for (const auto& [name, value] : rate_headers(limit, remaining, reset_ms))
        add_header(name, value);
}

void HttpRequest::send_error(Dialect dialect, int status, std::string_view message) {
    send_json(status, error_body(dialect, status, message));
}

std::optional<rapidjson::Document> HttpRequest::api_call_body(Dialect dialect) {
    auto doc = parse_request_json(body());
    if (!doc) {
        send_error(dialect, 400, str_cat("request body: ", doc.error().message));
        return std::nullopt;
    }
    return std::move(*doc);
}

}  // namespace amq
