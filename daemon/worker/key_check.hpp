// For routes that need a valid API key but no account (model lists, token counts): asks the
// master about the key, then runs the handler — or answers 401 in the route's API shape.
#pragma once

#include <functional>

#include "common/api_error.hpp"
#include "daemon/worker/http.hpp"

namespace amq {

class Worker;

// `then` runs only while the client is still there; nothing runs if it left meanwhile.
void with_valid_key(Worker& worker, HttpRequest& request, Dialect dialect,
                    std::function<void(HttpRequest& request)> then);

}  // namespace amq
