#include "common/q_endpoints.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

// A reset-health note is a sentence for the audit log, not a document.
constexpr std::size_t kMaxNoteBytes = 1000;

Status check_connection_fields(const Account& a) {
    if (a.kind != "idc" && a.kind != "social" && a.kind != "api_key" && a.kind != "external_idp")
        return make_error(Errc::invalid_argument,
                          "field 'kind' must be idc, social, api_key or external_idp");
    if (!a.api_flavour.empty() && a.api_flavour != "rpc" && a.api_flavour != "rest")
        return make_error(Errc::invalid_argument, "field 'api_flavour' must be rpc or rest");
    if (!a.api_endpoint.empty() && !is_http_url(a.api_endpoint))
        return make_error(Errc::invalid_argument, "field 'api_endpoint' must be an http(s) URL");
    if (a.kind == "external_idp" && (!is_http_url(a.token_endpoint) || trim(a.client_id).empty()))
        return make_error(Errc::invalid_argument,
                          "an external_idp account needs 'token_endpoint' (the identity "
                          "provider's token URL) and 'client_id'");
    if (!a.region.empty() && !is_region_name(a.region))
        return make_error(Errc::invalid_argument,
                          "field 'region' must be an AWS region name such as us-east-1");
    return {};
}

// A Kiro API key account: the key is its access token, for ever. Kiro serves keys on its CLI
// runtime with the Kiro CLI's origin, which the account keeps unless told otherwise.
Result<AccountCredentials> api_key_credentials(std::string_view key) {
    key = trim(key);
    if (!key.starts_with("ksk_") || key.size() < 8 ||
        key.find_first_of(" \t\r\n") != std::string_view::npos)
        return make_error(Errc::invalid_argument, "field 'api_key' must be a Kiro API key (ksk_…)");
    AccountCredentials c;
    c.access_token = std::string(key);
    c.access_expires_at = kNeverExpires;
    return c;
}

Result<std::pair<Account, AccountCredentials>> api_key_account(Account a, std::string_view key) {
    auto c = api_key_credentials(key);
    if (!c) return c.error();
    if (a.origin.empty()) a.origin = "KIRO_CLI";
    if (a.api_endpoint.empty()) a.api_endpoint = "https://runtime.{region}.kiro.dev/";
    return std::pair{std::move(a), std::move(*c)};
}

// Reads the fields an account can be created with; idc accounts need their OIDC client.
Result<std::pair<Account, AccountCredentials>> read_new_account(const rapidjson::Value& args,
                                                                std::int64_t rpm_default) {
    FieldReader f(args);
    Account a;
    AccountCredentials c;
    a.name = f.string("name", true).value_or("");
    a.kind = f.string("kind").value_or("idc");
    c.refresh_token = f.string("refresh_token", a.kind != "api_key").value_or("");
    std::string api_key = f.string("api_key", a.kind == "api_key").value_or("");
    a.client_id = f.string("client_id").value_or("");
    c.client_secret = f.string("client_secret").value_or("");
    a.profile_arn = f.string("profile_arn").value_or("");
    for (auto [key, field] :
         {std::pair{"region", &a.region}, std::pair{"api_endpoint", &a.api_endpoint},
          std::pair{"api_flavour", &a.api_flavour}, std::pair{"origin", &a.origin},
          std::pair{"proxy", &a.proxy}, std::pair{"notes", &a.notes},
          std::pair{"token_endpoint", &a.token_endpoint}})
        *field = f.string(key).value_or("");
    a.requests_per_minute = f.integer("requests_per_minute", false, 0).value_or(rpm_default);
    a.enabled = f.boolean("enabled").value_or(true);
    if (auto v = f.boolean("is_active")) a.enabled = *v;  // the seed's name
    if (!f.ok()) return f.status().error();
    if (auto st = check_record_name(a.name, "account"); !st) return st.error();
    if (auto st = check_connection_fields(a); !st) return st.error();
    if (a.kind == "api_key") return api_key_account(std::move(a), api_key);
    if (trim(c.refresh_token).empty())
        return make_error(Errc::invalid_argument, "field 'refresh_token' must not be empty");
    if (a.kind == "idc" && (trim(a.client_id).empty() || trim(c.client_secret).empty()))
        return make_error(Errc::invalid_argument,
                          "an idc account needs 'client_id' and 'client_secret' (a Kiro social "
                          "account: kind social)");
    return std::pair{std::move(a), std::move(c)};
}

}  // namespace

// The same refresh token is the same account: two pool members refreshing one credential
// would invalidate each other (a refresh token rotates). One OIDC client may authorise many
// users, so a shared client id is no duplicate (the Python v2.0 databases hold such accounts).
Status check_refresh_token_unused(const Store& store, std::string_view refresh_token,
                                  std::uint64_t except_id) {
    if (refresh_token.empty()) return {};
    auto accounts = store.list_accounts();
    if (!accounts) return accounts.error();
    for (const Account& a : *accounts) {
        if (a.id == except_id) continue;
        auto c = store.get_credentials(a.id);
        // A Kiro API key is the same credential however often it is added.
        const std::string& held = a.kind == "api_key" && c ? c->access_token : std::string();
        if (c && (c->refresh_token == refresh_token || held == refresh_token))
            return make_error(Errc::conflict,
                              str_cat("account '", a.name, "' already uses this ",
                                      a.kind == "api_key" ? "API key" : "refresh token"));
    }
    return {};
}

Result<std::map<std::string, Account>> accounts_by_refresh_token(const Store& store) {
    auto accounts = store.list_accounts();
    if (!accounts) return accounts.error();
    std::map<std::string, Account> out;
    for (Account& a : *accounts)
        if (auto c = store.get_credentials(a.id); c && !c->refresh_token.empty())
            out.emplace(c->refresh_token, std::move(a));
    return out;
}

CommandResult cmd_account_add(CommandContext& ctx, const rapidjson::Value& args) {
    auto read = read_new_account(args, ctx.runtime.account_rpm_default());
    if (!read) return read.error();
    auto& [account, credentials] = *read;
    const std::string& credential =
        account.kind == "api_key" ? credentials.access_token : credentials.refresh_token;
    if (auto st = check_refresh_token_unused(ctx.store, credential); !st) return st.error();
    auto added = ctx.store.add_account(std::move(account), credentials, ctx.now);
    if (!added) return added.error();
    if (!added->enabled) ctx.runtime.set_account_disabled(added->id, true);
    return account_json(*added, ctx.runtime.account_health(added->id));
}

CommandResult cmd_account_list(CommandContext& ctx, const rapidjson::Value&) {
    auto accounts = ctx.store.list_accounts();
    if (!accounts) return accounts.error();
    return json_object([&](JsonWriter& w) {
        w.Key("accounts");
        w.StartArray();
        for (const auto& a : *accounts)
            write_account(w, a, ctx.runtime.account_health(a.id),
                          [&](JsonWriter& out) { ctx.runtime.write_account_runtime(out, a.id); });
        w.EndArray();
    });
}

CommandResult cmd_account_show(CommandContext& ctx, const rapidjson::Value& args) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    auto runtime_fields = [&](JsonWriter& w) { ctx.runtime.write_account_runtime(w, account->id); };
    return json_value([&](JsonWriter& w) {
        write_account(w, *account, ctx.runtime.account_health(account->id), runtime_fields);
    });
}

CommandResult cmd_account_remove(CommandContext& ctx, const rapidjson::Value& args) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    if (auto st = ctx.store.remove_account(account->id); !st) return st.error();
    ctx.runtime.forget_account(account->id);
    return json_object([&](JsonWriter& w) {
        w.Key("removed");
        w.Uint64(account->id);
        w.Key("name");
        write_string(w, account->name);
    });
}

namespace {

// Only an admin switches an account on or off; nothing in the pool ever does.
CommandResult set_enabled(CommandContext& ctx, const rapidjson::Value& args, bool enabled) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    account->enabled = enabled;
    auto updated = ctx.store.update_account(*account, ctx.now);
    if (!updated) return updated.error();
    ctx.runtime.set_account_disabled(updated->id, !enabled);
    return account_json(*updated, ctx.runtime.account_health(updated->id));
}

}  // namespace

namespace {

// New credentials for an account: the old access token belonged to the old ones.
Status update_credentials(Store& store, const Account& account,
                          const std::optional<std::string>& refresh_token,
                          const std::optional<std::string>& client_secret) {
    if (!refresh_token && !client_secret) return {};
    auto c = store.get_credentials(account.id);
    if (!c) return c.error();
    if (refresh_token) c->refresh_token = *refresh_token;
    if (client_secret) c->client_secret = *client_secret;
    c->access_token.clear();
    c->access_expires_at = 0;
    return store.put_credentials(account.id, *c);
}

}  // namespace

// {"account": {id|name}, "set": {fields}}: absent fields stay. is_active is the seed's enabled.
CommandResult cmd_account_update(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    const rapidjson::Value* target = f.object("account", true);
    const rapidjson::Value* changes = f.object("set", true);
    if (!f.ok()) return f.status().error();
    if (auto st = check_fields(*target, kTargetFields, "account"); !st) return st.error();
    if (auto st = check_fields(*changes, kAccountFields); !st) return st.error();
    auto account = resolve_account(ctx.store, *target);
    if (!account) return account.error();
    Account a = *account;
    FieldReader set(*changes);  // named as the client sent them: the HTTP body is this object
    for (auto [key, field] :
         {std::pair{"name", &a.name}, std::pair{"kind", &a.kind},
          std::pair{"client_id", &a.client_id}, std::pair{"profile_arn", &a.profile_arn},
          std::pair{"region", &a.region}, std::pair{"api_endpoint", &a.api_endpoint},
          std::pair{"api_flavour", &a.api_flavour}, std::pair{"origin", &a.origin},
          std::pair{"proxy", &a.proxy}, std::pair{"notes", &a.notes},
          std::pair{"token_endpoint", &a.token_endpoint}})
        if (auto v = set.string(key)) *field = *v;
    if (auto v = set.integer("requests_per_minute", false, 0)) a.requests_per_minute = *v;
    auto enabled = set.boolean("enabled");
    if (auto v = set.boolean("is_active")) enabled = v;
    if (enabled) a.enabled = *enabled;
    auto refresh_token = set.string("refresh_token");
    auto client_secret = set.string("client_secret");
    auto api_key = set.string("api_key");
    if (!set.ok()) return set.status().error();
    if (auto st = check_record_name(a.name, "account"); !st) return st.error();
    if (auto st = check_connection_fields(a); !st) return st.error();
    // An API key account has one credential, the key; the others have no key.
    if ((a.kind == "api_key") != (account->kind == "api_key"))
        return make_error(
            Errc::invalid_argument,
            "an account cannot become or stop being an api_key account: add a new one");
    if (a.kind == "api_key" && (refresh_token || client_secret))
        return make_error(
            Errc::invalid_argument,
            "an api_key account has no refresh token or client secret; give 'api_key'");
    if (a.kind != "api_key" && api_key)
        return make_error(Errc::invalid_argument, "field 'api_key' is for api_key accounts only");
    if (api_key) {
        auto c = api_key_credentials(*api_key);
        if (!c) return c.error();
        if (auto st = check_refresh_token_unused(ctx.store, c->access_token, a.id); !st)
            return st.error();
        if (auto st = ctx.store.put_credentials(a.id, *c); !st) return st.error();
    }
    if (refresh_token && trim(*refresh_token).empty())
        return make_error(Errc::invalid_argument, "field 'refresh_token' must not be empty");
    if (auto st = check_refresh_token_unused(ctx.store, refresh_token.value_or(""), a.id); !st)
        return st.error();
    auto updated = ctx.store.update_account(a, ctx.now);
    if (!updated) return updated.error();
    if (auto st = update_credentials(ctx.store, *updated, refresh_token, client_secret); !st)
        return st.error();
    if (enabled && *enabled != account->enabled)
        ctx.runtime.set_account_disabled(updated->id, !*enabled);
    return account_json(*updated, ctx.runtime.account_health(updated->id));
}

CommandResult cmd_account_enable(CommandContext& ctx, const rapidjson::Value& args) {
    return set_enabled(ctx, args, true);
}

CommandResult cmd_account_disable(CommandContext& ctx, const rapidjson::Value& args) {
    return set_enabled(ctx, args, false);
}

// {id|name, note}: the note says why the admin trusts the account again; it is kept in the
// audit log (the command's arguments) and in the account's health events.
CommandResult cmd_account_reset_health(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    std::string note(trim(f.string("note", true).value_or("")));
    if (!f.ok()) return f.status().error();
    if (note.empty())
        return make_error(Errc::invalid_argument,
                          "field 'note' must say why the account may serve again");
    if (note.size() > kMaxNoteBytes)
        return make_error(Errc::invalid_argument,
                          str_cat("field 'note' is longer than ", kMaxNoteBytes, " bytes"));
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    ctx.runtime.reset_account_health(account->id, note);
    return account_json(*account, ctx.runtime.account_health(account->id));
}

CommandResult cmd_account_events(CommandContext& ctx, const rapidjson::Value& args) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    const AccountHealth* health = ctx.runtime.account_health(account->id);
    return json_object([&](JsonWriter& w) {
        w.Key("account");
        write_account(w, *account, health);
        w.Key("events");
        w.StartArray();
        if (health) {
            for (const HealthEvent& e : health->events) {
                w.StartObject();
                w.Key("at");
                write_string(w, iso8601(e.at_ms / 1000));
                w.Key("from");
                write_string(w, health_state_name(e.from));
                w.Key("to");
                write_string(w, health_state_name(e.to));
                w.Key("reason");
                write_string(w, e.reason);
                w.EndObject();
            }
        }
        w.EndArray();
    });
}

}  // namespace amq
