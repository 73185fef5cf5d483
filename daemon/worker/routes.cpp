#include "daemon/worker/routes.hpp"

#include <deque>
#include <iterator>
#include <string>
#include <vector>

#include "common/strings.hpp"
#include "daemon/web/assets.hpp"
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
};

}  // namespace

std::span<const Route> worker_routes() {
    static const std::vector<Route> routes = [] {
        std::vector<Route> all(std::begin(kRoutes), std::end(kRoutes));
        // Every other file compiled in (daemon/CMakeLists.txt's list) by its name; any other
        // path under /admin/dashboard/ asks for a key like the API.
        static std::deque<std::string> file_paths;  // the routes' views point into it
        for (const web::EmbeddedAsset& asset : web::embedded_assets()) {
            if (asset.name == "dashboard.html") continue;  // the page is /admin/dashboard
            file_paths.push_back(str_cat("/admin/dashboard/", asset.name));
            all.push_back(Route{file_paths.back(), htp_method_GET, handle_dashboard_file});
        }
        for (const AdminRoute& a : admin_routes())
            all.push_back(Route{a.path, a.method, handle_admin, Auth::admin, &a});
        return all;
    }();
    return routes;
}

}  // namespace amq
