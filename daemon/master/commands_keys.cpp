#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

constexpr std::int64_t kDay = 86400;

// expires_days wins over expires_at when both are given: it is what a person types.
Result<std::int64_t> read_expiry(FieldReader& f, std::int64_t now) {
    auto days = f.integer("expires_days", false, 1, 36500);
    auto at = f.string("expires_at");
    if (!f.ok()) return f.status().error();
    if (days) return now + *days * kDay;
    if (!at) return std::int64_t{0};
    auto parsed = parse_iso8601(*at);
    if (!parsed)
        return make_error(Errc::invalid_argument,
                          "field 'expires_at' must be a date (2027-01-31) or UTC time (2027-01-31T12:00:00Z)");
    if (*parsed <= now) return make_error(Errc::invalid_argument, "field 'expires_at' is in the past");
    return *parsed;
}

bool usable_admin(const ApiKey& key, std::int64_t now) {
    return key.is_admin && key.enabled && (key.expires_at == 0 || key.expires_at > now);
}

// An expired admin key does not count: it would leave nobody able to administer.
bool is_last_enabled_admin(const Store& store, const ApiKey& key, std::int64_t now) {
    if (!usable_admin(key, now)) return false;
    auto keys = store.list_keys();
    if (!keys) return false;
    for (const auto& other : *keys)
        if (other.id != key.id && usable_admin(other, now)) return false;
    return true;
}

}  // namespace

CommandResult cmd_key_create(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    ApiKey key;
    auto name = f.string("name", true);
    auto description = f.string("description");
    auto is_admin = f.boolean("is_admin");
    auto rpm = f.integer("requests_per_minute", false, 1, 1000000);
    auto rpd = f.integer("requests_per_day", false, 1, 1000000000);
    auto expiry = read_expiry(f, ctx.now);
    if (!expiry) return expiry.error();
    if (auto st = check_record_name(*name, "key"); !st) return st.error();
    NewApiKey secret = generate_api_key();
    key.name = *name;
    key.description = description.value_or("");
    key.is_admin = is_admin.value_or(false);
    key.requests_per_minute = rpm.value_or(key.requests_per_minute);
    key.requests_per_day = rpd.value_or(key.requests_per_day);
    key.expires_at = *expiry;
    key.secret_hash = secret.hash;
    key.display = secret.display;
    auto added = ctx.store.add_key(std::move(key), ctx.now);
    if (!added) return added.error();
    return json_object([&](JsonWriter& w) {
        w.Key("key");
        write_string(w, secret.secret);
        w.Key("api_key");
        write_key(w, *added);
    });
}

CommandResult cmd_key_list(CommandContext& ctx, const rapidjson::Value&) {
    auto keys = ctx.store.list_keys();
    if (!keys) return keys.error();
    return json_object([&](JsonWriter& w) {
        w.Key("keys");
        w.StartArray();
        for (const auto& k : *keys) write_key(w, k);
        w.EndArray();
    });
}

CommandResult cmd_key_show(CommandContext& ctx, const rapidjson::Value& args) {
    auto key = resolve_key(ctx.store, args);
    if (!key) return key.error();
    return key_json(*key);
}

CommandResult cmd_key_revoke(CommandContext& ctx, const rapidjson::Value& args) {
    auto key = resolve_key(ctx.store, args);
    if (!key) return key.error();
    if (is_last_enabled_admin(ctx.store, *key, ctx.now))
        return make_error(Errc::conflict, "refusing to revoke the last enabled admin key; create another first");
    key->enabled = false;
    auto updated = ctx.store.update_key(*key, ctx.now);
    if (!updated) return updated.error();
    return key_json(*updated);
}

CommandResult cmd_key_remove(CommandContext& ctx, const rapidjson::Value& args) {
    auto key = resolve_key(ctx.store, args);
    if (!key) return key.error();
    if (is_last_enabled_admin(ctx.store, *key, ctx.now))
        return make_error(Errc::conflict, "refusing to remove the last enabled admin key; create another first");
    if (auto st = ctx.store.remove_key(key->id); !st) return st.error();
    return json_object([&](JsonWriter& w) {
        w.Key("removed");
        w.Uint64(key->id);
        w.Key("name");
        write_string(w, key->name);
    });
}

}  // namespace amq
