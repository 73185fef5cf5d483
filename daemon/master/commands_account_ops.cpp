// Account commands that wait on the network: token refresh, quota, import.
#include <map>
#include <memory>

#include "common/account_import.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "common/usage_limits.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/commands.hpp"
#include "daemon/master/token_refresher.hpp"

namespace amq {

// The refresher stores the new token in its own transaction, as it does on schedule; the
// audit entry that follows records who asked, and a failure to write it is the answer.
void cmd_account_refresh(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return reply(account.error());
    AuditEntry draft = audit_draft(ctx, "account.refresh", args);
    ctx.runtime.refresh_account(
        account->id, [ctx, account = *account, draft, reply](Result<AccessToken> token) mutable {
            if (!token) return reply(token.error());
            auto audited = commit_change(ctx, draft, [&]() -> CommandResult {
                return json_object([&](JsonWriter& w) {
                    w.Key("account");
                    write_account(w, account, ctx.runtime.account_health(account.id));
                    w.Key("access_expires_at");
                    write_string(w, iso8601(token->expires_at));
                });
            });
            if (!audited)
                return reply(make_error(audited.error().code,
                                        str_cat("the access token was refreshed, but not logged: ",
                                                audited.error().message)));
            reply(std::move(audited));
        });
}

void cmd_account_quota(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return reply(account.error());
    ctx.runtime.fetch_quota(account->id, [account = *account, reply](Result<UsageLimits> limits) {
        if (!limits) return reply(limits.error());
        reply(json_object([&](JsonWriter& w) {
            w.Key("account_id");
            w.Uint64(account.id);
            w.Key("name");
            write_string(w, account.name);
            w.Key("limit");
            w.Int64(limits->limit);
            w.Key("used");
            w.Int64(limits->used);
            w.Key("remaining");
            w.Int64(limits->remaining());
            w.Key("next_reset");
            if (limits->next_reset)
                write_string(w, iso8601(limits->next_reset));
            else
                w.Null();
            w.Key("subscription");
            write_string(w, limits->subscription);
            w.Key("email");
            write_string(w, limits->email);
        }));
    });
}

namespace {

constexpr std::string_view kDocumentFields[] = {"source", "content"};

struct ImportRun {
    CommandContext ctx;
    CommandReply reply;
    std::vector<std::uint64_t> added;
    std::map<std::uint64_t, std::string>
        refresh_errors;  // why an imported account's refresh failed
    std::vector<std::pair<ImportedAccount, std::string>> refused;  // why
    std::size_t pending = 0;
};

Result<std::vector<std::pair<std::string, std::string>>> read_documents(
    const rapidjson::Value& args) {
    FieldReader f(args);
    const rapidjson::Value* docs = f.array("documents", true);
    if (!f.ok()) return f.status().error();
    std::vector<std::pair<std::string, std::string>> out;
    for (rapidjson::SizeType i = 0; i < docs->Size(); ++i) {
        std::string path = path_index("documents", i);
        if (auto st = check_fields((*docs)[i], kDocumentFields, path); !st) return st.error();
        FieldReader d((*docs)[i], path);
        auto source = d.string("source", true);
        auto content = d.string("content", true);
        if (!d.ok()) return d.status().error();
        out.emplace_back(std::move(*source), std::move(*content));
    }
    if (out.empty()) return make_error(Errc::invalid_argument, "field 'documents' is empty");
    return out;
}

Result<Account> add_imported(Store& store, const ImportedAccount& in, std::int64_t now,
                             std::int64_t rpm_default) {
    if (auto st = check_record_name(in.name, "account"); !st) return st.error();
    if (auto st = check_refresh_token_unused(store, in.refresh_token); !st)
        return st.error();
    Account a;
    a.name = in.name;
    a.kind = in.kind;
    a.client_id = in.client_id;
    a.profile_arn = in.profile_arn;
    a.region = in.region;
    a.notes = in.notes.empty() ? str_cat("imported from ", in.source) : in.notes;
    a.requests_per_minute = in.requests_per_minute.value_or(rpm_default);
    AccountCredentials c;
    c.refresh_token = in.refresh_token;
    c.client_secret = in.client_secret;
    c.access_token = in.access_token;
    c.access_expires_at = in.access_expires_at;
    return store.add_account(std::move(a), c, now);
}

// `refreshed`: with each account's first refresh, "ok" or why it failed (a transient failure
// too).
void write_import_result(JsonWriter& w, ImportRun& run, bool refreshed) {
    w.Key("imported");
    w.StartArray();
    for (std::uint64_t id : run.added) {
        auto account = run.ctx.store.get_account(id);
        if (!account) continue;
        auto error = run.refresh_errors.find(id);
        auto refresh = [&](JsonWriter& extra) {
            extra.Key("refresh");
            write_string(extra, error == run.refresh_errors.end() ? "ok" : error->second);
        };
        write_account(w, *account, run.ctx.runtime.account_health(id),
                      refreshed ? std::function<void(JsonWriter&)>(refresh) : nullptr);
    }
    w.EndArray();
    w.Key("refused");
    w.StartArray();
    for (const auto& [in, why] : run.refused) {
        w.StartObject();
        w.Key("source");
        write_string(w, in.source);
        w.Key("name");
        write_string(w, in.name);
        w.Key("reason");
        write_string(w, why);
        w.EndObject();
    }
    w.EndArray();
}

// The new accounts are stored in one transaction with the audit entry that lists them.
CommandResult add_all(ImportRun& run, const std::vector<ImportedAccount>& accounts) {
    run.added.clear();
    run.refused.clear();
    for (const ImportedAccount& in : accounts) {
        auto added = add_imported(run.ctx.store, in, run.ctx.now,
                                  run.ctx.runtime.account_rpm_default());
        if (added)
            run.added.push_back(added->id);
        else
            run.refused.emplace_back(in, added.error().message);
    }
    if (run.added.empty() && !run.refused.empty())
        return make_error(Errc::conflict,
                          str_cat("nothing imported: ", run.refused.front().second));
    return json_object([&](JsonWriter& w) { write_import_result(w, run, false); });
}

}  // namespace

// Each new account is refreshed once at once: one whose refresh fails stays, quarantined
// with the reason, for the admin to see.
void cmd_account_import(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    auto documents = read_documents(args);
    if (!documents) return reply(documents.error());
    auto parsed = parse_account_import(*documents, ctx.now);
    if (!parsed) return reply(parsed.error());
    auto run = std::make_shared<ImportRun>(ImportRun{ctx, std::move(reply), {}, {}, {}, 0});
    auto added = commit_change(ctx, audit_draft(ctx, "account.import", args),
                               [&] { return add_all(*run, *parsed); });
    if (!added) return run->reply(added.error());
    auto finish = [run] {
        run->reply(json_object([&](JsonWriter& w) { write_import_result(w, *run, true); }));
    };
    run->pending = run->added.size();
    if (run->pending == 0) return finish();
    for (std::uint64_t id : run->added) {
        run->ctx.runtime.refresh_account(id, [run, finish, id](const Result<AccessToken>& token) {
            if (!token) run->refresh_errors[id] = token.error().message;
            if (--run->pending == 0) finish();
        });
    }
}

}  // namespace amq
