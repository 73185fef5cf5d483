// One OpenAI Chat Completions request (POST /v1/chat/completions, already parsed) → the Amazon
// Q generateAssistantResponse body. This file reads the OpenAI format into a QConversation;
// the upstream rules themselves live in q_request. Pure: the caller supplies the fallback
// conversation id, so nothing here reads a clock or a random source.
#pragma once

#include <rapidjson/document.h>

#include "common/anthropic_request.hpp"  // TranslateOptions, UpstreamRequest: API-neutral
#include "common/result.hpp"

namespace amq {

// What the request asks of the response beyond UpstreamRequest.
struct OpenAiOptions {
    bool include_usage = false;  // stream_options.include_usage: a final usage chunk
};

struct OpenAiRequest {
    UpstreamRequest upstream;  // session_id comes from "user"
    OpenAiOptions openai;
};

// Errc::invalid_argument names the field ("messages.2.content.1: …"); Errc::too_large says
// "prompt is too long: …".
Result<OpenAiRequest> translate_openai_request(const rapidjson::Value& request,
                                               const TranslateOptions& options);

}  // namespace amq
