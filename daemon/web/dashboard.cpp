#include "daemon/web/dashboard.hpp"

#include "daemon/web/assets.hpp"
#include "daemon/worker/admin_routes.hpp"
#include "daemon/worker/http.hpp"

namespace amq {
namespace {

// Scripts and styles only from the daemon itself: no inline script can run even if a value
// ever slipped into the DOM as markup. The page is never framed and never submits a form
// itself (its forms post through fetch), so a form cannot leak the key into a URL.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void serve_asset(HttpRequest& request, std::string_view name, std::string_view content_type) {
    auto data = web::find_asset(name);
    if (!data) return send_admin_error(request, 500, "the dashboard was built without its files");
    // no-cache: the browser asks again every time, so an upgraded daemon never runs a stale
    // script against its new API.
    request.add_header("Cache-Control", "no-cache");
    request.add_header("Content-Security-Policy", kContentSecurityPolicy);
    request.add_header("X-Content-Type-Options", "nosniff");
    request.add_header("Referrer-Policy", "no-referrer");
    request.send(200, content_type, *data);
}

}  // namespace

void handle_dashboard_page(Worker&, HttpRequest& request) {
    serve_asset(request, "dashboard.html", "text/html; charset=utf-8");
}

void handle_dashboard_script(Worker&, HttpRequest& request) {
    serve_asset(request, "dashboard.js", "application/javascript; charset=utf-8");
}

void handle_dashboard_style(Worker&, HttpRequest& request) {
    serve_asset(request, "dashboard.css", "text/css; charset=utf-8");
}

}  // namespace amq
