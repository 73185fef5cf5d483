#include "common/json.hpp"
#include "common/version.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {

// Load balancers read the status code; people read the body. "degraded" still answers 200:
// the process is alive, it only cannot serve API calls until an account or key exists.
void handle_health(Worker& worker, HttpRequest& request) {
    const PoolSummary& pool = worker.pool();
    bool usable = pool.accounts_usable > 0 && pool.keys_usable > 0;
    request.send_json(200, json_object([&](JsonWriter& w) {
                          w.Key("status");
                          w.String(usable ? "ok" : "degraded");
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
                      }));
}

}  // namespace amq
