// The HTTP routes a worker serves and their handlers.
#pragma once

#include <span>

#include "daemon/worker/router.hpp"

namespace amq {

std::span<const Route> worker_routes();

void handle_health(Worker& worker, HttpRequest& request);
void handle_ready(Worker& worker, HttpRequest& request);
void handle_metrics(Worker& worker, HttpRequest& request);
void handle_messages(Worker& worker, HttpRequest& request);
void handle_count_tokens(Worker& worker, HttpRequest& request);
void handle_chat_completions(Worker& worker, HttpRequest& request);
void handle_responses(Worker& worker, HttpRequest& request);
void handle_models(Worker& worker, HttpRequest& request);
void handle_model(Worker& worker, HttpRequest& request);

}  // namespace amq
