// One Anthropic Messages request (POST /v1/messages, already parsed) → the Amazon Q
// generateAssistantResponse body. This file reads the Anthropic format into a QConversation;
// the upstream rules themselves live in q_request. Pure: the caller supplies the fallback
// conversation id, so nothing here reads a clock or a random source.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/model_map.hpp"
#include "common/q_request.hpp"
#include "common/result.hpp"
#include "common/tool_names.hpp"

namespace amq {

struct TranslateOptions {
    ModelMapConfig models = default_model_map();
    std::string profile_arn;  // "" = omit profileArn
    std::string
        fallback_conversation_id;  // used when neither the body nor a header names a session
    // The session a request header names (X-Claude-Code-Session-Id, session_id, session-id):
    // used when the body names none.
    std::string header_session;
    std::string origin = "CLI";
    std::size_t max_payload = 600 * 1024;  // bytes of the translated body (max-prompt-bytes)
    std::int64_t max_input_tokens = 0;     // its estimated input tokens; 0: no cap
    std::int64_t default_thinking_budget = 16000;
    bool require_max_tokens = true;  // false for count_tokens, whose requests have none
};

struct UpstreamRequest {
    std::string body;  // the JSON to POST upstream
    ResolvedModel model;
    bool stream = false;     // the client's "stream"
    bool thinking = false;   // the thinking prefix was sent: expect <thinking> in the answer
    ToolNameMap tool_names;  // shortened → original, for mapping responses back
    std::string session_id;  // from metadata.user_id ("" when none)
    std::string conversation_id;
    std::int64_t estimated_input_tokens = 1;  // everything sent: system, messages, tool specs
    int search_limit = 0;  // web search offered: the searches the daemon may run for it
    // What `body` was written from and with: another account's body comes from them.
    std::shared_ptr<const QPlan> plan;
    QBodyOptions body_options;
};

// Errc::invalid_argument names the field ("messages.3.content.1: …"); Errc::too_large says
// "prompt is too long: …".
Result<UpstreamRequest> translate_anthropic_request(const rapidjson::Value& request,
                                                    const TranslateOptions& options);

// How every translation ends, once `out.model` and the body's `out.session_id` are known: the
// session (the body's, else the header's), its conversation id (else the fallback) and the upstream
// body written from the conversation, with the plan another account's body is written from.
// Errc::too_large as build_q_body's cap.
Status write_upstream_body(UpstreamRequest& out, QConversation conversation,
                           const TranslateOptions& options);

// The session id inside Claude Code's metadata.user_id: the "session_id" of a JSON object
// string, or what follows "_session_" in the older user_…_account_…_session_<uuid> form.
// "" when there is none.
std::string session_id_from_user_id(std::string_view user_id);

}  // namespace amq
