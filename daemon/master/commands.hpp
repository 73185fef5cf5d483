// The one command layer of the master. The control socket (amq2apictl) and, later, the HTTP
// admin API are two transports onto this table: every admin action exists once, here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/json.hpp"
#include "common/result.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/store_copy.hpp"
#include "daemon/master/write_gate.hpp"

namespace amq {

// Who asked: recorded by the audit log, and shown in errors.
struct Caller {
    enum class Kind { control, admin_key, internal };
    Kind kind = Kind::internal;
    std::int64_t id = 0;  // peer uid for control, key id for admin_key
};

struct AccountHealth;
struct UsageLimits;
struct AccessToken;
class AccountLogins;

// What the running master offers commands beyond the store: processes and uptime, the
// pool's health, token refreshes and quota checks. The defaults are what a master without
// those parts answers (unit tests override what they need).
class RuntimeView {
public:
    virtual ~RuntimeView() = default;
    virtual void write_runtime(JsonWriter& w) const = 0;
    virtual const AccountHealth* account_health(std::uint64_t account_id);
    // What only the running pool knows of an account, as members of its object (account show):
    // its models, the endpoint that last served it.
    virtual void write_account_runtime(JsonWriter& w, std::uint64_t account_id);
    virtual void set_account_disabled(std::uint64_t account_id, bool disabled);
    virtual void reset_account_health(std::uint64_t account_id, std::string_view note);
    virtual void forget_account(std::uint64_t account_id);
    virtual void refresh_account(std::uint64_t account_id,
                                 std::function<void(Result<AccessToken>)> done);
    // Reads the pool's view of the accounts (health, disabled) from the store again: after a
    // change that touched it but did not commit, or ran twice.
    virtual void reload_pool();
    virtual void fetch_quota(std::uint64_t account_id,
                             std::function<void(Result<UsageLimits>)> done);
    virtual Status reload();  // as SIGHUP
    // requests_per_minute of an account added without one (account-rpm-default).
    virtual std::int64_t account_rpm_default() const;
    virtual Status set_log_level(
        std::string_view level);  // master and workers, until the next reload
    // A compact copy of the store written to `fd` (which the callee closes); `done` gets its size.
    virtual void backup(int fd, std::function<void(Result<std::uint64_t>)> done);
    // amq2apictl store copy and store migrate (store_copy.hpp), run off the loop; the job's
    // password and where an LMDB file is built come from the configuration.
    virtual void copy_store(StoreCopyJob job, std::function<void(Result<StoreCopyOutcome>)> done);
    virtual void migrate_database(std::string address, bool dry_run,
                                  std::function<void(Result<std::vector<Migration>>)> done);
    // The logins under way (account login); null where there are none to run.
    virtual AccountLogins* account_logins();
    // An account just logged in: its quota and models are fetched at once rather than at the
    // next sweep, so that it serves the models it has from its first request.
    virtual void welcome_account(std::uint64_t account_id);
    // Accounts or keys changed outside a command's own reply (a login granted later): the
    // workers hear of it.
    virtual void announce_change();
    // Where changes of the shared records run (write_gate.hpp): at once, unless hosts share a
    // database.
    virtual WriteGate& write_gate();
};

// Copyable (it holds references): an asynchronous command keeps its own copy.
struct CommandContext {
    Store& store;
    RuntimeView& runtime;
    std::int64_t now;
    Caller caller;
    int passed_fd = -1;  // a descriptor sent with the request (control socket only)
};

// `data` of a successful answer, as JSON text.
using CommandResult = Result<std::string>;
using CommandReply = std::function<void(CommandResult)>;

// A command answers at once (run) or later (run_async: refreshes, quota, imports — anything
// that waits on the network). The other pointer is null. A mutating `run` is committed with
// its audit entry by run_command; a mutating `run_async` commits through commit_change itself.
struct CommandSpec {
    std::string_view name;
    bool mutates;  // a success changes what workers must know (keys, accounts)
    CommandResult (*run)(CommandContext& ctx, const rapidjson::Value& args);
    void (*run_async)(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
    std::string_view summary;
    // The fields its arguments may have; any other is refused, so that a misspelt field is an
    // error rather than a silent no-op.
    std::span<const std::string_view> fields;
};

// Fields shared by several commands: a record named by id or name, and the fields accounts and
// keys are created or changed with.
inline constexpr std::string_view kTargetFields[] = {"id", "name"};
inline constexpr std::string_view kAccountFields[] = {
    "name",        "kind",          "refresh_token",       "client_id",   "client_secret",
    "profile_arn", "region",        "api_endpoint",        "api_flavour", "origin",
    "proxy",       "notes",         "requests_per_minute", "enabled",     "is_active",
    "api_key",     "token_endpoint"};
inline constexpr std::string_view kKeyFields[] = {
    "name",           "description",    "is_admin",     "requests_per_minute", "requests_per_day",
    "max_concurrent", "allowed_models", "expires_days", "expires_at",          "enabled",
    "is_active"};

// Where a command is asked for: the control socket (amq2apictl) and the HTTP admin API share
// one table; the HTTP admin API has a few more for the v2.0 API's own shapes.
enum class Surface { control, http_admin };
// The control table, or the HTTP admin API's own commands.
std::span<const CommandSpec> all_commands(Surface surface = Surface::control);
const CommandSpec* find_command(std::string_view name, Surface surface = Surface::control);

// Runs one command of the table; `done` gets its result and whether a mutation succeeded.
void run_command(std::string_view name, Surface surface, const rapidjson::Value& args,
                 CommandContext ctx, std::function<void(CommandResult result, bool changed)> done);

// The audit entry of a mutating command but for its outcome: who asked, when, the arguments
// without their secrets, and the record they name as it is now.
AuditEntry audit_draft(const CommandContext& ctx, std::string_view command,
                       const rapidjson::Value& args);
// Runs `change` through the write gate, in one transaction with the audit entry of its result
// (the draft's "after"): both are stored or neither, and a failure to store or share them is
// what `reply` gets. `change` may run twice (see Store::audited), and after this returned.
void commit_change(CommandContext ctx, AuditEntry draft, std::function<CommandResult()> change,
                   CommandReply reply);

// Control frame {id, cmd, args} → reply {id, ok, data | error{code, message}}, handed to
// `done` (at once, or when an asynchronous command finishes) with `changed` set when a
// mutating command succeeded.
void dispatch_control_frame(std::string_view payload, CommandContext ctx,
                            std::function<void(std::string reply, bool changed)> done);

// Shared by the command files: one record as the API shows it (no secrets).
// An account with its health when the runtime knows it.
void write_account(JsonWriter& w, const Account& account, const AccountHealth* health = nullptr,
                   const std::function<void(JsonWriter&)>& extra_fields = {});
void write_key(JsonWriter& w, const ApiKey& key);
std::string account_json(const Account& account, const AccountHealth* health = nullptr);
void write_health(JsonWriter& w, const AccountHealth& health);
// `key`: t (Unix seconds) as an ISO time, or null for 0 (never).
void write_time(JsonWriter& w, const char* key, std::int64_t t);
std::string key_json(const ApiKey& key);
Status check_record_name(const std::string& name, const char* what);
Status check_refresh_token_unused(const Store& store, std::string_view refresh_token,
                                  std::uint64_t except_id = 0);
// Every stored account that has a refresh token, by that token: what imports compare with.
Result<std::map<std::string, Account>> accounts_by_refresh_token(const Store& store);

// Commands name a record by {"id": N} or {"name": "..."}.
Result<Account> resolve_account(const Store& store, const rapidjson::Value& args);
Result<ApiKey> resolve_key(const Store& store, const rapidjson::Value& args);

CommandResult cmd_status(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_add(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_list(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_show(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_remove(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_enable(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_disable(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_events(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_reset_health(CommandContext& ctx, const rapidjson::Value& args);
void cmd_account_refresh(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
void cmd_account_quota(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
void cmd_account_import(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
CommandResult cmd_key_create(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_list(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_show(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_revoke(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_update(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_enable(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_stats(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_usage_log(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_usage_series(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_stats(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_stats_accounts(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_stats_api_keys(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_stats_tokens(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_stats_account_usage(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_usage_export(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_workers(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_reload(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_log_level(CommandContext& ctx, const rapidjson::Value& args);
void cmd_backup(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
void cmd_store_copy(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
void cmd_store_migrate(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
void cmd_import_v2(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
void cmd_account_login(CommandContext ctx, const rapidjson::Value& args, CommandReply reply);
CommandResult cmd_account_login_status(CommandContext& ctx, const rapidjson::Value& args);
void cmd_account_login_complete(CommandContext ctx, const rapidjson::Value& args,
                                CommandReply reply);
CommandResult cmd_account_login_cancel(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_account_update(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_audit(CommandContext& ctx, const rapidjson::Value& args);
CommandResult cmd_key_remove(CommandContext& ctx, const rapidjson::Value& args);

}  // namespace amq
