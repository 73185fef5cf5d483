#include "ctl/commands.hpp"

#include <algorithm>

#include "common/frame.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "ctl/render.hpp"

namespace amq::ctl {
namespace {

using K = ArgKind;

constexpr ArgSpec kAccountTarget[] = {
    {"account", "", K::target, true, "The account's id or name"},
};

constexpr ArgSpec kKeyTarget[] = {
    {"key", "", K::target, true, "The key's id or name"},
};

constexpr ArgSpec kAccountAdd[] = {
    {"--name", "name", K::text, true, "A unique name for the account"},
    {"--kind", "kind", K::text, false,
     "idc: AWS SSO OIDC (IAM Identity Center, Builder ID), needs --client-id and "
     "--client-secret; social: a Kiro Google or GitHub login (default idc)",
     {}, "idc|social"},
    {"--refresh-token", "refresh_token", K::secret, true,
     "The refresh token; \"-\" reads it from the first line of stdin, which keeps it out of "
     "ps"},
    {"--client-id", "client_id", K::text, false, "AWS SSO OIDC client id (idc accounts)"},
    {"--client-secret", "client_secret", K::secret, false,
     "AWS SSO OIDC client secret (idc accounts); \"-\" reads it from stdin (the first line, "
     "or the second when --refresh-token is \"-\" too), which keeps it out of ps"},
    {"--profile-arn", "profile_arn", K::text, false, "Amazon Q profile ARN"},
    {"--region", "region", K::text, false,
     "AWS region of this account's token endpoint (default us-east-1; the Amazon Q region "
     "follows the profile ARN)"},
    {"--api-endpoint", "api_endpoint", K::text, false,
     "Amazon Q endpoint URL for this account instead of the configured api-endpoint"},
    {"--api-flavour", "api_flavour", K::text, false,
     "How this account's endpoint is called instead of the configured api-flavour",
     {}, "rpc|rest"},
    {"--origin", "origin", K::text, false,
     "The origin sent upstream for this account (default CLI; Kiro sends AI_EDITOR)"},
    {"--proxy", "proxy", K::text, false,
     "Outbound proxy URL for this account's upstream, token and quota calls"},
    {"--rpm", "requests_per_minute", K::integer, false,
     "Most requests per minute this account may serve"},
    {"--notes", "notes", K::text, false, "Free text shown by 'account show'"},
    {"--disabled", "enabled", K::set_false, false, "Add the account disabled"},
};

constexpr ArgSpec kAccountImport[] = {
    {"files", "documents", K::files, true,
     "Token files: AWS SSO cache or Kiro token JSON, client registrations, or arrays of "
     "accounts; at most 4 MiB each; \"-\" reads stdin"},
};

constexpr ArgSpec kKeyCreate[] = {
    {"--name", "name", K::text, true, "A unique name for the key"},
    {"--description", "description", K::text, false, "Free text shown by 'key show'"},
    {"--admin", "is_admin", K::set_true, false, "Allow the key to use the /admin API"},
    {"--rpm", "requests_per_minute", K::integer, false, "Most requests per minute"},
    {"--rpd", "requests_per_day", K::integer, false, "Most requests per day"},
    {"--expires-days", "expires_days", K::integer, false, "Expire the key N days from now",
     "--expires-at"},
    {"--expires-at", "expires_at", K::text, false,
     "Expire the key at this UTC date or time (2027-01-31 or 2027-01-31T12:00:00Z)",
     "--expires-days"},
};

constexpr CommandDef kCommands[] = {
    {"", "status", "status", "Show the daemon's version, uptime, workers and record counts",
     "amq2apictl status", {}, render_status},
    {"account", "add", "account.add", "Add an Amazon Q account",
     "printf '%s\\n' \"$REFRESH_TOKEN\" | amq2apictl account add --name team-a "
     "--client-id \"$CLIENT_ID\" --client-secret \"$CLIENT_SECRET\" --refresh-token -",
     kAccountAdd, render_account},
    {"account", "list", "account.list", "List the accounts", "amq2apictl account list", {},
     render_account_list},
    {"account", "show", "account.show", "Show one account", "amq2apictl account show team-a",
     kAccountTarget, render_account},
    {"account", "remove", "account.remove", "Remove an account and its tokens",
     "amq2apictl account remove 3", kAccountTarget, render_account_removed},
    {"account", "enable", "account.enable",
     "Let an account serve again (a quarantined one stays quarantined: disable, then enable)",
     "amq2apictl account enable team-a", kAccountTarget, render_account_enabled},
    {"account", "disable", "account.disable",
     "Keep an account from serving until it is enabled again",
     "amq2apictl account disable team-a", kAccountTarget, render_account_disabled},
    {"account", "events", "account.events", "Show an account's last health state changes",
     "amq2apictl account events team-a", kAccountTarget, render_account_events},
    {"account", "refresh", "account.refresh", "Refresh an account's access token now",
     "amq2apictl account refresh team-a", kAccountTarget, render_account_refreshed,
     kNetworkTimeoutSeconds},
    {"account", "quota", "account.quota", "Ask the upstream how much monthly quota is left",
     "amq2apictl account quota team-a", kAccountTarget, render_account_quota,
     kNetworkTimeoutSeconds},
    {"account", "import", "account.import",
     "Add accounts from token files and refresh each once (exit 1 if any is refused)",
     "amq2apictl account import ~/.aws/sso/cache/kiro-auth-token.json "
     "~/.aws/sso/cache/\"$CLIENT_ID_HASH\".json",
     kAccountImport, render_account_import, kNetworkTimeoutSeconds, import_refused_any},
    {"key", "create", "key.create", "Create an API key (its secret is shown once)",
     "amq2apictl key create --name ci --rpm 30 --expires-days 90", kKeyCreate,
     render_key_created},
    {"key", "list", "key.list", "List the API keys", "amq2apictl key list", {}, render_key_list},
    {"key", "show", "key.show", "Show one API key", "amq2apictl key show ci", kKeyTarget,
     render_key},
    {"key", "revoke", "key.revoke", "Disable an API key (it stays listed)",
     "amq2apictl key revoke ci", kKeyTarget, render_key_revoked},
    {"key", "remove", "key.remove", "Delete an API key", "amq2apictl key remove 7", kKeyTarget,
     render_key_removed},
};

constexpr GroupDef kGroups[] = {
    {"account", "Manage the Amazon Q accounts of the pool", "amq2apictl account list"},
    {"key", "Manage the API keys clients use", "amq2apictl key list"},
};

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Numbers too large for an id are sent as a name: the daemon then says what is missing.
void write_target(JsonWriter& w, const std::string& value) {
    auto id = all_digits(value) ? parse_int(value) : std::nullopt;
    write_key(w, id ? "id" : "name");
    if (id) w.Int64(*id);
    else write_string(w, value);
}

// Every file is read before anything is written: a failure must not leave a key without its
// value, which RapidJSON's writer asserts on.
Status write_documents(JsonWriter& w, const ArgSpec& spec, const std::vector<std::string>& paths,
                       const FileReader& read_file) {
    if (std::count(paths.begin(), paths.end(), "-") > 1)
        return make_error(Errc::invalid_argument, "\"-\" (stdin) can be given only once");
    std::vector<std::string> contents;
    for (const auto& path : paths) {
        auto content = read_file(path);
        if (!content) return content.error();
        contents.push_back(std::move(*content));
    }
    write_key(w, spec.field);
    w.StartArray();
    for (std::size_t i = 0; i < paths.size(); ++i) {
        w.StartObject();
        write_key(w, "source");
        // The daemon names the document in its messages; "-" would read oddly there.
        write_string(w, paths[i] == "-" ? "stdin" : paths[i]);
        write_key(w, "content");
        write_string(w, contents[i]);
        w.EndObject();
    }
    w.EndArray();
    return {};
}

// Each case checks its value before writing the key, for the same reason.
Status write_arg(JsonWriter& w, const ArgSpec& spec, const std::vector<std::string>& values,
                 const Inputs& inputs) {
    if (spec.kind == K::files) return write_documents(w, spec, values, inputs.read_file);
    const std::string& value = values.front();
    switch (spec.kind) {
    case K::target:
        write_target(w, value);
        return {};
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
        break;
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
    Status status;
    std::string json = json_object([&](JsonWriter& w) {
        for (std::size_t i = 0; i < def.args.size() && i < values.size() && status; ++i)
            if (!values[i].empty()) status = write_arg(w, def.args[i], values[i], inputs);
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

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
}

}  // namespace

std::string name_options(const CommandDef& def, std::string message) {
    for (const auto& spec : def.args) {
        bool target = spec.kind == ArgKind::target;
        std::string option = target ? str_cat("the ", spec.name, " id") : std::string(spec.name);
        replace_all(message, str_cat("field '", target ? "id" : spec.field, "'"), option);
        // Some messages quote fields without the word ("needs 'client_id' and
        // 'client_secret'"). Only snake_case names are taken that way: a record name quoted in
        // a message ("account 'notes' ...") must stay as it is.
        if (!target && spec.field.find('_') != std::string_view::npos)
            replace_all(message, str_cat("'", spec.field, "'"), option);
    }
    return message;
}

}  // namespace amq::ctl
