// POST /v1/messages: the Anthropic Messages API.
#include "common/anthropic_answer.hpp"
#include "common/anthropic_request.hpp"
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {
void handle_messages(Worker& worker, HttpRequest& request) {
    auto doc = request.api_call_body(Dialect::anthropic);
    if (!doc) return;
    std::string_view key = *request.api_key();  // the route declares Auth::key
    TranslateOptions options = worker.translate_options(request);
    auto upstream = translate_anthropic_request(*doc, options);
    if (!upstream) return request.send_error(Dialect::anthropic, 400, upstream.error().message);

    AnthropicAnswerOptions api{prefixed_id("msg_"), upstream->model.client};
    AnswerOptions answer{upstream->estimated_input_tokens, upstream->model.context_window,
                         upstream->thinking, upstream->tool_names};
    answer.web_search = upstream->search_limit > 0;
    start_exchange(worker, request, "/v1/messages", key, std::move(*upstream),
                   [api, answer] { return make_anthropic_answer(api, answer); });
}

}  // namespace amq
