#include "ctl/commands.hpp"

#include <algorithm>

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
    {"--refresh-token", "refresh_token", K::secret, true,
     "AWS SSO OIDC refresh token; \"-\" reads it from the first line of stdin, which keeps "
     "it out of ps"},
    {"--client-id", "client_id", K::text, true, "AWS SSO OIDC client id"},
    {"--client-secret", "client_secret", K::secret, true,
     "AWS SSO OIDC client secret; \"-\" reads it from stdin (the first line, or the second "
     "when --refresh-token is \"-\" too), which keeps it out of ps"},
    {"--profile-arn", "profile_arn", K::text, false, "Amazon Q profile ARN"},
    {"--rpm", "requests_per_minute", K::integer, false,
     "Most requests per minute this account may serve"},
    {"--notes", "notes", K::text, false, "Free text shown by 'account show'"},
    {"--disabled", "enabled", K::set_false, false, "Add the account disabled"},
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

// Each case checks its value before writing the key: a key without a value would leave the
// writer in a state RapidJSON asserts on.
Status write_arg(JsonWriter& w, const ArgSpec& spec, const std::string& value,
                 const LineReader& read_line) {
    switch (spec.kind) {
    case K::target:
        write_target(w, value);
        return {};
    case K::secret: {
        auto secret = value == "-" ? read_line(spec.name) : std::optional<std::string>(value);
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
    }
    return {};
}

}  // namespace

std::span<const CommandDef> all_commands() { return kCommands; }
std::span<const GroupDef> all_groups() { return kGroups; }

Result<std::string> build_args(const CommandDef& def, const ArgValues& values,
                               const LineReader& read_line) {
    Status status;
    std::string json = json_object([&](JsonWriter& w) {
        for (std::size_t i = 0; i < def.args.size() && i < values.size() && status; ++i)
            if (values[i]) status = write_arg(w, def.args[i], *values[i], read_line);
    });
    if (!status) return status.error();
    return json;
}

std::string name_options(const CommandDef& def, std::string message) {
    for (const auto& spec : def.args) {
        bool target = spec.kind == ArgKind::target;
        std::string quoted = str_cat("field '", target ? "id" : spec.field, "'");
        std::string option = target ? str_cat("the ", spec.name, " id") : std::string(spec.name);
        for (auto pos = message.find(quoted); pos != std::string::npos;
             pos = message.find(quoted, pos + option.size()))
            message.replace(pos, quoted.size(), option);
    }
    return message;
}

}  // namespace amq::ctl
