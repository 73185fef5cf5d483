#include "daemon/worker/master_call.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "daemon/worker/worker.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

// Lives until the master answers; the fini hook tells it when evhtp freed the request first.
struct Waiter {
    HttpRequest request;
    bool client_gone = false;

    static evhtp_res on_fini(evhtp_request_t*, void* arg) {
        static_cast<Waiter*>(arg)->client_gone = true;
        return EVHTP_RES_OK;
    }
};

}  // namespace

void call_for_request(MasterLink& link, HttpRequest& request, std::string_view cmd,
                      const std::string& args_json, RequestReplyFn then) {
    auto* waiter = new Waiter{request};
    evhtp_request_set_hook(request.req, evhtp_hook_on_request_fini, as_hook(Waiter::on_fini),
                           waiter);
    link.call(
        cmd, args_json,
        [waiter, then = std::move(then)](const rapidjson::Value* data, const CallError& error) {
            std::unique_ptr<Waiter> owned(waiter);
            if (owned->client_gone) return;
            evhtp_request_unset_hook(owned->request.req, evhtp_hook_on_request_fini);
            then(owned->request, data, error);
        });
}

void with_valid_key(Worker& worker, HttpRequest& request, Dialect dialect, std::string_view model,
                    std::function<void(HttpRequest& request, const KeyGrant& grant)> then) {
    std::string_view key = *request.api_key();  // the route declares Auth::key
    std::string args =
        encode_message(AuthRequest{api_key_hash(key), std::string(model)});
    call_for_request(
        worker.master(), request, wire::kAuth, args,
        [dialect, then = std::move(then)](HttpRequest& r, const rapidjson::Value* data,
                                          const CallError& error) {
            if (!data) {
                if (error.retry_after) r.add_header("Retry-After", str_cat(*error.retry_after));
                if (error.rate)
                    r.add_rate_headers(error.rate->limit, error.rate->remaining,
                                       error.rate->reset_ms);
                return r.send_error(dialect, error.status, error.message);
            }
            auto grant = decode_message<KeyGrant>(*data);
            if (!grant) return r.send_error(dialect, 500, "the key grant could not be read");
            if (grant->rate_limit > 0)
                r.add_rate_headers(grant->rate_limit, grant->rate_remaining,
                                   grant->rate_reset_ms);
            then(r, *grant);
        });
}

}  // namespace amq
