// Calls the master on behalf of one HTTP request that waits for the answer. The client may
// leave meanwhile: then the answer is dropped and the request is never touched again.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/api_error.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/master_link.hpp"

namespace amq {

class Worker;

using RequestReplyFn =
    std::function<void(HttpRequest& request, const rapidjson::Value* data, const CallError& error)>;

void call_for_request(Worker& worker, HttpRequest& request, std::string_view cmd,
                      const std::string& args_json, RequestReplyFn then);

// For routes that need a valid API key but no account (model lists, token counts): `then`
// runs once the master accepted the key; else the client gets a 401 in `dialect`.
void with_valid_key(Worker& worker, HttpRequest& request, Dialect dialect,
                    std::function<void(HttpRequest& request)> then);

}  // namespace amq
