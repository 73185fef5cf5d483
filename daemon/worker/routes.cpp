#include "daemon/worker/routes.hpp"

#include "daemon/web/dashboard.hpp"
#include "daemon/worker/admin_routes.hpp"

namespace amq {
namespace {

constexpr Route kRoutes[] = {
    {"/health", htp_method_GET, handle_health},
    {"/health/ready", htp_method_GET, handle_ready},
    {"/metrics", htp_method_GET, handle_metrics},
    {"/v1/messages", htp_method_POST, handle_messages},
    {"/v1/messages/count_tokens", htp_method_POST, handle_count_tokens},
    {"/v1/chat/completions", htp_method_POST, handle_chat_completions},
    {"/v1/models", htp_method_GET, handle_models},
    {"/v1/models/{}", htp_method_GET, handle_model},
    {"/admin/accounts", htp_method_POST, handle_admin_accounts_create},
    {"/admin/accounts", htp_method_GET, handle_admin_accounts_list},
    {"/admin/accounts/upload-json", htp_method_POST, handle_admin_upload_json},
    {"/admin/accounts/{}", htp_method_GET, handle_admin_account_get},
    {"/admin/accounts/{}", htp_method_PUT, handle_admin_account_update},
    {"/admin/accounts/{}", htp_method_DELETE, handle_admin_account_delete},
    {"/admin/accounts/{}/refresh-token", htp_method_POST, handle_admin_account_refresh},
    {"/admin/accounts/{}/stats", htp_method_GET, handle_admin_account_stats},
    {"/admin/accounts/{}/quota", htp_method_GET, handle_admin_account_quota},
    {"/admin/accounts/{}/reset-health", htp_method_POST, handle_admin_account_reset_health},
    {"/admin/api-keys", htp_method_POST, handle_admin_keys_create},
    {"/admin/api-keys", htp_method_GET, handle_admin_keys_list},
    {"/admin/api-keys/{}", htp_method_GET, handle_admin_key_get},
    {"/admin/api-keys/{}", htp_method_PUT, handle_admin_key_update},
    {"/admin/api-keys/{}", htp_method_DELETE, handle_admin_key_delete},
    {"/admin/api-keys/{}/revoke", htp_method_POST, handle_admin_key_revoke},
    {"/admin/stats/accounts", htp_method_GET, handle_admin_stats_accounts},
    {"/admin/stats/api-keys", htp_method_GET, handle_admin_stats_api_keys},
    {"/admin/stats/tokens", htp_method_GET, handle_admin_stats_tokens},
    {"/admin/stats/account-usage", htp_method_GET, handle_admin_stats_account_usage},
    // The dashboard's files need no key (worker.cpp lets these paths through); its calls do.
    {"/admin/dashboard", htp_method_GET, handle_dashboard_page},
    {"/admin/dashboard/", htp_method_GET, handle_dashboard_page},
    {"/admin/dashboard/dashboard.js", htp_method_GET, handle_dashboard_script},
    {"/admin/dashboard/dashboard.css", htp_method_GET, handle_dashboard_style},
};

}  // namespace

std::span<const Route> worker_routes() { return kRoutes; }

}  // namespace amq
