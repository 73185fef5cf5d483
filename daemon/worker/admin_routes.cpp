#include "daemon/worker/admin_routes.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/multipart.hpp"
#include "common/strings.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker/master_call.hpp"
#include "daemon/worker/router.hpp"
#include "daemon/worker/worker.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {

void send_admin_error(HttpRequest& request, int status, std::string_view message) {
    request.send_error(Dialect::admin, status, message);
}

namespace {

// The dashboard posts files as multipart/form-data; scripts may post the JSON itself.
Result<std::string> import_documents(HttpRequest& request) {
    std::string_view type = request.header("content-type").value_or("");
    std::string_view body = request.body();
    std::vector<std::pair<std::string, std::string>> documents;
    if (type.starts_with("multipart/form-data")) {
        auto parts = parse_multipart(body, type);
        if (!parts) return parts.error();
        for (auto& p : *parts)
            if (!p.filename.empty() || p.name == "file" || p.name == "files")
                documents.emplace_back(p.filename.empty() ? p.name : p.filename, std::move(p.data));
        if (documents.empty())
            return make_error(Errc::invalid_argument, "the upload holds no file");
    } else {
        documents.emplace_back("upload.json", std::string(body));
    }
    return json_object([&](JsonWriter& w) {
        w.Key("documents");
        w.StartArray();
        for (const auto& [source, content] : documents) {
            w.StartObject();
            w.Key("source");
            write_string(w, source);
            w.Key("content");
            write_string(w, content);
            w.EndObject();
        }
        w.EndArray();
    });
}

// ?days=N of the seed's statistics routes (7 when absent).
Result<std::string> days_args(const HttpRequest& request) {
    auto days = request.query("days");
    if (!days) return std::string("{}");
    auto n = parse_int(*days);
    if (!n || *n < 1 || *n > 3650)
        return make_error(Errc::invalid_argument, "query parameter 'days' must be 1 to 3650");
    return str_cat("{\"days\":", *n, "}");
}

// A GET route's arguments from its query string: the parameters it reads, text or numbers
// (others are ignored, as on every GET route); the command checks their values.
struct QueryFields {
    std::span<const char* const> text;
    std::span<const char* const> numbers;
};

constexpr const char* kLogText[] = {"since", "until",  "before",      "key",       "account",
                                    "model", "status", "error_class", "request_id"};
constexpr const char* kLogNumbers[] = {"limit"};
constexpr const char* kSeriesText[] = {"since", "until", "bucket", "key", "account", "model"};
constexpr const char* kStatsText[] = {"by"};
constexpr const char* kStatsNumbers[] = {"days"};
constexpr const char* kAuditNumbers[] = {"limit"};

Result<std::string> query_args(const HttpRequest& request, const QueryFields& wanted) {
    std::vector<std::pair<const char*, std::int64_t>> numbers;
    for (const char* name : wanted.numbers) {
        auto text = request.query(name);
        if (!text) continue;
        auto n = parse_int(*text);
        if (!n)
            return make_error(Errc::invalid_argument,
                              str_cat("query parameter '", name, "' must be a number"));
        numbers.emplace_back(name, *n);
    }
    std::vector<std::pair<const char*, std::string>> fields;
    for (const char* name : wanted.text) {
        auto raw = request.query(name);
        if (!raw || raw->empty()) continue;
        auto value = url_decode(*raw);
        if (!value || valid_utf8(*value) != *value)
            return make_error(Errc::invalid_argument, str_cat("query parameter '", name,
                                                              "' is not URL-encoded UTF-8 text"));
        fields.emplace_back(name, std::move(*value));
    }
    return json_object([&](JsonWriter& w) {
        for (const auto& [name, value] : fields) {
            w.Key(name);
            write_string(w, value);
        }
        for (const auto& [name, n] : numbers) {
            w.Key(name);
            w.Int64(n);
        }
    });
}

// The seed's ids are integers in the path.
std::optional<std::string> id_args(HttpRequest& request) {
    auto id = request.params.empty() ? std::nullopt : parse_uint(request.params[0]);
    if (!id || *id == 0) {
        send_admin_error(request, 404,
                         str_cat("no such id: ", request.params.empty() ? "" : request.params[0]));
        return std::nullopt;
    }
    return str_cat("{\"id\":", *id, "}");
}

// The JSON object body of a create or update; a malformed one is a 400 that says where.
std::optional<rapidjson::Document> object_doc(HttpRequest& request) {
    auto doc = parse_request_json(request.body());
    if (!doc) {
        send_admin_error(request, 400, str_cat("request body: ", doc.error().message));
        return std::nullopt;
    }
    if (!doc->IsObject()) {
        send_admin_error(request, 400, "request body: expected a JSON object");
        return std::nullopt;
    }
    return std::move(*doc);
}

std::optional<std::string> object_body(HttpRequest& request) {
    auto doc = object_doc(request);
    if (!doc) return std::nullopt;
    return to_json(*doc);
}

std::string member_array(const rapidjson::Value& data, const char* name) {
    const rapidjson::Value* list = find_member(data, name);
    return list ? to_json(*list) : "[]";
}

std::string accounts_array(const rapidjson::Value& data) { return member_array(data, "accounts"); }
std::string keys_array(const rapidjson::Value& data) { return member_array(data, "keys"); }

std::string message(const char* text) {
    return json_object([&](JsonWriter& w) {
        w.Key("message");
        w.String(text);
    });
}

std::string account_deleted(const rapidjson::Value&) {
    return message("Account deleted successfully");
}
std::string key_deleted(const rapidjson::Value&) { return message("API key deleted successfully"); }
std::string key_revoked(const rapidjson::Value&) { return message("API key revoked successfully"); }

// The seed answered a new key with the key's fields and its secret ("key") side by side; the
// secret appears in this answer only.
std::string created_key(const rapidjson::Value& data) {
    return json_object([&](JsonWriter& w) {
        if (const rapidjson::Value* key = find_member(data, "api_key"))
            for (const auto& m : key->GetObject()) {
                w.Key(m.name.GetString(), m.name.GetStringLength());
                m.value.Accept(w);
            }
        w.Key("key");
        write_string(w, find_string(data, "key").value_or(""));
    });
}

// {"id":1} and {"days":7} → {"id":1,"days":7}: objects as to_json writes them.
std::string joined_objects(const std::string& first, const std::string& second) {
    if (second.size() <= 2) return first;
    if (first.size() <= 2) return second;
    return str_cat(first.substr(0, first.size() - 1), ",", second.substr(1));
}

std::string with_target(const char* target_field, const std::string& id_json,
                        const std::string& body) {
    return str_cat("{\"", target_field, "\":", id_json, ",\"set\":", body, "}");
}

// Sends the command with the caller's key; the master checks it is an admin key.
void forward_admin(Worker& worker, HttpRequest& request, std::string_view command,
                   const std::string& args_json, AdminShape shape) {
    std::string_view key = *request.api_key();  // the route declares Auth::admin
    std::string args =
        encode_message(AdminCall{api_key_hash(key), std::string(command), JsonText{args_json}});
    call_for_request(worker.admin_link(), request, wire::kAdmin, args,
                     [shape](HttpRequest& r, const rapidjson::Value* data, const CallError& error) {
                         if (!data) return send_admin_error(r, error.status, error.message);
                         r.send_json(200, shape ? shape(*data) : to_json(*data));
                     });
}

// The /admin API: each route one command; its arguments from the path, the query or the body.
constexpr AdminRoute kAdminRoutes[] = {
    {"/admin/accounts", htp_method_POST, "account.add", AdminArgs::body},
    {"/admin/accounts", htp_method_GET, "account.list", AdminArgs::none, nullptr, accounts_array},
    {"/admin/accounts/upload-json", htp_method_POST, "account.import", AdminArgs::upload},
    {"/admin/accounts/login", htp_method_POST, "account.login", AdminArgs::body},
    {"/admin/accounts/login/{}", htp_method_GET, "account.login-status", AdminArgs::id},
    {"/admin/accounts/login/{}", htp_method_DELETE, "account.login-cancel", AdminArgs::id},
    {"/admin/accounts/login/{}/complete", htp_method_POST, "account.login-complete",
     AdminArgs::id_field, "callback_url"},
    {"/admin/accounts/{}", htp_method_GET, "account.show", AdminArgs::id},
    {"/admin/accounts/{}", htp_method_PUT, "account.update", AdminArgs::id_set, "account"},
    {"/admin/accounts/{}", htp_method_DELETE, "account.remove", AdminArgs::id, nullptr,
     account_deleted},
    {"/admin/accounts/{}/refresh-token", htp_method_POST, "account.refresh", AdminArgs::id},
    {"/admin/accounts/{}/stats", htp_method_GET, "account.stats", AdminArgs::id_days},
    {"/admin/accounts/{}/quota", htp_method_GET, "account.quota", AdminArgs::id},
    {"/admin/accounts/{}/events", htp_method_GET, "account.events", AdminArgs::id},
    {"/admin/accounts/{}/reset-health", htp_method_POST, "account.reset-health",
     AdminArgs::id_field, "note"},
    {"/admin/api-keys", htp_method_POST, "key.create", AdminArgs::body, nullptr, created_key},
    {"/admin/api-keys", htp_method_GET, "key.list", AdminArgs::none, nullptr, keys_array},
    {"/admin/api-keys/{}", htp_method_GET, "key.show", AdminArgs::id},
    {"/admin/api-keys/{}", htp_method_PUT, "key.update", AdminArgs::id_set, "key"},
    {"/admin/api-keys/{}", htp_method_DELETE, "key.remove", AdminArgs::id, nullptr, key_deleted},
    {"/admin/api-keys/{}/revoke", htp_method_POST, "key.revoke", AdminArgs::id, nullptr,
     key_revoked},
    {"/admin/status", htp_method_GET, "status", AdminArgs::none},
    {"/admin/audit", htp_method_GET, "audit", AdminArgs::audit_query},
    {"/admin/usage", htp_method_GET, "usage.log", AdminArgs::log_query},
    {"/admin/usage/series", htp_method_GET, "usage.series", AdminArgs::series_query},
    {"/admin/stats", htp_method_GET, "stats", AdminArgs::stats_query},
    {"/admin/stats/accounts", htp_method_GET, "stats.accounts", AdminArgs::none},
    {"/admin/stats/api-keys", htp_method_GET, "stats.api_keys", AdminArgs::none},
    {"/admin/stats/tokens", htp_method_GET, "stats.tokens", AdminArgs::days},
    {"/admin/stats/account-usage", htp_method_GET, "stats.account_usage", AdminArgs::days},
};

// {"note": "..."} only: the account is the path's, and the body may not name another.
std::optional<std::string> one_field_body(HttpRequest& request, std::string_view field) {
    auto doc = object_doc(request);
    if (!doc) return std::nullopt;
    const std::string_view only[] = {field};
    if (auto st = check_fields(*doc, only); !st) {
        send_admin_error(request, 400, st.error().message);
        return std::nullopt;
    }
    return to_json(*doc);
}

// Arguments read from the request, or nullopt once the client has had a 400 saying why not.
std::optional<std::string> or_bad_request(HttpRequest& request, Result<std::string> args) {
    if (!args) {
        send_admin_error(request, 400, args.error().message);
        return std::nullopt;
    }
    return std::move(*args);
}

// The command's arguments, or nullopt once the client has been told what is wrong.
std::optional<std::string> admin_args(const AdminRoute& route, HttpRequest& request) {
    auto with_id = [&](auto&& rest) -> std::optional<std::string> {
        auto id = id_args(request);
        if (!id) return std::nullopt;
        return rest(*id);
    };
    auto with_days = [&](const std::string& base) -> std::optional<std::string> {
        auto days = or_bad_request(request, days_args(request));
        if (!days) return std::nullopt;
        return joined_objects(base, *days);
    };
    switch (route.args) {
        case AdminArgs::none: return std::string("{}");
        case AdminArgs::body: return object_body(request);
        case AdminArgs::id: return id_args(request);
        case AdminArgs::days: return with_days("{}");
        case AdminArgs::log_query:
            return or_bad_request(request, query_args(request, {kLogText, kLogNumbers}));
        case AdminArgs::series_query:
            return or_bad_request(request, query_args(request, {kSeriesText, {}}));
        case AdminArgs::stats_query:
            return or_bad_request(request, query_args(request, {kStatsText, kStatsNumbers}));
        case AdminArgs::audit_query:
            return or_bad_request(request, query_args(request, {{}, kAuditNumbers}));
        case AdminArgs::id_days: return with_id(with_days);
        case AdminArgs::upload: return or_bad_request(request, import_documents(request));
        case AdminArgs::id_set:
            return with_id([&](const std::string& id) -> std::optional<std::string> {
                auto body = object_body(request);
                if (!body) return std::nullopt;
                return with_target(route.target, id, *body);
            });
        case AdminArgs::id_field:
            return with_id([&](const std::string& id) -> std::optional<std::string> {
                auto body = one_field_body(request, route.target);
                if (!body) return std::nullopt;
                return joined_objects(id, *body);
            });
    }
    return std::nullopt;
}

}  // namespace

std::span<const AdminRoute> admin_routes() { return kAdminRoutes; }

void handle_admin(Worker& worker, HttpRequest& request) {
    const AdminRoute& route = *request.route->admin;
    if (auto args = admin_args(route, request))
        forward_admin(worker, request, route.command, *args, route.shape);
}

}  // namespace amq
