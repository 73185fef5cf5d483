// GET /health (liveness) and GET /health/ready (readiness). Load balancers read the status code;
// people read the body.
#include "common/json.hpp"
#include "common/version.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {
namespace {

// Why this worker cannot serve API calls now; "" when it can.
std::string_view unready_reason(const Worker& worker) {
    if (worker.draining()) return "draining";
    if (worker.pool().accounts_usable == 0) return "no usable account";
    if (worker.pool().keys_usable == 0) return "no usable API key";
    return "";
}

// What is wrong though the worker serves: a shared store out of step with its database.
std::string degraded_reason(const Worker& worker) {
    std::string_view unready = unready_reason(worker);
    if (!unready.empty()) return std::string(unready);
    const std::string& trouble = worker.pool().store_trouble;
    return trouble.empty() ? "" : "serving from this host's copy of the shared store: " + trouble;
}

std::string health_body(const Worker& worker, std::string_view status, std::string_view reason) {
    const KnownPool& pool = worker.pool();
    return json_object([&](JsonWriter& w) {
        w.Key("status");
        write_string(w, status);
        if (!reason.empty()) {
            w.Key("reason");
            write_string(w, reason);
        }
        w.Key("version");
        w.String(kVersion);
        w.Key("worker");
        w.Uint(worker.index());
        w.Key("generation");
        w.Uint64(worker.generation());
        w.Key("accounts");
        w.StartObject();
        w.Key("usable");
        w.Uint64(pool.accounts_usable);
        w.EndObject();
        w.Key("keys");
        w.StartObject();
        w.Key("usable");
        w.Uint64(pool.keys_usable);
        w.EndObject();
    });
}

}  // namespace

// Liveness: 200 while the process answers. "degraded" when it cannot serve API calls yet, or
// serves them without its shared database.
void handle_health(Worker& worker, HttpRequest& request) {
    std::string reason = degraded_reason(worker);
    request.send_json(200, health_body(worker, reason.empty() ? "ok" : "degraded", reason));
}

// Readiness: 503 while no request could be served (no usable account or key, or draining), so
// that a load balancer sends traffic elsewhere without restarting anything.
void handle_ready(Worker& worker, HttpRequest& request) {
    std::string_view reason = unready_reason(worker);
    request.send_json(reason.empty() ? 200 : 503,
                      health_body(worker, reason.empty() ? "ready" : "not ready", reason));
}

}  // namespace amq
