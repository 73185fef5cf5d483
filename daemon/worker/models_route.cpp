// GET /v1/models and /v1/models/{id}: the configured model map's client-facing names, in
// Anthropic's shape when the request carries anthropic-version, else OpenAI's.
#include "common/model_list.hpp"
#include "common/model_map.hpp"
#include "daemon/worker/master_call.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {
namespace {

bool wants_anthropic(const HttpRequest& request) {
    return request.header("anthropic-version").has_value();
}

}  // namespace

void handle_models(Worker& worker, HttpRequest& request) {
    Dialect dialect = wants_anthropic(request) ? Dialect::anthropic : Dialect::openai;
    with_valid_key(worker, request, dialect, [&worker, dialect](HttpRequest& r) {
        std::vector<std::string> ids = client_model_names(worker.config().models);
        std::int64_t created = worker.started_at();
        r.send_json(200, dialect == Dialect::anthropic ? anthropic_model_list(ids, created)
                                                       : openai_model_list(ids, created));
    });
}

// Every name is served (unknown ones map by family or to the default), so any id answers.
void handle_model(Worker& worker, HttpRequest& request) {
    Dialect dialect = wants_anthropic(request) ? Dialect::anthropic : Dialect::openai;
    with_valid_key(worker, request, dialect, [&worker, dialect](HttpRequest& r) {
        std::string id(r.params.at(0));
        std::int64_t created = worker.started_at();
        r.send_json(200, dialect == Dialect::anthropic ? anthropic_model(id, created)
                                                       : openai_model(id, created));
    });
}

}  // namespace amq
