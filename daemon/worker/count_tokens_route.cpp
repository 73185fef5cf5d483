// POST /v1/messages/count_tokens: the input tokens of a Messages request as it would be sent
// upstream (system prompt, messages, tools, tool uses and results, images).
#include <limits>

#include "common/anthropic_request.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "daemon/worker/master_call.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {

void handle_count_tokens(Worker& worker, HttpRequest& request) {
    with_valid_key(worker, request, Dialect::anthropic, [&worker](HttpRequest& r) {
        auto doc = parse_request_json(r.body());
        if (!doc)
            return r.send_error(Dialect::anthropic, 400,
                                str_cat("request body: ", doc.error().message));
        TranslateOptions options;
        options.models = worker.config().models;
        options.fallback_conversation_id = "00000000-0000-4000-8000-000000000000";
        // A client asks precisely when it fears the prompt is too long: count it anyway.
        options.max_payload = std::numeric_limits<std::size_t>::max();
        auto upstream = translate_anthropic_request(*doc, options);
        if (!upstream) return r.send_error(Dialect::anthropic, 400, upstream.error().message);
        r.send_json(200, json_object([&](JsonWriter& w) {
                        w.Key("input_tokens");
                        w.Int64(upstream->estimated_input_tokens);
                    }));
    });
}

}  // namespace amq
