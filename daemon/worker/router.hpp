// The worker's route table: paths made of fixed segments and "{}" segments (one non-empty
// segment, handed to the handler as a parameter), each with its methods. A known path with
// another method is 405 (with Allow), an unknown path 404.
#pragma once

#include <evhtp/parser.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace amq {

class Worker;
struct HttpRequest;
struct AdminRoute;

using RouteHandler = void (*)(Worker& worker, HttpRequest& request);

// Who may call a route. Without a key, a keyed route is 401 before anything else is read;
// whether the key is valid (and an admin key) the master decides.
enum class Auth { none, key, admin };

struct Route {
    std::string_view path;
    htp_method method;
    RouteHandler handler;
    Auth auth = Auth::none;
    const AdminRoute* admin = nullptr;  // an /admin API route: what its handler forwards
};

struct RouteMatch {
    const Route* route = nullptr;          // null: see allow
    std::string allow;                     // methods of a known path ("" when the path is unknown)
    std::vector<std::string_view> params;  // the "{}" segments, in order (views into the path)
};

RouteMatch match_route(std::span<const Route> routes, std::string_view path, htp_method method);
std::string_view method_name(htp_method method);

}  // namespace amq
