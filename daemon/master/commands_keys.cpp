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
    if (auto v = f.integer("requests_per_minute", false, 1, 1000000)) key.requests_per_minute = *v;
    if (auto v = f.integer("requests_per_day", false, 1, 1000000000)) key.requests_per_day = *v;
    if (auto v = f.integer("max_concurrent", false, 0, 100000)) key.max_concurrent = *v;
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
    auto expiry = read_expiry(f, now);
    if (!expiry) return expiry.error();
    if (*expiry) key.expires_at = **expiry;
    if (!f.ok()) return f.status().error();
    return check_record_name(key.name, "key");
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
    auto key = resolve_key(ctx.store, *target);
    if (!key) return key.error();
    ApiKey updated = *key;
    if (auto st = read_key_fields(*changes, updated, ctx.now); !st) return st.error();
    FieldReader set(*changes, "set");
    auto enabled = set.boolean("enabled");
    if (auto v = set.boolean("is_active")) enabled = v;  // the seed's name
    if (!set.ok()) return set.status().error();
    if (enabled) updated.enabled = *enabled;
    bool demoted = (key->is_admin && !updated.is_admin) || (key->enabled && !updated.enabled);
    if (demoted && is_last_enabled_admin(ctx.store, *key, ctx.now))
        return make_error(Errc::conflict,
                          "refusing to disable or demote the last enabled admin key");
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
    if (is_last_enabled_admin(ctx.store, *key, ctx.now))
        return make_error(
            Errc::conflict,
            "refusing to disable (revoke) the last enabled admin key; create another first");
    key->enabled = false;
    auto updated = ctx.store.update_key(*key, ctx.now);
    if (!updated) return updated.error();
    return key_json(*updated);
}

CommandResult cmd_key_remove(CommandContext& ctx, const rapidjson::Value& args) {
    auto key = resolve_key(ctx.store, args);
    if (!key) return key.error();
    if (is_last_enabled_admin(ctx.store, *key, ctx.now))
        return make_error(Errc::conflict,
                          "refusing to remove the last enabled admin key; create another first");
    if (auto st = ctx.store.remove_key(key->id); !st) return st.error();
    return json_object([&](JsonWriter& w) {
        w.Key("removed");
        w.Uint64(key->id);
        w.Key("name");
        write_string(w, key->name);
    });
}

}  // namespace amq
