// Error bodies in the caller's own API shape:
//   Anthropic {"type":"error","error":{"type":…,"message":…}}
//   OpenAI    {"error":{"message":…,"type":…,"param":null,"code":…}}
//   admin API {"detail":…}
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace amq {

enum class Dialect { anthropic, openai, admin };

// Whose shape an answer to this path takes when no route has said (/v1/chat/… and
// /v1/responses are OpenAI's, /admin/… the admin API's, everything else Anthropic's).
Dialect dialect_for_path(std::string_view path);

// The API's error type for an HTTP status (404 → not_found_error, 429 → rate_limit_error…).
std::string_view anthropic_error_type(int status);
std::string_view openai_error_type(int status);
// OpenAI's machine-readable code where clients act on one (Codex stops on
// context_length_exceeded and backs off on rate_limit_exceeded); "" for null.
std::string_view openai_error_code(int status, std::string_view message);

std::string error_body(Dialect dialect, int status, std::string_view message);

// The HTTP status an error value means at the API boundary (not_found → 404, conflict → 409…).
int http_status(Errc code);

}  // namespace amq
