// Calls the master on behalf of one HTTP request that waits for the answer. The client may
// leave meanwhile: then the answer is dropped and the request is never touched again.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/api_error.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/master_link.hpp"

namespace amq {

class Worker;

using RequestReplyFn =
    std::function<void(HttpRequest& request, const rapidjson::Value* data, const CallError& error)>;

void call_for_request(MasterLink& link, HttpRequest& request, std::string_view cmd,
                      const std::string& args_json, RequestReplyFn then);

// What the master says of a key it accepted for a route that needs no account.
// For routes that need a valid API key but no account (model lists, token counts): `then`
// runs once the master accepted the key, counted the request toward its per-minute and per-day
// limits and, for a non-empty `model`, found the key may use it; else the client gets the
// refusal (401, 403, 429 with Retry-After) in `dialect`. Either way with the rate headers.
void with_valid_key(Worker& worker, HttpRequest& request, Dialect dialect, std::string_view model,
                    std::function<void(HttpRequest& request, const KeyGrant& grant)> then);

}  // namespace amq
