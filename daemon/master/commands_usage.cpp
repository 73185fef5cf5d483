// Raw usage records page by page (amq2apictl usage export streams them as it gets them), the
// request log (the newest records that match filters) and the audit log of admin changes.
#include <algorithm>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/commands.hpp"
#include "daemon/master/usage_series.hpp"

namespace amq {
namespace {

constexpr std::int64_t kMsPerDay = 86400000;

Result<std::int64_t> read_time_ms(FieldReader& f, const char* field, std::int64_t fallback) {
    auto text = f.string(field);
    if (!f.ok()) return f.status().error();
    if (!text) return fallback;
    auto parsed = parse_iso8601(*text);
    if (!parsed)
        return make_error(
            Errc::invalid_argument,
            str_cat("field '", field,
                    "' must be a date (2026-11-01) or UTC time (2026-11-01T12:00:00Z)"));
    return *parsed * 1000;
}

void write_usage(JsonWriter& w, const UsageRecord& u) {
    w.StartObject();
    w.Key("time");
    write_string(w, iso8601(u.time_ms / 1000));
    w.Key("time_ms");
    w.Int64(u.time_ms);
    w.Key("key_id");
    w.Uint64(u.key_id);
    w.Key("account_id");
    w.Uint64(u.account_id);
    for (auto [key, value] :
         {std::pair{"endpoint", &u.endpoint}, std::pair{"client_model", &u.client_model},
          std::pair{"upstream_model", &u.upstream_model}}) {
        w.Key(key);
        write_string(w, *value);
    }
    w.Key("stream");
    w.Bool(u.stream);
    w.Key("status");
    w.Int(u.status);
    w.Key("error_class");
    write_string(w, u.error_class);
    for (auto [key, value] :
         {std::pair{"input_tokens", u.input_tokens}, std::pair{"output_tokens", u.output_tokens},
          std::pair{"credits_micros", u.credits_micros}, std::pair{"ttfb_ms", u.ttfb_ms},
          std::pair{"duration_ms", u.duration_ms}}) {
        w.Key(key);
        w.Int64(value);
    }
    w.Key("attempts");
    w.Int(u.attempts);
    w.Key("client_address");
    write_string(w, u.client_address);
    w.Key("user_agent");
    write_string(w, u.user_agent);
    w.Key("request_id");
    write_string(w, u.request_id);
    w.EndObject();
}

// {"records": [...], "next": ...}: the page, and where the next one starts.
template <class WriteNext>
std::string usage_page(const std::vector<UsageRecord>& page, WriteNext write_next) {
    return json_object([&](JsonWriter& w) {
        w.Key("records");
        w.StartArray();
        for (const UsageRecord& u : page) write_usage(w, u);
        w.EndArray();
        w.Key("next");
        write_next(w);
    });
}

}  // namespace

// One page of records with since <= time < until. A full page ends before its last
// millisecond, which the next page (from `next`) starts with, so no record is split or lost.
CommandResult cmd_usage_export(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    auto since = read_time_ms(f, "since", ctx.now * 1000 - 30 * kMsPerDay);
    if (!since) return since.error();
    auto until = read_time_ms(f, "until", ctx.now * 1000 + kMsPerDay);
    if (!until) return until.error();
    std::int64_t from = f.integer("next", false, 0).value_or(*since);
    auto limit = static_cast<std::size_t>(f.integer("limit", false, 1, 10000).value_or(5000));
    if (!f.ok()) return f.status().error();
    std::vector<UsageRecord> page;
    Status st = ctx.store.for_each_usage(from, *until, limit, [&](std::vector<UsageRecord>& batch) {
        page = std::move(batch);
        return false;
    });
    if (!st) return st.error();
    std::optional<std::int64_t> next;
    if (page.size() == limit) {
        std::int64_t last = page.back().time_ms;
        std::size_t keep = page.size();
        while (keep > 0 && page[keep - 1].time_ms == last) --keep;
        if (keep > 0) {
            page.resize(keep);
            next = last;
        } else {
            next = last + 1;  // a whole page in one millisecond: cannot cut inside it
        }
    }
    return usage_page(page, [&](JsonWriter& w) {
        if (next)
            w.Int64(*next);
        else
            w.Null();
    });
}

namespace {

// The log reads at most this many records per call, so that a filter matching nothing never
// holds the master's loop for long; the answer then says where to go on.
constexpr std::size_t kLogScanBudget = 20000;

// What one request-log query keeps.
struct LogFilter {
    std::optional<std::uint64_t> key_id, account_id;
    std::optional<std::string> model, error_class, request_id, status;
    std::int64_t since_ms = 0, until_ms = 0;  // since <= time < until

    bool matches(const UsageRecord& u) const {
        if (key_id && u.key_id != *key_id) return false;
        if (account_id && u.account_id != *account_id) return false;
        if (model && u.client_model != *model) return false;
        if (error_class && u.error_class != *error_class) return false;
        if (request_id && u.request_id != *request_id) return false;
        return !status || status_matches(u);
    }
    bool status_matches(const UsageRecord& u) const {
        if (*status == "ok") return !is_error(u);
        if (*status == "error") return is_error(u);
        if (*status == "4xx") return u.status >= 400 && u.status < 500;
        if (*status == "5xx") return u.status >= 500;
        return std::to_string(u.status) == *status;
    }
};

Status check_status_filter(const std::string& status) {
    bool code = status.size() == 3 && std::all_of(status.begin(), status.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
    if (code || status == "ok" || status == "error" || status == "4xx" || status == "5xx")
        return {};
    return make_error(Errc::invalid_argument,
                      "field 'status' must be ok, error, 4xx, 5xx or a status code (429)");
}

// A key or account named by id or by name (names are never all digits); "none" is the
// account of requests that never reached one.
template <class Find>
Result<std::uint64_t> record_id(const std::string& text, Find find_by_name) {
    if (auto id = parse_uint(text)) return *id;
    auto record = find_by_name(text);
    if (!record) return record.error();
    return record->id;
}

Result<LogFilter> read_log_filter(FieldReader& f, const Store& store, std::int64_t default_since_ms,
                                  std::int64_t default_until_ms) {
    LogFilter filter;
    auto key = f.string("key");
    auto account = f.string("account");
    filter.model = f.string("model");
    filter.error_class = f.string("error_class");
    filter.request_id = f.string("request_id");
    filter.status = f.string("status");
    if (!f.ok()) return f.status().error();
    if (filter.status)
        if (Status st = check_status_filter(*filter.status); !st) return st.error();
    if (key) {
        auto id = record_id(*key, [&](const std::string& n) { return store.find_key_by_name(n); });
        if (!id) return id.error();
        filter.key_id = *id;
    }
    if (account && *account == "none") {
        filter.account_id = 0;
    } else if (account) {
        auto id = record_id(*account,
                            [&](const std::string& n) { return store.find_account_by_name(n); });
        if (!id) return id.error();
        filter.account_id = *id;
    }
    auto since = read_time_ms(f, "since", default_since_ms);
    if (!since) return since.error();
    auto until = read_time_ms(f, "until", default_until_ms);
    if (!until) return until.error();
    if (*since >= *until)
        return make_error(Errc::invalid_argument, "field 'since' must be before 'until'");
    filter.since_ms = *since;
    filter.until_ms = *until;
    return filter;
}

}  // namespace

// The request log: newest first, `limit` records a page, from `until` (or where `before`, the
// `next` of the page before, points) back to `since`.
CommandResult cmd_usage_log(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    std::int64_t now_ms = ctx.now * 1000;
    auto filter = read_log_filter(f, ctx.store, now_ms - 30 * kMsPerDay, now_ms + kMsPerDay);
    if (!filter) return filter.error();
    auto before = f.string("before");
    auto limit = static_cast<std::size_t>(f.integer("limit", false, 1, 500).value_or(50));
    if (!f.ok()) return f.status().error();
    std::string start = Store::usage_position_at(filter->until_ms);
    if (before) {
        auto position = from_hex(*before);
        if (!position || !Store::usage_position_valid(*position))
            return make_error(Errc::invalid_argument,
                              "field 'before' must be the 'next' of an earlier page");
        start = std::min(start, *position);
    }
    std::vector<UsageRecord> page;
    auto stopped =
        ctx.store.scan_usage_newest(start, filter->since_ms, kLogScanBudget, [&](UsageRecord& u) {
            if (filter->matches(u)) page.push_back(std::move(u));
            return page.size() < limit;
        });
    if (!stopped) return stopped.error();
    return usage_page(page, [&](JsonWriter& w) {
        if (*stopped)
            write_string(w, hex(reinterpret_cast<const std::uint8_t*>((*stopped)->data()),
                                (*stopped)->size()));
        else
            w.Null();
    });
}

namespace {

// A chart reads at most this many records per call (a few hundred milliseconds of the master's
// loop); the answer says when it stopped short.
constexpr std::size_t kSeriesScanBudget = 200000;
constexpr std::int64_t kMsPerHour = 3600000;

void write_point(JsonWriter& w, const SeriesPoint& p) {
    w.StartObject();
    w.Key("t");
    write_string(w, iso8601(p.start_ms / 1000));
    for (auto [key, n] :
         {std::pair{"requests", p.requests}, std::pair{"errors", p.errors},
          std::pair{"input_tokens", p.input_tokens}, std::pair{"output_tokens", p.output_tokens},
          std::pair{"p50_ms", p.p50_ms}, std::pair{"p95_ms", p.p95_ms},
          std::pair{"ttfb_p50_ms", p.ttfb_p50_ms}, std::pair{"ttfb_p95_ms", p.ttfb_p95_ms}}) {
        w.Key(key);
        w.Int64(n);
    }
    w.EndObject();
}

}  // namespace

// The charts' time series: the records of [since, until) matching the log's filters, summed
// per hour or day (bucket; by default hours for two days or less).
CommandResult cmd_usage_series(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    std::int64_t now_ms = ctx.now * 1000;
    auto filter = read_log_filter(f, ctx.store, now_ms - 7 * kMsPerDay, now_ms);
    if (!filter) return filter.error();
    auto bucket = f.string("bucket");
    if (!f.ok()) return f.status().error();
    std::int64_t span = filter->until_ms - filter->since_ms;
    if (!bucket) bucket = span <= 2 * kMsPerDay ? "hour" : "day";
    if (*bucket != "hour" && *bucket != "day")
        return make_error(Errc::invalid_argument, "field 'bucket' must be hour or day");
    std::int64_t bucket_ms = *bucket == "hour" ? kMsPerHour : kMsPerDay;
    if (span / bucket_ms >= static_cast<std::int64_t>(UsageSeries::kMaxBuckets))
        return make_error(Errc::invalid_argument,
                          str_cat("the period holds more than ", UsageSeries::kMaxBuckets, " ",
                                  *bucket, "s; choose a shorter one or bucket=day"));
    UsageSeries series(filter->since_ms, filter->until_ms, bucket_ms);
    std::size_t read = 0;
    std::optional<std::int64_t> stopped_at;
    Status st = ctx.store.for_each_usage(filter->since_ms, filter->until_ms, 5000,
                                         [&](std::vector<UsageRecord>& batch) {
                                             for (const UsageRecord& u : batch) {
                                                 if (++read > kSeriesScanBudget) {
                                                     stopped_at = u.time_ms;
                                                     return false;
                                                 }
                                                 if (filter->matches(u)) series.add(u);
                                             }
                                             return true;
                                         });
    if (!st) return st.error();
    return json_object([&](JsonWriter& w) {
        w.Key("bucket");
        write_string(w, *bucket);
        // Set when the budget ran out: the points after it are missing, not zero.
        write_time(w, "complete_until", stopped_at ? *stopped_at / 1000 : 0);
        w.Key("points");
        w.StartArray();
        for (const SeriesPoint& p : series.points()) write_point(w, p);
        w.EndArray();
    });
}

CommandResult cmd_audit(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    auto limit = static_cast<std::size_t>(f.integer("limit", false, 1, 10000).value_or(50));
    if (!f.ok()) return f.status().error();
    auto entries = ctx.store.list_audit(limit);
    if (!entries) return entries.error();
    return json_object([&](JsonWriter& w) {
        w.Key("entries");
        w.StartArray();
        for (const AuditEntry& e : *entries) {
            w.StartObject();
            w.Key("at");
            write_string(w, iso8601(e.at_ms / 1000));
            w.Key("actor");
            write_string(w, e.actor);
            w.Key("command");
            write_string(w, e.command);
            for (auto [key, json] :
                 {std::pair{"args", &e.args_json}, std::pair{"before", &e.before_json},
                  std::pair{"after", &e.after_json}}) {
                w.Key(key);
                if (json->empty())
                    w.Null();
                else
                    w.RawValue(json->data(), json->size(), rapidjson::kObjectType);
            }
            w.EndObject();
        }
        w.EndArray();
    });
}

}  // namespace amq
