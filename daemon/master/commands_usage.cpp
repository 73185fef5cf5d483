// Raw usage records page by page (amq2apictl usage export streams them as it gets them) and
// the audit log of admin changes.
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/commands.hpp"

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
    w.EndObject();
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
    return json_object([&](JsonWriter& w) {
        w.Key("records");
        w.StartArray();
        for (const UsageRecord& u : page) write_usage(w, u);
        w.EndArray();
        w.Key("next");
        if (next)
            w.Int64(*next);
        else
            w.Null();
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
