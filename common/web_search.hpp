// Web search through the upstream's MCP endpoint (docs/upstream.md §1, MCP; docs/translation.md
// §8): the tool the model is offered for a client's web-search server tool, the JSON-RPC call
// that runs a search, what its answer means, and the text the model reads back. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/q_http.hpp"

namespace amq {

// The tool the model calls to search; the daemon runs it, the client never sees a call of it.
inline constexpr std::string_view kWebSearchTool = "web_search";
inline constexpr std::string_view kWebSearchDescription =
    "Search the web for current information. Returns the title, URL and an excerpt of each "
    "matching page. Use it when the answer needs facts newer than your training or that you "
    "are unsure of; cite the URLs you rely on.";
inline constexpr std::string_view kWebSearchSchema =
    R"({"type":"object","properties":{"query":{"type":"string","description":)"
    R"("What to search for"}},"required":["query"]})";
// Searches one request may run when the client sets no max_uses.
inline constexpr int kDefaultSearchLimit = 5;

struct WebSearchHit {
    std::string title;
    std::string url;
    std::string snippet;
    std::optional<std::int64_t> published_ms;  // epoch milliseconds
};

struct WebSearchOutcome {
    std::string query;
    std::vector<WebSearchHit> hits;
    // Empty when the search ran; else Anthropic's error code for it (unavailable,
    // max_uses_exceeded, invalid_tool_input) — the model and the client are told.
    std::string error;
};

// POST <endpoint's origin>/mcp: JSON-RPC 2.0 tools/call of web_search {query}.
GenerateCall mcp_search_call(std::string_view endpoint, std::string_view access_token,
                             std::string_view token_type, std::string_view profile_arn);
std::string mcp_search_body(std::string_view request_id, std::string_view query);

// The MCP answer (an HTTP status and body) read into an outcome; never fails: whatever is
// wrong becomes error "unavailable". At most kMaxHits hits are kept.
inline constexpr std::size_t kMaxHits = 10;
WebSearchOutcome read_mcp_search(std::string_view query, int status, std::string_view body);

// The query of the model's call input ({"query": "…"}); "" when it has none.
std::string search_query(std::string_view input_json);

// The tool result the model reads: each hit's title, URL, date and excerpt, or the error.
std::string search_result_text(const WebSearchOutcome& outcome);

}  // namespace amq
