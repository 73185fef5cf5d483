// GET /metrics: the master's counters in Prometheus text format. When metrics are restricted,
// only admin keys may read them (the master decides).
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker/admin_routes.hpp"
#include "daemon/worker/master_call.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {

void handle_metrics(Worker& worker, HttpRequest& request) {
    auto key = request.api_key();
    std::string args = encode_message(MetricsRequest{key ? api_key_hash(*key) : std::string()});
    call_for_request(worker.master(), request, wire::kMetrics, args,
                     [](HttpRequest& r, const rapidjson::Value* data, const CallError& error) {
                         if (!data) return send_admin_error(r, error.status, error.message);
                         r.send(200, "text/plain; version=0.0.4; charset=utf-8",
                                find_string(*data, "text").value_or(""));
                     });
}

}  // namespace amq
