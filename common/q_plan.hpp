// A conversation with every request rule applied (q_request.hpp), as bodies are written from
// it — and what the input estimate counts of each part, so that every count of a prompt
// (the estimate, the prompt prefixes of the cache meter) adds up the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/q_request.hpp"

namespace amq {

// A tool as the upstream gets it (rules 5, 6 and 8).
struct PreparedTool {
    std::string name;
    std::string description;
    std::string schema_json;
};

struct QPlan {
    std::string system;  // the block of system_block(), without the thinking switch
    std::optional<std::int64_t> thinking_budget;
    std::string effort;
    std::vector<QTurn> turns;  // alternating, user first and last
    std::vector<PreparedTool> tools;
};

// Estimated input tokens of each part; a plan's estimate is their sum (at least 1).
std::int64_t system_tokens(const QPlan& plan);
std::int64_t turn_tokens(const QTurn& turn);
std::int64_t tool_tokens(const PreparedTool& tool);

}  // namespace amq
