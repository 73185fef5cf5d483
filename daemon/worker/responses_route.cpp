// POST /v1/responses: the OpenAI Responses API (Codex, the OpenAI SDKs' responses.*).
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/responses_answer.hpp"
#include "common/responses_request.hpp"
#include "common/strings.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {

void handle_responses(Worker& worker, HttpRequest& request) {
    auto doc = request.api_call_body(Dialect::openai);
    if (!doc) return;
    std::string_view key = *request.api_key();  // the route declares Auth::key
    TranslateOptions options = worker.translate_options(request);
    auto translated = translate_responses_request(*doc, options);
    if (!translated) return request.send_error(Dialect::openai, 400, translated.error().message);
    UpstreamRequest& upstream = translated->upstream;

    ResponsesAnswerOptions api{prefixed_id("resp_"), unix_seconds(), upstream.model.client,
                               std::move(translated->responses)};
    AnswerOptions answer{upstream.estimated_input_tokens, upstream.model.context_window,
                         upstream.thinking, upstream.tool_names};
    answer.web_search = upstream.search_limit > 0;
    start_exchange(worker, request, "/v1/responses", key, std::move(upstream),
                   [api, answer] { return make_responses_answer(api, answer); });
}

}  // namespace amq
