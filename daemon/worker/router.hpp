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

using RouteHandler = void (*)(Worker& worker, HttpRequest& request);

struct Route {
    std::string_view path;
    htp_method method;
    RouteHandler handler;
};

struct RouteMatch {
    const Route* route = nullptr;          // null: see allow
    std::string allow;                     // methods of a known path ("" when the path is unknown)
    std::vector<std::string_view> params;  // the "{}" segments, in order (views into the path)
};

RouteMatch match_route(std::span<const Route> routes, std::string_view path, htp_method method);
std::string_view method_name(htp_method method);

}  // namespace amq
