// import-v2: accounts, API keys and usage of a Python amq2api v2.0 database, as amq2apictl
// read it (common/v2_import.hpp). Idempotent: an account whose refresh token is here, a key
// whose secret is here and a usage record already stored are counted as present, not added
// again. Everything a request adds is one transaction with its audit entry.
#include <optional>
#include <set>
#include <tuple>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/v2_import.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

// What the request will do, worked out from reads before the transaction writes it.
struct ImportPlan {
    std::vector<std::pair<std::uint64_t, Account>> new_accounts;  // v2 id, record
    std::vector<AccountCredentials> credentials;                  // of new_accounts, in order
    std::vector<std::pair<std::uint64_t, ApiKey>> new_keys;       // v2 id, record
    std::map<std::uint64_t, std::uint64_t> account_ids;           // v2 → here, present ones
    std::map<std::uint64_t, std::uint64_t> key_ids;
    // The v2 id of a key skipped for an earlier key's secret → the v2 id of that key.
    std::map<std::uint64_t, std::uint64_t> key_aliases;
    std::vector<UsageRecord> new_usage;  // v2 ids until the commit
    V2ImportReport report;               // the present counts, warnings and skipped rows so far
};

// Why a record named `name` cannot come in: an unfit name, or one another record here (or
// earlier in this import) has.
std::optional<std::string> name_refusal(const std::string& name, const char* what, bool taken_here,
                                        std::set<std::string>& names_taken) {
    if (Status st = check_record_name(name, what); !st) return st.error().message;
    if (taken_here || !names_taken.insert(name).second)
        return str_cat("another ", what, " has this name: rename one and import again");
    return std::nullopt;
}

Status plan_accounts(const Store& store, const V2Import& in, std::int64_t rpm_default,
                     ImportPlan& plan) {
    auto by_token = accounts_by_refresh_token(store);
    if (!by_token) return by_token.error();
    std::set<std::string> names_taken, tokens_taken;
    for (const V2Account& a : in.accounts) {
        std::string what = str_cat("account '", a.name, "'");
        if (auto it = by_token->find(a.refresh_token); it != by_token->end()) {
            plan.account_ids[a.v2_id] = it->second.id;
            ++plan.report.accounts.present;
            continue;
        }
        if (auto why = name_refusal(a.name, "account", store.find_account_by_name(a.name).ok(),
                                    names_taken)) {
            plan.report.skipped.push_back({what, *why});
            continue;
        }
        if (a.refresh_token.empty() || a.client_id.empty() || a.client_secret.empty()) {
            plan.report.skipped.push_back({what, "no refresh token, client id or client secret"});
            continue;
        }
        // Two pool members refreshing one credential would invalidate each other.
        if (!tokens_taken.insert(a.refresh_token).second) {
            plan.report.skipped.push_back({what, "an account above has the same refresh token"});
            continue;
        }
        Account account;
        account.name = a.name;
        account.kind = "idc";
        account.client_id = a.client_id;
        account.profile_arn = a.profile_arn;
        account.enabled = a.enabled;
        account.requests_per_minute = a.requests_per_minute.value_or(rpm_default);
        account.notes = a.notes;
        plan.new_accounts.emplace_back(a.v2_id, std::move(account));
        plan.credentials.push_back(AccountCredentials{a.refresh_token, a.client_secret, {}, 0});
    }
    return {};
}

void plan_keys(const Store& store, const V2Import& in, ImportPlan& plan) {
    std::set<std::string> names_taken;
    std::map<std::string, const V2Key*> kept;  // by secret hash
    for (const V2Key& k : in.keys) {
        std::string what = str_cat("key '", k.name, "' (", k.display, ")");
        if (auto existing = store.find_key_by_hash(k.secret_hash)) {
            plan.key_ids[k.v2_id] = existing->id;
            ++plan.report.keys.present;
            continue;
        }
        // One secret is one key here: a second row of it (v2.0 databases without the unique
        // index) comes in as the first, and so does its usage.
        if (auto first = kept.find(k.secret_hash); first != kept.end()) {
            plan.key_aliases[k.v2_id] = first->second->v2_id;
            plan.report.skipped.push_back(
                {what, str_cat("the same secret as key '", first->second->name,
                               "' above, which it is imported as (its usage too)")});
            continue;
        }
        if (auto why =
                name_refusal(k.name, "key", store.find_key_by_name(k.name).ok(), names_taken)) {
            plan.report.skipped.push_back({what, *why});
            continue;
        }
        kept.emplace(k.secret_hash, &k);
        if (!k.warning.empty()) plan.report.warnings.push_back(str_cat(what, ": ", k.warning));
        ApiKey key;
        key.name = k.name;
        key.description = k.description;
        key.secret_hash = k.secret_hash;
        key.display = k.display;
        key.is_admin = k.is_admin;
        key.enabled = k.enabled;
        if (k.requests_per_minute)
            key.requests_per_minute = std::max<std::int64_t>(*k.requests_per_minute, 0);
        if (k.requests_per_day)
            key.requests_per_day = std::max<std::int64_t>(*k.requests_per_day, 0);
        key.expires_at = k.expires_at;
        plan.new_keys.emplace_back(k.v2_id, std::move(key));
    }
}

// A record is the same as a stored one when it ended in the same millisecond with the same
// key, account, route, status and duration: what a second import of one v2.0 row gives.
using Signature =
    std::tuple<std::int64_t, std::uint64_t, std::uint64_t, std::string, int, std::int64_t>;

Signature signature_of(const UsageRecord& u) {
    return {u.time_ms, u.key_id, u.account_id, u.endpoint, u.status, u.duration_ms};
}

// Usage of keys and accounts that are here already is compared with what is stored; the rest
// is new with its key or account. A v2 id that names nothing imported becomes 0 (none).
Status plan_usage(const Store& store, const V2Import& in, ImportPlan& plan) {
    if (in.usage.empty()) return {};
    std::int64_t from = INT64_MAX, to = INT64_MIN;
    for (const UsageRecord& u : in.usage) {
        from = std::min(from, u.time_ms);
        to = std::max(to, u.time_ms);
    }
    std::set<Signature> stored;
    Status read = store.for_each_usage(from, to + 1, 5000, [&](std::vector<UsageRecord>& page) {
        for (const UsageRecord& u : page) stored.insert(signature_of(u));
        return true;
    });
    if (!read) return read;
    for (UsageRecord u : in.usage) {
        if (auto alias = plan.key_aliases.find(u.key_id); alias != plan.key_aliases.end())
            u.key_id = alias->second;
        auto key = plan.key_ids.find(u.key_id);
        auto account = plan.account_ids.find(u.account_id);
        if (key != plan.key_ids.end() && (u.account_id == 0 || account != plan.account_ids.end())) {
            UsageRecord mapped = u;
            mapped.key_id = key->second;
            mapped.account_id = u.account_id ? account->second : 0;
            if (stored.count(signature_of(mapped))) {
                ++plan.report.usage.present;
                continue;
            }
        }
        plan.new_usage.push_back(u);
    }
    return {};
}

std::uint64_t mapped(const std::map<std::uint64_t, std::uint64_t>& ids, std::uint64_t v2_id) {
    auto it = ids.find(v2_id);
    return it == ids.end() ? 0 : it->second;
}

Status write_plan(Store& store, ImportPlan& plan, std::int64_t now) {
    for (std::size_t i = 0; i < plan.new_accounts.size(); ++i) {
        auto& [v2_id, account] = plan.new_accounts[i];
        auto added = store.add_account(account, plan.credentials[i], now);
        if (!added) return added.error();
        plan.account_ids[v2_id] = added->id;
    }
    for (auto& [v2_id, key] : plan.new_keys) {
        auto added = store.add_key(key, now);
        if (!added) return added.error();
        plan.key_ids[v2_id] = added->id;
    }
    std::vector<UsageRecord> usage = plan.new_usage;
    for (UsageRecord& u : usage) {
        u.key_id = mapped(plan.key_ids, u.key_id);
        u.account_id = mapped(plan.account_ids, u.account_id);
    }
    return store.record_usage(usage);
}

std::string report(const ImportPlan& plan, const V2Import& in) {
    V2ImportReport r = plan.report;
    r.source = in.source;
    r.dry_run = in.dry_run;
    r.accounts.added = plan.new_accounts.size();
    r.keys.added = plan.new_keys.size();
    r.usage.added = plan.new_usage.size();
    return encode_v2_report(r);
}

}  // namespace

// Asynchronous only in form: it answers at once, but commits through commit_change with an
// audit entry that counts the rows instead of listing them (and their secrets).
void cmd_import_v2(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    auto in = decode_v2_import(args);
    if (!in) return reply(in.error());
    ImportPlan plan;
    if (Status st = plan_accounts(ctx.store, *in, ctx.runtime.account_rpm_default(), plan); !st)
        return reply(st.error());
    plan_keys(ctx.store, *in, plan);
    if (Status st = plan_usage(ctx.store, *in, plan); !st) return reply(st.error());
    if (in->dry_run) return reply(report(plan, *in));
    auto summary = parse_json(json_object([&](JsonWriter& w) {
        w.Key("source");
        write_string(w, in->source);
        w.Key("accounts");
        w.Uint64(in->accounts.size());
        w.Key("keys");
        w.Uint64(in->keys.size());
        w.Key("usage");
        w.Uint64(in->usage.size());
    }));
    if (!summary) return reply(summary.error());
    AuditEntry draft = audit_draft(ctx, "import-v2", *summary);
    commit_change(
        ctx, draft,
        [ctx, plan = std::move(plan), in = std::move(*in)]() -> CommandResult {
            ImportPlan attempt = plan;  // a rerun of the transaction starts from the plan again
            if (Status st = write_plan(ctx.store, attempt, ctx.now); !st) return st.error();
            return report(attempt, in);
        },
        std::move(reply));
}

}  // namespace amq
