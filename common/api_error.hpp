// Error bodies in the caller's own API shape:
//   Anthropic {"type":"error","error":{"type":…,"message":…}}
//   OpenAI    {"error":{"message":…,"type":…,"param":null,"code":…}}
#pragma once

#include <string>
#include <string_view>

namespace amq {

enum class Dialect { anthropic, openai };

// The API's error type for an HTTP status (404 → not_found_error, 429 → rate_limit_error…).
std::string_view anthropic_error_type(int status);
std::string_view openai_error_type(int status);

std::string error_body(Dialect dialect, int status, std::string_view message);

}  // namespace amq
