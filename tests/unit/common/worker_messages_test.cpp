#define BOOST_TEST_MODULE common_worker_messages
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "common/json.hpp"
#include "common/worker_messages.hpp"

using namespace amq;

namespace {

rapidjson::Document parsed(const std::string& text) {
    auto doc = parse_json(text);
    BOOST_REQUIRE(doc.ok());
    return std::move(doc).value();
}

AccountGrant full_grant() {
    AccountGrant g;
    g.key_id = 7;
    g.account_id = std::numeric_limits<std::int64_t>::max();
    g.account_name = "team-\"a\"\n";
    g.profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/A";
    g.api_endpoint = "https://runtime.us-east-1.kiro.dev/";
    g.api_flavour = "rest";
    g.origin = "AI_EDITOR";
    g.proxy = "http://u:p@proxy:3128";
    g.access_token = "at-é";
    g.serial = 3;
    g.holds_slot = true;
    g.rate_limit = 60;
    g.rate_remaining = 0;
    g.rate_reset_ms = 999;
    g.cache_read_estimate = 4000;
    g.cache_write_estimate = 0;
    return g;
}

UsageReport full_report() {
    UsageReport r;
    r.request = 12;
    r.key_id = 3;
    r.account_id = 4;
    r.endpoint = "/v1/messages";
    r.client_model = "claude-sonnet-4-5";
    r.upstream_model = "claude-sonnet-4.5";
    r.stream = true;
    r.status = 429;
    r.error_class = "upstream_throttle";
    r.input_tokens = 1000;
    r.output_tokens = -1;
    r.ttfb_ms = 15;
    r.duration_ms = 40;
    r.attempts = 3;
    r.client_address = "::1";
    r.user_agent = "claude-cli/2.1";
    return r;
}

AttemptOutcome full_outcome() {
    AttemptOutcome o;
    o.request = 12;
    o.account_id = 4;
    o.api_endpoint = "https://q.us-east-1.amazonaws.com/";
    o.upstream_model = "claude-sonnet-4.5";
    o.reached_upstream = true;
    o.error_class = "throttle";
    o.retry_after = 0;
    o.message = "Too many requests";
    o.retries_account = true;
    return o;
}

AdmitRequest full_admit() {
    AdmitRequest a;
    a.key_hash = std::string(64, 'f');
    a.request = 9;
    a.model = "claude-opus-4-6";
    a.upstream_model = "claude-opus-4.6";
    a.endpoint = "/v1/chat/completions";
    a.session = "s-1";
    a.stream = true;
    a.exclude = {3, 5, std::numeric_limits<std::uint64_t>::max()};
    a.prefix_hashes = {std::numeric_limits<std::uint64_t>::max(), 0};
    a.prefix_tokens = {10, 20};
    return a;
}

template <class M>
void round_trips(const M& m) {
    auto back = decode_message<M>(parsed(encode_message(m)));
    BOOST_REQUIRE(back.ok());
    BOOST_TEST((*back == m));
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_field_round_trips) {
    RefreshRequest f{4, 7, 2};
    auto refresh = decode_message<RefreshRequest>(parsed(encode_message(f)));
    BOOST_REQUIRE(refresh.ok());
    BOOST_TEST((*refresh == f));
    AdmitRequest a = full_admit();
    auto admit = decode_message<AdmitRequest>(parsed(encode_message(a)));
    BOOST_REQUIRE(admit.ok());
    BOOST_TEST((*admit == a));

    AccountGrant g = full_grant();
    auto grant = decode_message<AccountGrant>(parsed(encode_message(g)));
    BOOST_REQUIRE(grant.ok());
    BOOST_TEST((*grant == g));

    UsageReport r = full_report();
    auto report = decode_message<UsageReport>(parsed(encode_message(r)));
    BOOST_REQUIRE(report.ok());
    BOOST_TEST((*report == r));

    AttemptOutcome o = full_outcome();
    auto outcome = decode_message<AttemptOutcome>(parsed(encode_message(o)));
    BOOST_REQUIRE(outcome.ok());
    BOOST_TEST((*outcome == o));
    AnsweredRequest n{"/v1/models", 401, std::string(64, 'a'), "10.0.0.1", "curl/8", 3};
    auto answered = decode_message<AnsweredRequest>(parsed(encode_message(n)));
    BOOST_REQUIRE(answered.ok());
    BOOST_TEST((*answered == n));

    round_trips(Hello{3, 1234, 1, std::numeric_limits<std::int64_t>::max()});
    round_trips(Heartbeat{7, 2});
    round_trips(PoolSummary{2, 1, {"claude-sonnet-4.5", "a \"b\"", ""}});
    round_trips(WorkerRefused{"protocol version mismatch"});
    round_trips(LogLevelChange{"debug"});
    round_trips(AuthRequest{std::string(64, 'c'), "claude-opus-4-6"});
    round_trips(KeyGrant{9, {"claude-*", "gpt-4o"}, 60, 0, 999});
    round_trips(MetricsRequest{""});
    round_trips(AdminCall{"h", "account.import", JsonText{R"({"documents":[{"a":[1,{}]}]})"}});

    o.retry_after.reset();  // absent stays absent
    outcome = decode_message<AttemptOutcome>(parsed(encode_message(o)));
    BOOST_REQUIRE(outcome.ok());
    BOOST_TEST((*outcome == o));
}

BOOST_AUTO_TEST_CASE(absent_and_unknown_members_leave_the_defaults) {
    auto report =
        decode_message<UsageReport>(parsed(R"({"status": 200, "from_a_newer_worker": [1]})"));
    BOOST_REQUIRE(report.ok());
    UsageReport expected;
    expected.status = 200;
    BOOST_TEST((*report == expected));
}

BOOST_AUTO_TEST_CASE(a_member_of_the_wrong_type_is_named) {
    auto report = decode_message<UsageReport>(parsed(R"({"status": "200"})"));
    BOOST_REQUIRE(!report.ok());
    BOOST_TEST(report.error().message == "field 'status' must be an integer");
    auto grant = decode_message<AccountGrant>(parsed(R"({"account_id": -1})"));
    BOOST_REQUIRE(!grant.ok());
    BOOST_TEST(grant.error().message.find("account_id") != std::string::npos);
    BOOST_TEST(!decode_message<AccountGrant>(parsed("[]")).ok());
    auto admit = decode_message<AdmitRequest>(parsed(R"({"exclude": [1, "2"]})"));
    BOOST_REQUIRE(!admit.ok());
    BOOST_TEST(admit.error().message == "field 'exclude.1' must be an id");
    auto grant2 = decode_message<KeyGrant>(parsed(R"({"allowed_models": ["a", 1]})"));
    BOOST_REQUIRE(!grant2.ok());
    BOOST_TEST(grant2.error().message == "field 'allowed_models.1' must be a string");
    auto call = decode_message<AdminCall>(parsed(R"({"args": []})"));
    BOOST_REQUIRE(!call.ok());
    BOOST_TEST(call.error().message.find("args") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_message_frame_carries_its_type_and_args) {
    auto frame = parsed(message_frame("heartbeat", encode_message(Heartbeat{4, 1})));
    BOOST_TEST(std::string(frame["t"].GetString()) == "heartbeat");
    auto beat = decode_message<Heartbeat>(message_args(frame));
    BOOST_REQUIRE(beat.ok());
    BOOST_TEST((*beat == Heartbeat{4, 1}));
    BOOST_TEST(message_args(parsed(R"({"t":"drain"})")).ObjectEmpty());
}
