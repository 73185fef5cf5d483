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

namespace {

// Matches `path` against `pattern` segment by segment; "{}" takes one non-empty segment.
bool match_path(std::string_view pattern, std::string_view path,
                std::vector<std::string_view>& params) {
    params.clear();
    while (!pattern.empty() || !path.empty()) {
        size_t p_end = pattern.find('/', 1);
        size_t s_end = path.find('/', 1);
        std::string_view p_seg = pattern.substr(0, p_end);
        std::string_view s_seg = path.substr(0, s_end);
        if (p_seg == "/{}") {
            if (s_seg.size() < 2) return false;
            params.push_back(s_seg.substr(1));
        } else if (p_seg != s_seg) {
            return false;
        }
        pattern = p_end == std::string_view::npos ? std::string_view() : pattern.substr(p_end);
        path = s_end == std::string_view::npos ? std::string_view() : path.substr(s_end);
    }
    return true;
}

}  // namespace

// HEAD is GET without the body (RFC 9110 9.3.2): every GET route answers it.
RouteMatch match_route(std::span<const Route> routes, std::string_view path, htp_method method) {
    RouteMatch match;
    std::vector<std::string_view> params;
    for (const Route& r : routes) {
        if (!match_path(r.path, path, params)) continue;
        if (r.method == method || (method == htp_method_HEAD && r.method == htp_method_GET)) {
            match.route = &r;
            match.params = std::move(params);
            return match;
        }
        if (!match.allow.empty()) match.allow += ", ";
        match.allow += method_name(r.method);
        if (r.method == htp_method_GET) match.allow += ", HEAD";
    }
    return match;
}

}  // namespace amq
