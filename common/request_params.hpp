// The shape of a request's scalar parameters (max_tokens, temperature, stop, …), checked the
// way the APIs themselves check them: the upstream ignores most of them, but a client that
// sends "temperature": "hot" or no max_tokens has a bug it should hear about, not a 200.
// Pure.
#pragma once

#include <limits>
#include <span>
#include <string_view>

#include <rapidjson/document.h>

#include "common/result.hpp"

namespace amq {

enum class ParamKind { number, integer, boolean, string, string_list, object };

struct ParamRule {
    const char* name;
    ParamKind kind;
    bool required = false;
    double min = -std::numeric_limits<double>::infinity();  // number and integer only
    double max = std::numeric_limits<double>::infinity();
};

// invalid_argument naming the first parameter that breaks its rule ("max_tokens: Field
// required", "temperature: must be a number between 0 and 1"). JSON null counts as absent.
Status check_params(const rapidjson::Value& request, std::span<const ParamRule> rules);

// Model names end up in logs, usage records and per-model rollups kept for good: a name is
// 1 to 256 bytes without control characters.
inline constexpr std::size_t kMaxModelName = 256;
Status check_model_name(std::string_view name);

}  // namespace amq
