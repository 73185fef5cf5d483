// The estimated prompt cache (docs/translation.md §9): when the upstream says nothing of its
// cache, a request's input is split into what a prompt cache would have read and what it
// would have written, from the prompt prefixes (prompt_prefix.hpp) the same key and session
// sent before. The deepest prefix seen within the TTL is read; the rest is written; every
// prefix of the request is then remembered (a hit refreshes its TTL, as Anthropic's does).
// Scopes (key, session) never see each other's prefixes. Memory is bounded: a scope keeps at
// most max_per_scope prefixes, the meter max_prefixes, the least recently used scopes leaving
// first. Pure: the caller gives the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace amq {

struct CacheSplit {
    std::int64_t read = 0;
    std::int64_t written = 0;
};

class PromptCacheMeter {
public:
    struct Limits {
        std::int64_t ttl_ms = 300'000;
        std::size_t max_prefixes = 262'144;  // all scopes together
        std::size_t max_per_scope = 1024;
    };

    explicit PromptCacheMeter(Limits limits) : limits_(limits) {}
    // A shorter TTL applies to what is remembered from the next request on.
    void set_limits(Limits limits) { limits_ = limits; }

    // `hashes` and `tokens` (cumulative) name the request's prefixes, shortest first; a
    // request without prefixes, or with lists of different lengths, is all read-nothing.
    CacheSplit meter(std::uint64_t key_id, std::string_view session,
                     const std::vector<std::uint64_t>& hashes,
                     const std::vector<std::uint64_t>& tokens, std::int64_t now_ms);

    std::size_t prefixes() const { return total_; }
    std::size_t scopes() const { return scopes_.size(); }

private:
    struct Scope {
        std::unordered_map<std::uint64_t, std::int64_t> expires_ms;  // by prefix hash
        std::list<std::string>::iterator recency;
    };
    Scope& touch(std::string scope_name);
    void forget_expired(Scope& scope, std::int64_t now_ms);
    void bound(Scope& scope, std::int64_t fresh_expiry_ms);

    Limits limits_;
    std::unordered_map<std::string, Scope> scopes_;
    std::list<std::string> recency_;  // scope names, most recently used first
    std::size_t total_ = 0;
};

}  // namespace amq
