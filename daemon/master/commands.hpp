// The one command layer of the master. The control socket (amq2apictl) and, later, the HTTP
// admin API are two transports onto this table: every admin action exists once, here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/json.hpp"
#include "common/result.hpp"
#include "daemon/master/store.hpp"

namespace amq {

// Who asked: recorded by the audit log, and shown in errors.
struct Caller {
    enum class Kind { control, admin_key, internal };
    Kind kind = Kind::internal;
    std::int64_t id = 0;  // peer uid for control, key id for admin_key
};

// What the running master knows beyond the store (processes, uptime).
class RuntimeView {
public:
    virtual ~RuntimeView() = default;
    virtual void write_runtime(JsonWriter& w) const = 0;
};

struct CommandContext {
    Store& store;
    const RuntimeView& runtime;
    std::int64_t now;
    Caller caller;
};

// `data` of a successful answer, as JSON text.
using CommandResult = Result<std::string>;

struct CommandSpec {
    std::string_view name;
    bool mutates;  // a success changes what workers must know (keys, accounts)
    CommandResult (*run)(CommandContext& ctx, const rapidjson::Value& args);
    std::string_view summary;
};

std::span<const CommandSpec> all_commands();
const CommandSpec* find_command(std::string_view name);

// Control frame {id, cmd, args} → reply {id, ok, data | error{code, message}}. `changed` is
// set when a mutating command succeeded.
std::string dispatch_control_frame(std::string_view payload, CommandContext& ctx, bool& changed);

// Shared by the command files: one record as the API shows it (no secrets).
void write_account(JsonWriter& w, const Account& account);
void write_key(JsonWriter& w, const ApiKey& key);
std::string account_json(const Account& account);
std::string key_json(const ApiKey& key);
Status check_record_name(const std::string& name, const char* what);

// Commands name a record by {"id": N} or {"name": "..."}.
Result<Account> resolve_account(const Store& store, const rapidjson::Value& args);
Result<ApiKey> resolve_key(const Store& store, const rapidjson::Value& args);

CommandResult cmd_status(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_add(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_list(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_show(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_remove(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_create(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_list(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_show(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_revoke(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_remove(CommandContext& ctx, const rapidjson::Value& args);

}  // namespace amq
