// GET /v1/models and /v1/models/{id}: the configured model map's client-facing names that the
// key may use, in Anthropic's shape when the request carries anthropic-version, else OpenAI's.
#include "common/model_list.hpp"
#include "common/model_map.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"
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
    with_valid_key(
        worker, request, dialect, "", [&worker, dialect](HttpRequest& r, const KeyGrant& grant) {
            const ModelMapConfig& models = worker.config().models;
            std::vector<std::string> ids;
            // Once the accounts' model lists are known, only what some account serves.
            const std::set<std::string>& served = worker.pool().models;
            for (std::string& id : client_model_names(models))
                if (model_allowed(grant.allowed_models, id, models) &&
                    (served.empty() || served.count(resolve_model(models, id).upstream)))
                    ids.push_back(std::move(id));
            std::int64_t created = worker.started_at();
            r.send_json(200, dialect == Dialect::anthropic ? anthropic_model_list(ids, created)
                                                           : openai_model_list(ids, created));
        });
}

// A listed name answers, and so do its other spellings (dated, -latest, dots for dashes); a
// name served only by the family or default fallback is not a model one can look up.
void handle_model(Worker& worker, HttpRequest& request) {
    Dialect dialect = wants_anthropic(request) ? Dialect::anthropic : Dialect::openai;
    with_valid_key(
        worker, request, dialect, "", [&worker, dialect](HttpRequest& r, const KeyGrant& grant) {
            std::string id(r.params.at(0));
            const ModelMapConfig& models = worker.config().models;
            if (!check_model_name(id) || !resolve_model(models, id).listed ||
                !model_allowed(grant.allowed_models, id, models))
                return r.send_error(dialect, 404,
                                    str_cat("model '", id.substr(0, kMaxModelName),
                                            "' does not exist or this key may not use it"));
            std::int64_t created = worker.started_at();
            r.send_json(200, dialect == Dialect::anthropic ? anthropic_model(id, created)
                                                           : openai_model(id, created));
        });
}

}  // namespace amq
