#include "daemon/worker/routes.hpp"

#include <iterator>
#include <vector>

#include "daemon/web/dashboard.hpp"
#include "daemon/worker/admin_routes.hpp"

namespace amq {
namespace {

constexpr Route kRoutes[] = {
    {"/health", htp_method_GET, handle_health},
    {"/health/ready", htp_method_GET, handle_ready},
    {"/metrics", htp_method_GET, handle_metrics},
    {"/v1/messages", htp_method_POST, handle_messages, Auth::key},
    {"/v1/messages/count_tokens", htp_method_POST, handle_count_tokens, Auth::key},
    {"/v1/chat/completions", htp_method_POST, handle_chat_completions, Auth::key},
    {"/v1/responses", htp_method_POST, handle_responses, Auth::key},
    {"/v1/models", htp_method_GET, handle_models, Auth::key},
    {"/v1/models/{}", htp_method_GET, handle_model, Auth::key},
    // The dashboard's files need no key: the page asks for the one its API calls send.
    {"/admin/dashboard", htp_method_GET, handle_dashboard_page},
    {"/admin/dashboard/", htp_method_GET, handle_dashboard_page},
    // Each file by name: any other path under /admin/dashboard/ asks for a key like the API.
    {"/admin/dashboard/dashboard.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/dashboard-lib.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/dashboard-zh-CN.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/base.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/i18n.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/page.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/api.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/actions.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/theme.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/tables.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/overview.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/accounts.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/health.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/login.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/upload.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/keys.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/stats.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/charts.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/requests.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/audit.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/dashboard.css", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/favicon.svg", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/uPlot.iife.min.js", htp_method_GET, handle_dashboard_file},
    {"/admin/dashboard/uPlot.min.css", htp_method_GET, handle_dashboard_file},
};

}  // namespace

std::span<const Route> worker_routes() {
    static const std::vector<Route> routes = [] {
        std::vector<Route> all(std::begin(kRoutes), std::end(kRoutes));
        for (const AdminRoute& a : admin_routes())
            all.push_back(Route{a.path, a.method, handle_admin, Auth::admin, &a});
        return all;
    }();
    return routes;
}

}  // namespace amq
