// The HTTP routes a worker serves and their handlers.
#pragma once

#include <span>

#include "daemon/worker/router.hpp"

namespace amq {

std::span<const Route> worker_routes();

void handle_health(Worker& worker, HttpRequest& request);
void handle_messages(Worker& worker, HttpRequest& request);

}  // namespace amq
