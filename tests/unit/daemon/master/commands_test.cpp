#define BOOST_TEST_MODULE daemon_master_commands
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "common/version.hpp"
#include "daemon/master/commands.hpp"
#include "daemon/master/store.hpp"

using amq::CommandContext;
using amq::dispatch_control_frame;

namespace {

constexpr std::int64_t kNow = 1800000000;  // 2027-01-15T08:00:00Z
constexpr std::int64_t kDay = 86400;

class FakeRuntime : public amq::RuntimeView {
public:
    void write_runtime(amq::JsonWriter& w) const override {
        w.Key("pid");
        w.Int(1);
        w.Key("workers");
        w.Int(3);
    }
    std::int64_t account_rpm_default() const override { return rpm_default; }
    void reset_account_health(std::uint64_t id, std::string_view note) override {
        resets.emplace_back(id, note);
    }

    std::int64_t rpm_default = 0;
    std::vector<std::pair<std::uint64_t, std::string>> resets;
};

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::string member_string(const rapidjson::Value& object, const char* name) {
    BOOST_REQUIRE(object.IsObject());
    BOOST_REQUIRE_MESSAGE(object.HasMember(name), "no member '" << name << "'");
    BOOST_REQUIRE_MESSAGE(object[name].IsString(), "member '" << name << "' is not a string");
    return std::string(object[name].GetString(), object[name].GetStringLength());
}

// The answer to one control frame, parsed, with its raw text and `changed` flag.
struct Reply {
    std::string text;
    rapidjson::Document doc;
    bool changed = false;

    bool ok() const { return doc.IsObject() && doc.HasMember("ok") && doc["ok"].IsTrue(); }
    const rapidjson::Value& data() const {
        BOOST_REQUIRE_MESSAGE(ok(), "expected success, got " << text);
        BOOST_REQUIRE(doc.HasMember("data"));
        return doc["data"];
    }
    std::string code() const {
        BOOST_REQUIRE_MESSAGE(!ok(), "expected a failure, got " << text);
        BOOST_REQUIRE(doc.HasMember("error"));
        return member_string(doc["error"], "code");
    }
    std::string message() const {
        BOOST_REQUIRE_MESSAGE(!ok(), "expected a failure, got " << text);
        BOOST_REQUIRE(doc.HasMember("error"));
        return member_string(doc["error"], "message");
    }
};

// A store in a fresh directory per test, and a context pointing at it.
class Fixture {
public:
    Fixture() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "amq-commands-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) BOOST_FAIL("mkdtemp failed");
        dir_ = pattern;
        auto opened = amq::Store::open(amq::StoreOptions{.dir = (dir_ / "state").string()});
        if (!opened.ok()) BOOST_FAIL("Store::open failed: " << opened.error().message);
        store_ = std::move(opened).value();
        ctx_ = std::make_unique<CommandContext>(CommandContext{*store_, runtime_, kNow, {}});
    }
    ~Fixture() {
        ctx_.reset();
        store_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    Reply send(std::string_view payload) {
        Reply reply;
        bool answered = false;
        dispatch_control_frame(payload, *ctx_, [&](std::string text, bool changed) {
            reply.text = std::move(text);
            reply.changed = changed;
            answered = true;
        });
        BOOST_REQUIRE(answered);  // every command here answers at once
        auto doc = amq::parse_json(reply.text);
        if (!doc.ok()) BOOST_FAIL("reply is not JSON: " << reply.text);
        reply.doc = std::move(doc).value();
        BOOST_REQUIRE(reply.doc.IsObject());
        BOOST_REQUIRE(reply.doc.HasMember("ok"));
        BOOST_REQUIRE(reply.doc["ok"].IsBool());
        return reply;
    }

    Reply call(std::string_view cmd, std::string_view args = "{}") {
        ++next_id_;
        return send(
            amq::str_cat(R"({"id":)", next_id_, R"(,"cmd":")", cmd, R"(","args":)", args, "}"));
    }

    // Adds an account named `name` and returns its id.
    std::uint64_t add_account(std::string_view name, std::string_view extra = "") {
        Reply r =
            call("account.add", amq::str_cat(R"({"name":")", name, R"(","refresh_token":"rt-)",
                                             name, R"(","client_id":"cid-)", name, R"(",)",
                                             R"("client_secret":"cs")", extra, "}"));
        return r.data()["id"].GetUint64();
    }

    // Creates a key named `name` and returns the whole reply.
    Reply create_key(std::string_view name, bool admin = false) {
        return call("key.create",
                    amq::str_cat(R"({"name":")", name, R"(","is_admin":)", admin, "}"));
    }

    amq::Store& store() { return *store_; }
    CommandContext& ctx() { return *ctx_; }
    FakeRuntime& runtime() { return runtime_; }

private:
    std::filesystem::path dir_;
    FakeRuntime runtime_;
    std::unique_ptr<amq::Store> store_;
    std::unique_ptr<CommandContext> ctx_;
    int next_id_ = 0;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(framing, Fixture)

BOOST_AUTO_TEST_CASE(malformed_json_is_invalid_argument_with_null_id) {
    Reply r = send(R"({"id":1,"cmd":)");
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(r.doc["id"].IsNull());
    BOOST_TEST(!r.changed);
}

BOOST_AUTO_TEST_CASE(non_object_frame_is_invalid_argument) {
    Reply r = send("[1,2,3]");
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(!r.changed);
}

BOOST_AUTO_TEST_CASE(missing_cmd_is_invalid_argument_naming_cmd) {
    Reply r = send(R"({"id":5,"args":{}})");
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(contains(r.message(), "'cmd'"), r.message());
    BOOST_TEST(r.doc["id"].GetInt() == 5);
}

BOOST_AUTO_TEST_CASE(non_object_args_is_invalid_argument_naming_args) {
    Reply r = send(R"({"id":5,"cmd":"status","args":[1]})");
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(contains(r.message(), "'args'"), r.message());
}

BOOST_AUTO_TEST_CASE(unknown_command_is_not_found_naming_it) {
    Reply r = send(R"({"id":9,"cmd":"account.frobnicate","args":{}})");
    BOOST_TEST(r.code() == "not_found");
    BOOST_TEST(contains(r.message(), "account.frobnicate"), r.message());
    BOOST_TEST(r.doc["id"].GetInt() == 9);
    BOOST_TEST(!r.changed);
}

BOOST_AUTO_TEST_CASE(reply_echoes_the_request_id_of_any_type) {
    Reply number = send(R"({"id":42,"cmd":"status"})");
    BOOST_TEST(number.ok());
    BOOST_TEST(number.doc["id"].GetInt() == 42);

    Reply text = send(R"({"id":"req-7","cmd":"status"})");
    BOOST_TEST(text.ok());
    BOOST_TEST(member_string(text.doc, "id") == "req-7");

    Reply failed = send(R"({"id":"req-8","cmd":"nope"})");
    BOOST_TEST(!failed.ok());
    BOOST_TEST(member_string(failed.doc, "id") == "req-8");

    Reply none = send(R"({"cmd":"status"})");
    BOOST_TEST(none.ok());
    BOOST_REQUIRE(none.doc.HasMember("id"));
    BOOST_TEST(none.doc["id"].IsNull());
}

BOOST_AUTO_TEST_CASE(missing_args_count_as_an_empty_object) {
    Reply r = send(R"({"id":1,"cmd":"account.list"})");
    BOOST_TEST(r.ok());
    BOOST_TEST(r.data()["accounts"].Size() == 0u);
}

BOOST_AUTO_TEST_CASE(every_command_in_the_table_can_be_found) {
    for (const amq::CommandSpec& spec : amq::all_commands()) {
        BOOST_TEST(amq::find_command(spec.name) == &spec);
        BOOST_TEST(!spec.summary.empty());
    }
    BOOST_TEST(amq::find_command("no.such") == nullptr);
}

BOOST_AUTO_TEST_CASE(the_v2_statistics_shapes_are_http_admin_only) {
    using amq::Surface;
    BOOST_TEST(!amq::all_commands(Surface::http_admin).empty());
    for (const amq::CommandSpec& spec : amq::all_commands(Surface::http_admin)) {
        BOOST_TEST(amq::find_command(spec.name, Surface::http_admin) == &spec);
        BOOST_TEST(amq::find_command(spec.name, Surface::control) == nullptr);
    }
    BOOST_TEST(amq::find_command("stats", Surface::http_admin) != nullptr);  // shared
    Reply r = send(R"({"id":1,"cmd":"stats.accounts"})");
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.code() == "not_found");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(accounts, Fixture)

BOOST_AUTO_TEST_CASE(account_add_without_client_secret_names_the_field) {
    Reply r = call("account.add", R"({"name":"a","refresh_token":"rt","client_id":"cid"})");
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(contains(r.message(), "client_secret"), r.message());
    BOOST_TEST(!r.changed);
}

BOOST_AUTO_TEST_CASE(account_add_with_a_wrong_type_names_the_field) {
    Reply r = call("account.add", R"({"name":"a","refresh_token":"rt","client_id":"cid",
                                      "client_secret":"cs","requests_per_minute":"ten"})");
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(contains(r.message(), "requests_per_minute"), r.message());
}

BOOST_AUTO_TEST_CASE(account_add_rejects_blank_names_and_credentials) {
    Reply blank = call("account.add", R"({"name":"  ","refresh_token":"rt","client_id":"cid",
                                          "client_secret":"cs"})");
    BOOST_TEST(blank.code() == "invalid_argument");
    Reply control = call("account.add", R"({"name":"a\u0007b","refresh_token":"rt",
                                            "client_id":"cid","client_secret":"cs"})");
    BOOST_TEST(control.code() == "invalid_argument");
    Reply empty = call("account.add", R"({"name":"a","refresh_token":" ","client_id":"cid",
                                          "client_secret":"cs"})");
    BOOST_TEST(empty.code() == "invalid_argument");
    BOOST_TEST(store().list_accounts()->empty());
}

// account-rpm-default fills in an account added without a pace; 0 is no cap, and any size a
// 64-bit count holds is a cap like any other.
BOOST_AUTO_TEST_CASE(account_rpm_defaults_to_the_configured_pace_and_takes_any_size) {
    runtime().rpm_default = 25;
    add_account("paced");
    BOOST_TEST(store().find_account_by_name("paced")->requests_per_minute == 25);
    add_account("uncapped", R"(,"requests_per_minute":0)");
    BOOST_TEST(store().find_account_by_name("uncapped")->requests_per_minute == 0);
    add_account("huge", R"(,"requests_per_minute":9223372036854775807)");
    BOOST_TEST(store().find_account_by_name("huge")->requests_per_minute == INT64_MAX);
    Reply negative = call("account.add", R"({"name":"neg","refresh_token":"r","client_id":"c",
                                            "client_secret":"s","requests_per_minute":-1})");
    BOOST_TEST(negative.code() == "invalid_argument");
    Reply key = call("key.create", R"({"name":"k","requests_per_minute":0,"requests_per_day":0,
                                       "max_concurrent":9223372036854775807})");
    BOOST_TEST(key.data()["api_key"]["requests_per_day"].GetInt64() == 0);
    BOOST_TEST(key.data()["api_key"]["max_concurrent"].GetInt64() == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(account_add_returns_the_account_without_its_secrets) {
    Reply r = call("account.add", R"({"name":"primary","refresh_token":"rt-secret",
                                      "client_id":"cid","client_secret":"cs-secret",
                                      "profile_arn":"arn:x","requests_per_minute":5,
                                      "notes":"first"})");
    BOOST_TEST(r.changed);
    const rapidjson::Value& a = r.data();
    BOOST_TEST(a["id"].GetUint64() >= 1u);
    BOOST_TEST(member_string(a, "name") == "primary");
    BOOST_TEST(member_string(a, "client_id") == "cid");
    BOOST_TEST(member_string(a, "profile_arn") == "arn:x");
    BOOST_TEST(a["enabled"].GetBool());
    BOOST_TEST(a["requests_per_minute"].GetInt64() == 5);
    BOOST_TEST(member_string(a, "notes") == "first");
    BOOST_TEST(member_string(a, "created_at") == amq::iso8601(kNow));
    BOOST_TEST(!contains(r.text, "rt-secret"));
    BOOST_TEST(!contains(r.text, "cs-secret"));

    auto credentials = store().get_credentials(a["id"].GetUint64());
    BOOST_REQUIRE(credentials.ok());
    BOOST_TEST(credentials->refresh_token == "rt-secret");
    BOOST_TEST(credentials->client_secret == "cs-secret");
}

BOOST_AUTO_TEST_CASE(account_list_shows_every_account) {
    std::uint64_t first = add_account("one");
    std::uint64_t second = add_account("two", R"(,"enabled":false)");
    Reply r = call("account.list");
    BOOST_TEST(!r.changed);
    const rapidjson::Value& list = r.data()["accounts"];
    BOOST_REQUIRE(list.IsArray());
    BOOST_REQUIRE(list.Size() == 2u);
    BOOST_TEST(list[0]["id"].GetUint64() == first);
    BOOST_TEST(member_string(list[0], "name") == "one");
    BOOST_TEST(list[0]["enabled"].GetBool());
    BOOST_TEST(list[1]["id"].GetUint64() == second);
    BOOST_TEST(member_string(list[1], "name") == "two");
    BOOST_TEST(!list[1]["enabled"].GetBool());
}

BOOST_AUTO_TEST_CASE(account_show_finds_by_id_and_by_name) {
    add_account("other");
    std::uint64_t id = add_account("wanted");
    Reply by_id = call("account.show", amq::str_cat(R"({"id":)", id, "}"));
    BOOST_TEST(member_string(by_id.data(), "name") == "wanted");
    BOOST_TEST(!by_id.changed);
    Reply by_name = call("account.show", R"({"name":"wanted"})");
    BOOST_TEST(by_name.data()["id"].GetUint64() == id);
}

BOOST_AUTO_TEST_CASE(account_show_of_an_unknown_account_is_not_found) {
    BOOST_TEST(call("account.show", R"({"id":99})").code() == "not_found");
    BOOST_TEST(call("account.show", R"({"name":"ghost"})").code() == "not_found");
}

BOOST_AUTO_TEST_CASE(account_show_without_id_or_name_is_invalid_argument) {
    BOOST_TEST(call("account.show").code() == "invalid_argument");
    BOOST_TEST(call("account.show", R"({"id":0})").code() == "invalid_argument");
    BOOST_TEST(call("account.show", R"({"id":"1"})").code() == "invalid_argument");
}

BOOST_AUTO_TEST_CASE(account_remove_deletes_the_account) {
    std::uint64_t keep = add_account("keep");
    std::uint64_t gone = add_account("gone");
    Reply r = call("account.remove", R"({"name":"gone"})");
    BOOST_TEST(r.changed);
    BOOST_TEST(r.data()["removed"].GetUint64() == gone);
    BOOST_TEST(member_string(r.data(), "name") == "gone");

    Reply list = call("account.list");
    BOOST_REQUIRE(list.data()["accounts"].Size() == 1u);
    BOOST_TEST(list.data()["accounts"][0]["id"].GetUint64() == keep);
    BOOST_TEST(call("account.show", amq::str_cat(R"({"id":)", gone, "}")).code() == "not_found");
    BOOST_TEST(!store().get_credentials(gone).ok());
}

BOOST_AUTO_TEST_CASE(account_remove_by_id_of_an_unknown_account_changes_nothing) {
    add_account("keep");
    Reply r = call("account.remove", R"({"id":77})");
    BOOST_TEST(r.code() == "not_found");
    BOOST_TEST(!r.changed);
    BOOST_TEST(store().list_accounts()->size() == 1u);
}

BOOST_AUTO_TEST_CASE(account_add_with_a_duplicate_name_is_a_conflict) {
    add_account("twin");
    Reply r = call("account.add", R"({"name":"twin","refresh_token":"rt2","client_id":"c2",
                                      "client_secret":"s2"})");
    BOOST_TEST(r.code() == "conflict");
    BOOST_TEST(!r.changed);
    BOOST_TEST(store().list_accounts()->size() == 1u);
}

// One OIDC client authorises many users: only the refresh token names the account.
BOOST_AUTO_TEST_CASE(accounts_may_share_a_client_id_but_not_a_refresh_token) {
    add_account("first");
    Reply same_client = call("account.add", R"({"name":"second","refresh_token":"other",
                                                "client_id":"cid-first","client_secret":"s"})");
    BOOST_TEST(same_client.ok());
    Reply same_token = call("account.add", R"({"name":"third","refresh_token":"rt-first",
                                               "client_id":"other","client_secret":"s"})");
    BOOST_TEST(same_token.code() == "conflict");
    BOOST_TEST(amq::str_cat(same_token.message()).find("refresh token") != std::string::npos);
    Reply update = call("account.update", R"({"account":{"name":"second"},
                                             "set":{"refresh_token":"rt-first"}})");
    BOOST_TEST(update.code() == "conflict");
    BOOST_TEST(store().list_accounts()->size() == 2u);
}

BOOST_AUTO_TEST_CASE(social_accounts_need_no_client_but_idc_ones_do) {
    Reply social = call("account.add", R"({"name":"k","kind":"social","refresh_token":"r1"})");
    BOOST_TEST(social.ok());
    BOOST_TEST(social.data()["kind"].GetString() == std::string("social"));
    Reply idc = call("account.add", R"({"name":"i","refresh_token":"r2"})");
    BOOST_TEST(idc.code() == "invalid_argument");
    Reply odd = call("account.add", R"({"name":"o","kind":"weird","refresh_token":"r3"})");
    BOOST_TEST(odd.code() == "invalid_argument");
}

BOOST_AUTO_TEST_CASE(enable_and_disable_switch_the_account_and_are_mutations) {
    add_account("sw");
    Reply off = call("account.disable", R"({"name":"sw"})");
    BOOST_TEST(off.ok());
    BOOST_TEST(off.changed);
    BOOST_TEST(!off.data()["enabled"].GetBool());
    Reply on = call("account.enable", R"({"name":"sw"})");
    BOOST_TEST(on.data()["enabled"].GetBool());
    BOOST_TEST(call("account.events", R"({"name":"sw"})").data()["events"].IsArray());
}

BOOST_AUTO_TEST_CASE(network_commands_answer_with_an_error_without_the_runtime) {
    add_account("net");
    BOOST_TEST(call("account.refresh", R"({"name":"net"})").code() == "unavailable");
    BOOST_TEST(call("account.quota", R"({"name":"net"})").code() == "unavailable");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(keys, Fixture)

BOOST_AUTO_TEST_CASE(key_create_returns_the_secret_and_stores_only_its_hash) {
    Reply r = call("key.create", R"({"name":"ci","description":"for CI",
                                     "requests_per_minute":7,"requests_per_day":70})");
    BOOST_TEST(r.changed);
    std::string secret = member_string(r.data(), "key");
    BOOST_TEST(secret.size() == 47u);
    BOOST_TEST(secret.substr(0, 4) == "amq-");

    const rapidjson::Value& k = r.data()["api_key"];
    BOOST_TEST(member_string(k, "name") == "ci");
    BOOST_TEST(member_string(k, "description") == "for CI");
    BOOST_TEST(member_string(k, "key_prefix") == amq::api_key_display(secret));
    BOOST_TEST(!k["is_admin"].GetBool());
    BOOST_TEST(k["enabled"].GetBool());
    BOOST_TEST(k["requests_per_minute"].GetInt64() == 7);
    BOOST_TEST(k["requests_per_day"].GetInt64() == 70);
    BOOST_TEST(k["expires_at"].IsNull());
    BOOST_TEST(member_string(k, "created_at") == amq::iso8601(kNow));
    BOOST_TEST(!k.HasMember("secret_hash"));

    // The secret appears exactly once in the creating answer.
    std::string_view text(r.text);
    BOOST_TEST(text.find(secret) == text.rfind(secret));
    BOOST_TEST(!contains(text, amq::api_key_hash(secret)));

    auto stored = store().find_key_by_hash(amq::api_key_hash(secret));
    BOOST_REQUIRE(stored.ok());
    BOOST_TEST(stored->id == k["id"].GetUint64());
}

BOOST_AUTO_TEST_CASE(key_list_and_show_never_contain_the_secret_or_its_hash) {
    Reply created = create_key("ci");
    std::string secret = member_string(created.data(), "key");
    std::string hash = amq::api_key_hash(secret);
    create_key("other");

    Reply list = call("key.list");
    BOOST_TEST(!list.changed);
    BOOST_REQUIRE(list.data()["keys"].Size() == 2u);
    BOOST_TEST(!contains(list.text, secret));
    BOOST_TEST(!contains(list.text, hash));
    BOOST_TEST(!contains(list.text, secret.substr(4, 20)));

    Reply show = call("key.show", R"({"name":"ci"})");
    BOOST_TEST(member_string(show.data(), "name") == "ci");
    BOOST_TEST(!contains(show.text, secret));
    BOOST_TEST(!contains(show.text, hash));

    Reply status = call("status");
    BOOST_TEST(!contains(status.text, secret));
    BOOST_TEST(!contains(status.text, hash));
}

BOOST_AUTO_TEST_CASE(two_created_keys_have_different_secrets) {
    std::string a = member_string(create_key("a").data(), "key");
    std::string b = member_string(create_key("b").data(), "key");
    BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_CASE(key_create_with_a_duplicate_name_is_a_conflict) {
    create_key("twin");
    Reply r = create_key("twin");
    BOOST_TEST(r.code() == "conflict");
    BOOST_TEST(!r.changed);
}

BOOST_AUTO_TEST_CASE(key_create_without_name_names_the_field) {
    Reply r = call("key.create", R"({"is_admin":true})");
    BOOST_TEST(r.code() == "invalid_argument");
    BOOST_TEST(contains(r.message(), "'name'"), r.message());
    BOOST_TEST(store().list_keys()->empty());
}

BOOST_AUTO_TEST_CASE(key_create_with_expires_days_sets_expires_at) {
    Reply r = call("key.create", R"({"name":"temp","expires_days":30})");
    BOOST_TEST(member_string(r.data()["api_key"], "expires_at") == amq::iso8601(kNow + 30 * kDay));
    auto stored = store().find_key_by_name("temp");
    BOOST_REQUIRE(stored.ok());
    BOOST_TEST(stored->expires_at == kNow + 30 * kDay);
}

BOOST_AUTO_TEST_CASE(key_create_with_a_future_expires_at_sets_it) {
    Reply date = call("key.create", R"({"name":"d","expires_at":"2027-01-31"})");
    BOOST_TEST(member_string(date.data()["api_key"], "expires_at") == "2027-01-31T00:00:00Z");
    Reply time = call("key.create", R"({"name":"t","expires_at":"2027-01-31T12:00:00Z"})");
    BOOST_TEST(member_string(time.data()["api_key"], "expires_at") == "2027-01-31T12:00:00Z");
}

BOOST_AUTO_TEST_CASE(key_create_with_expires_at_in_the_past_is_an_error) {
    Reply past = call("key.create", R"({"name":"old","expires_at":"2020-01-01"})");
    BOOST_TEST(past.code() == "invalid_argument");
    BOOST_TEST(contains(past.message(), "expires_at"), past.message());
    BOOST_TEST(!past.changed);

    Reply now = call("key.create",
                     amq::str_cat(R"({"name":"now","expires_at":")", amq::iso8601(kNow), "\"}"));
    BOOST_TEST(now.code() == "invalid_argument");
    BOOST_TEST(store().list_keys()->empty());
}

BOOST_AUTO_TEST_CASE(key_create_with_an_unreadable_expiry_is_an_error) {
    Reply text = call("key.create", R"({"name":"k","expires_at":"next tuesday"})");
    BOOST_TEST(text.code() == "invalid_argument");
    BOOST_TEST(contains(text.message(), "expires_at"), text.message());
    Reply days = call("key.create", R"({"name":"k","expires_days":0})");
    BOOST_TEST(days.code() == "invalid_argument");
    BOOST_TEST(contains(days.message(), "expires_days"), days.message());
}

BOOST_AUTO_TEST_CASE(key_revoke_disables_an_ordinary_key) {
    create_key("user");
    Reply r = call("key.revoke", R"({"name":"user"})");
    BOOST_TEST(r.changed);
    BOOST_TEST(!r.data()["enabled"].GetBool());
    BOOST_TEST(!store().find_key_by_name("user")->enabled);
}

BOOST_AUTO_TEST_CASE(key_remove_deletes_an_ordinary_key) {
    std::string secret = member_string(create_key("user").data(), "key");
    Reply r = call("key.remove", R"({"name":"user"})");
    BOOST_TEST(r.changed);
    BOOST_TEST(member_string(r.data(), "name") == "user");
    BOOST_TEST(call("key.show", R"({"name":"user"})").code() == "not_found");
    BOOST_TEST(!store().find_key_by_hash(amq::api_key_hash(secret)).ok());
}

BOOST_AUTO_TEST_CASE(revoking_or_removing_the_last_enabled_admin_key_is_a_conflict) {
    create_key("admin", true);
    create_key("user");
    Reply revoke = call("key.revoke", R"({"name":"admin"})");
    BOOST_TEST(revoke.code() == "conflict");
    BOOST_TEST(!revoke.changed);
    Reply remove = call("key.remove", R"({"name":"admin"})");
    BOOST_TEST(remove.code() == "conflict");
    BOOST_TEST(!remove.changed);
    auto admin = store().find_key_by_name("admin");
    BOOST_REQUIRE(admin.ok());
    BOOST_TEST(admin->enabled);
}

BOOST_AUTO_TEST_CASE(another_enabled_admin_key_allows_revoking_and_removing) {
    create_key("admin-a", true);
    create_key("admin-b", true);
    Reply revoke = call("key.revoke", R"({"name":"admin-a"})");
    BOOST_TEST(revoke.ok());
    BOOST_TEST(revoke.changed);
    BOOST_TEST(!revoke.data()["enabled"].GetBool());

    // admin-a is disabled now, so admin-b is the last enabled admin key.
    BOOST_TEST(call("key.revoke", R"({"name":"admin-b"})").code() == "conflict");
    BOOST_TEST(call("key.remove", R"({"name":"admin-b"})").code() == "conflict");

    // A disabled admin key guards nothing: it may go.
    Reply remove = call("key.remove", R"({"name":"admin-a"})");
    BOOST_TEST(remove.ok());
    BOOST_TEST(remove.changed);
}

BOOST_AUTO_TEST_CASE(the_last_admin_key_cannot_be_given_an_expiry) {
    create_key("admin", true);
    for (std::string_view set :
         {R"({"expires_days":30})", R"({"expires_at":"2027-02-01T00:00:00Z"})",
          R"({"is_admin":false})", R"({"is_active":false})"}) {
        Reply r = call("key.update", amq::str_cat(R"({"key":{"name":"admin"},"set":)", set, "}"));
        BOOST_TEST_CONTEXT(set) {
            BOOST_TEST(r.code() == "conflict");
            BOOST_TEST(contains(r.message(), "admin key"));
        }
    }
    auto admin = store().find_key_by_name("admin");
    BOOST_REQUIRE(admin.ok());
    BOOST_TEST(admin->expires_at == 0);
    BOOST_TEST(admin->is_admin);
}

BOOST_AUTO_TEST_CASE(an_expiring_admin_key_may_be_extended_but_not_shortened) {
    BOOST_REQUIRE(call("key.create", R"({"name":"admin","is_admin":true,"expires_days":30})").ok());
    Reply shorter = call("key.update", R"({"key":{"name":"admin"},"set":{"expires_days":3}})");
    BOOST_TEST(shorter.code() == "conflict");
    BOOST_TEST(contains(shorter.message(), "expire"));
    BOOST_TEST(call("key.update", R"({"key":{"name":"admin"},"set":{"expires_days":60}})").ok());
    // With an admin key that never expires, the other may expire whenever.
    create_key("forever", true);
    BOOST_TEST(call("key.update", R"({"key":{"name":"admin"},"set":{"expires_days":1}})").ok());
}

BOOST_AUTO_TEST_CASE(another_admin_key_allows_removing_an_enabled_admin_key) {
    create_key("admin-a", true);
    create_key("admin-b", true);
    Reply remove = call("key.remove", R"({"name":"admin-a"})");
    BOOST_TEST(remove.ok());
    BOOST_TEST(store().list_keys()->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(status_and_changes, Fixture)

BOOST_AUTO_TEST_CASE(status_reports_version_runtime_and_counts) {
    add_account("on");
    add_account("off", R"(,"enabled":false)");
    add_account("on-too");
    create_key("a");
    create_key("b");
    call("key.revoke", R"({"name":"b"})");

    Reply r = call("status");
    BOOST_TEST(!r.changed);
    const rapidjson::Value& d = r.data();
    BOOST_TEST(member_string(d, "version") == amq::kVersion);
    BOOST_REQUIRE(d.HasMember("pid"));
    BOOST_TEST(d["pid"].GetInt() == 1);
    BOOST_TEST(d["workers"].GetInt() == 3);
    BOOST_TEST(d["accounts"]["total"].GetUint64() == 3u);
    BOOST_TEST(d["accounts"]["enabled"].GetUint64() == 2u);
    BOOST_TEST(d["keys"]["total"].GetUint64() == 2u);
    BOOST_TEST(d["keys"]["enabled"].GetUint64() == 1u);
}

BOOST_AUTO_TEST_CASE(status_of_an_empty_store_counts_zero) {
    Reply r = call("status");
    BOOST_TEST(r.data()["accounts"]["total"].GetUint64() == 0u);
    BOOST_TEST(r.data()["keys"]["total"].GetUint64() == 0u);
}

BOOST_AUTO_TEST_CASE(changed_is_set_only_by_successful_mutating_commands) {
    BOOST_TEST(call("account.add", R"({"name":"a","refresh_token":"r","client_id":"c",
                                       "client_secret":"s"})")
                   .changed);
    BOOST_TEST(create_key("k").changed);
    BOOST_TEST(!call("status").changed);
    BOOST_TEST(!call("account.list").changed);
    BOOST_TEST(!call("account.show", R"({"name":"a"})").changed);
    BOOST_TEST(!call("key.list").changed);
    BOOST_TEST(!call("key.show", R"({"name":"k"})").changed);
    BOOST_TEST(!call("account.add", R"({"name":"a"})").changed);
    BOOST_TEST(!call("account.remove", R"({"name":"ghost"})").changed);
    BOOST_TEST(!call("key.revoke", R"({"name":"ghost"})").changed);
    BOOST_TEST(!call("key.remove", R"({"name":"ghost"})").changed);
    BOOST_TEST(!send("not json").changed);
    BOOST_TEST(call("key.revoke", R"({"name":"k"})").changed);
    BOOST_TEST(call("key.remove", R"({"name":"k"})").changed);
    BOOST_TEST(call("account.remove", R"({"name":"a"})").changed);
}

BOOST_AUTO_TEST_CASE(mutating_flags_in_the_table_match_the_commands) {
    for (std::string_view name :
         {"account.add", "account.remove", "key.create", "key.revoke", "key.remove"}) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_REQUIRE(amq::find_command(name) != nullptr);
            BOOST_TEST(amq::find_command(name)->mutates);
        }
    }
    for (std::string_view name :
         {"status", "account.list", "account.show", "key.list", "key.show"}) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_REQUIRE(amq::find_command(name) != nullptr);
            BOOST_TEST(!amq::find_command(name)->mutates);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(unknown_fields_and_numeric_names, Fixture)

BOOST_AUTO_TEST_CASE(unknown_fields_are_refused_naming_the_field) {
    add_account("known");
    create_key("known-key");
    struct Case {
        std::string_view cmd;
        std::string_view args;
        std::string_view field;
    };
    for (
        const Case& c : {
            Case{
                "account.add",
                R"({"name":"n","refresh_token":"r","client_id":"c","client_secret":"s","colour":1})",
                "'colour'"},
            Case{"account.update", R"({"account":{"name":"known"},"set":{"rpm":5}})", "'rpm'"},
            Case{"account.update", R"({"account":{"name":"known","x":1},"set":{}})", "'account.x'"},
            Case{"key.create", R"({"name":"k2","is_adm":true})", "'is_adm'"},
            Case{"key.update", R"({"key":{"name":"known-key"},"set":{"expires":"1d"}})",
                 "'expires'"},
            Case{"key.remove", R"({"name":"known-key","force":true})", "'force'"},
            Case{"account.import", R"({"documents":[{"source":"a","content":"{}","x":1}]})",
                 "'documents.0.x'"},
            Case{"audit", R"({"limit":5,"since":1})", "'since'"},
        }) {
        BOOST_TEST_CONTEXT(c.cmd << " " << c.args) {
            Reply r = call(c.cmd, c.args);
            BOOST_TEST(r.code() == "invalid_argument");
            BOOST_TEST(contains(r.message(), amq::str_cat("unknown field ", c.field)));
            BOOST_TEST(!r.changed);
        }
    }
    BOOST_TEST(!store().find_key_by_name("k2").ok());
    BOOST_TEST(!store().find_account_by_name("n").ok());
}

BOOST_AUTO_TEST_CASE(names_that_read_as_ids_are_refused) {
    Reply account = call("account.add",
                         R"({"name":"5","refresh_token":"r","client_id":"c","client_secret":"s"})");
    BOOST_TEST(account.code() == "invalid_argument");
    BOOST_TEST(contains(account.message(), "must not be a number"));
    Reply key = call("key.create", R"({"name":"0042"})");
    BOOST_TEST(key.code() == "invalid_argument");
    BOOST_TEST(contains(key.message(), "must not be a number"));
    create_key("k7");
    Reply renamed = call("key.update", R"({"key":{"name":"k7"},"set":{"name":"7"}})");
    BOOST_TEST(renamed.code() == "invalid_argument");
    BOOST_TEST(create_key("7up").ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(audit_log, Fixture)

BOOST_AUTO_TEST_CASE(reset_health_needs_a_note_and_audits_it) {
    std::uint64_t id = add_account("locked");
    for (std::string_view args : {R"({"name":"locked"})", R"({"name":"locked","note":"  "})",
                                  R"({"name":"locked","note":7})"}) {
        Reply r = call("account.reset-health", args);
        BOOST_TEST(r.code() == "invalid_argument", args);
    }
    std::string long_note(1001, 'x');
    BOOST_TEST(call("account.reset-health",
                    amq::str_cat(R"({"name":"locked","note":")", long_note, R"("})"))
                   .code() == "invalid_argument");
    BOOST_TEST(call("account.reset-health", R"({"name":"nobody","note":"n"})").code() ==
               "not_found");
    BOOST_TEST(runtime().resets.empty());

    Reply r = call("account.reset-health", R"({"name":"locked","note":"ticket 1234"})");
    BOOST_TEST(r.changed);
    BOOST_TEST(member_string(r.data(), "name") == "locked");
    BOOST_REQUIRE(runtime().resets.size() == 1u);
    BOOST_TEST(runtime().resets[0].first == id);
    BOOST_TEST(runtime().resets[0].second == "ticket 1234");
    auto entries = store().list_audit(10);
    BOOST_REQUIRE(entries.ok());
    BOOST_TEST(entries->back().command == "account.reset-health");
    BOOST_TEST(contains(entries->back().args_json, "ticket 1234"));
}

BOOST_AUTO_TEST_CASE(updates_are_audited_with_before_and_after_and_no_secrets) {
    add_account("au");
    Reply r = call("account.update", R"({"account":{"name":"au"},
                                         "set":{"requests_per_minute":30,"refresh_token":"new-secret-rt"}})");
    BOOST_REQUIRE(r.ok());
    auto entries = store().list_audit(10);
    BOOST_REQUIRE(entries.ok());
    BOOST_REQUIRE(!entries->empty());
    const amq::AuditEntry& e = entries->back();
    BOOST_TEST(e.command == "account.update");
    BOOST_TEST(e.before_json.find("\"requests_per_minute\":0") != std::string::npos);
    BOOST_TEST(e.after_json.find("\"requests_per_minute\":30") != std::string::npos);
    BOOST_TEST(e.args_json.find("new-secret-rt") == std::string::npos);
    BOOST_TEST(e.actor == "amq2apid");  // the fixture calls as the daemon itself
}

BOOST_AUTO_TEST_CASE(a_created_keys_secret_never_reaches_the_audit_log) {
    Reply r = create_key("audited");
    std::string secret = r.data()["key"].GetString();
    auto entries = store().list_audit(10);
    BOOST_REQUIRE(entries.ok());
    for (const auto& e : *entries) {
        BOOST_TEST(e.after_json.find(secret) == std::string::npos);
        BOOST_TEST(e.args_json.find(secret) == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// account.import's arguments: each (source, content), or (source, "!" + error) for a file
// amq2apictl could not read.
std::string import_args(const std::vector<std::pair<std::string, std::string>>& documents) {
    return amq::json_object([&](amq::JsonWriter& w) {
        amq::write_key(w, "documents");
        w.StartArray();
        for (const auto& [source, content] : documents) {
            w.StartObject();
            amq::write_field(w, "source", source);
            bool error = content.starts_with("!");
            amq::write_field(w, error ? "error" : "content",
                             error ? std::string_view(content).substr(1) : content);
            w.EndObject();
        }
        w.EndArray();
    });
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(account_import, Fixture)

BOOST_AUTO_TEST_CASE(each_source_is_reported_against_the_store_and_a_rerun_changes_nothing) {
    add_account("known");
    const std::string args = import_args({
        {"sso.json", R"({"startUrl": "https://d-1.awsapps.com/start", "region": "us-east-1",
                         "clientId": "cid-sso", "clientSecret": "cs-sso-secret",
                         "refreshToken": "rt-sso-secret",
                         "registrationExpiresAt": "2027-03-01T00:00:00Z"})"},
        {"known.json", R"({"refreshToken": "rt-known", "authMethod": "social"})"},
        {"taken.json", R"({"name": "known", "refreshToken": "rt-taken", "authMethod": "social"})"},
        {"gone.json", "!cannot read: No such file or directory"},
        {"reg.json", R"({"clientId": "c", "clientSecret": "s"})"},
    });
    Reply r = call("account.import", args);
    const rapidjson::Value& data = r.data();
    BOOST_REQUIRE(data["imported"].Size() == 1u);
    const rapidjson::Value& added = data["imported"][0];
    BOOST_TEST(member_string(added, "name") == "sso-d3955e9b");
    BOOST_TEST(member_string(added, "source") == "sso.json");
    BOOST_TEST(member_string(added, "refresh") == "token refreshes are not available here");
    BOOST_TEST(amq::to_json(data["skipped"]) ==
               R"([{"source":"known.json","name":"sso-c400d3ed",)"
               R"("reason":"already imported as account 'known'"}])");
    BOOST_TEST(amq::to_json(data["refused"]) ==
               R"([{"source":"taken.json","name":"known",)"
               R"("reason":"another account is named \"known\""},)"
               R"({"source":"gone.json","name":"",)"
               R"("reason":"cannot read: No such file or directory"}])");
    BOOST_TEST(amq::to_json(data["registrations"]) == R"([{"source":"reg.json","used_by":[]}])");

    auto stored = store().find_account_by_name("sso-d3955e9b");
    BOOST_REQUIRE(stored.ok());
    BOOST_TEST(stored->start_url == "https://d-1.awsapps.com/start");
    BOOST_TEST(stored->registration_expires_at == 1803859200);  // 2027-03-01T00:00:00Z
    auto audit = store().list_audit(10);
    BOOST_REQUIRE(audit.ok());
    BOOST_REQUIRE(audit->size() == 2u);
    const amq::AuditEntry& e = audit->back();
    BOOST_TEST(e.command == "account.import");
    for (std::string_view secret : {"rt-sso-secret", "cs-sso-secret", "rt-known", "rt-taken"}) {
        BOOST_TEST(e.args_json.find(secret) == std::string::npos);
        BOOST_TEST(e.after_json.find(secret) == std::string::npos);
    }

    // Everything is here now: nothing is added, no transaction, no audit entry.
    Reply again = call("account.import", args);
    BOOST_TEST(again.data()["imported"].Size() == 0u);
    BOOST_TEST(amq::to_json(again.data()["skipped"][0]) ==
               R"({"source":"sso.json","name":"sso-d3955e9b",)"
               R"("reason":"already imported as account 'sso-d3955e9b'"})");
    BOOST_TEST(store().list_audit(10)->size() == 2u);
    BOOST_TEST(store().list_accounts()->size() == 2u);
}

BOOST_AUTO_TEST_CASE(documents_are_checked_and_bounded) {
    auto refused = [&](const std::string& args, std::string_view why) {
        Reply r = call("account.import", args);
        BOOST_TEST_CONTEXT(args.substr(0, 200)) {
            BOOST_TEST(r.code() == "invalid_argument");
            BOOST_TEST(contains(r.message(), why), r.message());
        }
    };
    refused(R"({"documents":[{"source":"a","content":"{}","error":"x"}]})",
            "field 'documents.0' holds both 'content' and 'error'");
    refused(R"({"documents":[{"source":"a"}]})", "'documents.0.content' is required");
    refused(R"({"documents":[]})", "field 'documents' is empty");
    refused(import_args({{std::string(1025, 's'), "{}"}}), "longer than 1024 bytes");
    refused(import_args({{"a", "!" + std::string(1025, 'e')}}), "longer than 1024 bytes");
    std::vector<std::pair<std::string, std::string>> many(1001, {"a.json", "{}"});
    refused(import_args(many), "field 'documents' holds more than 1000 documents");
    many.pop_back();
    Reply r = call("account.import", import_args(many));
    BOOST_TEST(r.data()["refused"].Size() == 1000u);
    BOOST_TEST(store().list_audit(10)->empty());
}

BOOST_AUTO_TEST_SUITE_END()
