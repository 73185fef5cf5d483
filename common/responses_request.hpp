// One OpenAI Responses request (POST /v1/responses, already parsed) → the Amazon Q
// generateAssistantResponse body (docs/translation.md §7). This file reads the Responses
// format into a QConversation; the upstream rules live in q_request. Pure: the caller supplies
// the fallback conversation id.
//
// The upstream knows only JSON-object tools, so the Responses tool kinds are mapped and the
// map travels with the answer (ResponsesToolBook), whose output items must carry each tool's
// declared kind (Codex ends its turn on a mismatch):
// - custom (freeform) tools go up as a tool with one string member "input"; the model's
//   {"input": "…"} comes back as a custom_tool_call whose input is that string;
// - the tools of a namespace go up flattened as "<namespace>__<name>" and come back as calls
//   with their own name and the namespace.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/anthropic_request.hpp"  // TranslateOptions, UpstreamRequest: API-neutral
#include "common/result.hpp"

namespace amq {

struct ResponsesTool {
    enum class Kind { function, custom };
    Kind kind = Kind::function;
    std::string name_space;  // "" outside a namespace
    std::string name;        // the name inside its namespace
};

// The flattened name the model sees → the tool as the client declared it.
using ResponsesToolBook = std::map<std::string, ResponsesTool, std::less<>>;

// A reasoning item's encrypted_content carries the upstream's signature of its text, or
// redacted reasoning behind this prefix, so that the client's replay of the item goes back
// upstream as it came (clients return encrypted_content untouched).
inline constexpr std::string_view kRedactedReasoningPrefix = "redacted:";

// The name a namespaced tool has upstream: "<namespace>__<name>", or the name alone.
std::string flat_tool_name(std::string_view name_space, std::string_view name);

// What the answer needs besides UpstreamRequest: the tool kinds, and what the response object
// echoes of the request.
struct ResponsesOptions {
    ResponsesToolBook tools;
    std::optional<std::int64_t> max_output_tokens;
    std::string reasoning_effort;  // "" when not asked
    bool parallel_tool_calls = true;
    bool store = false;  // as asked: nothing is stored either way
};

struct ResponsesRequest {
    UpstreamRequest upstream;  // session_id from prompt_cache_key, else user
    ResponsesOptions responses;
};

// Errc::invalid_argument names the field ("input.3.content.0: …"); Errc::too_large says
// "prompt is too long: …". previous_response_id, conversation, background and prompt are
// refused: this server keeps no responses (the client sends the whole conversation).
Result<ResponsesRequest> translate_responses_request(const rapidjson::Value& request,
                                                     const TranslateOptions& options);

}  // namespace amq
