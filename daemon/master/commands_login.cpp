// account.login, account.login-status, account.login-complete, account.login-cancel: an
// account logged in with AWS device authorization or a Kiro portal sign-in
// (account_logins.hpp). The command starts the login and answers with the user code and URL,
// or the sign-in URL; amq2apictl and the dashboard then ask for its status until it ends (or
// bring a sign-in's callback URL). A granted login stores the account — new, or new
// credentials for an account logged in again, which keeps its id, history and usage and
// leaves any quarantine — with its audit entry, and fetches its quota and models at once.
#include "common/json.hpp"
#include "common/q_endpoints.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/account_logins.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

// Reused until a day before it expires, so that a login never starts on a dying secret.
constexpr std::int64_t kRegistrationMargin = 86400;

std::string view_json(const LoginView& v) {
    return json_object([&](JsonWriter& w) {
        w.Key("login");
        w.Uint64(v.id);
        w.Key("state");
        write_string(w, login_state_name(v.state));
        w.Key("user_code");
        write_string(w, v.user_code);
        w.Key("verification_uri");
        write_string(w, v.verification_uri);
        w.Key("verification_uri_complete");
        write_string(w, v.verification_uri_complete);
        if (!v.signin_url.empty()) write_field(w, "signin_url", v.signin_url);
        w.Key("expires_at");
        write_string(w, iso8601(v.expires_at));
        if (v.account_id) {
            w.Key("account_id");
            w.Uint64(v.account_id);
        }
        if (!v.message.empty()) {
            w.Key("message");
            write_string(w, v.message);
        }
    });
}

// A registration another account logged in with for the same start URL and region.
std::optional<ClientRegistration> reusable_registration(const Store& store,
                                                        const LoginRequest& request,
                                                        std::int64_t now) {
    auto accounts = store.list_accounts();
    if (!accounts) return std::nullopt;
    for (const Account& a : *accounts) {
        if (a.start_url != request.start_url || a.region != request.region ||
            a.registration_expires_at <= now + kRegistrationMargin)
            continue;
        if (auto c = store.get_credentials(a.id); c && !c->client_secret.empty())
            return ClientRegistration{a.client_id, c->client_secret, a.registration_expires_at};
    }
    return std::nullopt;
}

// The account as the granted login leaves it, in one transaction with its audit entry.
void store_login(CommandContext ctx, const AuditEntry& draft, const LoginRequest& request,
                 const ClientRegistration& registration, const TokenGrant& grant,
                 LoginStoredFn stored) {
    auto id = std::make_shared<std::uint64_t>(0);
    ctx.now = unix_seconds();
    auto change = [ctx, id, request, registration, grant]() mutable -> CommandResult {
        Account a;
        if (request.account_id) {
            auto existing = ctx.store.get_account(request.account_id);
            if (!existing) return existing.error();
            a = std::move(*existing);
        } else {
            if (ctx.store.find_account_by_name(request.name))
                return make_error(Errc::conflict, str_cat("account '", request.name,
                                                          "' was added while the login waited"));
            a.name = request.name;
            a.requests_per_minute =
                request.requests_per_minute.value_or(ctx.runtime.account_rpm_default());
        }
        // A refresh token is bound to the registration that obtained it: all change together.
        a.kind = request.kiro ? "social" : "idc";
        a.client_id = registration.client_id;
        a.region = request.region;
        a.start_url = request.start_url;
        a.registration_expires_at = registration.expires_at;
        if (!grant.profile_arn.empty()) a.profile_arn = grant.profile_arn;
        AccountCredentials c{grant.refresh_token, registration.client_secret, grant.access_token,
                             ctx.now + grant.expires_in};
        Result<Account> saved = request.account_id ? ctx.store.update_account(a, ctx.now)
                                                   : ctx.store.add_account(a, c, ctx.now);
        if (!saved) return saved.error();
        if (request.account_id)
            if (Status st = ctx.store.put_credentials(saved->id, c); !st) return st.error();
        *id = saved->id;
        return json_object([&](JsonWriter& w) {
            w.Key("account");
            write_account(w, *saved);
        });
    };
    bool again = request.account_id != 0;
    commit_change(ctx, draft, std::move(change),
                  [ctx, id, again, stored = std::move(stored)](CommandResult result) {
                      if (!result) return stored(result.error());
                      if (again) ctx.runtime.reset_account_health(*id, "logged in again");
                      ctx.runtime.announce_change();
                      ctx.runtime.welcome_account(*id);
                      stored(*id);
                  });
}

// 'account' names the account to log in again: {"id"} or {"name"}, its id as a number (as
// the HTTP admin API's clients send it), or as amq2apictl sends it, a string (all digits: the
// id).
Result<Account> account_to_log_in(const Store& store, const rapidjson::Value& account) {
    if (account.IsUint64()) return store.get_account(account.GetUint64());
    if (!account.IsString()) return resolve_account(store, account);
    std::string_view text(account.GetString(), account.GetStringLength());
    auto id = parse_uint(text);
    return id ? store.get_account(*id) : store.find_account_by_name(text);
}

Result<LoginRequest> read_login(const CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    LoginRequest r;
    auto name = f.string("name");
    r.start_url = trim(f.string("start_url").value_or(""));
    r.region = trim(f.string("region").value_or(""));
    r.requests_per_minute = f.integer("requests_per_minute", false, 0);
    r.kiro = f.boolean("kiro").value_or(false);
    if (!f.ok()) return f.status().error();
    if (r.kiro && !r.start_url.empty())
        return make_error(Errc::invalid_argument,
                          "a Kiro sign-in has no start URL: the portal asks how to sign in");
    const rapidjson::Value* account = find_member(args, "account");
    if (name.has_value() == (account != nullptr))
        return make_error(Errc::invalid_argument,
                          "name the new account ('name') or the account to log in again "
                          "('account'), one of the two");
    if (account) {
        auto existing = account_to_log_in(ctx.store, *account);
        if (!existing) return existing.error();
        r.account_id = existing->id;
        if (r.start_url.empty() && !r.kiro) r.start_url = existing->start_url;
        if (r.region.empty()) r.region = existing->region;
    } else {
        if (Status st = check_record_name(*name, "account"); !st) return st.error();
        if (ctx.store.find_account_by_name(*name))
            return make_error(Errc::conflict, str_cat("account '", *name,
                                                      "' exists; log it in again with 'account'"));
        r.name = *name;
    }
    if (r.start_url.empty() && !r.kiro) r.start_url = std::string(kBuilderIdStartUrl);
    if (r.region.empty()) r.region = std::string(kDefaultRegion);
    if (!r.kiro && !is_http_url(r.start_url))
        return make_error(Errc::invalid_argument, "field 'start_url' must be an http(s) URL");
    if (!is_region_name(r.region))
        return make_error(Errc::invalid_argument,
                          "field 'region' must be an AWS region name such as us-east-1");
    return r;
}

AccountLogins* logins_of(CommandContext& ctx) { return ctx.runtime.account_logins(); }

// The login named by {"id"}, looked at or acted on by `act`.
CommandResult on_login(CommandContext& ctx, const rapidjson::Value& args,
                       Result<LoginView> (AccountLogins::*act)(std::uint64_t)) {
    FieldReader f(args);
    auto id = f.integer("id", true, 1);
    if (!f.ok()) return f.status().error();
    AccountLogins* logins = logins_of(ctx);
    if (!logins) return make_error(Errc::not_found, str_cat("no login ", *id));
    auto view = (logins->*act)(static_cast<std::uint64_t>(*id));
    if (!view) return view.error();
    return view_json(*view);
}

}  // namespace

void cmd_account_login(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    AccountLogins* logins = logins_of(ctx);
    if (!logins) return reply(make_error(Errc::unavailable, "logins need the running daemon"));
    auto request = read_login(ctx, args);
    if (!request) return reply(request.error());
    if (!request->kiro) request->registration = reusable_registration(ctx.store, *request, ctx.now);
    AuditEntry draft = audit_draft(ctx, "account.login", args);
    request->finish = [ctx, draft](const LoginRequest& r, const ClientRegistration& reg,
                                   const TokenGrant& grant, LoginStoredFn stored) {
        store_login(ctx, draft, r, reg, grant, std::move(stored));
    };
    logins->start(std::move(*request), [reply](Result<LoginView> view) {
        if (!view) return reply(view.error());
        reply(view_json(*view));
    });
}

CommandResult cmd_account_login_status(CommandContext& ctx, const rapidjson::Value& args) {
    return on_login(ctx, args, &AccountLogins::status);
}

// {"id", "callback_url"}: the address the admin's browser ended on after the Kiro portal.
void cmd_account_login_complete(CommandContext ctx, const rapidjson::Value& args,
                                CommandReply reply) {
    FieldReader f(args);
    auto id = f.integer("id", true, 1);
    auto url = f.string("callback_url", true);
    if (!f.ok()) return reply(f.status().error());
    AccountLogins* logins = logins_of(ctx);
    if (!logins) return reply(make_error(Errc::not_found, str_cat("no login ", *id)));
    logins->complete(static_cast<std::uint64_t>(*id), *url, [reply](Result<LoginView> view) {
        if (!view) return reply(view.error());
        reply(view_json(*view));
    });
}

CommandResult cmd_account_login_cancel(CommandContext& ctx, const rapidjson::Value& args) {
    return on_login(ctx, args, &AccountLogins::cancel);
}

}  // namespace amq
