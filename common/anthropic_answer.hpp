// The Anthropic Messages API's words for an answer (docs/translation.md §3): SSE frames for
// streaming clients (message_start, content_block_start/delta/stop, message_delta,
// message_stop, error), one message object for the others. Only rendering: what the answer
// holds and when each step comes is the assembler's (answer.hpp).
#pragma once

#include <string>
#include <string_view>

#include "common/answer.hpp"

namespace amq {

struct AnthropicAnswerOptions {
    std::string message_id;    // "msg_…", chosen by the caller
    std::string client_model;  // echoed in message.model
};

// An answer rendered for the Messages API; a call without an id gets
// toolu_<message id>_<ordinal>.
AnswerStream make_anthropic_answer(const AnthropicAnswerOptions& options, AnswerOptions answer);

std::string_view anthropic_stop_reason(StopCause cause);

}  // namespace amq
