#include "daemon/master/record_codec.hpp"

#include <cstdint>
#include <optional>
#include <utility>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

void put_string(JsonWriter& w, std::string_view name, std::string_view value) {
    write_key(w, name);
    write_string(w, value);
}

void put_int(JsonWriter& w, std::string_view name, std::int64_t value) {
    write_key(w, name);
    w.Int64(value);
}

void put_bool(JsonWriter& w, std::string_view name, bool value) {
    write_key(w, name);
    w.Bool(value);
}

void put_header(JsonWriter& w, std::uint64_t id) {
    write_key(w, "v");
    w.Int(kRecordVersion);
    write_key(w, "id");
    w.Uint64(id);
}

void get_string(FieldReader& f, const char* name, std::string& out, bool required = false) {
    if (auto v = f.string(name, required)) out = std::move(*v);
}

void get_int(FieldReader& f, const char* name, std::int64_t& out) {
    if (auto v = f.integer(name)) out = *v;
}

void get_bool(FieldReader& f, const char* name, bool& out) {
    if (auto v = f.boolean(name)) out = *v;
}

// Ids start at 1: a record without one was never written by the store.
void get_id(FieldReader& f, std::uint64_t& out) {
    if (auto v = f.integer("id", true, 1)) out = static_cast<std::uint64_t>(*v);
}

Error corrupt(std::string_view noun, std::string_view why) {
    return make_error(Errc::internal, str_cat("corrupt ", noun, " record: ", why));
}

// Parses one document, checks its version and lets `body` read the fields.
template <class Body>
Status decode_document(std::string_view text, std::string_view noun, Body&& body) {
    auto doc = parse_json(text);
    if (!doc) return corrupt(noun, doc.error().message);
    FieldReader fields(*doc);
    std::optional<std::int64_t> version = fields.integer("v", true);
    if (version && *version != kRecordVersion)
        return corrupt(noun, str_cat("unsupported format version ", *version));
    body(fields);
    if (Status status = fields.status(); !status) return corrupt(noun, status.error().message);
    return {};
}

}  // namespace

std::string encode_account(const Account& a) {
    return json_object([&](JsonWriter& w) {
        put_header(w, a.id);
        put_string(w, "name", a.name);
        put_string(w, "kind", a.kind);
        put_string(w, "client_id", a.client_id);
        put_string(w, "profile_arn", a.profile_arn);
        put_string(w, "region", a.region);
        put_string(w, "api_endpoint", a.api_endpoint);
        put_string(w, "api_flavour", a.api_flavour);
        put_string(w, "origin", a.origin);
        put_string(w, "proxy", a.proxy);
        put_bool(w, "enabled", a.enabled);
        put_int(w, "requests_per_minute", a.requests_per_minute);
        put_string(w, "notes", a.notes);
        put_int(w, "created_at", a.created_at);
        put_int(w, "updated_at", a.updated_at);
    });
}

Result<Account> decode_account(std::string_view text) {
    Account a;
    Status status = decode_document(text, "account", [&](FieldReader& f) {
        get_id(f, a.id);
        get_string(f, "name", a.name, true);
        get_string(f, "kind", a.kind);
        get_string(f, "client_id", a.client_id);
        get_string(f, "profile_arn", a.profile_arn);
        get_string(f, "region", a.region);
        get_string(f, "api_endpoint", a.api_endpoint);
        get_string(f, "api_flavour", a.api_flavour);
        get_string(f, "origin", a.origin);
        get_string(f, "proxy", a.proxy);
        get_bool(f, "enabled", a.enabled);
        get_int(f, "requests_per_minute", a.requests_per_minute);
        get_string(f, "notes", a.notes);
        get_int(f, "created_at", a.created_at);
        get_int(f, "updated_at", a.updated_at);
    });
    if (!status) return status.error();
    return a;
}

std::string encode_credentials(const AccountCredentials& c) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "v");
        w.Int(kRecordVersion);
        put_string(w, "refresh_token", c.refresh_token);
        put_string(w, "client_secret", c.client_secret);
        put_string(w, "access_token", c.access_token);
        put_int(w, "access_expires_at", c.access_expires_at);
    });
}

Result<AccountCredentials> decode_credentials(std::string_view text) {
    AccountCredentials c;
    Status status = decode_document(text, "credentials", [&](FieldReader& f) {
        get_string(f, "refresh_token", c.refresh_token);
        get_string(f, "client_secret", c.client_secret);
        get_string(f, "access_token", c.access_token);
        get_int(f, "access_expires_at", c.access_expires_at);
    });
    if (!status) return status.error();
    return c;
}

std::string encode_api_key(const ApiKey& k) {
    return json_object([&](JsonWriter& w) {
        put_header(w, k.id);
        put_string(w, "name", k.name);
        put_string(w, "description", k.description);
        put_string(w, "secret_hash", k.secret_hash);
        put_string(w, "display", k.display);
        put_bool(w, "is_admin", k.is_admin);
        put_bool(w, "enabled", k.enabled);
        put_int(w, "requests_per_minute", k.requests_per_minute);
        put_int(w, "requests_per_day", k.requests_per_day);
        put_int(w, "max_concurrent", k.max_concurrent);
        write_key(w, "allowed_models");
        w.StartArray();
        for (const auto& m : k.allowed_models) write_string(w, m);
        w.EndArray();
        put_int(w, "expires_at", k.expires_at);
        put_int(w, "created_at", k.created_at);
        put_int(w, "updated_at", k.updated_at);
        put_int(w, "last_used_at", k.last_used_at);
    });
}

Result<ApiKey> decode_api_key(std::string_view text) {
    ApiKey k;
    Status status = decode_document(text, "API key", [&](FieldReader& f) {
        get_id(f, k.id);
        get_string(f, "name", k.name, true);
        get_string(f, "description", k.description);
        get_string(f, "secret_hash", k.secret_hash, true);
        get_string(f, "display", k.display);
        get_bool(f, "is_admin", k.is_admin);
        get_bool(f, "enabled", k.enabled);
        get_int(f, "requests_per_minute", k.requests_per_minute);
        get_int(f, "requests_per_day", k.requests_per_day);
        get_int(f, "max_concurrent", k.max_concurrent);
        if (const rapidjson::Value* models = f.array("allowed_models"))
            for (const auto& m : models->GetArray())
                if (m.IsString()) k.allowed_models.emplace_back(m.GetString(), m.GetStringLength());
        get_int(f, "expires_at", k.expires_at);
        get_int(f, "created_at", k.created_at);
        get_int(f, "updated_at", k.updated_at);
        get_int(f, "last_used_at", k.last_used_at);
    });
    if (!status) return status.error();
    return k;
}

// Usage records are keyed by time, not id: the header carries only the version.
std::string encode_usage(const UsageRecord& u) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "v");
        w.Int(kRecordVersion);
        put_int(w, "time_ms", u.time_ms);
        put_int(w, "key_id", static_cast<std::int64_t>(u.key_id));
        put_int(w, "account_id", static_cast<std::int64_t>(u.account_id));
        put_string(w, "endpoint", u.endpoint);
        put_string(w, "client_model", u.client_model);
        put_string(w, "upstream_model", u.upstream_model);
        put_bool(w, "stream", u.stream);
        put_int(w, "status", u.status);
        put_string(w, "error_class", u.error_class);
        put_int(w, "input_tokens", u.input_tokens);
        put_int(w, "output_tokens", u.output_tokens);
        put_int(w, "ttfb_ms", u.ttfb_ms);
        put_int(w, "duration_ms", u.duration_ms);
        put_int(w, "attempts", u.attempts);
        put_string(w, "client_address", u.client_address);
        put_string(w, "user_agent", u.user_agent);
    });
}

Result<UsageRecord> decode_usage(std::string_view text) {
    UsageRecord u;
    std::int64_t key_id = 0, account_id = 0, status_code = 0, attempts = 0;
    Status status = decode_document(text, "usage", [&](FieldReader& f) {
        get_int(f, "time_ms", u.time_ms);
        get_int(f, "key_id", key_id);
        get_int(f, "account_id", account_id);
        get_string(f, "endpoint", u.endpoint);
        get_string(f, "client_model", u.client_model);
        get_string(f, "upstream_model", u.upstream_model);
        get_bool(f, "stream", u.stream);
        get_int(f, "status", status_code);
        get_string(f, "error_class", u.error_class);
        get_int(f, "input_tokens", u.input_tokens);
        get_int(f, "output_tokens", u.output_tokens);
        get_int(f, "ttfb_ms", u.ttfb_ms);
        get_int(f, "duration_ms", u.duration_ms);
        get_int(f, "attempts", attempts);
        get_string(f, "client_address", u.client_address);
        get_string(f, "user_agent", u.user_agent);
    });
    if (!status) return status.error();
    u.key_id = static_cast<std::uint64_t>(key_id);
    u.account_id = static_cast<std::uint64_t>(account_id);
    u.status = static_cast<int>(status_code);
    u.attempts = static_cast<int>(attempts);
    return u;
}

std::string encode_rollup(const Rollup& r) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "v");
        w.Int(kRecordVersion);
        put_int(w, "requests", r.requests);
        put_int(w, "errors", r.errors);
        put_int(w, "input_tokens", r.input_tokens);
        put_int(w, "output_tokens", r.output_tokens);
        put_int(w, "ttfb_ms_sum", r.ttfb_ms_sum);
        put_int(w, "duration_ms_sum", r.duration_ms_sum);
    });
}

Result<Rollup> decode_rollup(std::string_view text) {
    Rollup r;
    Status status = decode_document(text, "rollup", [&](FieldReader& f) {
        get_int(f, "requests", r.requests);
        get_int(f, "errors", r.errors);
        get_int(f, "input_tokens", r.input_tokens);
        get_int(f, "output_tokens", r.output_tokens);
        get_int(f, "ttfb_ms_sum", r.ttfb_ms_sum);
        get_int(f, "duration_ms_sum", r.duration_ms_sum);
    });
    if (!status) return status.error();
    return r;
}

std::string encode_audit(const AuditEntry& a) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "v");
        w.Int(kRecordVersion);
        put_int(w, "at_ms", a.at_ms);
        put_string(w, "actor", a.actor);
        put_string(w, "command", a.command);
        put_string(w, "args_json", a.args_json);
        put_string(w, "before_json", a.before_json);
        put_string(w, "after_json", a.after_json);
    });
}

Result<AuditEntry> decode_audit(std::string_view text) {
    AuditEntry a;
    Status status = decode_document(text, "audit", [&](FieldReader& f) {
        get_int(f, "at_ms", a.at_ms);
        get_string(f, "actor", a.actor);
        get_string(f, "command", a.command, true);
        get_string(f, "args_json", a.args_json);
        get_string(f, "before_json", a.before_json);
        get_string(f, "after_json", a.after_json);
    });
    if (!status) return status.error();
    return a;
}

}  // namespace amq
