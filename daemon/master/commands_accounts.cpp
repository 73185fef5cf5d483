#include "common/strings.hpp"
#include "daemon/master/commands.hpp"

namespace amq {

CommandResult cmd_account_add(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    Account account;
    AccountCredentials credentials;
    auto name = f.string("name", true);
    auto refresh_token = f.string("refresh_token", true);
    auto client_id = f.string("client_id", true);
    auto client_secret = f.string("client_secret", true);
    auto profile_arn = f.string("profile_arn");
    auto rpm = f.integer("requests_per_minute", false, 1, 100000);
    auto notes = f.string("notes");
    auto enabled = f.boolean("enabled");
    if (!f.ok()) return f.status().error();
    if (auto st = check_record_name(*name, "account"); !st) return st.error();
    for (auto* field : {&*refresh_token, &*client_id, &*client_secret})
        if (trim(*field).empty()) return make_error(Errc::invalid_argument, "credentials must not be empty");
    account.name = *name;
    account.client_id = *client_id;
    account.profile_arn = profile_arn.value_or("");
    account.requests_per_minute = rpm.value_or(account.requests_per_minute);
    account.notes = notes.value_or("");
    account.enabled = enabled.value_or(true);
    credentials.refresh_token = *refresh_token;
    credentials.client_secret = *client_secret;
    auto added = ctx.store.add_account(std::move(account), credentials, ctx.now);
    if (!added) return added.error();
    return account_json(*added);
}

CommandResult cmd_account_list(CommandContext& ctx, const rapidjson::Value&) {
    auto accounts = ctx.store.list_accounts();
    if (!accounts) return accounts.error();
    return json_object([&](JsonWriter& w) {
        w.Key("accounts");
        w.StartArray();
        for (const auto& a : *accounts) write_account(w, a);
        w.EndArray();
    });
}

CommandResult cmd_account_show(CommandContext& ctx, const rapidjson::Value& args) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    return account_json(*account);
}

CommandResult cmd_account_remove(CommandContext& ctx, const rapidjson::Value& args) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    if (auto st = ctx.store.remove_account(account->id); !st) return st.error();
    return json_object([&](JsonWriter& w) {
        w.Key("removed");
        w.Uint64(account->id);
        w.Key("name");
        write_string(w, account->name);
    });
}

}  // namespace amq
