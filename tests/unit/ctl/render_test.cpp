#define BOOST_TEST_MODULE ctl_render
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "ctl/render.hpp"

namespace ctl = amq::ctl;

namespace {

rapidjson::Document parsed(const std::string& text) {
    auto doc = amq::parse_json(text);
    if (!doc.ok()) BOOST_FAIL("sample is not JSON: " << text);
    return std::move(doc).value();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::size_t occurrences(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
        ++count;
    return count;
}

void check_no_trailing_blanks(const std::string& text) {
    for (const auto& line : lines_of(text))
        BOOST_TEST((line.empty() || line.back() != ' '), "trailing blank in '" << line << "'");
}

const char* const kAccounts = R"({"accounts": [
    {"id": 1, "name": "team-a", "kind": "idc", "client_id": "cid", "profile_arn": "",
     "region": "", "api_endpoint": "", "api_flavour": "", "origin": "", "proxy": "",
     "enabled": true, "requests_per_minute": 10, "notes": "",
     "created_at": "2026-11-28T18:50:29Z", "updated_at": null, "state": "healthy",
     "state_reason": "", "state_since": null, "state_until": null},
    {"id": 12, "name": "b", "kind": "social", "client_id": "", "profile_arn": "arn:x",
     "region": "eu-central-1", "api_endpoint": "https://q.eu-central-1.amazonaws.com/",
     "api_flavour": "rest", "origin": "AI_EDITOR",
     "proxy": "http://squid:hunter2@proxy.example:3128", "enabled": false,
     "requests_per_minute": 250, "notes": "spare", "created_at": null, "updated_at": null,
     "state": "disabled", "state_reason": "disabled by an admin",
     "state_since": "2026-11-29T08:00:00Z", "state_until": null}
]})";

const char* const kQuarantined = R"json({"id": 4, "name": "kiro-1", "kind": "social",
    "enabled": true, "state": "quarantined",
    "state_reason": "invalid credential (invalid_grant)",
    "state_since": "2026-11-29T08:00:00Z", "state_until": null})json";

const char* const kEvents = R"({"account": {"id": 1, "name": "team-a", "state": "healthy"},
    "events": [
        {"at": "2026-11-29T08:00:00Z", "from": "healthy", "to": "cooling",
         "reason": "throttled by the upstream; cooling 30 s"},
        {"at": "2026-11-29T08:00:30Z", "from": "cooling", "to": "half_open",
         "reason": "cool-down over; one trial request allowed"},
        {"at": "2026-11-29T08:00:31Z", "from": "half_open", "to": "healthy",
         "reason": "trial request succeeded"}]})";

const char* const kQuota = R"({"account_id": 1, "name": "team-a", "limit": 1000, "used": 877,
    "remaining": 123, "next_reset": "2026-12-01T00:00:00Z", "subscription": "Q_DEVELOPER_PRO",
    "email": "ops@example.com"})";

const char* const kImport = R"json({"imported": [
    {"id": 3, "name": "sso-1a2b3c4d", "kind": "idc", "enabled": true, "state": "healthy",
     "state_reason": "", "source": "cache/sso.json", "refresh": "ok"},
    {"id": 4, "name": "kiro-1", "kind": "social", "enabled": true, "state": "quarantined",
     "state_reason": "invalid credential (invalid_grant)", "source": "kiro.json",
     "refresh": "invalid_grant"},
    {"id": 5, "name": "later", "kind": "idc", "enabled": true, "state": "healthy",
     "state_reason": "", "source": "l.json", "refresh": "timed out"}],
    "skipped": [
    {"source": "accounts.json[1]", "name": "team-a",
     "reason": "already imported as account 'team-a'"},
    {"source": "old.json", "name": "", "reason": "no refresh token: an access token alone expires within hours"}],
    "refused": [
    {"source": "bad.json", "name": "", "reason": "malformed JSON at offset 1: Invalid value."}],
    "registrations": [
    {"source": "cache/0123abcd.json", "used_by": ["sso-1a2b3c4d", "x\u001b"]},
    {"source": "cache/ffff.json", "used_by": []}]})json";

const char* const kKeys = R"({"keys": [
    {"id": 1, "name": "admin", "description": "", "key_prefix": "amq-abcd…wxyz",
     "is_admin": true, "enabled": true, "requests_per_minute": 60, "requests_per_day": 10000,
     "max_concurrent": 0, "allowed_models": [],
     "expires_at": null, "created_at": "2026-11-28T18:50:29Z", "last_used_at": null},
    {"id": 2, "name": "continuous-integration", "description": "CI",
     "key_prefix": "amq-1234…7890", "is_admin": false, "enabled": false,
     "requests_per_minute": 5, "requests_per_day": 100, "max_concurrent": 4,
     "allowed_models": ["claude-sonnet-4-5", "claude-haiku-4-5"],
     "expires_at": "2027-01-31T00:00:00Z", "created_at": "2026-11-28T18:50:29Z",
     "last_used_at": "2026-11-29T08:00:00Z"}
]})";

const char* const kCreated = R"({"key": "amq-0123456789abcdef0123456789abcdef",
    "api_key": {"id": 3, "name": "ci", "description": "", "key_prefix": "amq-0123…cdef",
     "is_admin": false, "enabled": true, "requests_per_minute": 60, "requests_per_day": 10000,
     "expires_at": null, "created_at": "2026-11-28T18:50:29Z", "last_used_at": null}})";

const char* const kStatus = R"({"version": "0.1.0", "pid": 4242,
    "started_at": "2025-11-28T18:50:29Z",
    "uptime_s": 7380, "listen": "127.0.0.1:8080", "generation": 2,
    "workers": [
        {"index": 0, "pid": 4250, "generation": 2, "state": "ready", "requests": 12345,
         "inflight": 3, "uptime_s": 45},
        {"index": 1, "pid": 4251, "generation": 2, "state": "draining", "requests": 7,
         "inflight": 0, "uptime_s": 90000}],
    "accounts": {"total": 3, "enabled": 2}, "keys": {"total": 5, "enabled": 4}})";

}  // namespace

BOOST_AUTO_TEST_CASE(table_pads_columns_to_the_widest_cell) {
    std::string out =
        ctl::render_table({"ID", "NAME", "RPM"}, {{"1", "team-a", "10"}, {"12", "b", "250"}});
    BOOST_TEST(out ==
               "ID  NAME    RPM\n"
               "1   team-a  10\n"
               "12  b       250\n");
}

BOOST_AUTO_TEST_CASE(table_counts_characters_not_bytes) {
    BOOST_TEST(ctl::display_width("amq-abcd…wxyz") == 13u);
    std::string out = ctl::render_table({"PREFIX", "X"}, {{"amq-abcd…wxyz", "1"}, {"a", "2"}});
    auto lines = lines_of(out);
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    // The second column starts at the same character in every line.
    for (const auto& line : lines)
        BOOST_TEST(ctl::display_width(line.substr(0, line.rfind(' ') + 1)) == 15u);
}

BOOST_AUTO_TEST_CASE(account_list_is_an_aligned_table_with_nulls_as_dashes) {
    auto doc = parsed(kAccounts);
    std::string out = ctl::render_account_list(doc);
    BOOST_TEST(out ==
               "ID  NAME    KIND    STATE     ENABLED  RPM  CREATED               NOTES\n"
               "1   team-a  idc     healthy   yes      10   2026-11-28T18:50:29Z  -\n"
               "12  b       social  disabled  no       250  -                     spare\n");
    check_no_trailing_blanks(out);
}

BOOST_AUTO_TEST_CASE(account_list_without_health_shows_a_dash_for_the_state) {
    std::string out = ctl::render_account_list(
        parsed(R"({"accounts": [{"id": 1, "name": "a", "kind": "idc", "enabled": true}]})"));
    BOOST_TEST(lines_of(out).at(1).starts_with("1   a     idc   -      yes"));
}

BOOST_AUTO_TEST_CASE(key_list_shows_null_times_and_empty_text_as_dashes) {
    auto doc = parsed(kKeys);
    std::string out = ctl::render_key_list(doc);
    auto lines = lines_of(out);
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    BOOST_TEST(lines[0] ==
               "ID  NAME                    PREFIX         ADMIN  ENABLED  RPM  RPD    "
               "MAX_CONC   MODELS                          EXPIRES               LAST_USED");
    BOOST_TEST(lines[1] ==
               "1   admin                   amq-abcd…wxyz  yes    yes      60   10000  "
               "unlimited  all                             -                     -");
    BOOST_TEST(lines[2] ==
               "2   continuous-integration  amq-1234…7890  no     no       5    100    "
               "4          claude-sonnet-4-5,claude-haik…  2027-01-31T00:00:00Z  "
               "2026-11-29T08:00:00Z");
    check_no_trailing_blanks(out);
}

BOOST_AUTO_TEST_CASE(empty_lists_say_so) {
    BOOST_TEST(ctl::render_account_list(parsed(R"({"accounts": []})")) == "no accounts\n");
    BOOST_TEST(ctl::render_key_list(parsed(R"({"keys": []})")) == "no API keys\n");
}

BOOST_AUTO_TEST_CASE(single_record_is_aligned_key_value_lines) {
    auto doc = parsed(kAccounts);
    std::string out = ctl::render_account(doc["accounts"][0]);
    BOOST_TEST(out ==
               "id:              1\n"
               "name:            team-a\n"
               "kind:            idc\n"
               "enabled:         yes\n"
               "state:           healthy\n"
               "state reason:    -\n"
               "state since:     -\n"
               "state until:     -\n"
               "client id:       cid\n"
               "profile ARN:     -\n"
               "region:          -\n"
               "API endpoint:    -\n"
               "API flavour:     -\n"
               "origin:          -\n"
               "proxy:           -\n"
               "requests/minute: 10\n"
               "models:          -\n"
               "last served:     -\n"
               "last endpoint:   -\n"
               "notes:           -\n"
               "created:         2026-11-28T18:50:29Z\n"
               "updated:         -\n");
}

BOOST_AUTO_TEST_CASE(account_show_has_overrides_and_state_but_no_proxy_password) {
    auto doc = parsed(kAccounts);
    std::string out = ctl::render_account(doc["accounts"][1]);
    BOOST_TEST(out.find("kind:            social\n") != std::string::npos);
    BOOST_TEST(out.find("state:           disabled\n") != std::string::npos);
    BOOST_TEST(out.find("state reason:    disabled by an admin\n") != std::string::npos);
    BOOST_TEST(out.find("state since:     2026-11-29T08:00:00Z\n") != std::string::npos);
    BOOST_TEST(out.find("region:          eu-central-1\n") != std::string::npos);
    BOOST_TEST(out.find("API endpoint:    https://q.eu-central-1.amazonaws.com/\n") !=
               std::string::npos);
    BOOST_TEST(out.find("API flavour:     rest\n") != std::string::npos);
    BOOST_TEST(out.find("origin:          AI_EDITOR\n") != std::string::npos);
    BOOST_TEST(out.find("proxy:           http://squid:***@proxy.example:3128\n") !=
               std::string::npos);
    BOOST_TEST(out.find("hunter2") == std::string::npos);
}

// An account's models: not fetched yet, none, or the list; unlike a key's, empty is not "all".
BOOST_AUTO_TEST_CASE(account_show_has_its_models_and_last_endpoint) {
    auto shown = [](const std::string& json) { return ctl::render_account(parsed(json)); };
    BOOST_TEST(shown(R"({"models": null})").find("models:          -\n") != std::string::npos);
    BOOST_TEST(shown(R"({"models": []})").find("models:          none\n") != std::string::npos);
    std::string out = shown(R"({"models": ["claude-opus-4.6", "claude-sonnet-4.5"],
        "last_endpoint": "https://runtime.us-east-1.kiro.dev/",
        "last_served_at": "2026-12-05T10:00:00Z"})");
    BOOST_TEST(out.find("models:          claude-opus-4.6,claude-sonnet-4.5\n") !=
               std::string::npos);
    BOOST_TEST(out.find("last served:     2026-12-05T10:00:00Z\n") != std::string::npos);
    BOOST_TEST(out.find("last endpoint:   https://runtime.us-east-1.kiro.dev/\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(proxy_passwords_are_hidden_and_other_urls_kept) {
    BOOST_TEST(ctl::hide_url_password("http://u:p@h:3128") == "http://u:***@h:3128");
    BOOST_TEST(ctl::hide_url_password("socks5h://u:p:q@h/x@y") == "socks5h://u:***@h/x@y");
    BOOST_TEST(ctl::hide_url_password("u:p@h:3128") == "u:***@h:3128");
    BOOST_TEST(ctl::hide_url_password("http://u@h:3128") == "http://u@h:3128");
    BOOST_TEST(ctl::hide_url_password("http://h:3128/a@b") == "http://h:3128/a@b");
    BOOST_TEST(ctl::hide_url_password("-") == "-");
}

BOOST_AUTO_TEST_CASE(enable_and_disable_print_the_record) {
    auto doc = parsed(kAccounts);
    std::string enabled = ctl::render_account_enabled(doc["accounts"][0]);
    BOOST_TEST(enabled.starts_with("enabled account 1 (team-a)\nid:"));
    BOOST_TEST(enabled.find("note:") == std::string::npos);
    std::string disabled = ctl::render_account_disabled(doc["accounts"][1]);
    BOOST_TEST(disabled.starts_with("disabled account 12 (b)\nid:"));
    BOOST_TEST(disabled.find("state:           disabled\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(enabling_a_quarantined_account_says_how_to_lift_it) {
    std::string out = ctl::render_account_enabled(parsed(kQuarantined));
    BOOST_TEST(out.find("state:           quarantined\n") != std::string::npos);
    BOOST_TEST(
        out.ends_with("note: kiro-1 stays quarantined: enabling lifts only a disable.\n"
                      "note: a successful 'account refresh' lifts an invalid-credential "
                      "quarantine; 'account reset-health kiro-1 --note TEXT' lifts any.\n"));
}

BOOST_AUTO_TEST_CASE(enabling_a_cooling_account_says_when_it_serves_again) {
    std::string out = ctl::render_account_enabled(parsed(
        R"({"id": 5, "name": "c", "state": "cooling", "state_until": "2026-11-29T08:05:00Z"})"));
    BOOST_TEST(out.ends_with(
        "note: c is cooling until 2026-11-29T08:05:00Z and serves again by itself then\n"));
}

BOOST_AUTO_TEST_CASE(events_are_a_table_oldest_first) {
    std::string out = ctl::render_account_events(parsed(kEvents));
    BOOST_TEST(out ==
               "AT                    FROM       TO         REASON\n"
               "2026-11-29T08:00:00Z  healthy    cooling    "
               "throttled by the upstream; cooling 30 s\n"
               "2026-11-29T08:00:30Z  cooling    half_open  "
               "cool-down over; one trial request allowed\n"
               "2026-11-29T08:00:31Z  half_open  healthy    trial request succeeded\n");
    check_no_trailing_blanks(out);
    BOOST_TEST(
        ctl::render_account_events(parsed(R"({"account": {"name": "team-a"}, "events": []})")) ==
        "no health changes recorded for team-a\n");
}

BOOST_AUTO_TEST_CASE(refresh_names_the_account_and_the_expiry) {
    BOOST_TEST(ctl::render_account_refreshed(parsed(
                   R"({"account": {"id": 1, "name": "team-a"},
                       "access_expires_at": "2026-11-29T09:00:00Z"})")) ==
               "refreshed team-a; access token valid until 2026-11-29T09:00:00Z\n");
}

BOOST_AUTO_TEST_CASE(quota_is_one_sentence_then_the_plan) {
    BOOST_TEST(ctl::render_account_quota(parsed(kQuota)) ==
               "team-a: 123 of 1000 requests left this month (resets 2026-12-01T00:00:00Z)\n"
               "subscription: Q_DEVELOPER_PRO\n"
               "email:        ops@example.com\n");
    std::string unknown = ctl::render_account_quota(parsed(
        R"({"name": "b", "limit": 50, "used": 60, "remaining": 0, "next_reset": null,
            "subscription": "", "email": ""})"));
    BOOST_TEST(unknown.starts_with("b: 0 of 50 requests left this month (reset date unknown)\n"));
    BOOST_TEST(unknown.find("subscription: -\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(import_is_a_line_per_source_then_the_totals) {
    auto doc = parsed(kImport);
    std::string out = ctl::render_account_import(doc);
    BOOST_TEST(out ==
               "RESULT        SOURCE               ACCOUNT              DETAIL\n"
               "added         cache/sso.json       sso-1a2b3c4d (id 3)  healthy\n"
               "added         kiro.json            kiro-1 (id 4)        quarantined: invalid "
               "credential (invalid_grant)\n"
               "added         l.json               later (id 5)         healthy: first refresh "
               "failed: timed out\n"
               "registration  cache/0123abcd.json  -                    used by sso-1a2b3c4d, "
               "x\\x1b\n"
               "registration  cache/ffff.json      -                    not used by any token in "
               "this import\n"
               "skipped       accounts.json[1]     team-a               already imported as "
               "account 'team-a'\n"
               "skipped       old.json             -                    no refresh token: an "
               "access token alone expires within hours\n"
               "refused       bad.json             -                    malformed JSON at offset "
               "1: Invalid value.\n"
               "added 3 accounts, skipped 2, refused 1, 2 client registrations\n");
    check_no_trailing_blanks(out);
    BOOST_TEST(ctl::import_refused_any(doc));
}

BOOST_AUTO_TEST_CASE(import_fits_the_terminal_by_cutting_sources_and_reasons) {
    std::string out = ctl::render_account_import(parsed(kImport), 80);
    for (const auto& line : lines_of(out)) BOOST_TEST(ctl::display_width(line) <= 80u);
    BOOST_TEST(out.find("added         ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(import_of_skipped_entries_only_exits_cleanly) {
    auto doc = parsed(R"({"imported": [], "refused": [], "registrations": [],
                          "skipped": [{"source": "a.json", "name": "a",
                                       "reason": "already imported as account 'a'"}]})");
    BOOST_TEST(ctl::render_account_import(doc) ==
               "RESULT   SOURCE  ACCOUNT  DETAIL\n"
               "skipped  a.json  a        already imported as account 'a'\n"
               "added 0 accounts, skipped 1, refused 0\n");
    BOOST_TEST(!ctl::import_refused_any(doc));
    BOOST_TEST(!ctl::import_refused_any(parsed(R"({"imported": []})")));
    BOOST_TEST(ctl::render_account_import(parsed("{}")) ==
               "added 0 accounts, skipped 0, refused 0\n");
}

BOOST_AUTO_TEST_CASE(key_create_prints_the_secret_once_on_a_labelled_line) {
    auto doc = parsed(kCreated);
    std::string out = ctl::render_key_created(doc);
    const std::string secret = "amq-0123456789abcdef0123456789abcdef";
    BOOST_TEST(occurrences(out, secret) == 1u);
    BOOST_TEST(occurrences(out, "API key secret: " + secret + "\n") == 1u);
    BOOST_TEST(out.find("will not be shown again") != std::string::npos);
    BOOST_TEST(out.find("name:") != std::string::npos);
    BOOST_TEST(out.find("amq-0123…cdef") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_lists_runtime_counts_and_workers) {
    auto doc = parsed(kStatus);
    std::string out = ctl::render_status(doc);
    BOOST_TEST(out.find("version:    0.1.0\n") != std::string::npos);
    BOOST_TEST(out.find("pid:        4242\n") != std::string::npos);
    BOOST_TEST(out.find("uptime:     2h 03m (since 2025-11-28T18:50:29Z)\n") != std::string::npos);
    BOOST_TEST(out.find("listen:     127.0.0.1:8080\n") != std::string::npos);
    BOOST_TEST(out.find("accounts:   3 (2 enabled)\n") != std::string::npos);
    BOOST_TEST(out.find("keys:       5 (4 enabled)\n") != std::string::npos);
    BOOST_TEST(out.find("INDEX  PID   GENERATION  STATE     REQUESTS  INFLIGHT  UPTIME\n"
                        "0      4250  2           ready     12345     3         45s\n"
                        "1      4251  2           draining  7         0         1d 01h\n") !=
               std::string::npos);
    check_no_trailing_blanks(out);
}

BOOST_AUTO_TEST_CASE(status_without_workers_or_fields_still_renders) {
    std::string out = ctl::render_status(parsed(R"({"version": "0.1.0", "workers": []})"));
    BOOST_TEST(out.find("pid:        -\n") != std::string::npos);
    BOOST_TEST(out.find("no workers running\n") != std::string::npos);
    out = ctl::render_status(parsed(R"({"uptime_s": 5, "started_at": 1764355829})"));
    BOOST_TEST(out.find("uptime:     5s (since 2025-11-28T18:50:29Z)\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_shows_the_last_reload_and_its_error) {
    BOOST_TEST(ctl::render_status(parsed(R"({"last_reload": null})")).find("reloaded:   -\n") !=
               std::string::npos);
    std::string out = ctl::render_status(parsed(
        R"({"last_reload": {"at": "2026-11-29T10:00:00Z", "result": "failed",
            "error": "/etc/amq2api/amq2api.conf:3: workers: not a number"}})"));
    BOOST_TEST(out.find("reloaded:   2026-11-29T10:00:00Z failed: /etc/amq2api/amq2api.conf:3: "
                        "workers: not a number\n") != std::string::npos);
    out = ctl::render_status(
        parsed(R"({"last_reload": {"at": "2026-11-29T10:00:00Z", "result": "ok", "error": ""}})"));
    BOOST_TEST(out.find("reloaded:   2026-11-29T10:00:00Z ok\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_shows_the_queue_now_and_since_start) {
    std::string out = ctl::render_status(parsed(
        R"({"queue": {"depth": 2, "max": 1000, "timeout_ms": 30000, "queued": 40, "served": 38,
                      "timeouts": 1, "full": 0, "withdrawn": 1, "wait_ms": 45600}})"));
    BOOST_TEST(out.find("queue:      2 waiting (max 1000, timeout 30.0s); since start 40 waited: "
                        "38 served (mean wait 1.2s), 1 timed out, 0 refused full, 1 withdrawn\n") !=
                   std::string::npos,
               out);
    out = ctl::render_status(parsed(R"({"queue": {"depth": 0, "max": 5, "timeout_ms": 500}})"));
    BOOST_TEST(out.find("queue:      0 waiting (max 5, timeout 500ms); since start 0 waited: 0 "
                        "served, 0 timed out") != std::string::npos,
               out);
    BOOST_TEST(ctl::render_status(parsed("{}")).find("queue:      -\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_table_wider_than_the_terminal_cuts_its_widest_free_text_first) {
    std::vector<std::string> headers = {"ID", "NAME", "STATE", "NOTES"};
    std::vector<std::vector<std::string>> rows = {
        {"123456", "a-rather-long-name", "healthy", std::string(40, 'n')},
        {"7", "b", "quarantined", "short"}};
    ctl::TableFit fit{50, {false, true, false, true}};
    std::string out = ctl::render_table(headers, rows, fit);
    auto lines = lines_of(out);
    for (const auto& line : lines) BOOST_TEST(ctl::display_width(line) <= 50u);
    // NOTES (40) shrinks first, down to NAME's width (18); then both shrink together.
    BOOST_TEST(lines[1] == "123456  a-rather-lon…  healthy      nnnnnnnnnnnnn…");
    BOOST_TEST(lines[2] == "7       b              quarantined  short");
    fit.width = 30;
    lines = lines_of(ctl::render_table(headers, rows, fit));
    // Ids and states are never cut: the free text stops at 8 characters and the line is wider.
    BOOST_TEST(lines[1] == "123456  a-rathe…  healthy      nnnnnnn…");
    BOOST_TEST(lines[0] == "ID      NAME      STATE        NOTES");
    fit.width = 0;
    BOOST_TEST(ctl::render_table(headers, rows, fit) == ctl::render_table(headers, rows));
}

BOOST_AUTO_TEST_CASE(account_list_fits_80_columns_by_cutting_names_and_notes) {
    std::string out = ctl::render_account_list(
        parsed(R"({"accounts": [{"id": 1, "name": "team-alpha-with-a-long-name", "kind": "idc",
            "state": "healthy", "enabled": true, "requests_per_minute": 10,
            "created_at": "2026-11-28T18:50:29Z",
            "notes": "spare account, kept for the March release and the load tests"}]})"),
        80);
    auto lines = lines_of(out);
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    for (const auto& line : lines) BOOST_TEST(ctl::display_width(line) <= 80u);
    // The two free-text columns take turns giving up a character: 11 and 12 are left.
    BOOST_TEST(lines[1] ==
               "1   team-alpha…  idc   healthy  yes      10   2026-11-28T18:50:29Z  "
               "spare accou…");
    check_no_trailing_blanks(out);
}

BOOST_AUTO_TEST_CASE(key_list_cuts_names_and_models_but_never_ids_prefixes_or_times) {
    auto lines = lines_of(ctl::render_key_list(parsed(kKeys), 80));
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    BOOST_TEST(lines[2] ==
               "2   continu…  amq-1234…7890  no     no       5    100    4          claude-…  "
               "2027-01-31T00:00:00Z  2026-11-29T08:00:00Z");
}

BOOST_AUTO_TEST_CASE(removal_and_revocation_name_the_record) {
    BOOST_TEST(ctl::render_key_removed(parsed(R"({"removed": 7, "name": "ci"})")) ==
               "removed key 7 (ci)\n");
    BOOST_TEST(ctl::render_account_removed(parsed(R"({"removed": 2, "name": "b"})")) ==
               "removed account 2 (b)\n");
    auto keys = parsed(kKeys);
    std::string revoked = ctl::render_key_revoked(keys["keys"][1]);
    BOOST_TEST(revoked.rfind("revoked key 2 (continuous-integration)\n", 0) == 0u);
    BOOST_TEST(revoked.find("enabled:         no\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cells_escape_control_characters) {
    auto doc = parsed(R"({"notes": "a\nb\u001b[31m\u009b", "n": null, "e": "", "t": true})");
    BOOST_TEST(ctl::cell(doc, "notes") == "a\\nb\\x1b[31m\\u009b");
    BOOST_TEST(ctl::cell(doc, "n") == "-");
    BOOST_TEST(ctl::cell(doc, "e") == "-");
    BOOST_TEST(ctl::cell(doc, "missing") == "-");
    BOOST_TEST(ctl::cell(doc, "t") == "yes");
}

BOOST_AUTO_TEST_CASE(long_notes_are_cut_in_tables) {
    std::string notes(60, 'x');
    auto doc = parsed(R"({"accounts": [{"id": 1, "name": "a", "notes": ")" + notes + R"("}]})");
    std::string out = ctl::render_account_list(doc);
    BOOST_TEST(out.find(std::string(39, 'x') + "…\n") != std::string::npos);
    BOOST_TEST(out.find(std::string(40, 'x')) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(durations_are_short_and_readable) {
    BOOST_TEST(ctl::format_duration(0) == "0s");
    BOOST_TEST(ctl::format_duration(45) == "45s");
    BOOST_TEST(ctl::format_duration(185) == "3m 05s");
    BOOST_TEST(ctl::format_duration(7380) == "2h 03m");
    BOOST_TEST(ctl::format_duration(180000) == "2d 02h");
    BOOST_TEST(ctl::format_duration(-1) == "-");
}

BOOST_AUTO_TEST_CASE(key_show_has_concurrency_and_models) {
    auto doc = parsed(kKeys);
    std::string all = ctl::render_key(doc["keys"][0]);
    BOOST_TEST(all.find("max concurrent:  unlimited\n") != std::string::npos);
    BOOST_TEST(all.find("models:          all\n") != std::string::npos);
    std::string some = ctl::render_key(doc["keys"][1]);
    BOOST_TEST(some.find("max concurrent:  4\n") != std::string::npos);
    BOOST_TEST(some.find("models:          claude-sonnet-4-5,claude-haiku-4-5\n") !=
               std::string::npos);
    // A daemon that does not report the fields: nothing is made up.
    std::string old = ctl::render_key(parsed(R"({"id": 1, "name": "a"})"));
    BOOST_TEST(old.find("models:          -\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(key_update_enable_and_disable_name_the_key) {
    auto doc = parsed(kKeys);
    BOOST_TEST(ctl::render_key_updated(doc["keys"][1])
                   .starts_with("updated key 2 (continuous-integration)\nid:"));
    BOOST_TEST(ctl::render_key_enabled(doc["keys"][0]).starts_with("enabled key 1 (admin)\n"));
    BOOST_TEST(ctl::render_key_disabled(doc["keys"][1])
                   .starts_with("disabled key 2 (continuous-integration)\n"));
}

namespace {

const char* const kStatsByDay = R"({"period": {"from": "2026-11-23T00:00:00Z",
    "to": "2026-11-29T23:59:59Z", "days": 7}, "by": "day",
    "total": {"requests": 300, "errors": 4, "input_tokens": 120000, "output_tokens": 30000,
              "total_tokens": 150000, "credits": 1.5, "avg_duration_ms": 2345,
              "avg_ttfb_ms": 480},
    "rows": [
      {"date": "2026-11-28", "requests": 100, "errors": 0, "input_tokens": 20000,
       "output_tokens": 5000, "total_tokens": 25000, "credits": 0.25, "avg_duration_ms": 950,
       "avg_ttfb_ms": 300},
      {"date": "2026-11-29", "requests": 200, "errors": 4, "input_tokens": 100000,
       "output_tokens": 25000, "total_tokens": 125000, "credits": 1.25,
       "avg_duration_ms": 61000, "avg_ttfb_ms": 570}]})";

}  // namespace

BOOST_AUTO_TEST_CASE(stats_show_totals_then_a_row_per_day) {
    std::string out = ctl::render_stats(parsed(kStatsByDay));
    BOOST_TEST(out ==
               "period:        2026-11-23 to 2026-11-29 (7 days)\n"
               "requests:      300\n"
               "errors:        4 (1.3%)\n"
               "input tokens:  120000\n"
               "output tokens: 30000\n"
               "total tokens:  150000\n"
               "credits:       1.5\n"
               "avg duration:  2.3s\n"
               "avg TTFB:      480ms\n"
               "\n"
               "DATE        REQUESTS  ERRORS  INPUT_TOKENS  OUTPUT_TOKENS  TOTAL_TOKENS  CREDITS  "
               "AVG_DURATION  AVG_TTFB\n"
               "2026-11-28  100       0       20000         5000           25000         0.25     "
               "950ms         300ms\n"
               "2026-11-29  200       4       100000        25000          125000        1.25     "
               "1m 01s        570ms\n");
    check_no_trailing_blanks(out);
}

BOOST_AUTO_TEST_CASE(stats_by_key_account_and_model_label_their_rows) {
    std::string by_key = ctl::render_stats(parsed(R"({"by": "key", "total": {},
        "rows": [{"key_id": 3, "key_name": "ci", "requests": 5, "errors": 0,
                  "input_tokens": 1, "output_tokens": 2, "total_tokens": 3,
                  "avg_duration_ms": 0, "avg_ttfb_ms": 0}]})"));
    BOOST_TEST(by_key.find("\nKEY_ID  KEY  REQUESTS") != std::string::npos);
    BOOST_TEST(by_key.find("\n3       ci   5 ") != std::string::npos);
    std::string by_account = ctl::render_stats(parsed(R"json({"by": "account", "total": {},
        "rows": [{"account_id": 0, "account_name": "(none)", "requests": 2}]})json"));
    BOOST_TEST(by_account.find("\nACCOUNT_ID  ACCOUNT  REQUESTS") != std::string::npos);
    BOOST_TEST(by_account.find("\n0           (none)   2 ") != std::string::npos);
    std::string by_model = ctl::render_stats(parsed(R"({"by": "model", "total": {},
        "rows": [{"model": "claude-sonnet-4-5", "requests": 2}]})"));
    BOOST_TEST(by_model.find("\nMODEL              REQUESTS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stats_without_rows_say_so_and_by_none_has_no_table) {
    std::string empty = ctl::render_stats(parsed(R"({"period": {"from": "2026-11-29T00:00:00Z",
        "to": "2026-11-29T23:59:59Z", "days": 1}, "by": "day",
        "total": {"requests": 0, "errors": 0}, "rows": []})"));
    BOOST_TEST(empty.starts_with("period:        2026-11-29 to 2026-11-29 (1 day)\n"));
    BOOST_TEST(empty.find("errors:        0\n") != std::string::npos);
    BOOST_TEST(empty.ends_with("\nno requests in this period\n"));
    std::string none = ctl::render_stats(parsed(R"({"by": "none", "total": {"requests": 1},
        "rows": []})"));
    BOOST_TEST(none.ends_with("avg TTFB:      -\n"));
}

BOOST_AUTO_TEST_CASE(milliseconds_are_short_and_readable) {
    BOOST_TEST(ctl::format_millis(0) == "0ms");
    BOOST_TEST(ctl::format_millis(999) == "999ms");
    BOOST_TEST(ctl::format_millis(1000) == "1.0s");
    BOOST_TEST(ctl::format_millis(12345) == "12.3s");
    BOOST_TEST(ctl::format_millis(59949) == "59.9s");
    BOOST_TEST(ctl::format_millis(59950) == "1m 00s");
    BOOST_TEST(ctl::format_millis(185000) == "3m 05s");
    BOOST_TEST(ctl::format_millis(-1) == "-");
}

BOOST_AUTO_TEST_CASE(csv_fields_are_quoted_only_when_needed) {
    BOOST_TEST(ctl::csv_field("") == "");
    BOOST_TEST(ctl::csv_field("plain text") == "plain text");
    BOOST_TEST(ctl::csv_field("a,b") == "\"a,b\"");
    BOOST_TEST(ctl::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    BOOST_TEST(ctl::csv_field("\"") == "\"\"\"\"");
    BOOST_TEST(ctl::csv_field("two\nlines") == "\"two\nlines\"");
    BOOST_TEST(ctl::csv_field("cr\rlf") == "\"cr\rlf\"");
    BOOST_TEST(ctl::csv_field(",") == "\",\"");
    BOOST_TEST(ctl::csv_field("naïve ‘quotes’") == "naïve ‘quotes’");
    BOOST_TEST(ctl::csv_field("'single'") == "'single'");
}

namespace {

const char* const kUsagePage = R"({"records": [
    {"time": "2026-11-29T08:00:00Z", "time_ms": 1795939200123, "key_id": 3, "account_id": 1,
     "endpoint": "/v1/messages", "client_model": "claude-sonnet-4-5",
     "upstream_model": "CLAUDE_SONNET_4_5_20250929_V1_0", "stream": true, "status": 200,
     "error_class": "", "input_tokens": 1200, "output_tokens": 300, "credits_micros": 250000,
     "ttfb_ms": 450,
     "duration_ms": 2100, "attempts": 1, "client_address": "10.0.0.7",
     "user_agent": "curl/8.5.0", "request_id": "req_0123456789abcdefghijklmn"},
    {"time": "2026-11-29T08:00:01Z", "time_ms": 1795939201000, "key_id": 4, "account_id": 0,
     "endpoint": "/v1/chat/completions", "client_model": "gpt-4o",
     "upstream_model": "", "stream": false, "status": 429, "error_class": "rate_limit",
     "input_tokens": 0, "output_tokens": 0, "credits_micros": 0, "ttfb_ms": 0, "duration_ms": 3,
     "attempts": 0,
     "client_address": "2001:db8::1",
     "user_agent": "Mozilla/5.0 (X11, \"Linux\")\nInjected: header"}],
    "next": null})";

}  // namespace

BOOST_AUTO_TEST_CASE(csv_export_is_a_header_then_one_row_per_record) {
    BOOST_TEST(ctl::usage_csv_header() ==
               "time,time_ms,key_id,account_id,endpoint,client_model,upstream_model,stream,"
               "status,error_class,input_tokens,output_tokens,credits_micros,ttfb_ms,duration_ms,"
               "attempts,client_address,user_agent,request_id\n");
    auto doc = parsed(kUsagePage);
    BOOST_TEST(ctl::render_usage_page(doc, ctl::UsageFormat::csv) ==
               "2026-11-29T08:00:00Z,1795939200123,3,1,/v1/messages,claude-sonnet-4-5,"
               "CLAUDE_SONNET_4_5_20250929_V1_0,true,200,,1200,300,250000,450,2100,1,10.0.0.7,"
               "curl/8.5.0,req_0123456789abcdefghijklmn\n"
               "2026-11-29T08:00:01Z,1795939201000,4,0,/v1/chat/completions,gpt-4o,,false,"
               "429,rate_limit,0,0,0,0,3,0,2001:db8::1,"
               "\"Mozilla/5.0 (X11, \"\"Linux\"\")\nInjected: header\",\n");
    // Missing and null fields are empty cells; the row keeps its 19 columns.
    BOOST_TEST(ctl::usage_csv_row(parsed(R"({"time": null, "key_id": 1})")) ==
               ",,1,,,,,,,,,,,,,,,,\n");
}

BOOST_AUTO_TEST_CASE(ndjson_export_is_one_json_object_per_line) {
    auto doc = parsed(kUsagePage);
    std::string out = ctl::render_usage_page(doc, ctl::UsageFormat::ndjson);
    auto lines = lines_of(out);
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    BOOST_TEST(out.back() == '\n');
    // The user agent's newline stays escaped inside its line, and each line is the record.
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto line = parsed(lines[i]);
        BOOST_TEST((line == doc["records"][static_cast<rapidjson::SizeType>(i)]));
    }
    BOOST_TEST(lines[0].starts_with("{\"time\":\"2026-11-29T08:00:00Z\",\"time_ms\":"));
    BOOST_TEST(ctl::render_usage_page(parsed(R"({"records": [], "next": null})"),
                                      ctl::UsageFormat::ndjson) == "");
}

namespace {

const char* const kKeyBefore = R"({"id": 2, "name": "ci", "description": "",
    "key_prefix": "amq-1234…7890", "is_admin": false, "enabled": true,
    "requests_per_minute": 60, "requests_per_day": 10000, "max_concurrent": 0,
    "allowed_models": [], "expires_at": "2027-01-31T00:00:00Z"})";

std::string entry(const std::string& command, const std::string& args, const std::string& before,
                  const std::string& after) {
    return R"({"at": "2026-11-29T08:00:00Z", "actor": "control socket uid 0", "command": ")" +
           command + R"(", "args": )" + args + R"(, "before": )" + before + R"(, "after": )" +
           after + "}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(audit_summary_lists_the_fields_that_changed) {
    std::string after = R"({"id": 2, "name": "ci", "description": "",
        "key_prefix": "amq-1234…7890", "is_admin": false, "enabled": true,
        "requests_per_minute": 30, "requests_per_day": 10000, "max_concurrent": 4,
        "allowed_models": ["claude-sonnet-4-5"], "expires_at": null})";
    BOOST_TEST(ctl::audit_change(parsed(entry("key.update", R"({"key": {"name": "ci"}, "set": {}})",
                                              kKeyBefore, after))) ==
               "requests_per_minute: 60 → 30, max_concurrent: 0 → 4, "
               "allowed_models: [] → [\"claude-sonnet-4-5\"], "
               "expires_at: 2027-01-31T00:00:00Z → -");
    std::string disabled = kKeyBefore;
    disabled.replace(disabled.find("\"enabled\": true"), 15, "\"enabled\": false");
    BOOST_TEST(ctl::audit_change(parsed(entry("key.disable", R"({"id": 2})", kKeyBefore,
                                              disabled))) == "enabled: yes → no");
    BOOST_TEST(ctl::audit_change(parsed(entry("key.update", "{}", kKeyBefore, kKeyBefore))) ==
               "no change");
}

BOOST_AUTO_TEST_CASE(audit_summary_skips_derived_fields_and_names_added_values) {
    std::string before = R"({"id": 1, "name": "a", "enabled": false, "is_active": false,
                             "is_healthy": false, "updated_at": "2026-11-28T00:00:00Z"})";
    std::string after = R"({"id": 1, "name": "a", "enabled": true, "is_active": true,
                            "is_healthy": true, "updated_at": "2026-11-29T08:00:00Z",
                            "state": "healthy"})";
    BOOST_TEST(ctl::audit_change(parsed(entry("account.enable", "{}", before, after))) ==
               "enabled: no → yes");
    std::string refreshed = R"({"account": {"id": 1, "name": "a"},
                                "access_expires_at": "2026-11-29T09:00:00Z"})";
    BOOST_TEST(ctl::audit_change(parsed(entry("account.refresh", "{}", before, refreshed))) ==
               "access_expires_at: 2026-11-29T09:00:00Z");
}

BOOST_AUTO_TEST_CASE(audit_summary_of_creation_removal_and_import) {
    BOOST_TEST(
        ctl::audit_change(parsed(entry("key.create", R"({"name": "ci"})", "null",
                                       R"({"key": "***", "api_key": {"id": 7, "name": "ci"}})"))) ==
        "created ci (id 7)");
    BOOST_TEST(ctl::audit_change(parsed(entry("account.add", R"({"name": "team-a"})", "null",
                                              R"({"id": 3, "name": "team-a"})"))) ==
               "created team-a (id 3)");
    BOOST_TEST(ctl::audit_change(parsed(entry("key.remove", R"({"id": 7})", kKeyBefore,
                                              R"({"removed": 7, "name": "ci"})"))) ==
               "removed ci (id 7)");
    BOOST_TEST(ctl::audit_change(parsed(
                   entry("account.import", R"({"documents": [{"source": "a", "content": "***"}]})",
                         "null", R"({"imported": [{"id": 1}, {"id": 2}], "refused": [{}]})"))) ==
               "imported 2 accounts, refused 1");
    BOOST_TEST(ctl::audit_change(parsed(
                   entry("account.import", R"({"documents": []})", "null",
                         R"({"imported": [{"id": 1}], "skipped": [{}, {}], "refused": []})"))) ==
               "imported 1 account, skipped 2");
    BOOST_TEST(ctl::audit_change(parsed(entry("x.y", R"({"a": "b\nc"})", "null", "null"))) ==
               "{\"a\":\"b\\nc\"}");
}

BOOST_AUTO_TEST_CASE(audit_is_a_table_with_a_short_change_column) {
    std::string long_name(150, 'n');
    std::string data =
        R"({"entries": [)" +
        entry("key.create", R"({"name": "ci"})", "null",
              R"({"key": "***", "api_key": {"id": 7, "name": "ci"}})") +
        "," + entry("account.add", "{}", "null", R"({"id": 3, "name": ")" + long_name + R"("})") +
        "]}";
    std::string out = ctl::render_audit(parsed(data));
    auto lines = lines_of(out);
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    BOOST_TEST(lines[0] == "AT                    ACTOR                 COMMAND      CHANGE");
    BOOST_TEST(lines[1] ==
               "2026-11-29T08:00:00Z  control socket uid 0  key.create   created ci (id 7)");
    BOOST_TEST(ctl::display_width(lines[2]) == 22u + 22u + 13u + 100u);
    BOOST_TEST(lines[2].ends_with("nnn…"));
    check_no_trailing_blanks(out);
    BOOST_TEST(ctl::render_audit(parsed(R"({"entries": []})")) == "no admin changes recorded\n");
}

BOOST_AUTO_TEST_CASE(export_replaces_invalid_utf8_only) {
    BOOST_TEST(ctl::valid_utf8("plain") == "plain");
    BOOST_TEST(ctl::valid_utf8("naïve €1 𝄞") == "naïve €1 𝄞");
    BOOST_TEST(ctl::valid_utf8("caf\xE9!") == "caf\xEF\xBF\xBD!");          // Latin-1 é
    BOOST_TEST(ctl::valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
    BOOST_TEST(ctl::valid_utf8("\xED\xA0\x80") ==                           // a surrogate
               "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    BOOST_TEST(ctl::valid_utf8("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
    // The daemon passes a client's bytes through; both formats stay readable.
    auto doc = parsed(std::string(R"({"records": [{"user_agent": "Mozilla )") + "\xFC" + R"("}]})");
    BOOST_TEST(ctl::render_usage_page(doc, ctl::UsageFormat::ndjson) ==
               "{\"user_agent\":\"Mozilla \xEF\xBF\xBD\"}\n");
    BOOST_TEST(ctl::usage_csv_row(doc["records"][0]).ends_with(",Mozilla \xEF\xBF\xBD,\n"));
}

namespace {

// The workers reply during a reload: the old generation drains while the new one serves.
const char* const kWorkers = R"({"generation": 3, "workers": [
    {"index": 0, "pid": 5100, "generation": 3, "state": "ready", "requests": 42,
     "inflight": 1, "uptime_s": 185},
    {"index": 1, "pid": 5101, "generation": 3, "state": "starting", "requests": 0,
     "inflight": 0, "uptime_s": 0},
    {"index": 0, "pid": 4250, "generation": 2, "state": "draining", "requests": 1234567,
     "inflight": 12, "uptime_s": 180000}]})";

}  // namespace

BOOST_AUTO_TEST_CASE(workers_is_a_table_with_readable_uptimes) {
    std::string out = ctl::render_workers(parsed(kWorkers));
    BOOST_TEST(out ==
               "INDEX  PID   GENERATION  STATE     REQUESTS  INFLIGHT  UPTIME\n"
               "0      5100  3           ready     42        1         3m 05s\n"
               "1      5101  3           starting  0         0         0s\n"
               "0      4250  2           draining  1234567   12        2d 02h\n");
    check_no_trailing_blanks(out);
}

BOOST_AUTO_TEST_CASE(workers_without_workers_or_fields_still_renders) {
    BOOST_TEST(ctl::render_workers(parsed(R"({"generation": 1, "workers": []})")) ==
               "no workers running\n");
    BOOST_TEST(ctl::render_workers(parsed(R"({"generation": null})")) == "no workers running\n");
    // A worker the daemon reports without some fields: dashes, not made-up numbers.
    std::string out = ctl::render_workers(parsed(R"({"workers": [{"index": 0, "pid": 7}]})"));
    BOOST_TEST(out ==
               "INDEX  PID  GENERATION  STATE  REQUESTS  INFLIGHT  UPTIME\n"
               "0      7    -           -      -         -         -\n");
}

BOOST_AUTO_TEST_CASE(reload_and_log_level_say_what_happens_next) {
    BOOST_TEST(ctl::render_reload(parsed(R"({"reloading": true})")) ==
               "reloading: a new generation of workers starts; see amq2apictl workers\n");
    BOOST_TEST(ctl::render_log_level(parsed(R"({"level": "debug"})")) ==
               "log level set to debug until the next reload\n");
}

BOOST_AUTO_TEST_CASE(account_update_names_the_account_then_shows_it) {
    auto doc = parsed(kAccounts);
    std::string out = ctl::render_account_updated(doc["accounts"][1]);
    BOOST_TEST(out.starts_with("updated account 12 (b)\nid:"));
    BOOST_TEST(out.find("requests/minute: 250\n") != std::string::npos);
    BOOST_TEST(out.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(backup_names_the_file_and_its_size) {
    auto doc = parsed(R"({"bytes": 1048576})");
    BOOST_TEST(ctl::render_backup(doc, "/var/backups/amq2api.mdb") ==
               "backup written to /var/backups/amq2api.mdb (1048576 bytes)\n");
    // A file name is typed by a person but may still hold a control character.
    BOOST_TEST(ctl::render_backup(doc, "a\nb.mdb") ==
               "backup written to a\\nb.mdb (1048576 bytes)\n");
    BOOST_TEST(ctl::render_backup(parsed("{}"), "b.mdb") == "backup written to b.mdb (- bytes)\n");
}

BOOST_AUTO_TEST_CASE(backup_json_adds_the_file_to_the_reply) {
    BOOST_TEST(ctl::backup_json(parsed(R"({"bytes": 4096})"), "/tmp/b \"1\".mdb") ==
               "{\"file\":\"/tmp/b \\\"1\\\".mdb\",\"bytes\":4096}\n");
    // The file is the one amq2apictl wrote, whatever the daemon says.
    BOOST_TEST(ctl::backup_json(parsed(R"({"file": "x", "bytes": 1})"), "b.mdb") ==
               "{\"file\":\"b.mdb\",\"bytes\":1}\n");
}

BOOST_AUTO_TEST_CASE(the_request_log_is_a_table_with_a_hint_to_older_records) {
    auto doc = parsed(kUsagePage);
    std::string out = ctl::render_usage_log(doc);
    auto lines = lines_of(out);
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    BOOST_TEST(lines[0].starts_with("TIME"));
    BOOST_TEST(lines[1].find("req_0123456789abcdefghijklmn") != std::string::npos);
    BOOST_TEST(lines[2].find("rate_limit") != std::string::npos);
    BOOST_TEST(out.find("older records") == std::string::npos);  // next is null

    auto more = parsed(R"({"records": [], "next": "00004e2000000191f9e0c8b800000007"})");
    BOOST_TEST(ctl::render_usage_log(more) ==
               "no request matches\nolder records: --before 00004e2000000191f9e0c8b800000007\n");
}
