// POST /v1/messages/count_tokens: the input tokens of a Messages request as it would be sent
// upstream (system prompt, messages, tools, tool uses and results, images). It needs no
// account, but it is a request of its key like any other: limits and allowed models apply.
#include <limits>

#include "common/anthropic_request.hpp"
#include "common/json.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"
#include "daemon/worker/master_call.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {
namespace {

void count_tokens(Worker& worker, HttpRequest& request, const rapidjson::Document& doc) {
    TranslateOptions options = worker.translate_options(request);
    options.fallback_conversation_id = "00000000-0000-4000-8000-000000000000";
    // A client asks precisely when it fears the prompt is too long: count it anyway.
    options.max_payload = std::numeric_limits<std::size_t>::max();
    options.max_input_tokens = 0;
    options.require_max_tokens = false;
    auto upstream = translate_anthropic_request(doc, options);
    if (!upstream) return request.send_error(Dialect::anthropic, 400, upstream.error().message);
    request.send_json(200, json_object([&](JsonWriter& w) {
                          w.Key("input_tokens");
                          w.Int64(upstream->estimated_input_tokens);
                      }));
}

}  // namespace

void handle_count_tokens(Worker& worker, HttpRequest& request) {
    auto doc = request.api_call_body(Dialect::anthropic);
    if (!doc) return;
    // Translation, which tokenizes, waits for the key; the model name the key is asked about
    // must be fit to be logged.
    std::string model(doc->IsObject() ? find_string(*doc, "model").value_or("") : "");
    if (Status s = check_model_name(model); !model.empty() && !s)
        return request.send_error(Dialect::anthropic, 400, s.error().message);
    auto shared = std::make_shared<rapidjson::Document>(std::move(*doc));
    with_valid_key(
        worker, request, Dialect::anthropic, model,
        [&worker, shared](HttpRequest& r, const KeyGrant&) { count_tokens(worker, r, *shared); });
}

}  // namespace amq
