// The HTTP admin API (/admin/...): a table of routes, each turning its request into one
// command of the master's command table and its answer into JSON, for admin keys only.
// Errors look like the seed's FastAPI ones: {"detail": "..."} with the status of the error.
#pragma once

#include <evhtp/parser.h>

#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace amq {

class Worker;
struct HttpRequest;

// Reshapes a command's data into the HTTP answer (the seed's lists are bare arrays, …).
using AdminShape = std::string (*)(const rapidjson::Value& data);

void send_admin_error(HttpRequest& request, int status, std::string_view message);

// How a route's command arguments come from its request.
enum class AdminArgs {
    none,      // {}
    body,      // the JSON object body
    id,        // {"id": <path id>}
    days,      // {"days": <?days=>} (7 when absent)
    id_days,   // both
    id_set,    // {"<target>": {"id": <path id>}, "set": <body>}: an update
    id_field,  // {"id": <path id>, "<target>": ...}: the body holds only that member
    upload,    // {"documents": [...]}: token files posted as JSON or multipart/form-data
    log_query,    // the request log's filters from the query string
    stats_query,  // ?days=&by= of the statistics
    series_query, // the charts' range, bucket and filters from the query string
    audit_query,  // ?limit= of the audit log
};

struct AdminRoute {
    std::string_view path;
    htp_method method;
    std::string_view command;  // of the master's command table (docs/admin-api.md)
    AdminArgs args;
    const char* target = nullptr;  // id_set: the member naming the record; id_field: the one
                                   // member of the body
    AdminShape shape = nullptr;    // null: the command's data as it is
};

std::span<const AdminRoute> admin_routes();
// The handler of every admin route: forwards request.route->admin's command.
void handle_admin(Worker& worker, HttpRequest& request);

}  // namespace amq
