#include "daemon/worker/router.hpp"

namespace amq {

std::string_view method_name(htp_method method) {
    switch (method) {
    case htp_method_GET: return "GET";
    case htp_method_HEAD: return "HEAD";
    case htp_method_POST: return "POST";
    case htp_method_PUT: return "PUT";
    case htp_method_DELETE: return "DELETE";
    case htp_method_OPTIONS: return "OPTIONS";
    case htp_method_PATCH: return "PATCH";
    default: return "OTHER";
    }
}

RouteMatch match_route(std::span<const Route> routes, std::string_view path, htp_method method) {
    RouteMatch match;
    for (const Route& r : routes) {
        if (r.path != path) continue;
        if (r.method == method) {
            match.route = &r;
            return match;
        }
        if (!match.allow.empty()) match.allow += ", ";
        match.allow += method_name(r.method);
    }
    return match;
}

}  // namespace amq
