#include "daemon/worker/routes.hpp"

#include "daemon/worker/admin_routes.hpp"

namespace amq {
namespace {

constexpr Route kRoutes[] = {
    {"/health", htp_method_GET, handle_health},
    {"/metrics", htp_method_GET, handle_metrics},
    {"/v1/messages", htp_method_POST, handle_messages},
    {"/v1/messages/count_tokens", htp_method_POST, handle_count_tokens},
    {"/v1/chat/completions", htp_method_POST, handle_chat_completions},
    {"/v1/models", htp_method_GET, handle_models},
    {"/v1/models/{}", htp_method_GET, handle_model},
    {"/admin/accounts/upload-json", htp_method_POST, handle_admin_upload_json},
    {"/admin/stats/accounts", htp_method_GET, handle_admin_stats_accounts},
    {"/admin/stats/api-keys", htp_method_GET, handle_admin_stats_api_keys},
    {"/admin/stats/tokens", htp_method_GET, handle_admin_stats_tokens},
    {"/admin/stats/account-usage", htp_method_GET, handle_admin_stats_account_usage},
};

}  // namespace

std::span<const Route> worker_routes() { return kRoutes; }

}  // namespace amq
