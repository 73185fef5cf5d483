// amq2apid's configuration: built-in defaults, then the compatibility environment variables
// (PORT, DATABASE_PATH, AMAZONQ_*), then the main configuration file, then its drop-ins
// (amq2api.conf.d/*.conf next to it, in lexical order), then command-line flags — each later
// source overrides the earlier ones, and within a file the last line setting a key wins. Pure
// but for reading those files: the environment is a lookup function.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model_map.hpp"
#include "common/result.hpp"

namespace amq {

// The v1 single-account credentials; added as the first account when the store has none.
struct BootstrapAccount {
    std::string refresh_token;
    std::string client_id;
    std::string client_secret;
    std::string profile_arn;
};

// <data dir>/claude-tokenizer.json, where `make install` puts the vocabulary.
std::string default_tokenizer_file();
// <sysconf dir>/amq2api/amq2api.conf, read when the command line names no file and it exists.
std::string default_config_file();

struct Config {
    std::string config_file;                  // the main file read; empty: none
    std::vector<std::string> config_dropins;  // read after it, in this order
    std::string listen = "127.0.0.1:8080";
    unsigned workers = 0;  // 0: one per CPU
    std::string state_dir = "./data";
    std::string control_socket = "./run/control.sock";
    double drain_timeout = 30.0;  // seconds
    std::string log_level = "info";
    std::uint64_t max_map_size = 4ull << 30;  // LMDB map ceiling (sparse: address space only)
    // The password of the PostgreSQL databases store copy and store migrate reach: a file
    // holding it alone (read when used, never logged); "" = libpq's PGPASSWORD, PGPASSFILE.
    std::string store = "lmdb";  // or postgresql: several hosts share the database
    std::string postgresql;      // the shared database's address, with store = postgresql
    std::string postgresql_password_file;
    double postgresql_timeout = 120;            // seconds a silent database is waited on
    std::uint64_t max_body_size = 32ull << 20;  // request bodies (images arrive base64-encoded)
    double client_timeout = 60.0;  // seconds a client may stay silent before its connection closes
    double header_timeout = 10.0;  // seconds from a request's first byte to the end of its headers
    unsigned max_connections = 0;  // per worker; 0: derived from the file descriptor limit
    std::string trusted_proxies;   // addresses whose X-Forwarded-For names the client
    std::string access_log = "log";  // "log" (the daemon's log), "off", or a file path

    // Upstream (docs/upstream.md §1).
    // "{region}" expands per account (q_endpoints.hpp).
    // Tried in this order; runtime.{region}.kiro.dev is announced as q's successor.
    std::string api_endpoint =
        "https://q.{region}.amazonaws.com/, https://runtime.{region}.kiro.dev/";
    std::string api_flavour =
        "rpc";  // rpc: AWS JSON 1.0 with X-Amz-Target; rest: /generateAssistantResponse
    std::string token_endpoint = "https://oidc.{region}.amazonaws.com/token";
    std::string kiro_token_endpoint = "https://prod.{region}.auth.desktop.kiro.dev/refreshToken";
    std::string kiro_signin_url = "https://app.kiro.dev/signin";  // account login --kiro
    std::string proxy;  // "" = direct, whatever https_proxy says
    double connect_timeout = 10.0;
    double first_byte_timeout = 120.0;
    double idle_timeout = 120.0;
    double refresh_lead = 300.0;  // refresh an access token this long before it expires
    // The account pool (account_health.hpp, account_pool.hpp).
    std::string account_selection = "round-robin";  // or least-recently-used
    std::int64_t account_rpm_default = 0;  // an added account's requests per minute; 0 = no cap
    bool sticky_sessions = false;
    double rpm_window = 60.0;  // tests only: the "minute" of accounts' requests per minute
    std::uint64_t max_prompt_bytes = 600 * 1024;  // a translated request, as the upstream takes
    std::uint64_t max_prompt_tokens = 0;          // its estimated input tokens; 0: no cap
    // The estimated prompt cache (prompt_cache_meter.hpp): a prefix's lifetime; 0 = off.
    double cache_estimate_ttl = 300.0;
    double queue_timeout = 30.0;           // longest wait for an account before a 429
    unsigned queue_max = 1000;             // requests waiting for an account, over all workers
    double throttle_cooldown = 3.0;        // a throttle without Retry-After; doubles in a row
    double suspicious_cooldown = 1800.0;   // limits imposed after "suspicious activity"
    double throttle_cooldown_max = 300.0;  // cap on Retry-After
    int failure_threshold = 3;             // consecutive transient failures before a cool-down
    double failure_cooldown = 10.0;        // first such cool-down; doubles
    double failure_cooldown_max = 600.0;
    double models_refresh_interval = 3600.0;   // seconds between fetches of an account's models
    double quota_refresh_interval = 0.0;       // seconds between quota checks; 0 = only on demand
    int usage_retention_days = 30;             // raw usage records; the daily rollups stay
    bool metrics_admin_only = false;           // GET /metrics for admin keys only
    double ping_interval = 15.0;               // SSE keep-alive while the upstream is silent
    std::uint64_t stream_buffer = 256u << 10;  // unsent bytes per stream before the upstream pauses
    // The Claude BPE vocabulary (claude.json of the npm package @anthropic-ai/tokenizer).
    std::string tokenizer_file = default_tokenizer_file();
    std::string model_map;  // "client=upstream,…" plus default=/opus=/sonnet=/haiku= fallbacks
    // "upstream-id=effort/…, …": the models that take additionalModelRequestFields efforts.
    std::string model_efforts{kDefaultModelEfforts};
    ModelMapConfig models = default_model_map();  // derived from model_map and model_efforts

    std::optional<BootstrapAccount> bootstrap_account;
};

enum class Mode { master, worker, check_config, print_config, help, version };

struct Invocation {
    Mode mode = Mode::master;
    Config config;
    unsigned worker_index = 0;
    std::uint64_t generation = 0;
    // The arguments that shape the configuration, replayed on reload and to every worker.
    std::vector<std::string> config_args;
    std::string output;  // what --help, --version, --print-config and --check-config print
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Errors about a file's value read "FILE:LINE: key: what". `default_file` is a parameter for
// the tests, which must not read the host's.
Result<Invocation> parse_invocation(const std::vector<std::string>& args, const EnvLookup& env,
                                    const std::string& default_file = default_config_file());

// Re-reads the configuration for SIGHUP from the arguments kept by parse_invocation: the files
// again, drop-ins added or removed since included.
Result<Config> reload_config(const std::vector<std::string>& config_args, const EnvLookup& env,
                             const std::string& default_file = default_config_file());

Status validate_config(const Config& config);
unsigned effective_workers(const Config& config, unsigned cpus);

}  // namespace amq
