// The HTTP admin API (/admin/...): each route turns its request into one command of the
// master's command table and its answer into JSON, for admin keys only. Errors look like the
// seed's FastAPI ones: {"detail": "..."} with the status of the error.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace amq {

class Worker;
struct HttpRequest;

// Reshapes a command's data into the HTTP answer (the seed's lists are bare arrays, …).
using AdminShape = std::string (*)(const rapidjson::Value& data);

void forward_admin(Worker& worker, HttpRequest& request, std::string_view command,
                   const std::string& args_json, int success_status = 200,
                   AdminShape shape = nullptr);
void send_admin_error(HttpRequest& request, int status, std::string_view message);

void handle_admin_upload_json(Worker& worker, HttpRequest& request);
void handle_admin_stats_accounts(Worker& worker, HttpRequest& request);
void handle_admin_accounts_create(Worker& worker, HttpRequest& request);
void handle_admin_accounts_list(Worker& worker, HttpRequest& request);
void handle_admin_account_get(Worker& worker, HttpRequest& request);
void handle_admin_account_update(Worker& worker, HttpRequest& request);
void handle_admin_account_delete(Worker& worker, HttpRequest& request);
void handle_admin_account_refresh(Worker& worker, HttpRequest& request);
void handle_admin_account_stats(Worker& worker, HttpRequest& request);
void handle_admin_account_quota(Worker& worker, HttpRequest& request);
void handle_admin_account_reset_health(Worker& worker, HttpRequest& request);
void handle_admin_keys_create(Worker& worker, HttpRequest& request);
void handle_admin_keys_list(Worker& worker, HttpRequest& request);
void handle_admin_key_get(Worker& worker, HttpRequest& request);
void handle_admin_key_update(Worker& worker, HttpRequest& request);
void handle_admin_key_delete(Worker& worker, HttpRequest& request);
void handle_admin_key_revoke(Worker& worker, HttpRequest& request);
void handle_admin_stats_api_keys(Worker& worker, HttpRequest& request);
void handle_admin_stats_tokens(Worker& worker, HttpRequest& request);
void handle_admin_stats_account_usage(Worker& worker, HttpRequest& request);

}  // namespace amq
