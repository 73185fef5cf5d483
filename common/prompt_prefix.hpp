// The prefixes of a prompt, as the estimated prompt cache meter compares them
// (docs/translation.md §9): the tools and system prompt first, then the conversation up to each
// turn. Each prefix is named by a hash chained over its parts, so equal hashes mean equal
// prompts up to there, and counts the estimated input tokens it holds. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace amq {

struct QPlan;

struct PromptPrefix {
    std::uint64_t hash = 0;
    std::int64_t tokens = 0;  // cumulative: the plan's estimate at the last prefix
};

// A long conversation keeps its first prefix and its deepest ones: a cache hit further back
// than that is counted as written again, which bounds what a request carries to the master.
inline constexpr std::size_t kMaxPromptPrefixes = 256;

// In order, shortest first: tools + system, then after each turn; at most `max` (≥ 2).
std::vector<PromptPrefix> prompt_prefixes(const QPlan& plan, std::size_t max = kMaxPromptPrefixes);

}  // namespace amq
