#include "daemon/web/dashboard.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>

#include "common/strings.hpp"

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

// The types of the files the dashboard is made of, by their extension.
constexpr std::pair<std::string_view, std::string_view> kContentTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "application/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

void serve_asset(HttpRequest& request, std::string_view name) {
    auto type = std::find_if(std::begin(kContentTypes), std::end(kContentTypes),
                             [&](const auto& t) { return name.ends_with(t.first); });
    auto data = web::find_asset(name);
    if (!data || type == std::end(kContentTypes))
        return send_admin_error(request, 404, str_cat("no such dashboard file: ", name));
    // no-cache: the browser asks again every time, so an upgraded daemon never runs a stale
    // script against its new API.
    request.add_header("Cache-Control", "no-cache");
    request.add_header("Content-Security-Policy", kContentSecurityPolicy);
    request.add_header("X-Content-Type-Options", "nosniff");
    request.add_header("Referrer-Policy", "no-referrer");
    request.send(200, type->second, *data);
}

}  // namespace

void handle_dashboard_page(Worker&, HttpRequest& request) {
    serve_asset(request, "dashboard.html");
}

void handle_dashboard_file(Worker&, HttpRequest& request) {
    std::string_view path = request.path;
    serve_asset(request, path.substr(path.rfind('/') + 1));
}

}  // namespace amq
