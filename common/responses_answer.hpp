// The OpenAI Responses API's words for an answer (docs/translation.md §7): the event grammar
// ("event: response.…" SSE frames, each with a rising sequence_number) for streaming clients,
// one response object for the others. Each answer block is one output item — text a message
// with one output_text part, thinking a reasoning item with one summary part, a tool call a
// function_call or custom_tool_call as the tool book says — announced by
// response.output_item.added, filled by deltas, and closed by response.output_item.done with
// the complete item, which is what Codex builds its turn from. Only rendering: what the answer
// holds and when each step comes is the assembler's (answer.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "common/answer.hpp"
#include "common/responses_request.hpp"

namespace amq {

struct ResponsesAnswerOptions {
    std::string response_id;  // "resp_…", chosen by the caller
    std::int64_t created_at = 0;
    std::string client_model;
    ResponsesOptions request;  // the tool book, and what the response object echoes
};

// An answer rendered for Responses; a call without an id gets call_<response id>_<ordinal>.
AnswerStream make_responses_answer(const ResponsesAnswerOptions& options, AnswerOptions answer);

// A custom tool call's input from the upstream's arguments: the string member "input" (the
// schema it was offered), else an object's only string member, else the arguments as sent.
std::string custom_tool_input(std::string_view arguments);

}  // namespace amq
