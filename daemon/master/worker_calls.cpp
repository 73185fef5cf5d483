#include "daemon/master/worker_calls.hpp"

#include "common/api_error.hpp"
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "daemon/event.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

std::string reply_ok(std::uint64_t id, const std::string& data) {
    return json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kReply);
        w.Key("id");
        w.Uint64(id);
        w.Key("ok");
        w.Bool(true);
        w.Key("data");
        w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
    });
}

std::string reply_error(std::uint64_t id, int status, std::string_view message) {
    return json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kReply);
        w.Key("id");
        w.Uint64(id);
        w.Key("ok");
        w.Bool(false);
        w.Key("error");
        w.StartObject();
        w.Key("status");
        w.Int(status);
        w.Key("message");
        write_string(w, message);
        w.EndObject();
    });
}

std::string reply_refusal(std::uint64_t id, const NoAccount& refusal) {
    return json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kReply);
        w.Key("id");
        w.Uint64(id);
        w.Key("ok");
        w.Bool(false);
        w.Key("error");
        w.StartObject();
        w.Key("status");
        w.Int(refusal.status);
        w.Key("message");
        write_string(w, refusal.message);
        if (refusal.retry_at_ms) {
            std::int64_t wait_ms = std::max<std::int64_t>(*refusal.retry_at_ms - unix_millis(), 0);
            w.Key("retry_after");
            w.Int64((wait_ms + 999) / 1000);
        }
        w.EndObject();
    });
}

// Accounts may carry their own endpoint, flavour, origin and proxy ("" = the worker's).
std::string grant_json(std::uint64_t key_id, const Account& account, const AccessToken& token) {
    return json_object([&](JsonWriter& w) {
        w.Key("key_id");
        w.Uint64(key_id);
        w.Key("account_id");
        w.Uint64(account.id);
        w.Key("account_name");
        write_string(w, account.name);
        w.Key("profile_arn");
        write_string(w, account.profile_arn);
        w.Key("api_endpoint");
        write_string(w, account.api_endpoint);
        w.Key("api_flavour");
        write_string(w, account.api_flavour);
        w.Key("origin");
        write_string(w, account.origin);
        w.Key("proxy");
        write_string(w, account.proxy);
        w.Key("access_token");
        write_string(w, token.token);
        w.Key("serial");
        w.Uint64(token.serial);
    });
}

}  // namespace

struct WorkerCalls::Admission {
    std::uint64_t call_id = 0;
    std::uint64_t key_id = 0;
    PickRequest pick;
    Send send;
};

namespace {

// What a worker says about the account its previous attempt failed on.
void read_failure(const rapidjson::Value* failed, PoolState& pool) {
    if (!failed || !failed->IsObject()) return;
    FieldReader f(*failed);
    auto account_id = f.integer("account_id", true, 1);
    std::string error_class = f.string("class").value_or("");
    std::optional<double> retry_after;
    if (auto ra = f.integer("retry_after", false, 0)) retry_after = static_cast<double>(*ra);
    std::string message = f.string("message").value_or("");
    if (!f.ok()) return;
    if (auto outcome = outcome_for_class(error_class, retry_after, message))
        pool.report(static_cast<std::uint64_t>(*account_id), *outcome);
}

}  // namespace

WorkerCalls::WorkerCalls(Store& store, TokenRefresher& refresher, PoolState& pool, UsageRecorder& usage,
                         AdminFn admin)
    : store_(store), refresher_(refresher), pool_(pool), usage_(usage), admin_(std::move(admin)) {}

void WorkerCalls::on_frame(const rapidjson::Document& frame, Send send) {
    FieldReader f(frame);
    std::string type = f.string("t").value_or("");
    const rapidjson::Value* args = f.object("args", true);
    if (!args) {
        log_warning("worker frame without args: ", f.status().ok() ? "" : f.status().error().message);
        return;
    }
    if (type == wire::kReport) return report(*args);
    auto id = f.integer("id", true, 0);
    std::string cmd = f.string("cmd", true).value_or("");
    if (!f.ok()) {
        log_warning("malformed call from a worker: ", f.status().error().message);
        return;
    }
    auto call_id = static_cast<std::uint64_t>(*id);
    if (cmd == wire::kAdmit) admit(call_id, *args, std::move(send));
    else if (cmd == wire::kRefresh) refresh(call_id, *args, std::move(send));
    else if (cmd == wire::kAuth) auth(call_id, *args, std::move(send));
    else if (cmd == wire::kAdmin) admin(call_id, *args, std::move(send));
    else send(reply_error(call_id, 500, str_cat("unknown worker call '", cmd, "'")));
}

Result<ApiKey> WorkerCalls::usable_key(const rapidjson::Value& args) {
    FieldReader f(args);
    std::string hash = f.string("key_hash", true).value_or("");
    if (!f.ok()) return f.status().error();
    auto key = store_.find_key_by_hash(hash);
    if (!key || !constant_time_equal(key->secret_hash, hash))
        return make_error(Errc::unauthenticated, "invalid API key");
    if (!key->enabled) return make_error(Errc::unauthenticated, "this API key is disabled");
    if (key->expires_at != 0 && key->expires_at <= unix_seconds())
        return make_error(Errc::unauthenticated, "this API key has expired");
    return key;
}

void WorkerCalls::auth(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    auto key = usable_key(args);
    if (!key) return send(reply_error(call_id, 401, key.error().message));
    send(reply_ok(call_id, json_object([&](JsonWriter& w) {
        w.Key("key_id");
        w.Uint64(key->id);
    })));
}

// Only admin keys reach the command layer over HTTP.
void WorkerCalls::admin(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    auto key = usable_key(args);
    if (!key) return send(reply_error(call_id, 401, key.error().message));
    if (!key->is_admin) return send(reply_error(call_id, 403, "this API key is not an admin key"));
    FieldReader f(args);
    std::string command = f.string("command", true).value_or("");
    const rapidjson::Value* command_args = f.object("args", true);
    if (!f.ok()) return send(reply_error(call_id, 400, f.status().error().message));
    admin_(key->id, command, *command_args, [call_id, send](Result<std::string> result) {
        if (!result) return send(reply_error(call_id, http_status(result.error().code), result.error().message));
        send(reply_ok(call_id, *result));
    });
}

void WorkerCalls::admit(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    FieldReader f(args);
    read_failure(f.object("failed"), pool_);
    auto key = usable_key(args);
    if (!key) return send(reply_error(call_id, 401, key.error().message));
    auto admission = std::make_shared<Admission>();
    admission->call_id = call_id;
    admission->key_id = key->id;
    admission->send = std::move(send);
    admission->pick.session = f.string("session").value_or("");
    if (const rapidjson::Value* exclude = f.array("exclude"))
        for (const auto& v : exclude->GetArray())
            if (v.IsUint64()) admission->pick.exclude.insert(v.GetUint64());
    try_next_account(std::move(admission));
}

// An account whose token cannot be had is skipped for this request; the next one is tried.
void WorkerCalls::try_next_account(std::shared_ptr<Admission> a) {
    a->pick.now_ms = unix_millis();
    auto picked = pool_.pick(a->pick);
    if (auto* refusal = std::get_if<NoAccount>(&picked)) return a->send(reply_refusal(a->call_id, *refusal));
    Account chosen = std::get<Account>(std::move(picked));
    refresher_.get(chosen.id, unix_seconds(), std::nullopt, [this, a, chosen](Result<AccessToken> token) {
        if (token) return a->send(reply_ok(a->call_id, grant_json(a->key_id, chosen, *token)));
        pool_.release(chosen.id);
        a->pick.exclude.insert(chosen.id);
        try_next_account(a);
    });
}

void WorkerCalls::refresh(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    FieldReader f(args);
    auto account_id = f.integer("account_id", true, 1);
    auto serial = f.integer("serial", true, 0);
    auto key_id = f.integer("key_id", false, 0).value_or(0);
    if (!f.ok()) return send(reply_error(call_id, 500, f.status().error().message));
    auto account = store_.get_account(static_cast<std::uint64_t>(*account_id));
    if (!account) return send(reply_error(call_id, 503, account.error().message));
    refresher_.get(account->id, unix_seconds(), static_cast<std::uint64_t>(*serial),
                   [call_id, send, chosen = *account, key_id](Result<AccessToken> token) {
                       if (!token) return send(reply_error(call_id, 503, token.error().message));
                       send(reply_ok(call_id, grant_json(static_cast<std::uint64_t>(key_id), chosen, *token)));
                   });
}

void WorkerCalls::report(const rapidjson::Value& args) {
    FieldReader f(args);
    UsageRecord u;
    u.time_ms = unix_millis();
    u.key_id = static_cast<std::uint64_t>(f.integer("key_id").value_or(0));
    u.account_id = static_cast<std::uint64_t>(f.integer("account_id").value_or(0));
    u.endpoint = f.string("endpoint").value_or("");
    u.client_model = f.string("client_model").value_or("");
    u.upstream_model = f.string("upstream_model").value_or("");
    u.stream = f.boolean("stream").value_or(false);
    u.status = static_cast<int>(f.integer("status").value_or(0));
    u.error_class = f.string("error_class").value_or("");
    u.input_tokens = f.integer("input_tokens").value_or(0);
    u.output_tokens = f.integer("output_tokens").value_or(0);
    u.ttfb_ms = f.integer("ttfb_ms").value_or(0);
    u.duration_ms = f.integer("duration_ms").value_or(0);
    u.attempts = static_cast<int>(f.integer("attempts").value_or(0));
    u.client_address = f.string("client_address").value_or("");
    u.user_agent = f.string("user_agent").value_or("");
    std::optional<double> retry_after;
    if (auto ra = f.integer("retry_after", false, 0)) retry_after = static_cast<double>(*ra);
    bool reached_upstream = f.boolean("reached_upstream").value_or(false);
    if (!f.ok()) log_warning("malformed report from a worker: ", f.status().error().message);
    if (u.account_id != 0) {
        auto outcome = reached_upstream ? outcome_for_class(f.string("account_class").value_or(""), retry_after,
                                                            u.error_class)
                                        : std::nullopt;
        if (outcome) pool_.report(u.account_id, *outcome);
        else pool_.release(u.account_id);
    }
    usage_.record(std::move(u));
}

}  // namespace amq
