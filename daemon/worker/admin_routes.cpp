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
    request.send_json(status, json_object([&](JsonWriter& w) {
        w.Key("detail");
        write_string(w, message);
    }));
}

void forward_admin(Worker& worker, HttpRequest& request, std::string_view command,
                   const std::string& args_json, int success_status) {
    auto key = request.api_key();
    if (!key) return send_admin_error(request, 401, "missing API key: send an admin key as Authorization: Bearer");
    std::string args = json_object([&](JsonWriter& w) {
        w.Key("key_hash");
        write_string(w, api_key_hash(*key));
        w.Key("command");
        write_string(w, command);
        w.Key("args");
        w.RawValue(args_json.data(), args_json.size(), rapidjson::kObjectType);
    });
    call_for_request(worker, request, wire::kAdmin, args,
                     [success_status](HttpRequest& r, const rapidjson::Value* data, const CallError& error) {
                         if (!data) return send_admin_error(r, error.status, error.message);
                         r.send_json(success_status, to_json(*data));
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
        if (documents.empty()) return make_error(Errc::invalid_argument, "the upload holds no file");
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
    if (!n || *n < 1 || *n > 3650) return make_error(Errc::invalid_argument, "query parameter 'days' must be 1 to 3650");
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

}  // namespace amq
