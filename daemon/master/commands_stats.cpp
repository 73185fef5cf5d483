// Statistics, read from the daily rollups only (never from the raw records): the
// `stats` command and the seed's /admin/stats/* shapes with their field names.
#include <algorithm>
#include <map>

#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

constexpr std::int64_t kDay = 86400;

struct Totals {
    std::int64_t requests = 0, errors = 0, input = 0, output = 0, ttfb_ms = 0, duration_ms = 0;
    std::int64_t credits_micros = 0;
    void add(const Rollup& r) {
        requests += r.requests;
        errors += r.errors;
        input += r.input_tokens;
        output += r.output_tokens;
        credits_micros += r.credits_micros;
        ttfb_ms += r.ttfb_ms_sum;
        duration_ms += r.duration_ms_sum;
    }
};

void write_totals(JsonWriter& w, const Totals& t) {
    w.Key("requests");
    w.Int64(t.requests);
    w.Key("errors");
    w.Int64(t.errors);
    w.Key("input_tokens");
    w.Int64(t.input);
    w.Key("output_tokens");
    w.Int64(t.output);
    w.Key("total_tokens");
    w.Int64(t.input + t.output);
    w.Key("credits");  // what the upstream metered, in its credits
    w.Double(static_cast<double>(t.credits_micros) / 1e6);
    w.Key("avg_duration_ms");
    w.Int64(t.requests ? t.duration_ms / t.requests : 0);
    w.Key("avg_ttfb_ms");
    w.Int64(t.requests ? t.ttfb_ms / t.requests : 0);
}

// The last `days` days, today included.
struct Period {
    std::int32_t from_day, to_day;
    std::int64_t days;
};

Result<Period> read_period(const rapidjson::Value& args, std::int64_t now) {
    FieldReader f(args);
    std::int64_t days = f.integer("days", false, 1, 3650).value_or(7);
    if (!f.ok()) return f.status().error();
    auto today = static_cast<std::int32_t>(now / kDay);
    return Period{static_cast<std::int32_t>(today - days + 1), today, days};
}

void write_period(JsonWriter& w, const Period& p, bool seed_names) {
    w.Key("period");
    w.StartObject();
    w.Key(seed_names ? "start_date" : "from");
    write_string(w, iso8601(static_cast<std::int64_t>(p.from_day) * kDay));
    w.Key(seed_names ? "end_date" : "to");
    write_string(w, iso8601((static_cast<std::int64_t>(p.to_day) + 1) * kDay - 1));
    w.Key("days");
    w.Int64(p.days);
    w.EndObject();
}

std::string day_label(std::int32_t day) {
    return iso8601(static_cast<std::int64_t>(day) * kDay).substr(0, 10);
}

std::map<std::uint64_t, std::string> account_names(const Store& store) {
    std::map<std::uint64_t, std::string> names;
    if (auto accounts = store.list_accounts())
        for (const auto& a : *accounts) names[a.id] = a.name;
    return names;
}

std::map<std::uint64_t, std::string> key_names(const Store& store) {
    std::map<std::uint64_t, std::string> names;
    if (auto keys = store.list_keys())
        for (const auto& k : *keys) names[k.id] = k.name;
    return names;
}

}  // namespace

CommandResult cmd_stats(CommandContext& ctx, const rapidjson::Value& args) {
    auto period = read_period(args, ctx.now);
    if (!period) return period.error();
    std::string by = FieldReader(args).string("by").value_or("day");
    if (by != "day" && by != "key" && by != "account" && by != "model" && by != "none")
        return make_error(Errc::invalid_argument,
                          "field 'by' must be day, key, account, model or none");
    auto rollups = ctx.store.list_rollups(period->from_day, period->to_day);
    if (!rollups) return rollups.error();
    auto accounts = account_names(ctx.store);
    auto keys = key_names(ctx.store);
    Totals total;
    std::map<std::string, Totals> groups;
    for (const Rollup& r : *rollups) {
        total.add(r);
        if (by == "day")
            groups[day_label(r.day)].add(r);
        else if (by == "key")
            groups[str_cat(r.key_id, "\t", keys.count(r.key_id) ? keys[r.key_id] : "(removed)")]
                .add(r);
        else if (by == "account")
            groups[str_cat(r.account_id, "\t",
                           r.account_id == 0              ? "(none)"
                           : accounts.count(r.account_id) ? accounts[r.account_id]
                                                          : "(removed)")]
                .add(r);
        else if (by == "model")
            groups[r.model].add(r);
    }
    return json_object([&](JsonWriter& w) {
        write_period(w, *period, false);
        w.Key("by");
        write_string(w, by);
        w.Key("total");
        w.StartObject();
        write_totals(w, total);
        w.EndObject();
        w.Key("rows");
        w.StartArray();
        for (const auto& [label, t] : groups) {
            w.StartObject();
            auto tab = label.find('\t');
            if (tab == std::string::npos) {
                w.Key(by == "day" ? "date" : "model");
                write_string(w, label);
            } else {
                w.Key(by == "key" ? "key_id" : "account_id");
                w.Uint64(parse_uint(label.substr(0, tab)).value_or(0));
                w.Key(by == "key" ? "key_name" : "account_name");
                write_string(w, label.substr(tab + 1));
            }
            write_totals(w, t);
            w.EndObject();
        }
        w.EndArray();
    });
}

namespace {

// Every rollup ever (they are kept when raw records expire): the all-time columns.
Result<std::map<std::uint64_t, Totals>> all_time(const Store& store, bool by_key) {
    auto rollups = store.list_rollups(0, INT32_MAX);
    if (!rollups) return rollups.error();
    std::map<std::uint64_t, Totals> out;
    for (const Rollup& r : *rollups) out[by_key ? r.key_id : r.account_id].add(r);
    return out;
}

}  // namespace

// One account's usage: all time, and per day over the period.
CommandResult cmd_account_stats(CommandContext& ctx, const rapidjson::Value& args) {
    auto account = resolve_account(ctx.store, args);
    if (!account) return account.error();
    auto period = read_period(args, ctx.now);
    if (!period) return period.error();
    auto rollups = ctx.store.list_rollups(0, INT32_MAX);
    if (!rollups) return rollups.error();
    Totals all, in_period;
    std::map<std::int32_t, Totals> daily;
    for (const Rollup& r : *rollups) {
        if (r.account_id != account->id) continue;
        all.add(r);
        if (r.day >= period->from_day && r.day <= period->to_day) {
            in_period.add(r);
            daily[r.day].add(r);
        }
    }
    return json_object([&](JsonWriter& w) {
        w.Key("account_id");
        w.Uint64(account->id);
        w.Key("account_name");
        write_string(w, account->name);
        write_period(w, *period, true);
        w.Key("total");
        w.StartObject();
        write_totals(w, in_period);
        w.EndObject();
        w.Key("all_time");
        w.StartObject();
        write_totals(w, all);
        w.EndObject();
        w.Key("daily");
        w.StartArray();
        for (const auto& [day, t] : daily) {
            w.StartObject();
            w.Key("date");
            write_string(w, day_label(day));
            write_totals(w, t);
            w.EndObject();
        }
        w.EndArray();
    });
}

CommandResult cmd_stats_accounts(CommandContext& ctx, const rapidjson::Value&) {
    auto accounts = ctx.store.list_accounts();
    if (!accounts) return accounts.error();
    auto totals = all_time(ctx.store, false);
    if (!totals) return totals.error();
    std::int64_t active = 0, healthy = 0, requests = 0, tokens = 0;
    for (const Account& a : *accounts) {
        active += a.enabled;
        const AccountHealth* h = ctx.runtime.account_health(a.id);
        healthy += a.enabled && (!h || h->state == HealthState::healthy);
    }
    for (const auto& [id, t] : *totals) {
        requests += t.requests;
        tokens += t.input + t.output;
    }
    return json_object([&](JsonWriter& w) {
        w.Key("total_accounts");
        w.Uint64(accounts->size());
        w.Key("active_accounts");
        w.Int64(active);
        w.Key("healthy_accounts");
        w.Int64(healthy);
        w.Key("total_requests");
        w.Int64(requests);
        w.Key("total_tokens");
        w.Int64(tokens);
    });
}

CommandResult cmd_stats_api_keys(CommandContext& ctx, const rapidjson::Value&) {
    auto keys = ctx.store.list_keys();
    if (!keys) return keys.error();
    auto totals = all_time(ctx.store, true);
    if (!totals) return totals.error();
    std::int64_t active = 0, requests = 0;
    for (const ApiKey& k : *keys) active += k.enabled;
    for (const auto& [id, t] : *totals) requests += t.requests;
    return json_object([&](JsonWriter& w) {
        w.Key("total_keys");
        w.Uint64(keys->size());
        w.Key("active_keys");
        w.Int64(active);
        w.Key("total_requests");
        w.Int64(requests);
    });
}

namespace {

void write_seed_totals(JsonWriter& w, const Totals& t) {
    w.Key("input_tokens");
    w.Int64(t.input);
    w.Key("output_tokens");
    w.Int64(t.output);
    w.Key("total_tokens");
    w.Int64(t.input + t.output);
    w.Key("credits");
    w.Double(static_cast<double>(t.credits_micros) / 1e6);
    w.Key("requests");
    w.Int64(t.requests);
}

}  // namespace

CommandResult cmd_stats_tokens(CommandContext& ctx, const rapidjson::Value& args) {
    auto period = read_period(args, ctx.now);
    if (!period) return period.error();
    auto rollups = ctx.store.list_rollups(period->from_day, period->to_day);
    if (!rollups) return rollups.error();
    auto names = account_names(ctx.store);
    Totals total;
    std::map<std::int32_t, Totals> daily;
    std::map<std::uint64_t, Totals> by_account;
    for (const Rollup& r : *rollups) {
        total.add(r);
        daily[r.day].add(r);
        if (r.account_id) by_account[r.account_id].add(r);
    }
    std::vector<std::pair<std::uint64_t, Totals>> accounts(by_account.begin(), by_account.end());
    std::stable_sort(accounts.begin(), accounts.end(), [](const auto& a, const auto& b) {
        return a.second.input + a.second.output > b.second.input + b.second.output;
    });
    return json_object([&](JsonWriter& w) {
        write_period(w, *period, true);
        w.Key("total");
        w.StartObject();
        write_seed_totals(w, total);
        w.EndObject();
        w.Key("daily");
        w.StartArray();
        for (const auto& [day, t] : daily) {
            w.StartObject();
            w.Key("date");
            write_string(w, day_label(day));
            write_seed_totals(w, t);
            w.EndObject();
        }
        w.EndArray();
        w.Key("by_account");
        w.StartArray();
        for (const auto& [id, t] : accounts) {
            w.StartObject();
            w.Key("account_id");
            w.Uint64(id);
            w.Key("account_name");
            write_string(w, names.count(id) ? names[id] : "(removed)");
            write_seed_totals(w, t);
            w.EndObject();
        }
        w.EndArray();
    });
}

CommandResult cmd_stats_account_usage(CommandContext& ctx, const rapidjson::Value& args) {
    auto period = read_period(args, ctx.now);
    if (!period) return period.error();
    auto accounts = ctx.store.list_accounts();
    if (!accounts) return accounts.error();
    auto rollups = ctx.store.list_rollups(period->from_day, period->to_day);
    if (!rollups) return rollups.error();
    auto forever = all_time(ctx.store, false);
    if (!forever) return forever.error();
    std::map<std::uint64_t, Totals> in_period;
    for (const Rollup& r : *rollups) in_period[r.account_id].add(r);
    std::vector<const Account*> order;
    for (const Account& a : *accounts) order.push_back(&a);
    std::stable_sort(order.begin(), order.end(), [&](const Account* a, const Account* b) {
        return in_period[a->id].input + in_period[a->id].output >
               in_period[b->id].input + in_period[b->id].output;
    });
    return json_object([&](JsonWriter& w) {
        write_period(w, *period, true);
        w.Key("accounts");
        w.StartArray();
        for (const Account* a : order) {
            const AccountHealth* h = ctx.runtime.account_health(a->id);
            const Totals& t = in_period[a->id];
            const Totals& all = (*forever)[a->id];
            w.StartObject();
            w.Key("account_id");
            w.Uint64(a->id);
            w.Key("account_name");
            write_string(w, a->name);
            w.Key("is_active");
            w.Bool(a->enabled);
            w.Key("is_healthy");
            w.Bool(a->enabled && (!h || h->state == HealthState::healthy));
            write_seed_totals(w, t);
            w.Key("total_requests_all_time");
            w.Int64(all.requests);
            w.Key("total_tokens_all_time");
            w.Int64(all.input + all.output);
            w.EndObject();
        }
        w.EndArray();
    });
}

}  // namespace amq
