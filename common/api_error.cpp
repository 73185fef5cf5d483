#include "common/api_error.hpp"

#include "common/json.hpp"

namespace amq {

std::string_view anthropic_error_type(int status) {
    switch (status) {
        case 401: return "authentication_error";
        case 403: return "permission_error";
        case 404: return "not_found_error";
        case 413: return "request_too_large";
        case 429: return "rate_limit_error";
        case 503:
        case 529: return "overloaded_error";
        default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

std::string_view openai_error_type(int status) {
    switch (status) {
        case 401: return "authentication_error";
        case 403: return "permission_error";
        case 404: return "not_found_error";
        case 429: return "rate_limit_error";
        default: return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

std::string_view openai_error_code(int status, std::string_view message) {
    if (message.starts_with("prompt is too long")) return "context_length_exceeded";
    if (status == 429) return "rate_limit_exceeded";
    return "";
}

int http_status(Errc code) {
    switch (code) {
        case Errc::invalid_argument: return 400;
        case Errc::unauthenticated: return 401;
        case Errc::permission_denied: return 403;
        case Errc::not_found: return 404;
        case Errc::conflict: return 409;
        case Errc::too_large: return 413;
        case Errc::rate_limited: return 429;
        case Errc::unavailable: return 503;
        case Errc::storage_full: return 507;
        case Errc::io:
        case Errc::protocol:
        case Errc::internal: return 500;
    }
    return 500;
}

Dialect dialect_for_path(std::string_view path) {
    if (path.starts_with("/v1/chat/") || path.starts_with("/v1/completions") ||
        path.starts_with("/v1/responses"))
        return Dialect::openai;
    if (path.starts_with("/admin/")) return Dialect::admin;
    return Dialect::anthropic;
}

std::string error_body(Dialect dialect, int status, std::string_view message) {
    if (dialect == Dialect::admin) {
        return json_object([&](JsonWriter& w) {
            w.Key("detail");
            write_string(w, message);
        });
    }
    if (dialect == Dialect::anthropic) {
        return json_object([&](JsonWriter& w) {
            w.Key("type");
            w.String("error");
            w.Key("error");
            w.StartObject();
            w.Key("type");
            write_string(w, anthropic_error_type(status));
            w.Key("message");
            write_string(w, message);
            w.EndObject();
        });
    }
    return json_object([&](JsonWriter& w) {
        w.Key("error");
        w.StartObject();
        w.Key("message");
        write_string(w, message);
        w.Key("type");
        write_string(w, openai_error_type(status));
        w.Key("param");
        w.Null();
        w.Key("code");
        if (std::string_view code = openai_error_code(status, message); code.empty())
            w.Null();
        else
            write_string(w, code);
        w.EndObject();
    });
}

}  // namespace amq
