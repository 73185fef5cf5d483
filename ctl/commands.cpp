#include "ctl/commands.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/frame.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "ctl/account_login.hpp"
#include "ctl/backup.hpp"
#include "ctl/import_v2.hpp"
#include "ctl/render.hpp"
#include "ctl/store_copy.hpp"
#include "ctl/usage_export.hpp"

namespace amq::ctl {
namespace {

using K = ArgKind;

// A renderer that prints no table, as a RenderFn.
template <std::string (*render)(const rapidjson::Value&)>
std::string any_width(const rapidjson::Value& data, std::size_t) {
    return render(data);
}

constexpr ArgSpec kAccountTarget[] = {
    {"account", "", K::target, true, "The account's id or name"},
};

constexpr ArgSpec kAccountResetHealth[] = {
    {"account", "", K::target, true, "The account's id or name"},
    {"--note", "note", K::text, true,
     "Why the account may serve again; kept in the audit log and the account's events"},
};

constexpr ArgSpec kKeyTarget[] = {
    {"key", "", K::target, true, "The key's id or name"},
};

constexpr ArgSpec kAccountAdd[] = {
    {"--name", "name", K::text, true, "A unique name for the account"},
    {"--kind",
     "kind",
     K::text,
     false,
     "idc: AWS SSO OIDC (IAM Identity Center, Builder ID), needs --client-id and "
     "--client-secret; social: a Kiro Google or GitHub login; api_key: a Kiro API key, needs "
     "--api-key; external_idp: an organisation's identity provider, needs --token-endpoint "
     "and --client-id (default idc)",
     {},
     "idc|social|api_key|external_idp"},
    {"--token-endpoint", "token_endpoint", K::text, false,
     "The identity provider's OAuth 2.0 token URL (external_idp accounts)"},
    {"--api-key", "api_key", K::secret, false,
     "The Kiro API key (ksk_…) of an api_key account; \"-\" reads it from the first line of "
     "stdin, which keeps it out of ps. It is never shown again"},
    {"--refresh-token", "refresh_token", K::secret, false,
     "The refresh token; \"-\" reads it from the first line of stdin, which keeps it out of "
     "ps"},
    {"--client-id", "client_id", K::text, false,
     "AWS SSO OIDC client id (idc accounts), or the identity provider's (external_idp)"},
    {"--client-secret", "client_secret", K::secret, false,
     "AWS SSO OIDC client secret (idc accounts); \"-\" reads it from stdin (the first line, "
     "or the second when --refresh-token is \"-\" too), which keeps it out of ps"},
    {"--profile-arn", "profile_arn", K::text, false, "Amazon Q profile ARN"},
    {"--region", "region", K::text, false,
     "AWS region of this account's token endpoint (default us-east-1; the Amazon Q region "
     "follows the profile ARN)"},
    {"--api-endpoint", "api_endpoint", K::text, false,
     "Amazon Q endpoint URL for this account instead of the configured api-endpoint"},
    {"--api-flavour",
     "api_flavour",
     K::text,
     false,
     "How this account's endpoint is called instead of the configured api-flavour",
     {},
     "rpc|rest"},
    {"--origin", "origin", K::text, false,
     "The origin sent upstream for this account (default CLI; Kiro sends AI_EDITOR)"},
    {"--proxy", "proxy", K::text, false,
     "Outbound proxy URL for this account's upstream, token and quota calls"},
    {"--rpm", "requests_per_minute", K::integer, false,
     "Requests per minute this account is paced to (requests beyond wait); 0 = no cap "
     "(default: the daemon's account-rpm-default)"},
    {"--notes", "notes", K::text, false, "Free text shown by 'account show'"},
    {"--disabled", "enabled", K::set_false, false, "Add the account disabled"},
};

// Options not given leave the account as it is. The refresh token comes before the client
// secret, as in kAccountAdd: with both given as "-" they are read from stdin in this order.
constexpr ArgSpec kAccountUpdate[] = {
    {"account", "", K::target, true, "The account's id or name"},
    {"--name", "name", K::text, false, "A new unique name"},
    {"--kind",
     "kind",
     K::text,
     false,
     "idc: AWS SSO OIDC, needs a client id and secret; social: a Kiro Google or GitHub login",
     {},
     "idc|social"},
    {"--client-id", "client_id", K::text, false,
     "A new AWS SSO OIDC or identity provider client id"},
    {"--token-endpoint", "token_endpoint", K::text, false,
     "A new identity provider token URL (external_idp accounts)"},
    {"--profile-arn", "profile_arn", K::text, false, "A new Amazon Q profile ARN"},
    {"--region", "region", K::text, false,
     "AWS region of the account's token endpoint; \"\" returns to the default"},
    {"--api-endpoint", "api_endpoint", K::text, false,
     "Amazon Q endpoint URL for this account; \"\" returns to the configured api-endpoint"},
    // No choices for CLI11 to check: "" must pass too. The daemon checks the value.
    {"--api-flavour",
     "api_flavour",
     K::text,
     false,
     "How this account's endpoint is called; \"\" returns to the configured api-flavour",
     {},
     {},
     "rpc|rest"},
    {"--origin", "origin", K::text, false,
     "The origin sent upstream for this account; \"\" returns to the default"},
    {"--proxy", "proxy", K::text, false,
     "Outbound proxy URL for this account; \"\" returns to the configured proxy"},
    {"--notes", "notes", K::text, false, "New free text; \"\" clears it"},
    {"--rpm", "requests_per_minute", K::integer, false,
     "Requests per minute this account is paced to; 0 = no cap"},
    {"--refresh-token", "refresh_token", K::secret, false,
     "A new refresh token; \"-\" reads it from the first line of stdin, which keeps it out of "
     "ps"},
    {"--client-secret", "client_secret", K::secret, false,
     "A new AWS SSO OIDC client secret; \"-\" reads it from stdin (the first line, or the "
     "second when --refresh-token is \"-\" too)"},
    {"--api-key", "api_key", K::secret, false,
     "A new Kiro API key (ksk_…) for an api_key account; \"-\" reads it from stdin"},
};

constexpr ArgSpec kAccountImport[] = {
    {"paths", "documents", K::files, true,
     "Token files: AWS SSO cache or Kiro token JSON, client registrations, or arrays of "
     "accounts; at most 4 MiB each. A directory stands for its *.json files (~/.aws/sso/cache); "
     "\"-\" reads stdin. At most 1000 files"},
};

constexpr ArgSpec kKeyCreate[] = {
    {"--name", "name", K::text, true, "A unique name for the key"},
    {"--description", "description", K::text, false, "Free text shown by 'key show'"},
    {"--admin", "is_admin", K::set_true, false, "Allow the key to use the /admin API"},
    {"--rpm", "requests_per_minute", K::integer, false,
     "Most requests per minute (default 60); 0 = no cap"},
    {"--rpd", "requests_per_day", K::integer, false,
     "Most requests per day (default 10000); 0 = no cap"},
    {"--max-concurrent", "max_concurrent", K::integer, false,
     "Most requests in flight at once; 0 (the default) sets no cap"},
    {"--models", "allowed_models", K::list, false,
     "The only models the key may use, comma-separated or repeated (default: all)"},
    {"--expires-days", "expires_days", K::integer, false, "Expire the key N days from now",
     "--expires-at"},
    {"--expires-at",
     "expires_at",
     K::text,
     false,
     "Expire the key at this UTC date or time (2027-01-31 or 2027-01-31T12:00:00Z)",
     "--expires-days",
     {},
     "DATE"},
};

// Options not given leave the key as it is.
constexpr ArgSpec kKeyUpdate[] = {
    {"key", "", K::target, true, "The key's id or name"},
    {"--name", "name", K::text, false, "A new unique name"},
    {"--description", "description", K::text, false, "New free text; \"\" clears it"},
    {"--admin", "is_admin", K::set_true, false, "Allow the key to use the /admin API",
     "--no-admin"},
    {"--no-admin", "is_admin", K::set_false, false, "Take the /admin API from the key", "--admin"},
    {"--rpm", "requests_per_minute", K::integer, false, "Most requests per minute; 0 = no cap"},
    {"--rpd", "requests_per_day", K::integer, false, "Most requests per day; 0 = no cap"},
    {"--max-concurrent", "max_concurrent", K::integer, false,
     "Most requests in flight at once; 0 removes the cap"},
    {"--models", "allowed_models", K::list, false,
     "The only models the key may use, comma-separated or repeated; \"\" allows all"},
    {"--expires-days", "expires_days", K::integer, false, "Expire the key N days from now",
     "--expires-at"},
    {"--expires-at",
     "expires_at",
     K::text,
     false,
     "Expire the key at this UTC date or time (2027-01-31 or 2027-01-31T12:00:00Z); \"\" "
     "removes the expiry",
     "--expires-days",
     {},
     "DATE"},
};

constexpr ArgSpec kStats[] = {
    {"--days", "days", K::integer, false, "The last N days, today included (default 7)"},
    {"--by",
     "by",
     K::text,
     false,
     "One row per day, key, account or model (default day)",
     {},
     "day|key|account|model|none"},
};

constexpr ArgSpec kUsageExport[] = {
    {"--since",
     "since",
     K::text,
     true,
     "First UTC date or time to export (2026-11-01 or 2026-11-01T12:00:00Z)",
     {},
     {},
     "DATE"},
    {"--until",
     "until",
     K::text,
     false,
     "Export the records before this UTC date or time (default: all up to now)",
     {},
     {},
     "DATE"},
    {"--format",
     "",
     K::local,
     true,
     "csv: a header line, then one row per record; ndjson: one JSON object per line",
     {},
     "csv|ndjson"},
    {"--output",
     "",
     K::local,
     false,
     "Write to FILE, created or emptied, instead of standard output",
     {},
     {},
     "FILE"},
};

constexpr ArgSpec kUsageLog[] = {
    {"--key", "key", K::text, false, "Only this key's requests (name or id)", {}, {}, "KEY"},
    {"--account",
     "account",
     K::text,
     false,
     "Only this account's requests (name or id; none: those that reached no account)",
     {},
     {},
     "ACCOUNT"},
    {"--model",
     "model",
     K::text,
     false,
     "Only requests for this model (the client's name)",
     {},
     {},
     "MODEL"},
    {"--status", "status", K::text, false, "Only these outcomes", {}, {}, "ok|error|4xx|5xx|CODE"},
    {"--error-class",
     "error_class",
     K::text,
     false,
     "Only requests that failed with this class (limit, upstream_throttle, ...)",
     {},
     {},
     "CLASS"},
    {"--request-id",
     "request_id",
     K::text,
     false,
     "The request with this request-id (from its response header or a log line)",
     {},
     {},
     "ID"},
    {"--since",
     "since",
     K::text,
     false,
     "Back to this UTC date or time (default: 30 days ago)",
     {},
     {},
     "DATE"},
    {"--until",
     "until",
     K::text,
     false,
     "From before this UTC date or time (default: now)",
     {},
     {},
     "DATE"},
    {"--before",
     "before",
     K::text,
     false,
     "Go on from where an earlier page ended (its hint)",
     {},
     {},
     "POSITION"},
    {"--limit", "limit", K::integer, false, "Show at most N requests, 1 to 500 (default 50)"},
};

constexpr ArgSpec kAudit[] = {
    {"--limit", "limit", K::integer, false, "Show the last N changes (default 50)"},
};

constexpr ArgSpec kLogLevel[] = {
    {"level", "level", K::text, true, "The new log level", {}, "debug|info|notice|warning|error"},
};

constexpr ArgSpec kBackup[] = {
    {"file",
     "",
     K::local,
     true,
     "The file to write the copy to, created with mode 0600; an existing file is refused",
     {},
     {},
     "FILE"},
    {"--force", "", K::local_flag, false,
     "Overwrite FILE if it exists (it is emptied and restricted to mode 0600 first)"},
};

constexpr ArgSpec kAccountLogin[] = {
    {"--name", "name", K::text, false, "A unique name for the new account", "--account"},
    {"--account", "account", K::text, false,
     "Log this account (id or name) in again instead, keeping its id, history and usage; a "
     "quarantine is lifted"},
    {"--start-url",
     "start_url",
     K::text,
     false,
     "The IAM Identity Center start URL (default: AWS Builder ID, "
     "https://view.awsapps.com/start)",
     {},
     {},
     "URL"},
    {"--region", "region", K::text, false, "AWS region of the Identity Center (default us-east-1)"},
    {"--rpm", "requests_per_minute", K::integer, false,
     "Requests per minute the new account is paced to; 0 = no cap (default: the daemon's "
     "account-rpm-default)"},
    {"--kiro", "kiro", K::set_true, false,
     "Sign in on the Kiro portal (Google, GitHub, Builder ID, IAM Identity Center) instead: "
     "open the URL shown, sign in, paste back the address the browser ends on",
     "--start-url"},
};

constexpr ArgSpec kStoreCopy[] = {
    {"--from",
     "from",
     K::text,
     false,
     "A PostgreSQL database to copy from (postgresql://USER@HOST/DB or key=value pairs) "
     "instead of this daemon's store",
     {},
     {},
     "DATABASE"},
    {"--to",
     "to",
     K::text,
     true,
     "An empty PostgreSQL database (its schema is migrated first), or an LMDB FILE to create "
     "with mode 0600 (a store's data.mdb, as backup writes)",
     {},
     {},
     "DATABASE|FILE"},
    {"--force", "", K::local_flag, false, "Overwrite an existing FILE"},
};

constexpr ArgSpec kStoreMigrate[] = {
    {"--database",
     "database",
     K::text,
     true,
     "The PostgreSQL database (postgresql://USER@HOST/DB or key=value pairs); its password "
     "comes from postgresql-password-file, PGPASSWORD or PGPASSFILE, never from here",
     {},
     {},
     "DATABASE"},
    {"--dry-run", "dry_run", K::set_true, false, "Show the migrations it lacks, change nothing"},
};

constexpr ArgSpec kImportV2[] = {
    {"database",
     "",
     K::local,
     true,
     "The Python amq2api v2.0 SQLite database (its DATABASE_PATH, by default data/amq2api.db); "
     "opened read-only",
     {},
     {},
     "FILE"},
    {"--dry-run", "", K::local_flag, false, "Say what would be imported without writing anything"},
};

constexpr CommandDef kCommands[] = {
    {"",
     "status",
     "status",
     "Show the daemon's version, uptime, workers and record counts",
     "amq2apictl status",
     {},
     render_status},
    {"account", "add", "account.add", "Add an Amazon Q account",
     "printf '%s\\n' \"$REFRESH_TOKEN\" | amq2apictl account add --name team-a "
     "--client-id \"$CLIENT_ID\" --client-secret \"$CLIENT_SECRET\" --refresh-token -",
     kAccountAdd, any_width<render_account>},
    {"account",
     "list",
     "account.list",
     "List the accounts",
     "amq2apictl account list",
     {},
     render_account_list},
    {"account", "show", "account.show", "Show one account", "amq2apictl account show team-a",
     kAccountTarget, any_width<render_account>},
    {"account", "remove", "account.remove", "Remove an account and its tokens",
     "amq2apictl account remove 3", kAccountTarget, any_width<render_account_removed>},
    {"account", "update", "account.update",
     "Change an account's name, connection settings, limit, notes or credentials",
     "amq2apictl account update team-a --rpm 30 --notes \"spare until March\"", kAccountUpdate,
     any_width<render_account_updated>, kTimeoutSeconds, nullptr, "account", "set"},
    {"account", "enable", "account.enable",
     "Let a disabled account serve again (a quarantined one stays quarantined: see "
     "reset-health)",
     "amq2apictl account enable team-a", kAccountTarget, any_width<render_account_enabled>},
    {"account", "disable", "account.disable",
     "Keep an account from serving until it is enabled again", "amq2apictl account disable team-a",
     kAccountTarget, any_width<render_account_disabled>},
    {"account", "reset-health", "account.reset-health",
     "Let a quarantined, cooling or exhausted account serve again now",
     "amq2apictl account reset-health team-a --note \"support ticket 1234: unlocked\"",
     kAccountResetHealth, any_width<render_account_health_reset>},
    {"account", "events", "account.events", "Show an account's last health state changes",
     "amq2apictl account events team-a", kAccountTarget, render_account_events},
    {"account", "refresh", "account.refresh", "Refresh an account's access token now",
     "amq2apictl account refresh team-a", kAccountTarget, any_width<render_account_refreshed>,
     kNetworkTimeoutSeconds},
    {"account", "quota", "account.quota", "Ask the upstream how much monthly quota is left",
     "amq2apictl account quota team-a", kAccountTarget, any_width<render_account_quota>,
     kNetworkTimeoutSeconds},
    {"account",
     "login",
     "account.login",
     "Log an account in with AWS device authorization: open the URL shown, confirm the code",
     "amq2apictl account login --name team-b --start-url https://my-org.awsapps.com/start",
     kAccountLogin,
     nullptr,
     kNetworkTimeoutSeconds,
     nullptr,
     {},
     {},
     run_account_login},
    {"account", "import", "account.import",
     "Add accounts from token files or directories of them, refresh each once and report every "
     "file (exit 1 if any is refused)",
     "amq2apictl account import ~/.aws/sso/cache/kiro-auth-token.json "
     "~/.aws/sso/cache/\"$CLIENT_ID_HASH\".json",
     kAccountImport, render_account_import, kNetworkTimeoutSeconds, import_refused_any},
    {"key", "create", "key.create", "Create an API key (its secret is shown once)",
     "amq2apictl key create --name ci --rpm 30 --max-concurrent 4 "
     "--models claude-sonnet-4-5,claude-haiku-4-5 --expires-days 90",
     kKeyCreate, any_width<render_key_created>},
    {"key", "list", "key.list", "List the API keys", "amq2apictl key list", {}, render_key_list},
    {"key", "show", "key.show", "Show one API key", "amq2apictl key show ci", kKeyTarget,
     any_width<render_key>},
    {"key", "update", "key.update",
     "Change a key's name, description, admin right, limits, models or expiry",
     "amq2apictl key update ci --rpm 120 --models \"\" --expires-at \"\"", kKeyUpdate,
     any_width<render_key_updated>, kTimeoutSeconds, nullptr, "key", "set"},
    {"key", "enable", "key.enable", "Let a disabled or revoked API key be used again",
     "amq2apictl key enable ci", kKeyTarget, any_width<render_key_enabled>},
    {"key", "disable", "key.disable", "Disable an API key (as revoke; it stays listed)",
     "amq2apictl key disable ci", kKeyTarget, any_width<render_key_disabled>},
    {"key", "revoke", "key.revoke", "Disable an API key (it stays listed)",
     "amq2apictl key revoke ci", kKeyTarget, any_width<render_key_revoked>},
    {"key", "remove", "key.remove", "Delete an API key", "amq2apictl key remove 7", kKeyTarget,
     any_width<render_key_removed>},
    {"", "stats", "stats", "Show request and token totals from the daily rollups",
     "amq2apictl stats --days 30 --by model", kStats, render_stats},
    {"usage",
     "export",
     "usage.export",
     "Stream the raw usage records of a period as CSV or NDJSON",
     "amq2apictl usage export --since 2026-11-01 --until 2026-12-01 --format csv "
     "--output november.csv",
     kUsageExport,
     nullptr,
     kTimeoutSeconds,
     nullptr,
     {},
     {},
     run_usage_export},
    {"usage", "log", "usage.log",
     "Show the newest requests, filtered by key, account, model, outcome or request id",
     "amq2apictl usage log --key ci --status error --limit 20", kUsageLog, render_usage_log},
    {"", "audit", "audit", "Show the last admin changes: who, when, what and what changed",
     "amq2apictl audit --limit 20", kAudit, render_audit},
    {"",
     "workers",
     "workers",
     "Show the worker processes of each generation",
     "amq2apictl workers",
     {},
     render_workers},
    {"",
     "reload",
     "reload",
     "Re-read the configuration and replace the workers with a new generation",
     "amq2apictl reload",
     {},
     any_width<render_reload>},
    {"", "log-level", "log-level", "Change the daemon's log level until the next reload",
     "amq2apictl log-level debug", kLogLevel, any_width<render_log_level>},
    {"",
     "backup",
     "backup",
     "Write a compact copy of the store (data.mdb) to a new file",
     "amq2apictl backup /var/backups/amq2api-$(date +%F).mdb",
     kBackup,
     nullptr,
     kBackupTimeoutSeconds,
     nullptr,
     {},
     {},
     run_backup},
    {"store",
     "copy",
     "store.copy",
     "Copy every record into an empty PostgreSQL database or a new LMDB file, counts checked",
     "amq2apictl store copy --to postgresql://amq2api@db.internal/amq2api",
     kStoreCopy,
     render_store_copy,
     kBackupTimeoutSeconds,
     nullptr,
     {},
     {},
     run_store_copy},
    {"store", "migrate", "store.migrate",
     "Show (--dry-run) or apply the schema migrations a PostgreSQL database lacks",
     "amq2apictl store migrate --dry-run --database postgresql://amq2api@db.internal/amq2api",
     kStoreMigrate, render_store_migrate, kNetworkTimeoutSeconds},
    {"",
     "import-v2",
     "import-v2",
     "Bring the accounts, API keys (same secrets) and usage of a Python amq2api v2.0 over",
     "amq2apictl import-v2 --dry-run /opt/amq2api/data/amq2api.db",
     kImportV2,
     nullptr,
     kTimeoutSeconds,
     nullptr,
     {},
     {},
     run_import_v2},
};

constexpr GroupDef kGroups[] = {
    {"account", "Manage the Amazon Q accounts of the pool", "amq2apictl account list"},
    {"key", "Manage the API keys clients use", "amq2apictl key list"},
    {"store", "Copy the store between LMDB and PostgreSQL; migrate a database's schema",
     "amq2apictl store migrate --dry-run --database postgresql://amq2api@db.internal/amq2api"},
    {"usage", "Export the raw usage records",
     "amq2apictl usage export --since 2026-11-01 "
     "--format ndjson"},
};

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Numbers too large for an id are sent as a name: the daemon then says what is missing.
void write_target(JsonWriter& w, const std::string& value) {
    auto id = all_digits(value) ? parse_int(value) : std::nullopt;
    write_key(w, id ? "id" : "name");
    if (id)
        w.Int64(*id);
    else
        write_string(w, value);
}

// Every file is read before anything is written: a failure must not leave a key without its
// value, which RapidJSON's writer asserts on.
Status write_documents(JsonWriter& w, const ArgSpec& spec, const std::vector<std::string>& paths,
                       const FilesReader& read_files) {
    if (std::count(paths.begin(), paths.end(), "-") > 1)
        return make_error(Errc::invalid_argument, "\"-\" (stdin) can be given only once");
    auto documents = read_files(paths);
    if (!documents) return documents.error();
    write_key(w, spec.field);
    w.StartArray();
    for (const ImportDocument& d : *documents) {
        w.StartObject();
        write_key(w, "source");
        write_string(w, d.source);
        write_key(w, d.error.empty() ? "content" : "error");
        write_string(w, d.error.empty() ? d.content : d.error);
        w.EndObject();
    }
    w.EndArray();
    return {};
}

// Commas split, blanks around a name go, and empty pieces vanish: --models "" sends [].
void write_list(JsonWriter& w, const ArgSpec& spec, const std::vector<std::string>& values) {
    write_key(w, spec.field);
    w.StartArray();
    for (const auto& value : values)
        for (auto piece : split(value, ','))
            if (auto name = trim(piece); !name.empty()) write_string(w, name);
    w.EndArray();
}

// Each case checks its value before writing the key, for the same reason.
Status write_arg(JsonWriter& w, const ArgSpec& spec, const std::vector<std::string>& values,
                 const Inputs& inputs) {
    if (spec.kind == K::files) return write_documents(w, spec, values, inputs.read_files);
    if (spec.kind == K::list) {
        write_list(w, spec, values);
        return {};
    }
    const std::string& value = values.front();
    switch (spec.kind) {
        case K::target: write_target(w, value); return {};
        case K::secret: {
            auto secret =
                value == "-" ? inputs.read_line(spec.name) : std::optional<std::string>(value);
            if (!secret)
                return make_error(Errc::invalid_argument,
                                  str_cat(spec.name, " -: no line left to read on stdin"));
            write_key(w, spec.field);
            write_string(w, *secret);
            return {};
        }
        case K::text:
            write_key(w, spec.field);
            write_string(w, value);
            return {};
        case K::integer: {
            auto n = parse_int(value);
            if (!n)
                return make_error(Errc::invalid_argument,
                                  str_cat(spec.name, ": '", value, "' is not an integer"));
            write_key(w, spec.field);
            w.Int64(*n);
            return {};
        }
        case K::set_true:
        case K::set_false:
            write_key(w, spec.field);
            w.Bool(spec.kind == K::set_true);
            return {};
        case K::files:
        case K::list:
        case K::local:
        case K::local_flag: break;
    }
    return {};
}

// The daemon closes the connection, without a reply, on a control frame over its cap; saying
// so here is clearer.
// The margin leaves room for the request's id and command name around "args".
constexpr std::size_t kMaxArgsBytes = kControlFrameMax - 1024;

}  // namespace

std::span<const CommandDef> all_commands() { return kCommands; }
std::span<const GroupDef> all_groups() { return kGroups; }

Result<std::string> build_args(const CommandDef& def, const ArgValues& values,
                               const Inputs& inputs) {
    auto given = [&](std::size_t i) {
        return i < values.size() && !values[i].empty() && !is_local(def.args[i].kind);
    };
    bool fields_given = false;
    for (std::size_t i = 0; i < def.args.size(); ++i)
        fields_given = fields_given || (given(i) && def.args[i].kind != K::target);
    // An update without changes would still be written to the audit log as one.
    if (!def.fields_object.empty() && !fields_given)
        return make_error(Errc::invalid_argument,
                          str_cat("nothing to change: give at least one option (see amq2apictl ",
                                  def.group, " ", def.word, " --help)"));
    Status status;
    // The target first, then the other options, each in its object when the command nests.
    auto write_part = [&](JsonWriter& w, bool targets, std::string_view object) {
        if (!object.empty()) {
            write_key(w, object);
            w.StartObject();
        }
        for (std::size_t i = 0; i < def.args.size() && status; ++i)
            if (given(i) && (def.args[i].kind == K::target) == targets)
                status = write_arg(w, def.args[i], values[i], inputs);
        if (!object.empty()) w.EndObject();
    };
    std::string json = json_object([&](JsonWriter& w) {
        write_part(w, true, def.target_object);
        write_part(w, false, def.fields_object);
    });
    if (!status) return status.error();
    if (json.size() > kMaxArgsBytes)
        return make_error(Errc::too_large,
                          str_cat("the request would be ", (json.size() + (1u << 20) - 1) >> 20,
                                  " MiB and the control socket takes at most ",
                                  kControlFrameMax >> 20, " MiB: give fewer files at a time"));
    return json;
}

namespace {

// $COLUMNS first (the user's override), else the terminal's width, else 80.
std::size_t terminal_columns() {
    if (const char* env = std::getenv("COLUMNS"))
        if (auto n = parse_int(env); n && *n > 0) return static_cast<std::size_t>(*n);
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

}  // namespace

int call_and_render(const Invocation& invocation, std::string_view args_json) {
    const CommandDef& def = invocation.def;
    auto reply = call(invocation.socket, def.cmd, args_json, def.timeout_seconds);
    if (!reply) return fail(reply.error().message, kUnreachable);
    const rapidjson::Document& doc = *reply;
    if (!doc["ok"].GetBool())
        return fail(name_options(def, doc["error"]["message"].GetString()),
                    refused_exit_code(doc["error"]));
    const rapidjson::Value& data = doc["data"];
    std::string text =
        invocation.json ? to_json(data) + "\n" : def.render(data, terminal_columns());
    if (int printed = print(text); printed) return printed;
    // An import that added some accounts and refused others: a script must notice.
    return def.partial && def.partial(data) ? kDaemonError : kSuccess;
}

int fail(std::string_view message, int code) {
    std::fprintf(stderr, "amq2apictl: %.*s\n", static_cast<int>(message.size()), message.data());
    return code;
}

int print(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout))
        return fail(str_cat("cannot write the output: ", std::strerror(errno),
                            " (the command itself succeeded)"),
                    kDaemonError);
    return kSuccess;
}

int refused_exit_code(const rapidjson::Value& error) {
    return error["code"] == "invalid_argument" ? kUsage : kDaemonError;
}

std::optional<std::string> option_value(const Invocation& invocation, std::string_view name) {
    const auto& args = invocation.def.args;
    for (std::size_t i = 0; i < args.size() && i < invocation.values.size(); ++i)
        if (args[i].name == name && !invocation.values[i].empty())
            return invocation.values[i].front();
    return std::nullopt;
}

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
}

}  // namespace

std::string name_options(const CommandDef& def, std::string message) {
    for (const auto& spec : def.args) {
        if (is_local(spec.kind)) continue;  // never sent, so never named by the daemon
        bool target = spec.kind == ArgKind::target;
        std::string option = target ? str_cat("the ", spec.name, " id") : std::string(spec.name);
        std::string_view field = target ? "id" : spec.field;
        // A nested command's fields are named with their object ("field 'set.notes'").
        if (std::string_view object = target ? def.target_object : def.fields_object;
            !object.empty())
            replace_all(message, str_cat("field '", object, ".", field, "'"), option);
        replace_all(message, str_cat("field '", field, "'"), option);
        // Some messages quote fields without the word ("needs 'client_id' and
        // 'client_secret'"). Only snake_case names are taken that way: a record name quoted in
        // a message ("account 'notes' ...") must stay as it is.
        if (!target && spec.field.find('_') != std::string_view::npos)
            replace_all(message, str_cat("'", spec.field, "'"), option);
    }
    return message;
}

}  // namespace amq::ctl
