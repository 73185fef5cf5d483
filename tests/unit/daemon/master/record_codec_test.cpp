#define BOOST_TEST_MODULE record_codec
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/json.hpp"
#include "common/result.hpp"
#include "daemon/master/record_codec.hpp"

using namespace amq;

namespace {

// Boost.Test builds a message even when the check passes: only ask a failure for its error.
template <class T>
std::string why(const Result<T>& r) {
    return r.ok() ? std::string() : r.error().message;
}

template <class T>
void check_corrupt(const Result<T>& r, const std::string& message) {
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(errc_name(r.error().code), errc_name(Errc::internal));
    BOOST_CHECK_EQUAL(r.error().message, message);
}

std::int64_t version_of(const std::string& text) {
    auto doc = parse_json(text);
    BOOST_REQUIRE(doc.ok());
    BOOST_REQUIRE(doc->HasMember("v") && (*doc)["v"].IsInt());
    return (*doc)["v"].GetInt();
}

}  // namespace

BOOST_AUTO_TEST_CASE(account_round_trip) {
    Account a;
    a.id = 42;
    a.name = "main \"quoted\" \xc3\xa9";
    a.client_id = "cid";
    a.profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/x";
    a.enabled = false;
    a.requests_per_minute = 3;
    a.notes = "line\nbreak";
    a.created_at = 1700000000;
    a.updated_at = 1700000100;
    std::string text = encode_account(a);
    BOOST_CHECK_EQUAL(version_of(text), 1);
    auto back = decode_account(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK_EQUAL(back->id, a.id);
    BOOST_CHECK_EQUAL(back->name, a.name);
    BOOST_CHECK_EQUAL(back->client_id, a.client_id);
    BOOST_CHECK_EQUAL(back->profile_arn, a.profile_arn);
    BOOST_CHECK_EQUAL(back->enabled, a.enabled);
    BOOST_CHECK_EQUAL(back->requests_per_minute, a.requests_per_minute);
    BOOST_CHECK_EQUAL(back->notes, a.notes);
    BOOST_CHECK_EQUAL(back->created_at, a.created_at);
    BOOST_CHECK_EQUAL(back->updated_at, a.updated_at);
}

BOOST_AUTO_TEST_CASE(credentials_round_trip) {
    AccountCredentials c{
        .refresh_token = "r", .client_secret = "s", .access_token = "a", .access_expires_at = -1};
    std::string text = encode_credentials(c);
    BOOST_CHECK_EQUAL(version_of(text), 1);
    auto back = decode_credentials(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK_EQUAL(back->refresh_token, "r");
    BOOST_CHECK_EQUAL(back->client_secret, "s");
    BOOST_CHECK_EQUAL(back->access_token, "a");
    BOOST_CHECK_EQUAL(back->access_expires_at, -1);
}

BOOST_AUTO_TEST_CASE(api_key_round_trip) {
    ApiKey k;
    k.id = 7;
    k.name = "ci";
    k.description = "for CI";
    k.secret_hash = std::string(64, 'a');
    k.display = "amq-abcd\xe2\x80\xa6wxyz";
    k.is_admin = true;
    k.enabled = false;
    k.requests_per_minute = 1;
    k.requests_per_day = 2;
    k.expires_at = 3;
    k.created_at = 4;
    k.updated_at = 5;
    k.last_used_at = 6;
    std::string text = encode_api_key(k);
    BOOST_CHECK_EQUAL(version_of(text), 1);
    auto back = decode_api_key(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK_EQUAL(back->id, k.id);
    BOOST_CHECK_EQUAL(back->name, k.name);
    BOOST_CHECK_EQUAL(back->description, k.description);
    BOOST_CHECK_EQUAL(back->secret_hash, k.secret_hash);
    BOOST_CHECK_EQUAL(back->display, k.display);
    BOOST_CHECK_EQUAL(back->is_admin, k.is_admin);
    BOOST_CHECK_EQUAL(back->enabled, k.enabled);
    BOOST_CHECK_EQUAL(back->requests_per_minute, k.requests_per_minute);
    BOOST_CHECK_EQUAL(back->requests_per_day, k.requests_per_day);
    BOOST_CHECK_EQUAL(back->expires_at, k.expires_at);
    BOOST_CHECK_EQUAL(back->created_at, k.created_at);
    BOOST_CHECK_EQUAL(back->updated_at, k.updated_at);
    BOOST_CHECK_EQUAL(back->last_used_at, k.last_used_at);
}

BOOST_AUTO_TEST_CASE(missing_fields_take_the_defaults) {
    auto a = decode_account(R"({"v":1,"id":3,"name":"a","notes":null})");
    BOOST_REQUIRE_MESSAGE(a.ok(), why(a));
    Account defaults;
    BOOST_CHECK_EQUAL(a->id, 3u);
    BOOST_CHECK_EQUAL(a->name, "a");
    BOOST_CHECK_EQUAL(a->enabled, defaults.enabled);
    BOOST_CHECK_EQUAL(a->requests_per_minute, defaults.requests_per_minute);
    BOOST_CHECK(a->notes.empty());
    BOOST_CHECK_EQUAL(a->created_at, 0);

    auto c = decode_credentials(R"({"v":1})");
    BOOST_REQUIRE_MESSAGE(c.ok(), why(c));
    BOOST_CHECK(c->refresh_token.empty());
    BOOST_CHECK_EQUAL(c->access_expires_at, 0);

    auto k = decode_api_key(R"({"v":1,"id":2,"name":"k","secret_hash":"ab","extra":[1]})");
    BOOST_REQUIRE_MESSAGE(k.ok(), why(k));
    ApiKey key_defaults;
    BOOST_CHECK(!k->is_admin);
    BOOST_CHECK(k->enabled);
    BOOST_CHECK_EQUAL(k->requests_per_minute, key_defaults.requests_per_minute);
    BOOST_CHECK_EQUAL(k->requests_per_day, key_defaults.requests_per_day);
    BOOST_CHECK_EQUAL(k->last_used_at, 0);
}

BOOST_AUTO_TEST_CASE(wrong_types_are_corrupt_records) {
    check_corrupt(decode_account(R"({"v":1,"id":3,"name":"a","enabled":"yes"})"),
                  "corrupt account record: field 'enabled' must be true or false");
    check_corrupt(decode_account(R"({"v":1,"id":"3","name":"a"})"),
                  "corrupt account record: field 'id' must be an integer");
    check_corrupt(decode_credentials(R"({"v":1,"refresh_token":5})"),
                  "corrupt credentials record: field 'refresh_token' must be a string");
    check_corrupt(decode_api_key(R"({"v":1,"id":2,"name":"k","secret_hash":"ab",)"
                                 R"("requests_per_day":1.5})"),
                  "corrupt API key record: field 'requests_per_day' must be an integer");
    check_corrupt(decode_api_key(R"({"v":1,"id":2,"name":"k","secret_hash":"ab",)"
                                 R"("allowed_models":["claude-*",7]})"),
                  "corrupt API key record: field 'allowed_models.1' must be a string");
    check_corrupt(decode_usage(R"({"v":1,"key_id":-1})"),
                  "corrupt usage record: field 'key_id' must be between 0 and 9223372036854775807");
    check_corrupt(decode_usage(R"({"v":1,"status":4294967496})"),
                  "corrupt usage record: field 'status' must be between -2147483648 and 2147483647");
}

BOOST_AUTO_TEST_CASE(broken_documents_are_corrupt_records) {
    check_corrupt(decode_account(R"({"v":1,"id":3})"),
                  "corrupt account record: field 'name' is required");
    check_corrupt(decode_api_key(R"({"v":1,"id":2,"name":"k"})"),
                  "corrupt API key record: field 'secret_hash' is required");
    check_corrupt(decode_account(R"({"id":3,"name":"a"})"),
                  "corrupt account record: field 'v' is required");
    check_corrupt(decode_account(R"({"v":2,"id":3,"name":"a"})"),
                  "corrupt account record: unsupported format version 2");
    check_corrupt(decode_account(R"({"v":1,"id":0,"name":"a"})"),
                  "corrupt account record: field 'id' must be between 1 and "
                  "9223372036854775807");
    check_corrupt(decode_credentials("[]"), "corrupt credentials record: expected a JSON object");
    auto truncated = decode_account(R"({"v":1,"id)");
    BOOST_REQUIRE(!truncated.ok());
    BOOST_CHECK_EQUAL(errc_name(truncated.error().code), errc_name(Errc::internal));
    BOOST_CHECK_EQUAL(truncated.error().message.rfind("corrupt account record: ", 0), 0u);
}

BOOST_AUTO_TEST_CASE(rollup_round_trip) {
    Rollup r{.day = 19700,
             .key_id = 3,
             .account_id = 4,
             .model = "claude-sonnet-4",
             .requests = 10,
             .errors = 2,
             .input_tokens = 1234567890123,
             .output_tokens = 5,
             .ttfb_ms_sum = 6,
             .duration_ms_sum = 7};
    std::string text = encode_rollup(r);
    BOOST_CHECK_EQUAL(version_of(text), 1);
    // The identity is the store's key, not part of the value.
    BOOST_CHECK_EQUAL(text.find("claude"), std::string::npos);
    auto back = decode_rollup(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK_EQUAL(back->day, 0);
    BOOST_CHECK_EQUAL(back->key_id, 0u);
    BOOST_CHECK(back->model.empty());
    BOOST_CHECK_EQUAL(back->requests, 10);
    BOOST_CHECK_EQUAL(back->errors, 2);
    BOOST_CHECK_EQUAL(back->input_tokens, 1234567890123);
    BOOST_CHECK_EQUAL(back->output_tokens, 5);
    BOOST_CHECK_EQUAL(back->ttfb_ms_sum, 6);
    BOOST_CHECK_EQUAL(back->duration_ms_sum, 7);

    auto sparse = decode_rollup(R"({"v":1,"requests":1})");
    BOOST_REQUIRE_MESSAGE(sparse.ok(), why(sparse));
    BOOST_CHECK_EQUAL(sparse->requests, 1);
    BOOST_CHECK_EQUAL(sparse->errors, 0);
    check_corrupt(decode_rollup(R"({"v":1,"errors":"2"})"),
                  "corrupt rollup record: field 'errors' must be an integer");
    check_corrupt(decode_rollup(R"({"v":2})"),
                  "corrupt rollup record: unsupported format version 2");
}

BOOST_AUTO_TEST_CASE(audit_round_trip) {
    AuditEntry a{.at_ms = 1700000000123,
                 .actor = "key:1 (admin)",
                 .command = "key.update",
                 .args_json = R"({"name":"ci","note":"a \"quoted\"\nline"})",
                 .before_json = R"({"enabled":true})",
                 .after_json = "{}"};
    std::string text = encode_audit(a);
    BOOST_CHECK_EQUAL(version_of(text), 1);
    auto back = decode_audit(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK_EQUAL(back->at_ms, a.at_ms);
    BOOST_CHECK_EQUAL(back->actor, a.actor);
    BOOST_CHECK_EQUAL(back->command, a.command);
    BOOST_CHECK_EQUAL(back->args_json, a.args_json);
    BOOST_CHECK_EQUAL(back->before_json, a.before_json);
    BOOST_CHECK_EQUAL(back->after_json, a.after_json);

    auto sparse = decode_audit(R"({"v":1,"command":"reload"})");
    BOOST_REQUIRE_MESSAGE(sparse.ok(), why(sparse));
    BOOST_CHECK_EQUAL(sparse->command, "reload");
    BOOST_CHECK(sparse->args_json.empty());
    check_corrupt(decode_audit(R"({"v":1,"at_ms":1})"),
                  "corrupt audit record: field 'command' is required");
    check_corrupt(decode_audit(R"({"v":1,"command":"x","args_json":{}})"),
                  "corrupt audit record: field 'args_json' must be a string");
}
