#include "daemon/worker/admin_routes.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/multipart.hpp"
#include "common/strings.hpp"
#include "daemon/worker/master_call.hpp"
#include "daemon/worker/worker.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {

void send_admin_error(HttpRequest& request, int status, std::string_view message) {
    request.send_error(Dialect::admin, status, message);
}

void forward_admin(Worker& worker, HttpRequest& request, std::string_view command,
                   const std::string& args_json, int success_status, AdminShape shape) {
    auto key = request.api_key();
    if (!key)
        return send_admin_error(request, 401,
                                "missing API key: send an admin key as Authorization: Bearer");
    std::string args = json_object([&](JsonWriter& w) {
        w.Key("key_hash");
        write_string(w, api_key_hash(*key));
        w.Key("command");
        write_string(w, command);
        w.Key("args");
        w.RawValue(args_json.data(), args_json.size(), rapidjson::kObjectType);
    });
    call_for_request(worker.admin_link(), request, wire::kAdmin, args,
                     [success_status, shape](HttpRequest& r, const rapidjson::Value* data,
                                             const CallError& error) {
                         if (!data) return send_admin_error(r, error.status, error.message);
                         r.send_json(success_status, shape ? shape(*data) : to_json(*data));
                     });
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

}  // namespace

void handle_admin_upload_json(Worker& worker, HttpRequest& request) {
    auto args = import_documents(request);
    if (!args) return send_admin_error(request, 400, args.error().message);
    forward_admin(worker, request, "account.import", *args);
}

namespace {

// ?days=N of the seed's statistics routes (7 when absent).
Result<std::string> days_args(const HttpRequest& request) {
    auto days = request.query("days");
    if (!days) return std::string("{}");
    auto n = parse_int(*days);
    if (!n || *n < 1 || *n > 3650)
        return make_error(Errc::invalid_argument, "query parameter 'days' must be 1 to 3650");
    return str_cat("{\"days\":", *n, "}");
}

void forward_with_days(Worker& worker, HttpRequest& request, std::string_view command) {
    auto args = days_args(request);
    if (!args) return send_admin_error(request, 400, args.error().message);
    forward_admin(worker, request, command, *args);
}

}  // namespace

void handle_admin_stats_accounts(Worker& worker, HttpRequest& request) {
    forward_admin(worker, request, "stats.accounts", "{}");
}

void handle_admin_stats_api_keys(Worker& worker, HttpRequest& request) {
    forward_admin(worker, request, "stats.api_keys", "{}");
}

void handle_admin_stats_tokens(Worker& worker, HttpRequest& request) {
    forward_with_days(worker, request, "stats.tokens");
}

void handle_admin_stats_account_usage(Worker& worker, HttpRequest& request) {
    forward_with_days(worker, request, "stats.account_usage");
}

namespace {

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

// The JSON body of a create or update; a malformed one is a 400 that says where.
std::optional<std::string> object_body(HttpRequest& request) {
    auto doc = parse_request_json(request.body());
    if (!doc) {
        send_admin_error(request, 400, str_cat("request body: ", doc.error().message));
        return std::nullopt;
    }
    if (!doc->IsObject()) {
        send_admin_error(request, 400, "request body: expected a JSON object");
        return std::nullopt;
    }
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
    return str_cat(first.substr(0, first.size() - 1), ",", second.substr(1));
}

std::string with_target(const char* target_field, const std::string& id_json,
                        const std::string& body) {
    return str_cat("{\"", target_field, "\":", id_json, ",\"set\":", body, "}");
}

}  // namespace

void handle_admin_accounts_create(Worker& worker, HttpRequest& request) {
    if (auto body = object_body(request)) forward_admin(worker, request, "account.add", *body);
}

void handle_admin_accounts_list(Worker& worker, HttpRequest& request) {
    forward_admin(worker, request, "account.list", "{}", 200, accounts_array);
}

void handle_admin_account_get(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request)) forward_admin(worker, request, "account.show", *id);
}

void handle_admin_account_update(Worker& worker, HttpRequest& request) {
    auto id = id_args(request);
    if (!id) return;
    if (auto body = object_body(request))
        forward_admin(worker, request, "account.update", with_target("account", *id, *body));
}

void handle_admin_account_delete(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request))
        forward_admin(worker, request, "account.remove", *id, 200, account_deleted);
}

void handle_admin_account_refresh(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request)) forward_admin(worker, request, "account.refresh", *id);
}

// Body {"note": "..."}: why the account may serve again, kept in the audit log. The account is
// the path's; the body may name nothing else.
void handle_admin_account_reset_health(Worker& worker, HttpRequest& request) {
    auto id = id_args(request);
    if (!id) return;
    auto body = object_body(request);
    if (!body) return;
    auto doc = parse_request_json(*body);
    for (const auto& m : doc->GetObject())
        if (std::string_view(m.name.GetString(), m.name.GetStringLength()) != "note")
            return send_admin_error(request, 400,
                                    str_cat("unknown field '", m.name.GetString(), "'"));
    forward_admin(worker, request, "account.reset-health", joined_objects(*id, *body));
}

void handle_admin_account_stats(Worker& worker, HttpRequest& request) {
    auto id = id_args(request);
    if (!id) return;
    auto days = days_args(request);
    if (!days) return send_admin_error(request, 400, days.error().message);
    forward_admin(worker, request, "account.stats", joined_objects(*id, *days));
}

void handle_admin_account_quota(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request)) forward_admin(worker, request, "account.quota", *id);
}

void handle_admin_keys_create(Worker& worker, HttpRequest& request) {
    if (auto body = object_body(request))
        forward_admin(worker, request, "key.create", *body, 200, created_key);
}

void handle_admin_keys_list(Worker& worker, HttpRequest& request) {
    forward_admin(worker, request, "key.list", "{}", 200, keys_array);
}

void handle_admin_key_get(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request)) forward_admin(worker, request, "key.show", *id);
}

void handle_admin_key_update(Worker& worker, HttpRequest& request) {
    auto id = id_args(request);
    if (!id) return;
    if (auto body = object_body(request))
        forward_admin(worker, request, "key.update", with_target("key", *id, *body));
}

void handle_admin_key_delete(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request))
        forward_admin(worker, request, "key.remove", *id, 200, key_deleted);
}

void handle_admin_key_revoke(Worker& worker, HttpRequest& request) {
    if (auto id = id_args(request))
        forward_admin(worker, request, "key.revoke", *id, 200, key_revoked);
}

}  // namespace amq
