#include "common/config.hpp"

#include <CLI/CLI.hpp>

#include "common/client_address.hpp"
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

struct Flags {
    bool worker = false;
    bool check_config = false;
    bool print_config = false;
    unsigned worker_index = 0;
    std::uint64_t generation = 0;
};

void add_upstream_options(CLI::App& app, Config& c) {
    app.add_option("--api-endpoint", c.api_endpoint,
                   "Amazon Q endpoint URL (env AMAZONQ_API_ENDPOINT)")
        ->capture_default_str();
    app.add_option("--api-flavour", c.api_flavour,
                   "rpc (AWS JSON 1.0, X-Amz-Target) or rest (POST …/generateAssistantResponse)")
        ->capture_default_str()
        ->check(CLI::IsMember({"rpc", "rest"}));
    app.add_option("--token-endpoint", c.token_endpoint,
                   "AWS SSO OIDC token URL (env AMAZONQ_TOKEN_ENDPOINT)")
        ->capture_default_str();
    app.add_option("--kiro-token-endpoint", c.kiro_token_endpoint,
                   "Kiro refreshToken URL for social accounts")
        ->capture_default_str();
    app.add_option("--proxy", c.proxy, "Outbound proxy URL for upstream calls; empty = direct")
        ->capture_default_str();
    app.add_option("--connect-timeout", c.connect_timeout, "Seconds to connect upstream")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 600.0));
    app.add_option("--first-byte-timeout", c.first_byte_timeout,
                   "Seconds to wait for the upstream's first byte")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    app.add_option("--idle-timeout", c.idle_timeout,
                   "Seconds the upstream may stay silent mid-stream")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    app.add_option("--refresh-lead", c.refresh_lead,
                   "Seconds before expiry at which an access token is refreshed")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3000.0));
    app.add_option("--ping-interval", c.ping_interval, "Seconds of silence before an SSE ping")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 300.0));
    app.add_option("--tokenizer-file", c.tokenizer_file,
                   "Claude BPE vocabulary for local token counts; without it, bytes / 4")
        ->capture_default_str();
    app.add_option(
           "--model-map", c.model_map,
           "Model names: client=upstream pairs and default=, opus=, sonnet=, haiku= fallbacks")
        ->capture_default_str();
    app.add_option("--stream-buffer", c.stream_buffer,
                   "Unsent bytes per stream before the upstream is paused")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{64} << 20));
}

void add_pool_options(CLI::App& app, Config& c) {
    app.add_option("--account-selection", c.account_selection,
                   "round-robin or least-recently-used among the accounts that can serve")
        ->capture_default_str()
        ->check(CLI::IsMember({"round-robin", "least-recently-used"}));
    app.add_option(
           "--sticky-sessions", c.sticky_sessions,
           "Keep a client session (metadata.user_id, X-Claude-Code-Session-Id) on its account")
        ->capture_default_str();
    app.add_option("--throttle-cooldown", c.throttle_cooldown,
                   "Seconds a throttled account rests when the upstream gives no Retry-After")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    app.add_option("--throttle-cooldown-max", c.throttle_cooldown_max,
                   "Cap on Retry-After (seconds)")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    app.add_option("--failure-threshold", c.failure_threshold,
                   "Consecutive transient failures that make an account cool down")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_option("--failure-cooldown", c.failure_cooldown,
                   "Seconds of the first cool-down after transient failures (doubles each time)")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    app.add_option("--failure-cooldown-max", c.failure_cooldown_max,
                   "Cap on that cool-down (seconds)")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    app.add_option("--usage-retention-days", c.usage_retention_days,
                   "Days raw usage records are kept (the daily rollups stay)")
        ->capture_default_str()
        ->check(CLI::Range(1, 36500));
    app.add_option("--metrics-admin-only", c.metrics_admin_only,
                   "Serve GET /metrics to admin keys only")
        ->capture_default_str();
    app.add_option("--quota-refresh-interval", c.quota_refresh_interval,
                   "Seconds between checks of every account's monthly quota; 0 = on demand only")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0 * 31));
}

void add_config_options(CLI::App& app, Config& c) {
    // A flag given twice takes its last value, as wrapper scripts that append flags expect.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.set_config("--config", "", "Read this INI configuration file");
    app.allow_config_extras(CLI::config_extras_mode::error);
    app.add_option("--listen", c.listen, "Address and port to serve HTTP on (host:port)")
        ->capture_default_str();
    app.add_option("--workers", c.workers, "Worker processes; 0 = one per CPU")
        ->capture_default_str()
        ->check(CLI::Range(0u, 256u));
    app.add_option("--state-dir", c.state_dir, "Directory of the LMDB store")
        ->capture_default_str();
    app.add_option("--control-socket", c.control_socket, "Path of the control socket")
        ->capture_default_str();
    app.add_option("--drain-timeout", c.drain_timeout,
                   "Seconds in-flight requests may take to finish on stop or reload")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));
    app.add_option("--log-level", c.log_level, "debug, info, notice, warning or error")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "notice", "warning", "error"}));
    app.add_option("--max-map-size", c.max_map_size,
                   "Largest size the LMDB map may grow to (bytes)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{1} << 24, std::uint64_t{1} << 40));
    app.add_option("--max-body-size", c.max_body_size, "Largest request body accepted (bytes)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{1} << 10, std::uint64_t{1} << 30));
    app.add_option("--client-timeout", c.client_timeout,
                   "Seconds a client connection may stay silent before it is closed")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    app.add_option("--header-timeout", c.header_timeout,
                   "Seconds from a request's first byte until its headers must be complete")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 600.0));
    app.add_option("--max-connections", c.max_connections,
                   "Client connections per worker; 0 = from the file descriptor limit")
        ->capture_default_str()
        ->check(CLI::Range(0u, 1000000u));
    app.add_option("--trusted-proxies", c.trusted_proxies,
                   "Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed")
        ->capture_default_str();
    app.add_option("--access-log", c.access_log,
                   "One line per request: log (the daemon's log), off, or a file path")
        ->capture_default_str();
    add_upstream_options(app, c);
    add_pool_options(app, c);
}

void add_mode_flags(CLI::App& app, Flags& f) {
    app.add_flag("--check-config", f.check_config, "Validate the configuration and exit")
        ->configurable(false);
    app.add_flag("--print-config", f.print_config, "Print the effective configuration and exit")
        ->configurable(false);
    app.add_flag("--worker", f.worker, "Internal: run as a worker of a master")
        ->configurable(false)
        ->group("");
    app.add_option("--worker-index", f.worker_index)->configurable(false)->group("");
    app.add_option("--generation", f.generation)->configurable(false)->group("");
}

// CLI11 wants argv; argv[0] is the program name.
Status run_parser(CLI::App& app, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    argv.push_back("amq2apid");
    for (const auto& a : args) argv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::CallForHelp&) {
        return make_error(Errc::not_found, "help");
    } catch (const CLI::ParseError& e) {
        return make_error(Errc::invalid_argument, e.what());
    }
    return {};
}

// --print-config shows effective values, but a proxy URL may carry a password.
std::string mask_secrets(const std::string& text) {
    std::string out;
    for (std::string_view line : split(text, '\n')) {
        if (line.starts_with("proxy=")) {
            std::string_view value = line.substr(6);
            bool quoted = value.size() >= 2 && value.front() == '"' && value.back() == '"';
            if (quoted) value = value.substr(1, value.size() - 2);
            std::string masked = redact_url_password(value);
            out += quoted ? str_cat("proxy=\"", masked, "\"") : str_cat("proxy=", masked);
        } else {
            out += line;
        }
        out += '\n';
    }
    if (!out.empty()) out.pop_back();
    return out;
}

std::vector<std::string> config_shaping_args(const std::vector<std::string>& args) {
    static const std::vector<std::string> internal = {"--worker", "--check-config",
                                                      "--print-config"};
    static const std::vector<std::string> internal_with_value = {"--worker-index", "--generation"};
    std::vector<std::string> kept;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto name = a.substr(0, a.find('='));
        if (std::find(internal.begin(), internal.end(), name) != internal.end()) continue;
        if (std::find(internal_with_value.begin(), internal_with_value.end(), name) !=
            internal_with_value.end()) {
            if (a.find('=') == std::string::npos) ++i;
            continue;
        }
        kept.push_back(a);
    }
    return kept;
}

}  // namespace

std::string default_tokenizer_file() { return str_cat(kDataDir, "/claude-tokenizer.json"); }

Status validate_config(const Config& c) {
    if (!parse_host_port(c.listen))
        return make_error(
            Errc::invalid_argument,
            str_cat("listen='", c.listen, "' is not host:port (for example 127.0.0.1:8080)"));
    if (c.state_dir.empty())
        return make_error(Errc::invalid_argument, "state-dir must not be empty");
    if (c.control_socket.empty())
        return make_error(Errc::invalid_argument, "control-socket must not be empty");
    for (const auto* url : {&c.api_endpoint, &c.token_endpoint, &c.kiro_token_endpoint})
        if (!url->starts_with("https://") && !url->starts_with("http://"))
            return make_error(Errc::invalid_argument,
                              str_cat("'", *url, "' is not an http(s) URL"));
    if (auto proxies = TrustedProxies::parse(c.trusted_proxies); !proxies) return proxies.error();
    if (c.access_log.empty())
        return make_error(Errc::invalid_argument,
                          "access-log must be log, off or the path of a file");
    if (c.control_socket.size() >= 108)
        return make_error(
            Errc::invalid_argument,
            str_cat("control-socket path is longer than a Unix socket allows: ", c.control_socket));
    return {};
}

unsigned effective_workers(const Config& config, unsigned cpus) {
    return config.workers > 0 ? config.workers : std::max(1u, cpus);
}

Result<Invocation> parse_invocation(const std::vector<std::string>& args, const EnvLookup& env) {
    Invocation inv;
    if (auto st = apply_environment(inv.config, env); !st) return st.error();
    Flags flags;
    CLI::App app{str_cat("amq2apid ", kVersion,
                         " - Amazon Q account pool behind the Anthropic and OpenAI APIs"),
                 "amq2apid"};
    add_config_options(app, inv.config);
    add_mode_flags(app, flags);
    if (auto st = run_parser(app, args); !st) {
        if (st.error().code != Errc::not_found) return st.error();
        inv.mode = Mode::help;
        inv.output = app.help();
        return inv;
    }
    inv.config.config_file = app.get_config_ptr()->as<std::string>();
    if (auto st = validate_config(inv.config); !st) return st.error();
    auto models = parse_model_table(inv.config.model_map);
    if (!models)
        return make_error(Errc::invalid_argument, str_cat("model-map: ", models.error().message));
    inv.config.models = std::move(*models);
    inv.config_args = config_shaping_args(args);
    inv.worker_index = flags.worker_index;
    inv.generation = flags.generation;
    if (flags.worker)
        inv.mode = Mode::worker;
    else if (flags.check_config)
        inv.mode = Mode::check_config;
    else if (flags.print_config) {
        inv.mode = Mode::print_config;
        inv.output = mask_secrets(app.config_to_str(true, true));
    }
    return inv;
}

Result<Config> reload_config(const std::vector<std::string>& config_args, const EnvLookup& env) {
    auto inv = parse_invocation(config_args, env);
    if (!inv) return inv.error();
    return std::move(inv->config);
}

}  // namespace amq
