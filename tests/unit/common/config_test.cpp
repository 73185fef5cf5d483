#define BOOST_TEST_MODULE common_config
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/model_map.hpp"

using amq::Config;
using amq::Errc;
using amq::Invocation;
using amq::Mode;
using amq::parse_invocation;

namespace {

using Env = std::map<std::string, std::string, std::less<>>;
using Args = std::vector<std::string>;

amq::EnvLookup lookup(const Env& env) {
    return [&env](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
}

const Env kNoEnv;
// No host's /etc/amq2api/amq2api.conf may leak into a test.
const std::string kNoDefaultFile = "/nonexistent/amq-config-test/amq2api.conf";

// A fresh directory for configuration files, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "amq-config-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) BOOST_FAIL("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string write(const std::string& name, const std::string& text) const {
        std::filesystem::path file = path_ / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file);
        out << text;
        out.close();
        BOOST_REQUIRE(out);
        return file.string();
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    void remove(const std::string& name) const { std::filesystem::remove(path_ / name); }

private:
    std::filesystem::path path_;
};

Invocation parse_ok(const Args& args, const Env& env = kNoEnv,
                    const std::string& default_file = kNoDefaultFile) {
    auto inv = parse_invocation(args, lookup(env), default_file);
    if (!inv.ok()) BOOST_FAIL("parse_invocation failed: " << inv.error().message);
    return std::move(inv).value();
}

amq::Error parse_error(const Args& args, const Env& env = kNoEnv,
                       const std::string& default_file = kNoDefaultFile) {
    auto inv = parse_invocation(args, lookup(env), default_file);
    if (inv.ok()) BOOST_FAIL("parse_invocation accepted what it should refuse");
    BOOST_TEST((inv.error().code == Errc::invalid_argument));
    return inv.error();
}

// The error message of a file holding `text`, with the file's path replaced by "FILE".
std::string file_error(const std::string& text) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", text);
    std::string message = parse_error({"--config", file}).message;
    if (message.starts_with(file)) message.replace(0, file.size(), "FILE");
    return message;
}

Config file_config(const std::string& text, const Args& more = {}) {
    TempDir dir;
    Args args = {"--config", dir.write("amq2api.conf", text)};
    args.insert(args.end(), more.begin(), more.end());
    return parse_ok(args).config;
}

amq::Result<Config> reload(const Invocation& inv) {
    return amq::reload_config(inv.config_args, lookup(kNoEnv), kNoDefaultFile);
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(defaults_and_environment)

BOOST_AUTO_TEST_CASE(no_arguments_and_no_environment_give_the_defaults) {
    Invocation inv = parse_ok({});
    const Config& c = inv.config;
    BOOST_TEST((inv.mode == Mode::master));
    BOOST_TEST(c.listen == "127.0.0.1:8080");
    BOOST_TEST(c.workers == 0u);
    BOOST_TEST(c.state_dir == "./data");
    BOOST_TEST(c.control_socket == "./run/control.sock");
    BOOST_TEST(c.drain_timeout == 30.0);
    BOOST_TEST(c.log_level == "info");
    BOOST_TEST(c.max_map_size == (4ull << 30));
    BOOST_TEST(c.max_body_size == (32ull << 20));
    BOOST_TEST(c.client_timeout == 60.0);
    BOOST_TEST(c.config_file.empty());
    BOOST_TEST(!c.bootstrap_account.has_value());
    BOOST_TEST(inv.config_args.empty());
    BOOST_TEST(inv.output.empty());
}

BOOST_AUTO_TEST_CASE(port_sets_the_port_and_keeps_the_host) {
    Invocation inv = parse_ok({}, {{"PORT", "9000"}});
    BOOST_TEST(inv.config.listen == "127.0.0.1:9000");
}

BOOST_AUTO_TEST_CASE(empty_port_is_ignored) {
    Invocation inv = parse_ok({}, {{"PORT", ""}});
    BOOST_TEST(inv.config.listen == "127.0.0.1:8080");
}

BOOST_AUTO_TEST_CASE(bad_port_is_an_error_naming_port) {
    for (std::string bad : {"abc", "0", "70000", "65536", "80x", "-1", " 80"}) {
        BOOST_TEST_CONTEXT("PORT='" << bad << "'") {
            amq::Error error = parse_error({}, {{"PORT", bad}});
            BOOST_TEST((error.code == Errc::invalid_argument));
            BOOST_TEST(contains(error.message, "PORT"));
        }
    }
}

BOOST_AUTO_TEST_CASE(database_path_directory_becomes_the_state_dir) {
    BOOST_TEST(parse_ok({}, {{"DATABASE_PATH", "/x/y/amq2api.db"}}).config.state_dir == "/x/y");
    BOOST_TEST(parse_ok({}, {{"DATABASE_PATH", "amq2api.db"}}).config.state_dir == ".");
    BOOST_TEST(parse_ok({}, {{"DATABASE_PATH", "/amq2api.db"}}).config.state_dir == "/");
    BOOST_TEST(parse_ok({}, {{"DATABASE_PATH", "rel/dir/db"}}).config.state_dir == "rel/dir");
    BOOST_TEST(parse_ok({}, {{"DATABASE_PATH", ""}}).config.state_dir == "./data");
}

BOOST_AUTO_TEST_CASE(three_amazonq_credentials_make_a_bootstrap_account) {
    Env env = {{"AMAZONQ_REFRESH_TOKEN", "rt"},
               {"AMAZONQ_CLIENT_ID", "cid"},
               {"AMAZONQ_CLIENT_SECRET", "cs"},
               {"AMAZONQ_PROFILE_ARN", "arn:aws:codewhisperer:us-east-1:1:profile/X"}};
    Invocation inv = parse_ok({}, env);
    BOOST_REQUIRE(inv.config.bootstrap_account.has_value());
    const amq::BootstrapAccount& account = *inv.config.bootstrap_account;
    BOOST_TEST(account.refresh_token == "rt");
    BOOST_TEST(account.client_id == "cid");
    BOOST_TEST(account.client_secret == "cs");
    BOOST_TEST(account.profile_arn == "arn:aws:codewhisperer:us-east-1:1:profile/X");
}

BOOST_AUTO_TEST_CASE(profile_arn_is_optional_for_the_bootstrap_account) {
    Env env = {{"AMAZONQ_REFRESH_TOKEN", "rt"},
               {"AMAZONQ_CLIENT_ID", "cid"},
               {"AMAZONQ_CLIENT_SECRET", "cs"}};
    Invocation inv = parse_ok({}, env);
    BOOST_REQUIRE(inv.config.bootstrap_account.has_value());
    BOOST_TEST(inv.config.bootstrap_account->profile_arn.empty());
}

BOOST_AUTO_TEST_CASE(a_missing_amazonq_credential_gives_no_bootstrap_account) {
    const Env full = {{"AMAZONQ_REFRESH_TOKEN", "rt"},
                      {"AMAZONQ_CLIENT_ID", "cid"},
                      {"AMAZONQ_CLIENT_SECRET", "cs"},
                      {"AMAZONQ_PROFILE_ARN", "arn"}};
    for (std::string missing :
         {"AMAZONQ_REFRESH_TOKEN", "AMAZONQ_CLIENT_ID", "AMAZONQ_CLIENT_SECRET"}) {
        BOOST_TEST_CONTEXT("without " << missing) {
            Env absent = full;
            absent.erase(missing);
            BOOST_TEST(!parse_ok({}, absent).config.bootstrap_account.has_value());
            Env empty = full;
            empty[missing] = "";
            BOOST_TEST(!parse_ok({}, empty).config.bootstrap_account.has_value());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(file_and_flags)

BOOST_AUTO_TEST_CASE(config_file_overrides_the_environment) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf",
                                 "# comment\n"
                                 "listen = 0.0.0.0:7000\n"
                                 "state-dir = /var/lib/amq2api\n"
                                 "workers = 3\n"
                                 "log-level = \"debug\"\n");
    Env env = {{"PORT", "9000"}, {"DATABASE_PATH", "/x/y/amq2api.db"}};
    Invocation inv = parse_ok({"--config", file}, env);
    BOOST_TEST(inv.config.listen == "0.0.0.0:7000");
    BOOST_TEST(inv.config.state_dir == "/var/lib/amq2api");
    BOOST_TEST(inv.config.workers == 3u);
    BOOST_TEST(inv.config.log_level == "debug");
    BOOST_TEST(inv.config.config_file == file);
}

BOOST_AUTO_TEST_CASE(environment_still_applies_to_keys_the_file_leaves_out) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\n");
    Invocation inv = parse_ok({"--config", file}, {{"PORT", "9000"}});
    BOOST_TEST(inv.config.listen == "127.0.0.1:9000");
    BOOST_TEST(inv.config.workers == 2u);
}

BOOST_AUTO_TEST_CASE(flag_overrides_the_file_whatever_the_order) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "listen = 0.0.0.0:7000\nworkers = 3\n");
    Invocation after = parse_ok({"--config", file, "--listen", "127.0.0.1:1234"});
    BOOST_TEST(after.config.listen == "127.0.0.1:1234");
    BOOST_TEST(after.config.workers == 3u);
    Invocation before = parse_ok({"--listen=127.0.0.1:1234", "--config", file});
    BOOST_TEST(before.config.listen == "127.0.0.1:1234");
    BOOST_TEST(before.config.workers == 3u);
}

BOOST_AUTO_TEST_CASE(flags_override_the_environment) {
    Invocation inv = parse_ok({"--listen", "[::1]:8443", "--state-dir", "/srv/amq"},
                              {{"PORT", "9000"}, {"DATABASE_PATH", "/x/y/amq2api.db"}});
    BOOST_TEST(inv.config.listen == "[::1]:8443");
    BOOST_TEST(inv.config.state_dir == "/srv/amq");
}

BOOST_AUTO_TEST_CASE(every_option_is_a_flag) {
    Invocation inv = parse_ok({"--listen", "10.0.0.1:81", "--workers", "4", "--state-dir", "/s",
                               "--control-socket", "/run/c.sock", "--drain-timeout", "5",
                               "--log-level", "warning", "--max-map-size", "33554432",
                               "--max-body-size", "2048", "--client-timeout", "9"});
    const Config& c = inv.config;
    BOOST_TEST(c.listen == "10.0.0.1:81");
    BOOST_TEST(c.workers == 4u);
    BOOST_TEST(c.state_dir == "/s");
    BOOST_TEST(c.control_socket == "/run/c.sock");
    BOOST_TEST(c.drain_timeout == 5.0);
    BOOST_TEST(c.log_level == "warning");
    BOOST_TEST(c.max_map_size == 33554432u);
    BOOST_TEST(c.max_body_size == 2048u);
    BOOST_TEST(c.client_timeout == 9.0);
}

BOOST_AUTO_TEST_CASE(unknown_key_in_the_file_is_an_error_naming_it) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "listen = 0.0.0.0:7000\nfrobnicate = yes\n");
    amq::Error error = parse_error({"--config", file});
    BOOST_TEST((error.code == Errc::invalid_argument));
    BOOST_TEST(contains(error.message, "frobnicate"), error.message);
}

BOOST_AUTO_TEST_CASE(missing_config_file_is_an_error) {
    TempDir dir;
    std::string missing = dir.file("does-not-exist.conf");
    amq::Error error = parse_error({"--config", missing});
    BOOST_TEST((error.code == Errc::invalid_argument));
    BOOST_TEST(contains(error.message, missing), error.message);
}

BOOST_AUTO_TEST_CASE(bad_value_in_the_file_is_an_error) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 999\n");
    amq::Error error = parse_error({"--config", file});
    BOOST_TEST((error.code == Errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(out_of_range_workers_is_an_error) {
    BOOST_TEST((parse_error({"--workers", "999"}).code == Errc::invalid_argument));
    BOOST_TEST((parse_error({"--workers", "-1"}).code == Errc::invalid_argument));
    BOOST_TEST(parse_ok({"--workers", "256"}).config.workers == 256u);
}

BOOST_AUTO_TEST_CASE(unknown_log_level_is_an_error) {
    amq::Error error = parse_error({"--log-level", "loud"});
    BOOST_TEST((error.code == Errc::invalid_argument));
    BOOST_TEST(contains(error.message, "loud"), error.message);
}

BOOST_AUTO_TEST_CASE(listen_without_port_is_an_error_naming_listen) {
    amq::Error error = parse_error({"--listen", "127.0.0.1"});
    BOOST_TEST((error.code == Errc::invalid_argument));
    BOOST_TEST(contains(error.message, "listen"), error.message);
}

BOOST_AUTO_TEST_CASE(out_of_range_numbers_are_errors) {
    BOOST_TEST((parse_error({"--drain-timeout", "-1"}).code == Errc::invalid_argument));
    BOOST_TEST((parse_error({"--client-timeout", "0"}).code == Errc::invalid_argument));
    BOOST_TEST((parse_error({"--max-body-size", "10"}).code == Errc::invalid_argument));
    BOOST_TEST((parse_error({"--max-map-size", "1024"}).code == Errc::invalid_argument));
    BOOST_TEST((parse_error({"--workers", "many"}).code == Errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(unknown_flag_is_an_error) {
    amq::Error error = parse_error({"--no-such-flag"});
    BOOST_TEST((error.code == Errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(too_long_control_socket_path_is_an_error) {
    std::string path = "/" + std::string(120, 's');
    amq::Error error = parse_error({"--control-socket", path});
    BOOST_TEST((error.code == Errc::invalid_argument));
    BOOST_TEST(contains(error.message, "control-socket"), error.message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(modes_and_replay)

BOOST_AUTO_TEST_CASE(worker_mode_carries_index_and_generation) {
    Invocation inv = parse_ok({"--worker", "--worker-index", "3", "--generation=7"});
    BOOST_TEST((inv.mode == Mode::worker));
    BOOST_TEST(inv.worker_index == 3u);
    BOOST_TEST(inv.generation == 7u);
}

BOOST_AUTO_TEST_CASE(check_config_mode) {
    BOOST_TEST((parse_ok({"--check-config"}).mode == Mode::check_config));
}

BOOST_AUTO_TEST_CASE(check_config_with_a_bad_value_is_an_error) {
    BOOST_TEST(
        (parse_error({"--check-config", "--workers", "999"}).code == Errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(print_config_output_mentions_listen) {
    Invocation inv = parse_ok({"--print-config", "--listen", "127.0.0.1:4321"});
    BOOST_TEST((inv.mode == Mode::print_config));
    BOOST_TEST(contains(inv.output, "listen"), inv.output);
    BOOST_TEST(contains(inv.output, "127.0.0.1:4321"), inv.output);
}

BOOST_AUTO_TEST_CASE(help_mode_describes_the_flags) {
    Invocation inv = parse_ok({"--help"});
    BOOST_TEST((inv.mode == Mode::help));
    BOOST_TEST(contains(inv.output, "--listen"), inv.output);
    BOOST_TEST(contains(inv.output, "--config"), inv.output);
}

BOOST_AUTO_TEST_CASE(config_args_drop_the_mode_flags_and_keep_the_rest) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\n");
    Invocation inv = parse_ok({"--worker", "--worker-index", "3", "--generation=7",
                               "--check-config", "--print-config", "--config", file,
                               "--listen=127.0.0.1:5555", "--log-level", "debug"});
    Args expected = {"--config=" + file, "--listen=127.0.0.1:5555", "--log-level=debug"};
    BOOST_TEST(inv.config_args == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(config_args_drop_internal_values_in_either_spelling) {
    Invocation inv = parse_ok({"--worker-index=4", "--generation", "8", "--workers", "2"});
    Args expected = {"--workers=2"};
    BOOST_TEST(inv.config_args == expected, boost::test_tools::per_element());
    BOOST_TEST(inv.worker_index == 4u);
    BOOST_TEST(inv.generation == 8u);
}

BOOST_AUTO_TEST_CASE(config_args_keep_workers_which_is_not_worker) {
    Invocation inv = parse_ok({"--worker", "--workers=3"});
    Args expected = {"--workers=3"};
    BOOST_TEST(inv.config_args == expected, boost::test_tools::per_element());
    BOOST_TEST(inv.config.workers == 3u);
}

BOOST_AUTO_TEST_CASE(reload_config_replays_the_kept_arguments) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\nstate-dir = /a\n");
    Env env = {{"PORT", "9100"}};
    Invocation inv = parse_ok({"--worker", "--config", file, "--log-level", "error"}, env);
    auto reloaded = amq::reload_config(inv.config_args, lookup(env), kNoDefaultFile);
    BOOST_REQUIRE(reloaded.ok());
    BOOST_TEST(reloaded->listen == "127.0.0.1:9100");
    BOOST_TEST(reloaded->workers == 2u);
    BOOST_TEST(reloaded->state_dir == "/a");
    BOOST_TEST(reloaded->log_level == "error");
    BOOST_TEST(reloaded->config_file == file);
}

BOOST_AUTO_TEST_CASE(reload_config_reads_the_changed_file) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\n");
    Invocation inv = parse_ok({"--config", file});
    dir.write("amq2api.conf", "workers = 5\n");
    auto reloaded = reload(inv);
    BOOST_REQUIRE(reloaded.ok());
    BOOST_TEST(reloaded->workers == 5u);
}

BOOST_AUTO_TEST_CASE(reload_config_with_a_broken_file_is_an_error) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\n");
    Invocation inv = parse_ok({"--config", file});
    dir.write("amq2api.conf", "log-level = loud\n");
    auto reloaded = reload(inv);
    BOOST_REQUIRE(!reloaded.ok());
    BOOST_TEST((reloaded.error().code == Errc::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(validation)

BOOST_AUTO_TEST_CASE(default_config_is_valid) { BOOST_TEST(amq::validate_config(Config{}).ok()); }

BOOST_AUTO_TEST_CASE(validate_config_rejects_empty_paths_and_bad_listen) {
    Config no_port;
    no_port.listen = "localhost";
    BOOST_TEST(!amq::validate_config(no_port).ok());

    Config no_state;
    no_state.state_dir = "";
    BOOST_TEST(!amq::validate_config(no_state).ok());

    Config no_socket;
    no_socket.control_socket = "";
    BOOST_TEST(!amq::validate_config(no_socket).ok());

    Config long_socket;
    long_socket.control_socket = std::string(108, 's');
    BOOST_TEST(!amq::validate_config(long_socket).ok());
    long_socket.control_socket = std::string(107, 's');
    BOOST_TEST(amq::validate_config(long_socket).ok());
}

BOOST_AUTO_TEST_CASE(effective_workers_uses_the_cpus_when_zero_and_at_least_one) {
    Config automatic;
    BOOST_TEST(amq::effective_workers(automatic, 8) == 8u);
    BOOST_TEST(amq::effective_workers(automatic, 1) == 1u);
    BOOST_TEST(amq::effective_workers(automatic, 0) == 1u);

    Config fixed;
    fixed.workers = 3;
    BOOST_TEST(amq::effective_workers(fixed, 8) == 3u);
    BOOST_TEST(amq::effective_workers(fixed, 0) == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_flag_given_twice_takes_its_last_value) {
    BOOST_CHECK_EQUAL(parse_ok({"--workers", "2", "--workers", "3"}).config.workers, 3u);
}

BOOST_AUTO_TEST_CASE(upstream_and_model_map_options) {
    Invocation inv = parse_ok({"--api-flavour", "rest", "--model-map",
                               "team=claude-opus-4.5,default=auto", "--tokenizer-file", "/x.json"});
    BOOST_CHECK_EQUAL(inv.config.api_flavour, "rest");
    BOOST_CHECK_EQUAL(inv.config.tokenizer_file, "/x.json");
    BOOST_CHECK_EQUAL(inv.config.models.default_model, "auto");
    BOOST_CHECK_EQUAL(inv.config.models.table.front().first, "team");
    BOOST_CHECK(contains(parse_error({"--model-map", "broken"}).message, "model-map"));
    parse_error({"--api-flavour", "soap"});
}

BOOST_AUTO_TEST_CASE(model_efforts_replace_the_built_in_table) {
    BOOST_CHECK_EQUAL(parse_ok({}).config.models.efforts.size(), 2u);
    Invocation inv = parse_ok({"--model-efforts", "claude-opus-4.5=low/high"});
    BOOST_REQUIRE_EQUAL(inv.config.models.efforts.size(), 1u);
    BOOST_CHECK_EQUAL(inv.config.models.efforts.front().first, "claude-opus-4.5");
    BOOST_CHECK(parse_ok({"--model-efforts", "none"}).config.models.efforts.empty());
    BOOST_CHECK(contains(parse_error({"--model-efforts", "m=huge"}).message, "'huge'"));
}

BOOST_AUTO_TEST_CASE(amazonq_endpoints_come_from_the_environment) {
    Invocation inv = parse_ok({}, {{"AMAZONQ_API_ENDPOINT", "http://127.0.0.1:9/"},
                                   {"AMAZONQ_TOKEN_ENDPOINT", "http://127.0.0.1:9/token"}});
    BOOST_CHECK_EQUAL(inv.config.api_endpoint, "http://127.0.0.1:9/");
    BOOST_CHECK_EQUAL(inv.config.token_endpoint, "http://127.0.0.1:9/token");
}

BOOST_AUTO_TEST_CASE(print_config_masks_a_proxy_password) {
    Invocation inv = parse_ok({"--print-config", "--proxy", "http://user:hunter2@proxy:3128"});
    BOOST_CHECK(contains(inv.output, "user:***@proxy:3128"));
    BOOST_CHECK(!contains(inv.output, "hunter2"));
}

BOOST_AUTO_TEST_CASE(validate_config_checks_trusted_proxies_and_the_access_log) {
    Config c;
    c.trusted_proxies = "127.0.0.1, 10.0.0.0/8";
    BOOST_TEST(amq::validate_config(c).ok());
    c.trusted_proxies = "localhost";
    auto st = amq::validate_config(c);
    BOOST_REQUIRE(!st.ok());
    BOOST_TEST(st.error().message.find("trusted-proxies") != std::string::npos);
    c.trusted_proxies = "";
    c.access_log = "";
    BOOST_TEST(!amq::validate_config(c).ok());
    c.access_log = "/var/log/amq2api/access.log";
    BOOST_TEST(amq::validate_config(c).ok());
}

BOOST_AUTO_TEST_SUITE(file_syntax)

BOOST_AUTO_TEST_CASE(the_shipped_model_map_example_keeps_every_pair) {
    Config c = file_config("model-map = gpt-4o=claude-opus-4.6, default=claude-haiku-4.5\n");
    BOOST_TEST(c.model_map == "gpt-4o=claude-opus-4.6, default=claude-haiku-4.5");
    BOOST_TEST(amq::resolve_model(c.models, "gpt-4o").upstream == "claude-opus-4.6");
    BOOST_TEST(c.models.default_model == "claude-haiku-4.5");
}

BOOST_AUTO_TEST_CASE(a_value_with_spaces_is_kept_whole) {
    BOOST_TEST(file_config("state-dir = /srv/my data\n").state_dir == "/srv/my data");
}

BOOST_AUTO_TEST_CASE(a_quoted_proxy_password_keeps_its_hash) {
    BOOST_TEST(file_config("proxy = \"http://u:p#w@h:3128\"\n").proxy == "http://u:p#w@h:3128");
    BOOST_TEST(file_config("proxy = http://u:p#w@h:3128 # office\n").proxy ==
               "http://u:p#w@h:3128");
}

BOOST_AUTO_TEST_CASE(the_last_occurrence_of_a_key_wins) {
    BOOST_TEST(file_config("workers = 2\nlog-level = debug\nworkers = 5\n").workers == 5u);
}

BOOST_AUTO_TEST_CASE(every_occurrence_of_a_key_is_validated) {
    BOOST_TEST(file_error("workers = 999\nworkers = 2\n") ==
               "FILE:1: workers: Value 999 not in range 0 to 256");
    BOOST_TEST(file_error("workers = 2\nworkers = many\n") ==
               "FILE:2: workers: Value many not in range 0 to 256");
    BOOST_TEST(
        file_error("model-map = broken\nmodel-map = a=b\n").starts_with("FILE:1: model-map: "));
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_key) {
    BOOST_TEST(file_error("listen = 0.0.0.0:7000\nfrobnicate = yes\n") ==
               "FILE:2: frobnicate: unknown key");
    BOOST_TEST(file_error("\nlog-level = loud\n") ==
               "FILE:2: log-level: loud not in {debug,info,notice,warning,error}");
    BOOST_TEST(file_error("sticky-sessions = maybe\n") ==
               "FILE:1: sticky-sessions: 'maybe' is not a valid BOOLEAN");
    BOOST_TEST(file_error("api-endpoint = ftp://x/\n") ==
               "FILE:1: api-endpoint: 'ftp://x/' is not an http(s) URL");
    BOOST_TEST(file_error("control-socket = /" + std::string(120, 's') + "\n")
                   .starts_with("FILE:1: control-socket: '/sss"));
    BOOST_TEST(file_error("workers = 2\nworkers 3\n") == "FILE:2: expected key = value");
    BOOST_TEST(file_error("[amq2apid]\n").starts_with("FILE:1: sections such as [name]"));
}

BOOST_AUTO_TEST_CASE(options_that_are_not_keys_are_unknown_keys_in_a_file) {
    for (std::string key : {"config", "no-config", "check-config", "help", "version", "worker"}) {
        BOOST_TEST_CONTEXT(key) {
            BOOST_TEST(file_error(key + " = 1\n") == "FILE:1: " + key + ": unknown key");
        }
    }
}

BOOST_AUTO_TEST_CASE(an_empty_value_is_refused_where_a_value_is_needed) {
    for (std::string key : {"listen", "state-dir", "control-socket", "workers", "log-level",
                            "access-log", "tokenizer-file", "api-endpoint", "sticky-sessions"}) {
        BOOST_TEST_CONTEXT(key) {
            BOOST_TEST(file_error(key + " =\n") == "FILE:1: " + key + ": a value is required");
            BOOST_TEST(file_error(key + " = \"\"\n") == "FILE:1: " + key + ": a value is required");
        }
    }
}

BOOST_AUTO_TEST_CASE(an_empty_value_is_accepted_where_it_means_none) {
    Config c = file_config("proxy =\ntrusted-proxies = \"\"\nmodel-map = # none\n");
    BOOST_TEST(c.proxy.empty());
    BOOST_TEST(c.trusted_proxies.empty());
    BOOST_TEST(c.model_map.empty());
}

BOOST_AUTO_TEST_CASE(an_ipv6_listen_address_in_brackets_is_read) {
    BOOST_TEST(file_config("listen = [::1]:8080\n").listen == "[::1]:8080");
    BOOST_TEST(file_config("listen = \"[2001:db8::2]:80\"\n").listen == "[2001:db8::2]:80");
}

BOOST_AUTO_TEST_CASE(a_host_name_passes_the_syntax_check) {
    // Whether it resolves is asked where the daemon binds (daemon/listen_socket.cpp).
    BOOST_TEST(file_config("listen = localhost:8080\n").listen == "localhost:8080");
    BOOST_TEST(file_error("listen = localhost\n") ==
               "FILE:1: listen: 'localhost' is not host:port or [IPv6]:port (for example "
               "127.0.0.1:8080)");
}

BOOST_AUTO_TEST_CASE(an_unreadable_file_is_named) {
    TempDir dir;
    amq::Error error = parse_error({"--config", dir.file("")});  // a directory
    BOOST_TEST(contains(error.message, "cannot read"), error.message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(file_selection)

BOOST_AUTO_TEST_CASE(the_default_file_is_read_when_it_exists) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 4\n");
    Invocation inv = parse_ok({}, kNoEnv, file);
    BOOST_TEST(inv.config.workers == 4u);
    BOOST_TEST(inv.config.config_file == file);
    BOOST_TEST(inv.config_args.empty());  // a reload looks for the default file again
}

BOOST_AUTO_TEST_CASE(a_missing_default_file_gives_the_defaults) {
    TempDir dir;
    Invocation inv = parse_ok({}, kNoEnv, dir.file("amq2api.conf"));
    BOOST_TEST(inv.config.config_file.empty());
    BOOST_TEST(inv.config.workers == 0u);
}

BOOST_AUTO_TEST_CASE(check_config_without_arguments_checks_the_default_file) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = many\n");
    BOOST_TEST(parse_error({"--check-config"}, kNoEnv, file).message.starts_with(file + ":1:"));
}

BOOST_AUTO_TEST_CASE(an_empty_config_or_no_config_reads_no_file) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 4\n");
    for (Args args : {Args{"--config", ""}, Args{"-c", ""}, Args{"--no-config"}}) {
        Invocation inv = parse_ok(args, kNoEnv, file);
        BOOST_TEST(inv.config.workers == 0u);
        BOOST_TEST(inv.config.config_file.empty());
        BOOST_TEST(inv.config_args == Args{"--no-config"}, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_CASE(no_config_and_config_together_are_an_error) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 4\n");
    parse_error({"--no-config", "--config", file});
}

BOOST_AUTO_TEST_CASE(the_last_config_flag_wins) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 4\n");
    BOOST_TEST(parse_ok({"--config", "", "--config", file}).config.workers == 4u);
    BOOST_TEST(parse_ok({"--config", file, "--config", ""}).config.workers == 0u);
}

BOOST_AUTO_TEST_CASE(a_named_file_must_exist) {
    TempDir dir;
    std::string missing = dir.file("missing.conf");
    amq::Error error = parse_error({"-c", missing}, kNoEnv, missing);
    BOOST_TEST(error.message == "cannot read " + missing + ": No such file or directory");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dropins)

BOOST_AUTO_TEST_CASE(dropins_apply_after_the_main_file_in_lexical_order) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\nlog-level = debug\n");
    std::string a = dir.write("amq2api.conf.d/10-a.conf", "workers = 3\nlisten = 127.0.0.1:1\n");
    std::string b = dir.write("amq2api.conf.d/20-b.conf", "workers = 4\n");
    dir.write("amq2api.conf.d/30-c.conf.disabled", "workers = 100\n");
    dir.write("amq2api.conf.d/.99-hidden.conf", "workers = 101\n");
    dir.write("amq2api.conf.d/README", "not a configuration file\n");
    Invocation inv = parse_ok({"--config", main});
    BOOST_TEST(inv.config.workers == 4u);
    BOOST_TEST(inv.config.listen == "127.0.0.1:1");
    BOOST_TEST(inv.config.log_level == "debug");
    BOOST_TEST(inv.config.config_dropins == Args({a, b}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(flags_override_dropins) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\n");
    dir.write("amq2api.conf.d/10-a.conf", "workers = 3\n");
    BOOST_TEST(parse_ok({"--workers", "7", "--config", main}).config.workers == 7u);
}

BOOST_AUTO_TEST_CASE(the_whole_precedence_chain) {
    TempDir dir;
    std::string main =
        dir.write("amq2api.conf", "listen = 127.0.0.1:2\nstate-dir = /file\nworkers = 2\n");
    dir.write("amq2api.conf.d/a.conf", "state-dir = /dropin\nworkers = 3\n");
    Env env = {
        {"PORT", "9000"}, {"DATABASE_PATH", "/env/db"}, {"AMAZONQ_API_ENDPOINT", "http://e/"}};
    Config c = parse_ok({"--config", main, "--workers", "4"}, env).config;
    BOOST_TEST(c.api_endpoint == "http://e/");  // environment over the default
    BOOST_TEST(c.listen == "127.0.0.1:2");      // main file over the environment
    BOOST_TEST(c.state_dir == "/dropin");       // drop-in over the main file
    BOOST_TEST(c.workers == 4u);                // flag over everything
}

BOOST_AUTO_TEST_CASE(an_error_in_a_dropin_names_the_dropin_and_its_line) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\n");
    std::string bad = dir.write("amq2api.conf.d/10-bad.conf", "# proxy\n\nnonsense = 1\n");
    BOOST_TEST(parse_error({"--config", main}).message == bad + ":3: nonsense: unknown key");
}

BOOST_AUTO_TEST_CASE(a_dropin_directory_that_is_a_file_is_an_error) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\n");
    dir.write("amq2api.conf.d", "workers = 3\n");
    BOOST_TEST(contains(parse_error({"--config", main}).message, "amq2api.conf.d"));
}

BOOST_AUTO_TEST_CASE(no_main_file_means_no_dropins) {
    TempDir dir;
    dir.write("amq2api.conf.d/10-a.conf", "workers = 3\n");
    Invocation inv = parse_ok({}, kNoEnv, dir.file("amq2api.conf"));
    BOOST_TEST(inv.config.workers == 0u);
    BOOST_TEST(inv.config.config_dropins.empty());
}

BOOST_AUTO_TEST_CASE(reload_picks_up_added_and_removed_dropins) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\n");
    Invocation inv = parse_ok({"--config", main});
    dir.write("amq2api.conf.d/10-more.conf", "workers = 6\n");
    auto added = reload(inv);
    BOOST_REQUIRE(added.ok());
    BOOST_TEST(added->workers == 6u);
    BOOST_TEST(added->config_dropins.size() == 1u);
    dir.remove("amq2api.conf.d/10-more.conf");
    auto removed = reload(inv);
    BOOST_REQUIRE(removed.ok());
    BOOST_TEST(removed->workers == 2u);
    BOOST_TEST(removed->config_dropins.empty());
}

BOOST_AUTO_TEST_CASE(reload_of_the_default_file_reads_its_dropins_too) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\n");
    Invocation inv = parse_ok({}, kNoEnv, main);
    dir.write("amq2api.conf.d/10-more.conf", "workers = 6\n");
    auto reloaded = amq::reload_config(inv.config_args, lookup(kNoEnv), main);
    BOOST_REQUIRE(reloaded.ok());
    BOOST_TEST(reloaded->workers == 6u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(version_in_both_spellings) {
    for (std::string flag : {"--version", "-V"}) {
        Invocation inv = parse_ok({flag});
        BOOST_TEST((inv.mode == Mode::version));
        BOOST_TEST(inv.output.starts_with("amq2apid "), inv.output);
        BOOST_TEST(inv.output.ends_with("\n"));
    }
}

BOOST_AUTO_TEST_CASE(version_and_help_read_no_file) {
    TempDir dir;
    std::string broken = dir.write("amq2api.conf", "nonsense\n");
    BOOST_TEST((parse_ok({"-V"}, kNoEnv, broken).mode == Mode::version));
    BOOST_TEST((parse_ok({"-h"}, kNoEnv, broken).mode == Mode::help));
}

BOOST_AUTO_TEST_CASE(short_options_like_nginx) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\n");
    Invocation check = parse_ok({"-t", "-c", file});
    BOOST_TEST((check.mode == Mode::check_config));
    BOOST_TEST(check.config.workers == 2u);
    BOOST_TEST((parse_ok({"-T"}).mode == Mode::print_config));
    BOOST_TEST(contains(parse_ok({"-h"}).output, "--check-config"));
}

BOOST_AUTO_TEST_CASE(check_config_reports_the_files_it_read) {
    TempDir dir;
    std::string main = dir.write("amq2api.conf", "workers = 2\n");
    std::string dropin = dir.write("amq2api.conf.d/a.conf", "workers = 3\n");
    BOOST_TEST(parse_ok({"-t", "-c", main}).output ==
               "configuration OK\nread " + main + "\nread " + dropin + "\n");
    BOOST_TEST(parse_ok({"-t"}).output == "configuration OK (no configuration file read)\n");
}

BOOST_AUTO_TEST_CASE(config_args_are_the_same_for_every_spelling) {
    TempDir dir;
    std::string file = dir.write("amq2api.conf", "workers = 2\n");
    Args expected = {"--config=" + file, "--workers=3"};
    for (Args args : {Args{"-c", file, "--workers", "3"}, Args{"--config=" + file, "--workers=3"},
                      Args{"-t", "-c" + file, "--workers", "1", "--workers", "3"},
                      Args{"-T", "changed", "-c", file, "--workers", "3"}}) {
        BOOST_TEST(parse_ok(args).config_args == expected, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(print_config)

BOOST_AUTO_TEST_CASE(print_config_changed_shows_only_what_differs_from_the_defaults) {
    Invocation inv = parse_ok({"--print-config=changed", "--workers", "3"}, {{"PORT", "9999"}});
    BOOST_TEST((inv.mode == Mode::print_config));
    BOOST_TEST(contains(inv.output, "\nworkers = 3\n"), inv.output);
    BOOST_TEST(contains(inv.output, "\nlisten = 127.0.0.1:9999\n"), inv.output);
    BOOST_TEST(!contains(inv.output, "state-dir"), inv.output);
    BOOST_TEST(!contains(inv.output, "log-level"), inv.output);
}

BOOST_AUTO_TEST_CASE(print_config_changed_of_the_defaults_is_only_its_header) {
    Invocation inv = parse_ok({"-T", "changed"});
    BOOST_TEST(!contains(inv.output, " = "), inv.output);
}

BOOST_AUTO_TEST_CASE(print_config_shows_every_key) {
    std::string output = parse_ok({"--print-config"}).output;
    for (std::string key : {"listen", "workers", "proxy", "model-map", "sticky-sessions",
                            "access-log", "trusted-proxies", "quota-refresh-interval"})
        BOOST_TEST(contains(output, "\n" + key + " = "), key);
    BOOST_TEST(contains(output, "\nsticky-sessions = false\n"), output);
    BOOST_TEST(contains(output, "\nproxy = \"\"\n"), output);
}

BOOST_AUTO_TEST_CASE(print_config_refuses_an_unknown_selection) {
    parse_error({"--print-config=some"});
}

BOOST_AUTO_TEST_CASE(print_config_masks_a_password_holding_an_at_sign) {
    Invocation inv = parse_ok({"-T", "--proxy", "http://user:p@ss@host:3128"});
    BOOST_TEST(contains(inv.output, "\nproxy = http://user:***@host:3128\n"), inv.output);
    BOOST_TEST(!contains(inv.output, "p@ss"), inv.output);
}

BOOST_AUTO_TEST_CASE(print_config_output_reads_back_as_the_same_configuration) {
    TempDir dir;
    Args flags = {
        "--state-dir", "/srv/my data",      "--model-map", "a=b, default=c", "--workers",
        "3",           "--sticky-sessions", "true",        "--access-log",   "/var/log/a #1.log"};
    Args print = {"--print-config"};
    print.insert(print.end(), flags.begin(), flags.end());
    std::string printed = parse_ok(print).output;
    std::string file = dir.write("printed.conf", printed);
    Invocation reread = parse_ok({"--print-config", "--config", file});
    BOOST_TEST(reread.config.state_dir == "/srv/my data");
    BOOST_TEST(reread.config.access_log == "/var/log/a #1.log");
    BOOST_TEST(reread.config.sticky_sessions);
    BOOST_TEST(reread.output == printed);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(an_empty_flag_value_replays_as_two_arguments) {
    Invocation inv = parse_ok({"--proxy", "", "--model-map", "a=b"});
    Args expected = {"--proxy", "", "--model-map=a=b"};
    BOOST_TEST(inv.config_args == expected, boost::test_tools::per_element());
    auto reloaded = reload(inv);
    BOOST_REQUIRE(reloaded.ok());
    BOOST_TEST(reloaded->model_map == "a=b");
}
