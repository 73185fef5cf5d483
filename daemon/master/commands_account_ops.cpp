// Account commands that wait on the network: token refresh, quota, import.
#include <map>
#include <memory>
#include <optional>

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
            std::int64_t expires_at = token->expires_at;
            commit_change(
                ctx, draft,
                [ctx, account, expires_at]() mutable -> CommandResult {
                    return json_object([&](JsonWriter& w) {
                        w.Key("account");
                        write_account(w, account, ctx.runtime.account_health(account.id));
                        w.Key("access_expires_at");
                        write_string(w, iso8601(expires_at));
                    });
                },
                [reply](CommandResult audited) {
                    if (!audited)
                        return reply(make_error(
                            audited.error().code,
                            str_cat("the access token was refreshed, but not logged: ",
                                    audited.error().message)));
                    reply(std::move(audited));
                });
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

constexpr std::string_view kDocumentFields[] = {"source", "content", "error"};

struct ImportRun {
    CommandContext ctx;
    CommandReply reply;
    std::vector<ImportOutcome> outcomes;  // the plan's, with the store's verdict on its accounts
    std::vector<ImportedAccount> to_add;  // its accounts the store does not hold yet
    std::vector<std::uint64_t> added;     // ids, in the order of to_add
    std::map<std::uint64_t, std::string>
        refresh_errors;  // why an imported account's refresh failed
    std::size_t pending = 0;
};

// A document is its content, or why amq2apictl could not read it ("error").
Result<ImportDocument> read_document(const rapidjson::Value& v, const std::string& path) {
    if (auto st = check_fields(v, kDocumentFields, path); !st) return st.error();
    FieldReader d(v, path);
    auto source = d.string("source", true);
    auto error = d.string("error");
    auto content = d.string("content", !error);
    if (!d.ok()) return d.status().error();
    if (error && content)
        return make_error(Errc::invalid_argument,
                          str_cat("field '", path, "' holds both 'content' and 'error'"));
    if (source->size() > kMaxImportSourceBytes || (error && error->size() > kMaxImportSourceBytes))
        return make_error(Errc::invalid_argument,
                          str_cat("field '", path, "': a source name or error is longer than ",
                                  kMaxImportSourceBytes, " bytes"));
    return ImportDocument{std::move(*source), std::move(content).value_or(""),
                          std::move(error).value_or("")};
}

Result<std::vector<ImportDocument>> read_documents(const rapidjson::Value& args) {
    FieldReader f(args);
    const rapidjson::Value* docs = f.array("documents", true);
    if (!f.ok()) return f.status().error();
    if (docs->Empty()) return make_error(Errc::invalid_argument, "field 'documents' is empty");
    if (docs->Size() > kMaxImportDocuments)
        return make_error(Errc::invalid_argument,
                          str_cat("field 'documents' holds more than ", kMaxImportDocuments,
                                  " documents: import them in parts"));
    std::vector<ImportDocument> out;
    for (rapidjson::SizeType i = 0; i < docs->Size(); ++i) {
        auto doc = read_document((*docs)[i], path_index("documents", i));
        if (!doc) return doc.error();
        out.push_back(std::move(*doc));
    }
    return out;
}

// Why the store cannot take the account, as the outcome says it: a refresh token it holds
// already (skipped: importing a file twice is no mistake), or a name it refuses.
std::optional<ImportOutcome> store_verdict(const Store& store,
                                           const std::map<std::string, Account>& by_token,
                                           const ImportedAccount& in, ImportOutcome outcome) {
    outcome.kind = ImportOutcome::Kind::refused;
    if (auto held = by_token.find(in.refresh_token); held != by_token.end()) {
        outcome.kind = ImportOutcome::Kind::skipped;
        outcome.reason = str_cat("already imported as account '", held->second.name, "'");
    } else if (auto st = check_record_name(in.name, "account"); !st) {
        outcome.reason = st.error().message;
    } else if (store.find_account_by_name(in.name)) {
        outcome.reason = str_cat("another account is named \"", in.name, "\"");
    } else {
        return std::nullopt;
    }
    return outcome;
}

// The plan's accounts the store takes go to run.to_add; the others get the store's verdict.
Status judge_plan(ImportRun& run, AccountImportPlan& plan) {
    auto by_token = accounts_by_refresh_token(run.ctx.store);
    if (!by_token) return by_token.error();
    auto account = plan.accounts.begin();
    for (ImportOutcome& outcome : plan.outcomes) {
        if (outcome.kind == ImportOutcome::Kind::account) {
            auto verdict = store_verdict(run.ctx.store, *by_token, *account, outcome);
            if (verdict)
                outcome = std::move(*verdict);
            else
                run.to_add.push_back(std::move(*account));
            ++account;
        }
        run.outcomes.push_back(std::move(outcome));
    }
    return {};
}

Result<Account> add_imported(Store& store, const ImportedAccount& in, std::int64_t now,
                             std::int64_t rpm_default) {
    Account a;
    a.name = in.name;
    a.kind = in.kind;
    a.client_id = in.client_id;
    a.profile_arn = in.profile_arn;
    a.region = in.region;
    // So that account login --account and a later login's registration reuse work for it.
    a.start_url = in.start_url;
    a.registration_expires_at = in.registration_expires_at;
    a.notes = in.notes.empty() ? str_cat("imported from ", in.source) : in.notes;
    a.requests_per_minute = in.requests_per_minute.value_or(rpm_default);
    AccountCredentials c;
    c.refresh_token = in.refresh_token;
    c.client_secret = in.client_secret;
    c.access_token = in.access_token;
    c.access_expires_at = in.access_expires_at;
    return store.add_account(std::move(a), c, now);
}

void write_outcomes(JsonWriter& w, const char* key, const std::vector<ImportOutcome>& outcomes,
                    ImportOutcome::Kind kind) {
    w.Key(key);
    w.StartArray();
    for (const ImportOutcome& o : outcomes) {
        if (o.kind != kind) continue;
        w.StartObject();
        w.Key("source");
        write_string(w, o.source);
        if (kind == ImportOutcome::Kind::registration) {
            w.Key("used_by");
            w.StartArray();
            for (const std::string& name : o.used_by) write_string(w, name);
            w.EndArray();
        } else {
            w.Key("name");
            write_string(w, o.name);
            w.Key("reason");
            write_string(w, o.reason);
        }
        w.EndObject();
    }
    w.EndArray();
}

// `refreshed`: with each account's first refresh, "ok" or why it failed (a transient failure
// too).
void write_import_result(JsonWriter& w, const ImportRun& run, bool refreshed) {
    w.Key("imported");
    w.StartArray();
    for (std::size_t i = 0; i < run.added.size(); ++i) {
        std::uint64_t id = run.added[i];
        auto account = run.ctx.store.get_account(id);
        if (!account) continue;
        auto error = run.refresh_errors.find(id);
        auto extra = [&](JsonWriter& x) {
            x.Key("source");
            write_string(x, run.to_add[i].source);
            if (!refreshed) return;
            x.Key("refresh");
            write_string(x, error == run.refresh_errors.end() ? "ok" : error->second);
        };
        write_account(w, *account, run.ctx.runtime.account_health(id), extra);
    }
    w.EndArray();
    write_outcomes(w, "skipped", run.outcomes, ImportOutcome::Kind::skipped);
    write_outcomes(w, "refused", run.outcomes, ImportOutcome::Kind::refused);
    write_outcomes(w, "registrations", run.outcomes, ImportOutcome::Kind::registration);
}

// The new accounts are stored in one transaction with the audit entry that lists them.
CommandResult add_all(ImportRun& run) {
    run.added.clear();
    for (const ImportedAccount& in : run.to_add) {
        auto added =
            add_imported(run.ctx.store, in, run.ctx.now, run.ctx.runtime.account_rpm_default());
        if (!added) return added.error();
        run.added.push_back(added->id);
    }
    return json_object([&](JsonWriter& w) { write_import_result(w, run, false); });
}

void refresh_added(const std::shared_ptr<ImportRun>& run) {
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

}  // namespace

// Each new account is refreshed once at once: one whose refresh fails stays, quarantined
// with the reason, for the admin to see. An import that adds nothing changes nothing, and
// leaves no audit entry.
void cmd_account_import(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    auto documents = read_documents(args);
    if (!documents) return reply(documents.error());
    auto plan = parse_account_import(*documents, ctx.now);
    if (!plan) return reply(plan.error());
    auto run = std::make_shared<ImportRun>(ImportRun{ctx, std::move(reply), {}, {}, {}, {}, 0});
    if (Status st = judge_plan(*run, *plan); !st) return run->reply(st.error());
    if (run->to_add.empty()) return refresh_added(run);
    commit_change(
        ctx, audit_draft(ctx, "account.import", args), [run] { return add_all(*run); },
        [run](CommandResult added) {
            if (!added) return run->reply(added.error());
            refresh_added(run);
        });
}

}  // namespace amq
