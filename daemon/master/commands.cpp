#include "daemon/master/commands.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "common/usage_limits.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/token_refresher.hpp"

namespace amq {
namespace {

constexpr std::string_view kAccountStatsFields[] = {"id", "name", "days"};
constexpr std::string_view kAccountUpdateFields[] = {"account", "set"};
constexpr std::string_view kKeyUpdateFields[] = {"key", "set"};
constexpr std::string_view kImportFields[] = {"documents"};
constexpr std::string_view kLoginFields[] = {"name",   "account", "start_url",
                                             "region", "kiro",    "requests_per_minute"};
constexpr std::string_view kLoginIdFields[] = {"id"};
constexpr std::string_view kLoginCompleteFields[] = {"id", "callback_url"};
constexpr std::string_view kImportV2Fields[] = {"source", "dry_run", "accounts", "keys", "usage"};
constexpr std::string_view kResetHealthFields[] = {"id", "name", "note"};
constexpr std::string_view kStatsFields[] = {"days", "by"};
constexpr std::string_view kDaysFields[] = {"days"};
constexpr std::string_view kUsageExportFields[] = {"since", "until", "next", "limit"};
constexpr std::string_view kUsageLogFields[] = {"since",       "until",     "before", "limit",
                                                "key",         "account",   "model",  "status",
                                                "error_class", "request_id"};
constexpr std::string_view kUsageSeriesFields[] = {"since", "until",   "bucket",
                                                   "key",   "account", "model"};
constexpr std::string_view kAuditFields[] = {"limit"};
constexpr std::string_view kLogLevelFields[] = {"level"};
constexpr std::string_view kStoreCopyFields[] = {"from", "to"};
constexpr std::string_view kStoreMigrateFields[] = {"database", "dry_run"};

constexpr CommandSpec kCommands[] = {
    {"status", false, cmd_status, nullptr, "version, uptime, workers and pool summary", {}},
    {"account.add", true, cmd_account_add, nullptr, "add an Amazon Q account", kAccountFields},
    {"account.list", false, cmd_account_list, nullptr, "list accounts with their health", {}},
    {"account.show", false, cmd_account_show, nullptr, "show one account", kTargetFields},
    {"account.remove", true, cmd_account_remove, nullptr, "remove an account and its tokens",
     kTargetFields},
    {"account.update", true, cmd_account_update, nullptr,
     "change an account's fields or credentials", kAccountUpdateFields},
    {"account.enable", true, cmd_account_enable, nullptr, "let an account serve again",
     kTargetFields},
    {"account.disable", true, cmd_account_disable, nullptr, "keep an account from serving",
     kTargetFields},
    {"account.reset-health", true, cmd_account_reset_health, nullptr,
     "let a quarantined, cooling or exhausted account serve again, with a note for the audit log",
     kResetHealthFields},
    {"account.events", false, cmd_account_events, nullptr, "an account's last health changes",
     kTargetFields},
    {"account.stats", false, cmd_account_stats, nullptr, "one account's usage, all time and by day",
     kAccountStatsFields},
    {"account.refresh", true, nullptr, cmd_account_refresh, "refresh an account's access token now",
     kTargetFields},
    {"account.quota", false, nullptr, cmd_account_quota, "an account's remaining monthly quota",
     kTargetFields},
    {"account.import", true, nullptr, cmd_account_import, "add accounts from token JSON documents",
     kImportFields},
    {"account.login", false, nullptr, cmd_account_login,
     "log an account in with AWS device authorization (Builder ID, IAM Identity Center) or a "
     "Kiro portal sign-in (kiro: true)",
     kLoginFields},
    {"account.login-complete", false, nullptr, cmd_account_login_complete,
     "finish a Kiro sign-in with the URL the browser ended on", kLoginCompleteFields},
    {"account.login-status", false, cmd_account_login_status, nullptr,
     "how a login stands: pending, succeeded, failed, cancelled, expired or denied",
     kLoginIdFields},
    {"account.login-cancel", false, cmd_account_login_cancel, nullptr, "cancel a login",
     kLoginIdFields},
    {"key.create", true, cmd_key_create, nullptr, "create an API key (the secret is shown once)",
     kKeyFields},
    {"key.list", false, cmd_key_list, nullptr, "list API keys", {}},
    {"key.show", false, cmd_key_show, nullptr, "show one API key", kTargetFields},
    {"key.revoke", true, cmd_key_revoke, nullptr, "disable an API key", kTargetFields},
    {"key.disable", true, cmd_key_revoke, nullptr, "disable an API key (as revoke)", kTargetFields},
    {"key.enable", true, cmd_key_enable, nullptr, "enable an API key again", kTargetFields},
    {"key.update", true, cmd_key_update, nullptr, "change a key's name, limits, models or expiry",
     kKeyUpdateFields},
    {"stats", false, cmd_stats, nullptr, "usage totals for a period, by day, key, account or model",
     kStatsFields},
    {"usage.export", false, cmd_usage_export, nullptr, "raw usage records, one page at a time",
     kUsageExportFields},
    {"usage.log", false, cmd_usage_log, nullptr,
     "the request log: the newest usage records matching filters, a page at a time",
     kUsageLogFields},
    {"usage.series", false, cmd_usage_series, nullptr,
     "requests, errors, tokens and latency per hour or day, for charts", kUsageSeriesFields},
    {"audit", false, cmd_audit, nullptr, "the last admin changes", kAuditFields},
    {"workers", false, cmd_workers, nullptr, "the worker processes", {}},
    {"reload", false, cmd_reload, nullptr, "re-read the configuration and replace the workers", {}},
    {"log-level", false, cmd_log_level, nullptr, "change the log level until the next reload",
     kLogLevelFields},
    {"backup", false, nullptr, cmd_backup, "a compact copy of the store into the passed file", {}},
    {"store.copy", false, nullptr, cmd_store_copy,
     "every record from this store or a database into an empty database or the passed file",
     kStoreCopyFields},
    {"store.migrate", false, nullptr, cmd_store_migrate,
     "the schema migrations a PostgreSQL database lacks: shown, or applied", kStoreMigrateFields},
    {"key.remove", true, cmd_key_remove, nullptr, "delete an API key", kTargetFields},
    {"import-v2", true, nullptr, cmd_import_v2,
     "accounts, keys and usage of a Python amq2api v2.0 database, as amq2apictl read it",
     kImportV2Fields},
};

// The v2.0 admin API's statistics in its own shapes: the dashboard and the seed's scripts read
// them over HTTP; amq2apictl has `stats`, which says the same in one shape.
constexpr CommandSpec kHttpOnlyCommands[] = {
    {"stats.accounts", false, cmd_stats_accounts, nullptr, "account totals (the seed's shape)", {}},
    {"stats.api_keys", false, cmd_stats_api_keys, nullptr, "key totals (the seed's shape)", {}},
    {"stats.tokens", false, cmd_stats_tokens, nullptr,
     "tokens by day and account (the seed's shape)", kDaysFields},
    {"stats.account_usage", false, cmd_stats_account_usage, nullptr,
     "usage per account (the seed's shape)", kDaysFields},
};

std::string ok_reply(const std::string& id_json, const std::string& data) {
    return str_cat("{\"id\":", id_json, ",\"ok\":true,\"data\":", data, "}");
}

std::string error_reply(const rapidjson::Value* id, const Error& error) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "id");
        if (id)
            id->Accept(w);
        else
            w.Null();
        w.Key("ok");
        w.Bool(false);
        w.Key("error");
        w.StartObject();
        w.Key("code");
        write_string(w, errc_name(error.code));
        w.Key("message");
        write_string(w, error.message);
        w.EndObject();
    });
}

}  // namespace

std::span<const CommandSpec> all_commands(Surface surface) {
    return surface == Surface::control ? std::span<const CommandSpec>(kCommands)
                                       : std::span<const CommandSpec>(kHttpOnlyCommands);
}

const CommandSpec* find_command(std::string_view name, Surface surface) {
    for (const auto& spec : kCommands)
        if (spec.name == name) return &spec;
    if (surface == Surface::http_admin)
        for (const auto& spec : kHttpOnlyCommands)
            if (spec.name == name) return &spec;
    return nullptr;
}

namespace {

bool secret_field(std::string_view name) {
    for (std::string_view s :
         {"refresh_token", "client_secret", "key", "api_key", "access_token", "content",
          "refreshToken", "clientSecret", "accessToken", "callback_url"})
        if (name == s) return true;
    return false;
}

void write_redacted(JsonWriter& w, const rapidjson::Value& v) {
    if (v.IsObject()) {
        w.StartObject();
        for (const auto& m : v.GetObject()) {
            std::string_view name(m.name.GetString(), m.name.GetStringLength());
            write_key(w, name);
            if (m.value.IsString() && secret_field(name))
                w.String("***");
            else if (m.value.IsString() && name == "proxy")
                write_string(w, redact_url_password(std::string_view(m.value.GetString(),
                                                                     m.value.GetStringLength())));
            else
                write_redacted(w, m.value);
        }
        w.EndObject();
    } else if (v.IsArray()) {
        w.StartArray();
        for (const auto& e : v.GetArray()) write_redacted(w, e);
        w.EndArray();
    } else {
        v.Accept(w);
    }
}

std::string actor_name(const Store& store, const Caller& caller) {
    switch (caller.kind) {
        case Caller::Kind::control: return str_cat("control socket uid ", caller.id);
        case Caller::Kind::admin_key: {
            auto key = store.get_key(static_cast<std::uint64_t>(caller.id));
            return str_cat("admin key ", caller.id,
                           key ? str_cat(" (", key->name, ")") : std::string());
        }
        case Caller::Kind::internal: return "amq2apid";
    }
    return "unknown";
}

// The record a command is about, as it was before the command ran ("" when none).
std::string subject_before(const Store& store, RuntimeView& runtime, std::string_view command,
                           const rapidjson::Value& args) {
    const rapidjson::Value* target = command == "key.update"       ? find_member(args, "key")
                                     : command == "account.update" ? find_member(args, "account")
                                                                   : &args;
    if (!target || !(find_member(*target, "id") || find_member(*target, "name"))) return {};
    if (command.starts_with("account.")) {
        auto account = resolve_account(store, *target);
        return account ? account_json(*account, runtime.account_health(account->id))
                       : std::string();
    }
    if (command.starts_with("key.")) {
        auto key = resolve_key(store, *target);
        return key ? key_json(*key) : std::string();
    }
    return {};
}

std::string redacted(const rapidjson::Value& v) {
    return json_value([&](JsonWriter& w) { write_redacted(w, v); });
}

std::string redacted(std::string_view json) {
    auto doc = parse_json(json);
    return doc ? redacted(*doc) : std::string();
}

}  // namespace

AuditEntry audit_draft(const CommandContext& ctx, std::string_view command,
                       const rapidjson::Value& args) {
    return AuditEntry{.at_ms = ctx.now * 1000,
                      .actor = actor_name(ctx.store, ctx.caller),
                      .command = std::string(command),
                      .args_json = redacted(args),
                      .before_json = subject_before(ctx.store, ctx.runtime, command, args)};
}

namespace {

CommandResult commit_here(CommandContext& ctx, const AuditEntry& draft,
                          const std::function<CommandResult()>& change) {
    CommandResult result = make_error(Errc::internal, "the change did not run");
    int runs = 0;
    Status committed = ctx.store.audited([&]() -> Result<AuditEntry> {
        ++runs;
        result = change();
        if (!result) return result.error();
        AuditEntry entry = draft;
        entry.after_json = redacted(*result);
        return entry;
    });
    // The pool's health moves as the change runs, and is stored with it: a change undone or
    // run twice leaves the pool ahead of the store.
    if (runs > 1 || (result.ok() && !committed)) ctx.runtime.reload_pool();
    if (!committed) return committed.error();
    return result;
}

}  // namespace

void commit_change(CommandContext ctx, AuditEntry draft, std::function<CommandResult()> change,
                   CommandReply reply) {
    auto result =
        std::make_shared<CommandResult>(make_error(Errc::internal, "the change did not run"));
    ctx.runtime.write_gate().write(
        [ctx, draft = std::move(draft), change = std::move(change),
         result](WriteGate::Finished finished) mutable {
            *result = commit_here(ctx, draft, change);
            finished(*result ? Status{} : Status(result->error()));
        },
        [result, reply = std::move(reply)](Status shared) {
            if (!shared) return reply(shared.error());
            reply(std::move(*result));
        });
}

void run_command(std::string_view name, Surface surface, const rapidjson::Value& args,
                 CommandContext ctx, std::function<void(CommandResult result, bool changed)> done) {
    const CommandSpec* spec = find_command(name, surface);
    if (!spec)
        return done(make_error(Errc::not_found, str_cat("unknown command '", name, "'")), false);
    if (Status known = check_fields(args, spec->fields); !known) return done(known.error(), false);
    if (spec->run_async) {
        return spec->run_async(ctx, args, [done, mutates = spec->mutates](CommandResult result) {
            bool changed = result.ok() && mutates;
            done(std::move(result), changed);
        });
    }
    if (!spec->mutates) return done(spec->run(ctx, args), false);
    // Every admin change is written to the audit log with who, when, what, before and after.
    // The arguments are copied: the change may run after this call returned.
    auto owned = std::make_shared<rapidjson::Document>();
    owned->CopyFrom(args, owned->GetAllocator());
    commit_change(
        ctx, audit_draft(ctx, name, args),
        [ctx, spec, owned]() mutable { return spec->run(ctx, *owned); },
        [done](CommandResult result) {
            bool changed = result.ok();
            done(std::move(result), changed);
        });
}

void dispatch_control_frame(std::string_view payload, CommandContext ctx,
                            std::function<void(std::string reply, bool changed)> done) {
    auto doc = parse_json(payload);
    if (!doc) return done(error_reply(nullptr, doc.error()), false);
    FieldReader fields(*doc);
    auto cmd = fields.string("cmd", true);
    const rapidjson::Value* args = fields.object("args");
    const rapidjson::Value* id = doc->IsObject() && doc->HasMember("id") ? &(*doc)["id"] : nullptr;
    if (!fields.ok()) return done(error_reply(id, fields.status().error()), false);
    static const rapidjson::Value empty_object(rapidjson::kObjectType);
    // The request document dies with this call: an asynchronous answer carries its own id copy.
    std::string id_json = id ? to_json(*id) : "null";
    run_command(*cmd, Surface::control, args ? *args : empty_object, ctx,
                [id_json, done](CommandResult result, bool changed) {
                    if (!result) {
                        auto id_doc = parse_json(id_json);
                        return done(error_reply(id_doc ? &*id_doc : nullptr, result.error()),
                                    false);
                    }
                    done(ok_reply(id_json, *result), changed);
                });
}

void write_time(JsonWriter& w, const char* key, std::int64_t t) {
    w.Key(key);
    if (t == 0)
        w.Null();
    else
        write_string(w, iso8601(t));
}

const AccountHealth* RuntimeView::account_health(std::uint64_t) { return nullptr; }
void RuntimeView::set_account_disabled(std::uint64_t, bool) {}
void RuntimeView::reset_account_health(std::uint64_t, std::string_view) {}
void RuntimeView::write_account_runtime(JsonWriter&, std::uint64_t) {}
void RuntimeView::forget_account(std::uint64_t) {}
void RuntimeView::refresh_account(std::uint64_t, std::function<void(Result<AccessToken>)> done) {
    done(make_error(Errc::unavailable, "token refreshes are not available here"));
}
void RuntimeView::fetch_quota(std::uint64_t, std::function<void(Result<UsageLimits>)> done) {
    done(make_error(Errc::unavailable, "quota checks are not available here"));
}
void RuntimeView::reload_pool() {}
WriteGate& RuntimeView::write_gate() {
    static LocalWriteGate local;
    return local;
}
Status RuntimeView::reload() { return make_error(Errc::unavailable, "nothing to reload here"); }
std::int64_t RuntimeView::account_rpm_default() const { return 0; }
Status RuntimeView::set_log_level(std::string_view) {
    return make_error(Errc::unavailable, "no log level to set here");
}
void RuntimeView::backup(int fd, std::function<void(Result<std::uint64_t>)> done) {
    if (fd >= 0) close(fd);
    done(make_error(Errc::unavailable, "backups are not available here"));
}

void RuntimeView::copy_store(StoreCopyJob job, std::function<void(Result<StoreCopyOutcome>)> done) {
    if (job.to_fd >= 0) close(job.to_fd);
    done(make_error(Errc::unavailable, "store copies are not available here"));
}
void RuntimeView::migrate_database(std::string, bool,
                                   std::function<void(Result<std::vector<Migration>>)> done) {
    done(make_error(Errc::unavailable, "database migrations are not available here"));
}

AccountLogins* RuntimeView::account_logins() { return nullptr; }
void RuntimeView::welcome_account(std::uint64_t) {}

void RuntimeView::announce_change() {}

void write_account(JsonWriter& w, const Account& a, const AccountHealth* health,
                   const std::function<void(JsonWriter&)>& extra_fields) {
    w.StartObject();
    w.Key("id");
    w.Uint64(a.id);
    w.Key("name");
    write_string(w, a.name);
    w.Key("kind");
    write_string(w, a.kind);
    w.Key("client_id");
    write_string(w, a.client_id);
    w.Key("profile_arn");
    write_string(w, a.profile_arn);
    for (auto [key, value] :
         {std::pair{"region", &a.region}, std::pair{"api_endpoint", &a.api_endpoint},
          std::pair{"api_flavour", &a.api_flavour}, std::pair{"origin", &a.origin},
          std::pair{"token_endpoint", &a.token_endpoint}}) {
        w.Key(key);
        write_string(w, *value);
    }
    w.Key("proxy");  // a proxy password is a secret like the others: never shown
    write_string(w, redact_url_password(a.proxy));
    w.Key("enabled");
    w.Bool(a.enabled);
    w.Key("is_active");  // the seed's names for enabled and healthy
    w.Bool(a.enabled);
    w.Key("is_healthy");
    w.Bool(a.enabled && (!health || health->state == HealthState::healthy));
    w.Key("requests_per_minute");
    w.Int64(a.requests_per_minute);
    w.Key("notes");
    write_string(w, a.notes);
    w.Key("start_url");
    write_string(w, a.start_url);
    write_time(w, "registration_expires_at", a.registration_expires_at);
    write_time(w, "created_at", a.created_at);
    write_time(w, "updated_at", a.updated_at);
    if (health) write_health(w, *health);
    if (extra_fields) extra_fields(w);
    w.EndObject();
}

// The state the pool sees, with its reason and times (milliseconds shown as ISO times).
void write_health(JsonWriter& w, const AccountHealth& h) {
    w.Key("state");
    write_string(w, health_state_name(h.state));
    w.Key("state_reason");
    write_string(w, h.reason);
    write_time(w, "state_since", h.since_ms / 1000);
    write_time(w, "state_until", h.until_ms / 1000);
}

void write_key(JsonWriter& w, const ApiKey& k) {
    w.StartObject();
    w.Key("id");
    w.Uint64(k.id);
    w.Key("name");
    write_string(w, k.name);
    w.Key("description");
    write_string(w, k.description);
    w.Key("key_prefix");
    write_string(w, k.display);
    w.Key("is_admin");
    w.Bool(k.is_admin);
    w.Key("enabled");
    w.Bool(k.enabled);
    w.Key("is_active");  // the seed's name
    w.Bool(k.enabled);
    w.Key("requests_per_minute");
    w.Int64(k.requests_per_minute);
    w.Key("requests_per_day");
    w.Int64(k.requests_per_day);
    w.Key("max_concurrent");
    w.Int64(k.max_concurrent);
    w.Key("allowed_models");
    w.StartArray();
    for (const auto& m : k.allowed_models) write_string(w, m);
    w.EndArray();
    write_time(w, "expires_at", k.expires_at);
    write_time(w, "created_at", k.created_at);
    write_time(w, "last_used_at", k.last_used_at);
    w.EndObject();
}

std::string account_json(const Account& account, const AccountHealth* health) {
    return json_value([&](JsonWriter& w) { write_account(w, account, health); });
}

std::string key_json(const ApiKey& key) {
    return json_value([&](JsonWriter& w) { write_key(w, key); });
}

// An all-digit name would read as an id wherever a record is named by either ("key remove 5").
Status check_record_name(const std::string& name, const char* what) {
    if (trim(name).empty())
        return make_error(Errc::invalid_argument, "field 'name' must not be empty");
    if (name.size() > 128)
        return make_error(Errc::invalid_argument, "field 'name' is longer than 128 characters");
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return make_error(Errc::invalid_argument,
                          str_cat("field 'name' must not be a number: it would read as the ", what,
                                  "'s id; add a letter"));
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f)
            return make_error(Errc::invalid_argument,
                              str_cat("the ", what, " name contains a control character"));
    return {};
}

namespace {
template <class Record, class ById, class ByName>
Result<Record> resolve(const rapidjson::Value& args, const char* what, ById by_id, ByName by_name) {
    FieldReader fields(args);
    auto id = fields.integer("id", false, 1);
    auto name = fields.string("name");
    if (!fields.ok()) return fields.status().error();
    if (id) return by_id(static_cast<std::uint64_t>(*id));
    if (name) return by_name(*name);
    return make_error(Errc::invalid_argument, str_cat("name the ", what, " by 'id' or 'name'"));
}
}  // namespace

Result<Account> resolve_account(const Store& store, const rapidjson::Value& args) {
    return resolve<Account>(
        args, "account", [&](std::uint64_t id) { return store.get_account(id); },
        [&](const std::string& name) { return store.find_account_by_name(name); });
}

Result<ApiKey> resolve_key(const Store& store, const rapidjson::Value& args) {
    return resolve<ApiKey>(
        args, "key", [&](std::uint64_t id) { return store.get_key(id); },
        [&](const std::string& name) { return store.find_key_by_name(name); });
}

}  // namespace amq
