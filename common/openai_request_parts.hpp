// What OpenAI's two request formats — Chat Completions (openai_request) and Responses
// (responses_request) — share and the upstream has no field for: images by URL, tool_choice,
// the output format and the reasoning effort, each turned into what the upstream can take
// (image bytes, offered tools, instructions, a thinking budget). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <rapidjson/document.h>

#include "common/q_request.hpp"
#include "common/result.hpp"

namespace amq {

inline constexpr std::string_view kRequiredToolInstruction =
    "You must call at least one of the available tools in this response; do not answer with "
    "text alone.";

// Rule 9: the upstream takes image bytes only. Fetching URLs would make the daemon a client
// of arbitrary hosts, so an http(s) URL is refused with a message that says what to send.
Result<QImage> image_from_url(std::string_view url, std::string_view path);

// tool_choice (or the legacy function_call) at `path`: "auto" | "none" | "required" | a named
// tool — {type:"function", function:{name}} (Chat), {type:"function"|"custom", name}
// (Responses), {name} (legacy) — | {type:"allowed_tools", …} with the tools listed in
// either shape. The upstream cannot force a call, so "required" and a named tool become an
// instruction in the system prompt; "none" and allowed_tools narrow the offered tools (the
// history may still use the others: q_request gives them minimal specs, rule 5).
Status apply_tool_choice(const rapidjson::Value& choice, std::string_view path, QConversation& c);

// An output format ({type:"text"|"json_object"|"json_schema", …}) at `path` as an instruction.
// Chat's response_format nests the schema's name, description and schema under json_schema
// (`schema_nested`; the schema itself optional), Responses' text.format has them beside the
// type (the schema required).
Status apply_output_format(const rapidjson::Value& format, std::string_view path,
                           bool schema_nested, QConversation& c);

// A reasoning effort turns thinking on: for prompt tags a budget — minimal 1024, low 4000,
// medium 16000, high and xhigh 32000 (the largest budget we send) — and for a natively
// reasoning model the effort itself (minimal as low). "none" changes nothing. Anything else
// is an error at `path`.
Status apply_reasoning_effort(const rapidjson::Value& effort, std::string_view path,
                              QConversation& c);

}  // namespace amq
