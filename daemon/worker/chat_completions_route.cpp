// POST /v1/chat/completions: the OpenAI Chat Completions API.
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/openai_answer.hpp"
#include "common/openai_request.hpp"
#include "common/strings.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {
void handle_chat_completions(Worker& worker, HttpRequest& request) {
    auto doc = request.api_call_body(Dialect::openai);
    if (!doc) return;
    std::string_view key = *request.api_key();  // the route declares Auth::key
    TranslateOptions options = worker.translate_options(request);
    auto translated = translate_openai_request(*doc, options);
    if (!translated) return request.send_error(Dialect::openai, 400, translated.error().message);
    UpstreamRequest& upstream = translated->upstream;

    OpenAiAnswerOptions api{prefixed_id("chatcmpl-"), unix_seconds(), upstream.model.client,
                            translated->openai.include_usage};
    AnswerOptions answer{upstream.estimated_input_tokens, upstream.model.context_window,
                         upstream.thinking, upstream.tool_names};
    start_exchange(worker, request, "/v1/chat/completions", key, std::move(upstream),
                   [api, answer] { return make_openai_answer(api, answer); });
}

}  // namespace amq
