// POST /v1/messages: the Anthropic Messages API.
#include "common/anthropic_request.hpp"
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "daemon/worker/anthropic_writer.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {
namespace {

std::string message_id() {
    std::uint8_t raw[18];
    id_bytes(raw, sizeof raw);
    return str_cat("msg_", base64url(raw, sizeof raw));
}

}  // namespace

void handle_messages(Worker& worker, HttpRequest& request) {
    auto key = request.api_key();
    if (!key)
        return request.send_error(Dialect::anthropic, 401,
                                  "missing API key: send it in x-api-key or Authorization: Bearer");
    auto doc = parse_json(request.body());
    if (!doc) return request.send_error(Dialect::anthropic, 400, str_cat("request body: ", doc.error().message));
    TranslateOptions options;
    options.models = worker.config().models;
    options.fallback_conversation_id = uuid4();
    auto upstream = translate_anthropic_request(*doc, options);
    if (!upstream) return request.send_error(Dialect::anthropic, 400, upstream.error().message);

    AnthropicStreamOptions stream_options{message_id(), upstream->model.client, upstream->estimated_input_tokens,
                                          upstream->model.context_window, upstream->thinking,
                                          upstream->tool_names};
    ExchangeSpec spec;
    spec.endpoint = "/v1/messages";
    spec.key_hash = api_key_hash(*key);
    spec.client_model = upstream->model.client;
    spec.upstream_model = upstream->model.upstream;
    spec.upstream_body = std::move(upstream->body);
    spec.stream = upstream->stream;
    spec.make_writer = [stream_options] { return make_anthropic_writer(stream_options); };
    spec.client_address = request.client_address();
    spec.user_agent = std::string(request.header("user-agent").value_or(""));
    std::uint64_t id = worker.next_exchange_id();
    worker.adopt(std::make_unique<Exchange>(worker, id, request.req, std::move(spec)), id).start();
}

}  // namespace amq
