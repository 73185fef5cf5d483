#include <algorithm>
#include <climits>
#include <optional>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

constexpr std::int64_t kDay = 86400;

// expires_days wins over expires_at when both are given: it is what a person types. An empty
// expires_at clears the expiry (updates only).
Result<std::optional<std::int64_t>> read_expiry(FieldReader& f, std::int64_t now) {
    auto days = f.integer("expires_days", false, 1, 36500);
    auto at = f.string("expires_at");
    if (!f.ok()) return f.status().error();
    if (days) return std::optional<std::int64_t>(now + *days * kDay);
    if (!at) return std::optional<std::int64_t>();
    if (at->empty()) return std::optional<std::int64_t>(0);
    auto parsed = parse_iso8601(*at);
    if (!parsed)
        return make_error(
            Errc::invalid_argument,
            "field 'expires_at' must be a date (2027-01-31) or UTC time (2027-01-31T12:00:00Z)");
    if (*parsed <= now)
        return make_error(Errc::invalid_argument, "field 'expires_at' is in the past");
    return std::optional<std::int64_t>(*parsed);
}

// The fields a key is created or updated with; absent ones leave the key as it is.
Status read_key_fields(const rapidjson::Value& args, ApiKey& key, std::int64_t now) {
    FieldReader f(args);
    if (auto v = f.string("name")) key.name = *v;
    if (auto v = f.string("description")) key.description = *v;
    if (auto v = f.boolean("is_admin")) key.is_admin = *v;
    // 0 is no cap; any other size a 64-bit count holds is a cap (see SlidingWindow).
    if (auto v = f.integer("requests_per_minute", false, 0)) key.requests_per_minute = *v;
    if (auto v = f.integer("requests_per_day", false, 0)) key.requests_per_day = *v;
    if (auto v = f.integer("max_concurrent", false, 0)) key.max_concurrent = *v;
    if (const rapidjson::Value* models = f.array("allowed_models")) {
        key.allowed_models.clear();
        for (rapidjson::SizeType i = 0; i < models->Size(); ++i) {
            const auto& m = (*models)[i];
            if (!m.IsString() || m.GetStringLength() == 0)
                return make_error(Errc::invalid_argument,
                                  str_cat("field 'allowed_models.", i, "' must be a model name"));
            key.allowed_models.emplace_back(m.GetString(), m.GetStringLength());
        }
    }
    if (auto v = f.boolean("enabled")) key.enabled = *v;
    if (auto v = f.boolean("is_active")) key.enabled = *v;  // the seed's name
    auto expiry = read_expiry(f, now);
    if (!expiry) return expiry.error();
    if (*expiry) key.expires_at = **expiry;
    if (!f.ok()) return f.status().error();
    return check_record_name(key.name, "key");
}

constexpr std::int64_t kForever = INT64_MAX;

// Until when the admin API stays open: the latest expiry of the usable admin keys, kForever
// when one never expires, 0 when there is none. `changed` replaces the stored key with its id
// (nullopt: the key `removed` is gone).
std::int64_t admin_access_until(const std::vector<ApiKey>& keys, std::uint64_t id,
                                const std::optional<ApiKey>& changed, std::int64_t now) {
    std::int64_t until = 0;
    auto count = [&](const ApiKey& k) {
        if (!k.is_admin || !k.enabled || (k.expires_at != 0 && k.expires_at <= now)) return;
        until = std::max(until, k.expires_at == 0 ? kForever : k.expires_at);
    };
    for (const ApiKey& k : keys) count(k.id == id ? changed.value_or(ApiKey{}) : k);
    return until;
}

// A change may not shorten how long the admin API stays open unless it stays open for good:
// no removing, revoking, demoting or expiring the last admin key (the control socket could
// still repair it, but every HTTP admin call would be refused).
Status check_admin_access_kept(const Store& store, const ApiKey& key,
                               const std::optional<ApiKey>& changed, std::int64_t now) {
    auto keys = store.list_keys();
    if (!keys) return keys.error();
    std::int64_t before = admin_access_until(*keys, key.id, key, now);
    std::int64_t after = admin_access_until(*keys, key.id, changed, now);
    if (after >= before || after == kForever) return {};
    if (after == 0)
        return make_error(Errc::conflict,
                          str_cat("refusing to ", changed ? "disable or demote" : "remove",
                                  " the last enabled admin key; create another admin key first"));
    return make_error(
        Errc::conflict,
        str_cat("refusing to leave only admin keys that expire (the last at ", iso8601(after),
                "): after that every admin call would be refused; create an admin "
                "key without an expiry first"));
}

}  // namespace

CommandResult cmd_key_create(CommandContext& ctx, const rapidjson::Value& args) {
    ApiKey key;
    if (!FieldReader(args).has("name"))
        return make_error(Errc::invalid_argument, "field 'name' is required");
    if (auto st = read_key_fields(args, key, ctx.now); !st) return st.error();
    NewApiKey secret = generate_api_key();
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

CommandResult cmd_key_update(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    const rapidjson::Value* target = f.object("key", true);
    const rapidjson::Value* changes = f.object("set", true);
    if (!f.ok()) return f.status().error();
    if (auto st = check_fields(*target, kTargetFields, "key"); !st) return st.error();
    if (auto st = check_fields(*changes, kKeyFields); !st) return st.error();
    auto key = resolve_key(ctx.store, *target);
    if (!key) return key.error();
    ApiKey updated = *key;
    if (auto st = read_key_fields(*changes, updated, ctx.now); !st) return st.error();
    if (auto st = check_admin_access_kept(ctx.store, *key, updated, ctx.now); !st)
        return st.error();
    auto stored = ctx.store.update_key(updated, ctx.now);
    if (!stored) return stored.error();
    return key_json(*stored);
}

CommandResult cmd_key_enable(CommandContext& ctx, const rapidjson::Value& args) {
    auto key = resolve_key(ctx.store, args);
    if (!key) return key.error();
    key->enabled = true;
    auto updated = ctx.store.update_key(*key, ctx.now);
    if (!updated) return updated.error();
    return key_json(*updated);
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
    ApiKey revoked = *key;
    revoked.enabled = false;
    if (auto st = check_admin_access_kept(ctx.store, *key, revoked, ctx.now); !st)
        return st.error();
    auto updated = ctx.store.update_key(revoked, ctx.now);
    if (!updated) return updated.error();
    return key_json(*updated);
}

CommandResult cmd_key_remove(CommandContext& ctx, const rapidjson::Value& args) {
    auto key = resolve_key(ctx.store, args);
    if (!key) return key.error();
    if (auto st = check_admin_access_kept(ctx.store, *key, std::nullopt, ctx.now); !st)
        return st.error();
    if (auto st = ctx.store.remove_key(key->id); !st) return st.error();
    return json_object([&](JsonWriter& w) {
        w.Key("removed");
        w.Uint64(key->id);
        w.Key("name");
        write_string(w, key->name);
    });
}

}  // namespace amq
