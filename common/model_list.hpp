// GET /v1/models and /v1/models/{id} bodies in both APIs' shapes. The list is the client-facing
// names of the configured model map. Pure: the creation time comes in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace amq {

// "claude-sonnet-4-5" → "Claude Sonnet 4.5"; other names are returned as they are.
std::string model_display_name(std::string_view id);

std::string openai_model_list(const std::vector<std::string>& ids, std::int64_t created);
std::string openai_model(std::string_view id, std::int64_t created);
std::string anthropic_model_list(const std::vector<std::string>& ids, std::int64_t created);
std::string anthropic_model(std::string_view id, std::int64_t created);

}  // namespace amq
