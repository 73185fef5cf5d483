#include "daemon/master/worker_calls.hpp"

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
    std::set<std::uint64_t> exclude;
    std::string last_failure;
    Send send;
};

WorkerCalls::WorkerCalls(Store& store, TokenRefresher& refresher, AccountPool& pool, UsageRecorder& usage)
    : store_(store), refresher_(refresher), pool_(pool), usage_(usage) {}

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

void WorkerCalls::admit(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    auto key = usable_key(args);
    if (!key) return send(reply_error(call_id, 401, key.error().message));
    const rapidjson::Value* exclude = FieldReader(args).array("exclude");
    auto admission = std::make_shared<Admission>();
    admission->call_id = call_id;
    admission->key_id = key->id;
    admission->send = std::move(send);
    if (exclude)
        for (const auto& v : exclude->GetArray())
            if (v.IsUint64()) admission->exclude.insert(v.GetUint64());
    try_next_account(std::move(admission));
}

// An account whose token cannot be had is skipped for this request; the next one is tried.
void WorkerCalls::try_next_account(std::shared_ptr<Admission> a) {
    auto accounts = store_.list_accounts();
    if (!accounts) return a->send(reply_error(a->call_id, 500, accounts.error().message));
    auto account = pool_.pick(*accounts, a->exclude);
    if (!account) {
        std::string why = account.error().message;
        if (!a->last_failure.empty()) why = str_cat(why, " (last: ", a->last_failure, ")");
        return a->send(reply_error(a->call_id, 503, why));
    }
    refresher_.get(account->id, unix_seconds(), std::nullopt,
                   [this, a, chosen = *account](Result<AccessToken> token) {
                       if (token) return a->send(reply_ok(a->call_id, grant_json(a->key_id, chosen, *token)));
                       a->exclude.insert(chosen.id);
                       a->last_failure = str_cat("account ", chosen.name, ": ", token.error().message);
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
    if (!f.ok()) log_warning("malformed report from a worker: ", f.status().error().message);
    usage_.record(std::move(u));
}

}  // namespace amq
