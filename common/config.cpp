#include "common/config.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "common/client_address.hpp"
#include "common/config_file.hpp"
#include "common/database_address.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/version.hpp"

namespace amq {
namespace {

// The v1/v2 Python servers were configured by environment; those variables become defaults
// that the configuration file and flags can still override.
Status apply_environment(Config& config, const EnvLookup& env) {
    if (auto port = env("PORT"); port && !port->empty()) {
        auto n = parse_uint(*port);
        if (!n || *n == 0 || *n > 65535)
            return make_error(Errc::invalid_argument,
                              str_cat("PORT='", *port, "' is not a TCP port"));
        auto current = parse_host_port(config.listen);
        config.listen = str_cat(current ? current->host : "127.0.0.1", ":", *n);
    }
    if (auto path = env("DATABASE_PATH"); path && !path->empty()) {
        size_t slash = path->rfind('/');
        config.state_dir = slash == std::string::npos ? "."
                           : slash == 0               ? "/"
                                                      : path->substr(0, slash);
    }
    if (auto v = env("AMAZONQ_API_ENDPOINT"); v && !v->empty()) config.api_endpoint = *v;
    if (auto v = env("AMAZONQ_TOKEN_ENDPOINT"); v && !v->empty()) config.token_endpoint = *v;
    auto value = [&](const char* name) { return env(name).value_or(""); };
    BootstrapAccount account{value("AMAZONQ_REFRESH_TOKEN"), value("AMAZONQ_CLIENT_ID"),
                             value("AMAZONQ_CLIENT_SECRET"), value("AMAZONQ_PROFILE_ARN")};
    if (!account.refresh_token.empty() && !account.client_id.empty() &&
        !account.client_secret.empty())
        config.bootstrap_account = std::move(account);
    return {};
}

// What is wrong with one value, empty when nothing is. Shared by the option checks, which see
// every occurrence where it was written, and validate_config, which sees the final values
// (those from the environment too).
std::string blank_problem(const std::string& value) {
    return value.empty() ? "a value is required" : "";
}

std::string listen_problem(const std::string& listen) {
    if (parse_host_port(listen)) return {};
    return str_cat("'", listen, "' is not host:port or [IPv6]:port (for example 127.0.0.1:8080)");
}

std::string url_problem(const std::string& url) {
    if (url.starts_with("https://") || url.starts_with("http://")) return {};
    return str_cat("'", url, "' is not an http(s) URL");
}

// Comma-separated URLs, tried in this order.
std::string url_list_problem(const std::string& list) {
    bool any = false;
    for (std::string_view url : split(list, ',')) {
        if (trim(url).empty()) continue;
        if (std::string why = url_problem(std::string(trim(url))); !why.empty()) return why;
        any = true;
    }
    return any ? "" : "a URL is required";
}

std::string socket_path_problem(const std::string& path) {
    if (path.empty()) return blank_problem(path);
    if (path.size() < 108) return {};  // sun_path of sockaddr_un, with its terminating NUL
    return str_cat("'", path, "' is longer than a Unix socket path may be (107 bytes)");
}

std::string model_map_problem(const std::string& spec) {
    auto models = parse_model_table(spec);
    return models ? std::string() : models.error().message;
}

std::string model_efforts_problem(const std::string& spec) {
    auto efforts = parse_model_efforts(spec);
    return efforts ? std::string() : efforts.error().message;
}

CLI::Validator check(std::string (*problem)(const std::string&)) {
    return CLI::Validator([problem](std::string& value) { return problem(value); }, "");
}

enum class Blank { refused, allowed };

// A configuration key: the option --KEY, and "KEY = value" in the files.
template <class T>
CLI::Option* add_setting(CLI::App& app, const char* key, T& field, const char* help,
                         Blank blank = Blank::refused) {
    CLI::Option* option = app.add_option(str_cat("--", key), field, help);
    if constexpr (std::is_same_v<T, bool>)  // as a file says it, not CLI11's 0 and 1
        option->default_function([&field] { return std::string(field ? "true" : "false"); });
    option->capture_default_str();
    if (blank == Blank::refused) option->check(check(blank_problem));
    return option;
}

void add_upstream_settings(CLI::App& app, Config& c) {
    add_setting(app, "api-endpoint", c.api_endpoint,
                "Amazon Q endpoint URLs, comma-separated, tried in this order (env "
                "AMAZONQ_API_ENDPOINT)")
        ->check(check(url_list_problem));
    add_setting(app, "api-flavour", c.api_flavour,
                "rpc (AWS JSON 1.0, X-Amz-Target) or rest (POST …/generateAssistantResponse)")
        ->check(CLI::IsMember({"rpc", "rest"}));
    add_setting(app, "token-endpoint", c.token_endpoint,
                "AWS SSO OIDC token URL (env AMAZONQ_TOKEN_ENDPOINT)")
        ->check(check(url_problem));
    add_setting(app, "kiro-token-endpoint", c.kiro_token_endpoint,
                "Kiro refreshToken URL for social accounts")
        ->check(check(url_problem));
    add_setting(app, "kiro-signin-url", c.kiro_signin_url,
                "Kiro portal page that account login --kiro sends the admin to")
        ->check(check(url_problem));
    add_setting(app, "proxy", c.proxy, "Outbound proxy URL for upstream calls; empty = direct",
                Blank::allowed);
    add_setting(app, "connect-timeout", c.connect_timeout, "Seconds to connect upstream")
        ->check(CLI::Range(0.1, 600.0));
    add_setting(app, "first-byte-timeout", c.first_byte_timeout,
                "Seconds to wait for the upstream's first byte")
        ->check(CLI::Range(1.0, 3600.0));
    add_setting(app, "idle-timeout", c.idle_timeout,
                "Seconds the upstream may stay silent mid-stream")
        ->check(CLI::Range(1.0, 3600.0));
    add_setting(app, "refresh-lead", c.refresh_lead,
                "Seconds before expiry at which an access token is refreshed")
        ->check(CLI::Range(0.0, 3000.0));
    add_setting(app, "ping-interval", c.ping_interval, "Seconds of silence before an SSE ping")
        ->check(CLI::Range(1.0, 300.0));
    add_setting(app, "tokenizer-file", c.tokenizer_file,
                "Claude BPE vocabulary for local token counts; without it, bytes / 4");
    add_setting(app, "model-map", c.model_map,
                "Model names: client=upstream pairs and default=, opus=, sonnet=, haiku= fallbacks",
                Blank::allowed)
        ->check(check(model_map_problem));
    add_setting(app, "model-efforts", c.model_efforts,
                "Models that reason natively: upstream-id=effort/… pairs (low, medium, high, "
                "xhigh, max); others reason through prompt tags",
                Blank::allowed)
        ->check(check(model_efforts_problem));
    add_setting(app, "max-prompt-bytes", c.max_prompt_bytes,
                "Largest request once translated for the upstream (bytes); larger ones are 400 "
                "'prompt is too long'")
        ->check(CLI::Range(std::uint64_t{1} << 10, std::uint64_t{1} << 30));
    add_setting(app, "max-prompt-tokens", c.max_prompt_tokens,
                "Most estimated input tokens of a request; 0 = no cap")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{100000000}));
    add_setting(app, "cache-estimate-ttl", c.cache_estimate_ttl,
                "Seconds a prompt prefix stays in the estimated prompt cache, used for usage "
                "when the upstream reports no cache tokens; 0 = no estimate")
        ->check(CLI::Range(0.0, 86400.0));
    add_setting(app, "stream-buffer", c.stream_buffer,
                "Unsent bytes per stream before the upstream is paused")
        ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{64} << 20));
}

void add_pool_settings(CLI::App& app, Config& c) {
    add_setting(app, "account-selection", c.account_selection,
                "round-robin or least-recently-used among the accounts that can serve")
        ->check(CLI::IsMember({"round-robin", "least-recently-used"}));
    add_setting(app, "account-rpm-default", c.account_rpm_default,
                "Requests per minute of an account added without one (a pace: requests wait); "
                "0 = no cap")
        ->check(CLI::NonNegativeNumber);
    // Lets tests watch pacing work without waiting minutes.
    add_setting(app, "rpm-window", c.rpm_window,
                "For tests: seconds of the window of an account's requests per minute")
        ->check(CLI::Range(0.1, 60.0));
    add_setting(app, "queue-timeout", c.queue_timeout,
                "Seconds a request may wait for an account before it is refused with 429; 0 = "
                "refuse at once")
        ->check(CLI::Range(0.0, 3600.0));
    add_setting(app, "queue-max", c.queue_max, "Requests that may wait for an account at once")
        ->check(CLI::Range(0u, 1000000u));
    add_setting(
        app, "sticky-sessions", c.sticky_sessions,
        "Keep a client session (metadata.user_id, X-Claude-Code-Session-Id) on its account");
    add_setting(app, "throttle-cooldown", c.throttle_cooldown,
                "Seconds a throttled account first rests when the upstream gives no "
                "Retry-After; doubles with each throttle in a row")
        ->check(CLI::Range(0.1, 86400.0));
    add_setting(app, "throttle-cooldown-max", c.throttle_cooldown_max,
                "Cap on Retry-After (seconds)")
        ->check(CLI::Range(1.0, 86400.0));
    add_setting(app, "suspicious-cooldown", c.suspicious_cooldown,
                "Seconds an account rests when the upstream limits it for suspicious activity")
        ->check(CLI::Range(1.0, 86400.0 * 7));
    add_setting(app, "failure-threshold", c.failure_threshold,
                "Consecutive transient failures that make an account cool down")
        ->check(CLI::Range(1, 1000));
    add_setting(app, "failure-cooldown", c.failure_cooldown,
                "Seconds of the first cool-down after transient failures (doubles each time)")
        ->check(CLI::Range(1.0, 86400.0));
    add_setting(app, "failure-cooldown-max", c.failure_cooldown_max,
                "Cap on that cool-down (seconds)")
        ->check(CLI::Range(1.0, 86400.0));
    add_setting(app, "usage-retention-days", c.usage_retention_days,
                "Days raw usage records are kept (the daily rollups stay)")
        ->check(CLI::Range(1, 36500));
    add_setting(app, "metrics-admin-only", c.metrics_admin_only,
                "Serve GET /metrics to admin keys only");
    add_setting(app, "models-refresh-interval", c.models_refresh_interval,
                "Seconds between fetches of each account's available models")
        ->check(CLI::Range(60.0, 86400.0 * 7));
    add_setting(app, "quota-refresh-interval", c.quota_refresh_interval,
                "Seconds between checks of every account's monthly quota; 0 = on demand only")
        ->check(CLI::Range(0.0, 86400.0 * 31));
}

void add_settings(CLI::App& app, Config& c) {
    add_setting(app, "listen", c.listen, "Address and port to serve HTTP on (host:port)")
        ->check(check(listen_problem));
    add_setting(app, "workers", c.workers, "Worker processes; 0 = one per CPU")
        ->check(CLI::Range(0u, 256u));
    add_setting(app, "state-dir", c.state_dir, "Directory of the LMDB store");
    add_setting(app, "control-socket", c.control_socket, "Path of the control socket")
        ->check(check(socket_path_problem));
    add_setting(app, "drain-timeout", c.drain_timeout,
                "Seconds in-flight requests may take to finish on stop or reload")
        ->check(CLI::Range(0.0, 3600.0));
    add_setting(app, "log-level", c.log_level, "debug, info, notice, warning or error")
        ->check(CLI::IsMember({"debug", "info", "notice", "warning", "error"}));
    add_setting(app, "max-map-size", c.max_map_size,
                "Largest size the LMDB map may grow to (bytes)")
        ->check(CLI::Range(std::uint64_t{1} << 24, std::uint64_t{1} << 40));
    add_setting(app, "store", c.store,
                "lmdb: this host's own store; postgresql: a copy of the records several hosts "
                "share in the database 'postgresql' names")
        ->check(CLI::IsMember({"lmdb", "postgresql"}));
    add_setting(app, "postgresql", c.postgresql,
                "The shared database (store = postgresql): a postgresql:// URL or libpq "
                "key=value pairs, without its password",
                Blank::allowed);
    add_setting(app, "postgresql-password-file", c.postgresql_password_file,
                "File holding the password of the PostgreSQL databases amq2apictl store "
                "copy and store migrate name; empty = PGPASSWORD, PGPASSFILE, ~/.pgpass",
                Blank::allowed);
    add_setting(app, "postgresql-timeout", c.postgresql_timeout,
                "Seconds a PostgreSQL server may stay silent while an answer is awaited "
                "before the work waiting on it fails")
        ->check(CLI::Range(1.0, 3600.0));
    add_setting(app, "max-body-size", c.max_body_size, "Largest request body accepted (bytes)")
        ->check(CLI::Range(std::uint64_t{1} << 10, std::uint64_t{1} << 30));
    add_setting(app, "client-timeout", c.client_timeout,
                "Seconds a client connection may stay silent before it is closed")
        ->check(CLI::Range(1.0, 3600.0));
    add_setting(app, "header-timeout", c.header_timeout,
                "Seconds from a request's first byte until its headers must be complete")
        ->check(CLI::Range(1.0, 600.0));
    add_setting(app, "max-connections", c.max_connections,
                "Client connections per worker; 0 = from the file descriptor limit")
        ->check(CLI::Range(0u, 1000000u));
    add_setting(app, "trusted-proxies", c.trusted_proxies,
                "Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed",
                Blank::allowed);
    add_setting(app, "access-log", c.access_log,
                "One line per request: log (the daemon's log), off, or a file path");
    add_upstream_settings(app, c);
    add_pool_settings(app, c);
}

// The options that are not configuration keys.
struct Flags {
    std::string config_file;
    bool no_config = false;
    bool check_config = false;
    std::string print_config;  // "all" or "changed"
    bool worker = false;
    unsigned worker_index = 0;
    std::uint64_t generation = 0;
};

void add_flags(CLI::App& app, Flags& f) {
    auto* config =
        app.add_option("-c,--config", f.config_file,
                       str_cat("Read this configuration file, then the *.conf in amq2api.conf.d "
                               "next to it (without -c: ",
                               default_config_file(), " when it exists; -c '': none)"))
            ->configurable(false);
    app.add_flag("--no-config", f.no_config, "Read no configuration file")
        ->configurable(false)
        ->excludes(config);
    app.add_flag("-t,--check-config", f.check_config, "Validate the configuration and exit")
        ->configurable(false);
    app.add_option("-T,--print-config", f.print_config,
                   "Print the effective configuration (=changed: only what differs from the "
                   "built-in defaults) and exit")
        ->configurable(false)
        ->expected(0, 1)
        ->check(CLI::IsMember({"all", "changed"}));
    app.set_version_flag("-V,--version", str_cat("amq2apid ", kVersion));
    app.add_flag("--worker", f.worker, "Internal: run as a worker of a master")
        ->configurable(false)
        ->group("");
    app.add_option("--worker-index", f.worker_index)->configurable(false)->group("");
    app.add_option("--generation", f.generation)->configurable(false)->group("");
}

void define_options(CLI::App& app, Config& c, Flags& f) {
    // A flag given twice takes its last value, as wrapper scripts that append flags expect.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    add_settings(app, c);
    add_flags(app, f);
}

std::string app_description() {
    return str_cat("amq2apid ", kVersion,
                   " - Amazon Q account pool behind the Anthropic and OpenAI APIs");
}

// Help and version end the run before any file is read.
struct Parsed {
    std::optional<Mode> final_mode;
    std::string output;
};

// CLI11 wants argv; argv[0] is the program name.
Result<Parsed> run_parser(CLI::App& app, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    argv.push_back("amq2apid");
    for (const auto& a : args) argv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::CallForHelp&) {
        return Parsed{Mode::help, app.help()};
    } catch (const CLI::CallForVersion& e) {
        return Parsed{Mode::version, str_cat(e.what(), "\n")};
    } catch (const CLI::ParseError& e) {
        return make_error(Errc::invalid_argument, e.what());
    }
    return Parsed{};
}

// The main file: --config FILE, which must exist; none for --no-config or --config ''; else
// the default file, when it exists.
struct MainFile {
    std::string path;    // empty: none
    bool named = false;  // by the command line
};

MainFile choose_main_file(const CLI::App& app, const Flags& f, const std::string& default_file) {
    if (f.no_config || app.count("--config") > 0) return {f.config_file, true};
    std::error_code error;
    // A file that cannot even be looked at is there for all we know: reading it says why not.
    bool present = std::filesystem::exists(default_file, error) || error;
    return {present ? default_file : std::string(), false};
}

// <dir of the main file>/amq2api.conf.d/*.conf in lexical order; no such directory, none.
Result<std::vector<std::string>> dropin_files(const std::string& main_file) {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(main_file).parent_path() / "amq2api.conf.d";
    std::vector<std::string> files;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        std::string name = it->path().filename().string();
        if (!name.starts_with('.') && name.ends_with(".conf")) files.push_back(it->path().string());
    }
    if (error == std::errc::no_such_file_or_directory) return std::vector<std::string>{};
    if (error)
        return make_error(Errc::invalid_argument,
                          str_cat("cannot read ", dir.string(), ": ", error.message()));
    std::sort(files.begin(), files.end());
    return files;
}

// CLI11 starts its messages with the option's name, which the key in front already says.
std::string value_problem(const CLI::Error& error, const CLI::Option& option,
                          const std::string& value) {
    if (dynamic_cast<const CLI::ConversionError*>(&error))
        return str_cat("'", value, "' is not a valid ", option.get_type_name());
    std::string message = error.what();
    std::string prefix = option.get_name() + ": ";
    return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

// Each line goes through the option of its key, so a file is checked exactly as the command
// line is; every occurrence must be valid, and the last one stays.
Status apply_entry(CLI::App& app, const std::string& file, const ConfigEntry& entry) {
    std::string where = str_cat(file, ":", entry.line, ": ", entry.key, ": ");
    CLI::Option* option = app.get_option_no_throw("--" + entry.key);
    if (!option || !option->get_configurable())
        return make_error(Errc::invalid_argument, str_cat(where, "unknown key"));
    std::string problem;
    try {
        option->add_result(entry.value);
        option->run_callback();
    } catch (const CLI::Error& e) {
        problem = value_problem(e, *option, entry.value);
    }
    option->clear();  // what the command line gives is counted on its own
    if (!problem.empty()) return make_error(Errc::invalid_argument, where + problem);
    return {};
}

Status apply_file(CLI::App& app, const std::string& file) {
    auto text = read_whole_file(file);
    if (!text)
        return make_error(Errc::invalid_argument, str_cat("cannot read ", text.error().message));
    auto entries = parse_config_text(*text, file);
    if (!entries) return entries.error();
    for (const ConfigEntry& entry : *entries)
        if (auto st = apply_entry(app, file, entry); !st) return st;
    return {};
}

Status apply_files(CLI::App& app, const MainFile& main, Config& config) {
    if (main.path.empty()) return {};
    if (auto st = apply_file(app, main.path); !st) return st;
    auto dropins = dropin_files(main.path);
    if (!dropins) return dropins.error();
    for (const std::string& dropin : *dropins)
        if (auto st = apply_file(app, dropin); !st) return st;
    config.config_file = main.path;
    config.config_dropins = std::move(*dropins);
    return {};
}

// Normalised, so that every spelling (-c FILE, --config=FILE, a flag given twice) replays alike.
std::vector<std::string> replay_args(const CLI::App& app, const MainFile& main) {
    std::vector<std::string> args;
    if (main.named) args.push_back(main.path.empty() ? "--no-config" : "--config=" + main.path);
    for (const CLI::Option* option : app.get_options()) {
        if (!option->get_configurable() || option->count() == 0) continue;
        const std::string& value = option->results().back();
        if (value.empty())  // CLI11 reads "--key=" as --key taking the next argument
            args.insert(args.end(), {option->get_name(), value});
        else
            args.push_back(str_cat(option->get_name(), "=", value));
    }
    return args;
}

// The effective values in the file's syntax under their descriptions, or only those that
// differ from the built-in defaults. A proxy's password is masked.
std::string print_config(CLI::App& app, bool changed_only) {
    Config builtin;
    Flags unused;
    CLI::App defaults;
    define_options(defaults, builtin, unused);
    std::string out = str_cat("# amq2apid ", kVersion,
                              changed_only ? ": settings that differ from the built-in defaults\n"
                                           : ": effective configuration\n");
    for (CLI::Option* option : app.get_options()) {
        if (!option->get_configurable()) continue;
        std::string value = option->capture_default_str()->get_default_str();
        if (changed_only && value == defaults.get_option(option->get_name())->get_default_str())
            continue;
        std::string key = option->get_lnames().front();
        if (key == "proxy") value = redact_url_password(value);
        out += str_cat("\n# ", option->get_description(), "\n", key, " = ",
                       quote_config_value(value), "\n");
    }
    return out;
}

std::string check_report(const Config& config) {
    if (config.config_file.empty()) return "configuration OK (no configuration file read)\n";
    std::string out = str_cat("configuration OK\nread ", config.config_file, "\n");
    for (const std::string& dropin : config.config_dropins) out += str_cat("read ", dropin, "\n");
    return out;
}

}  // namespace

std::string default_tokenizer_file() { return str_cat(kDataDir, "/claude-tokenizer.json"); }
std::string default_config_file() { return str_cat(kSysconfDir, "/amq2api/amq2api.conf"); }

Status validate_config(const Config& c) {
    using Check = std::tuple<const char*, const std::string*, std::string (*)(const std::string&)>;
    for (auto [key, value, problem] :
         {Check{"listen", &c.listen, listen_problem},
          Check{"state-dir", &c.state_dir, blank_problem},
          Check{"control-socket", &c.control_socket, socket_path_problem},
          Check{"api-endpoint", &c.api_endpoint, url_list_problem},
          Check{"token-endpoint", &c.token_endpoint, url_problem},
          Check{"kiro-token-endpoint", &c.kiro_token_endpoint, url_problem},
          Check{"kiro-signin-url", &c.kiro_signin_url, url_problem}})
        if (std::string why = problem(*value); !why.empty())
            return make_error(Errc::invalid_argument, str_cat(key, ": ", why));
    if (auto proxies = TrustedProxies::parse(c.trusted_proxies); !proxies)
        return make_error(Errc::invalid_argument,
                          str_cat("trusted-proxies: ", proxies.error().message));
    if (c.access_log.empty())
        return make_error(Errc::invalid_argument,
                          "access-log: must be log, off or the path of a file");
    if (c.store == "postgresql" && !looks_like_database_address(c.postgresql))
        return make_error(Errc::invalid_argument,
                          "store = postgresql needs 'postgresql', the database's address: a "
                          "postgresql:// URL or libpq key=value pairs");
    return {};
}

unsigned effective_workers(const Config& config, unsigned cpus) {
    return config.workers > 0 ? config.workers : std::max(1u, cpus);
}

Result<Invocation> parse_invocation(const std::vector<std::string>& args, const EnvLookup& env,
                                    const std::string& default_file) {
    Invocation inv;
    if (auto st = apply_environment(inv.config, env); !st) return st.error();
    // The command line is read twice: first for the mode and the files, its values landing in a
    // scratch copy; then on top of what the files set, which it overrides.
    Config scratch = inv.config;
    Flags flags;
    CLI::App probe{app_description(), "amq2apid"};
    define_options(probe, scratch, flags);
    auto parsed = run_parser(probe, args);
    if (!parsed) return parsed.error();
    if (parsed->final_mode) {
        inv.mode = *parsed->final_mode;
        inv.output = std::move(parsed->output);
        return inv;
    }
    MainFile main = choose_main_file(probe, flags, default_file);
    Flags ignored;
    CLI::App app{app_description(), "amq2apid"};
    define_options(app, inv.config, ignored);
    if (auto st = apply_files(app, main, inv.config); !st) return st.error();
    if (auto again = run_parser(app, args); !again) return again.error();
    if (auto st = validate_config(inv.config); !st) return st.error();
    auto models = parse_model_table(inv.config.model_map);
    if (!models)
        return make_error(Errc::invalid_argument, str_cat("model-map: ", models.error().message));
    inv.config.models = std::move(*models);
    inv.config.models.efforts = parse_model_efforts(inv.config.model_efforts).value();
    inv.config_args = replay_args(app, main);
    inv.worker_index = flags.worker_index;
    inv.generation = flags.generation;
    if (flags.worker) {
        inv.mode = Mode::worker;
    } else if (flags.check_config) {
        inv.mode = Mode::check_config;
        inv.output = check_report(inv.config);
    } else if (probe.count("--print-config") > 0) {
        inv.mode = Mode::print_config;
        inv.output = print_config(app, flags.print_config == "changed");
    }
    return inv;
}

Result<Config> reload_config(const std::vector<std::string>& config_args, const EnvLookup& env,
                             const std::string& default_file) {
    auto inv = parse_invocation(config_args, env, default_file);
    if (!inv) return inv.error();
    return std::move(inv->config);
}

}  // namespace amq
