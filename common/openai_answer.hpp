// The OpenAI Chat Completions API's words for an answer (docs/translation.md §4):
// "data: {chunk}" SSE text for streaming clients, one chat.completion object for the others.
// Only rendering: what the answer holds and when each step comes is the assembler's
// (answer.hpp). This API has no blocks: text and reasoning go to their own delta members,
// tool calls to tool_calls by their ordinal, and signatures and redacted reasoning nowhere.
//
// Reasoning (native reasoning events, and <thinking>…</thinking> text when thinking is on)
// goes to delta.reasoning_content / message.reasoning_content: not in OpenAI's own API, but
// the field DeepSeek introduced and most OpenAI clients read or ignore harmlessly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/answer.hpp"

namespace amq {

struct OpenAiAnswerOptions {
    std::string completion_id;   // "chatcmpl-…", chosen by the caller
    std::int64_t created = 0;    // unix seconds, chosen by the caller
    std::string client_model;    // echoed in every chunk
    bool include_usage = false;  // stream_options.include_usage
};

// An answer rendered for Chat Completions; a call without an id gets
// call_<completion id>_<ordinal>.
AnswerStream make_openai_answer(const OpenAiAnswerOptions& options, AnswerOptions answer);

std::string_view openai_finish_reason(StopCause cause);  // stop, tool_calls, length, …

}  // namespace amq
