#include "common/version.hpp"
#include "daemon/master/commands.hpp"

namespace amq {

CommandResult cmd_status(CommandContext& ctx, const rapidjson::Value&) {
    auto accounts = ctx.store.list_accounts();
    if (!accounts) return accounts.error();
    auto keys = ctx.store.list_keys();
    if (!keys) return keys.error();
    std::size_t accounts_enabled = 0, keys_enabled = 0;
    for (const auto& a : *accounts) accounts_enabled += a.enabled;
    for (const auto& k : *keys) keys_enabled += k.enabled;
    return json_object([&](JsonWriter& w) {
        w.Key("version");
        w.String(kVersion);
        ctx.runtime.write_runtime(w);
        w.Key("accounts");
        w.StartObject();
        w.Key("total");
        w.Uint64(accounts->size());
        w.Key("enabled");
        w.Uint64(accounts_enabled);
        w.EndObject();
        w.Key("keys");
        w.StartObject();
        w.Key("total");
        w.Uint64(keys->size());
        w.Key("enabled");
        w.Uint64(keys_enabled);
        w.EndObject();
    });
}

}  // namespace amq
