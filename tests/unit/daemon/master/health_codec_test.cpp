#define BOOST_TEST_MODULE daemon_master_health_codec
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/json.hpp"
#include "common/result.hpp"
#include "daemon/master/health_codec.hpp"

using namespace amq;

namespace {

// Boost.Test builds a message even when the check passes: only ask a failure for its error.
template <class T>
std::string why(const Result<T>& r) {
    return r.ok() ? std::string() : r.error().message;
}

void check_corrupt(const std::string& text, const std::string& message) {
    Result<AccountHealth> r = decode_health(text);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "decoded: " << text);
    BOOST_CHECK_EQUAL(errc_name(r.error().code), errc_name(Errc::internal));
    BOOST_CHECK_EQUAL(r.error().message, message);
}

AccountHealth sample() {
    AccountHealth h;
    h.state = HealthState::cooling;
    h.reason = "throttled by the upstream; cooling 30 s \"quoted\" \xc3\xa9";
    h.since_ms = 1797330600000;
    h.until_ms = 1797330630000;
    h.transient_failures = 2;
    h.cooldowns = 3;
    h.trial_in_flight = true;
    h.events.push_back({1797330000000, HealthState::healthy, HealthState::half_open, "a"});
    h.events.push_back({1797330600000, HealthState::half_open, HealthState::cooling, "b\nc"});
    return h;
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip) {
    AccountHealth h = sample();
    std::string text = encode_health(h);
    Result<AccountHealth> back = decode_health(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK(back->state == h.state);
    BOOST_CHECK_EQUAL(back->reason, h.reason);
    BOOST_CHECK_EQUAL(back->since_ms, h.since_ms);
    BOOST_CHECK_EQUAL(back->until_ms, h.until_ms);
    BOOST_CHECK_EQUAL(back->transient_failures, 2);
    BOOST_CHECK_EQUAL(back->cooldowns, 3);
    BOOST_CHECK(!back->trial_in_flight);  // not persisted
    BOOST_REQUIRE_EQUAL(back->events.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        BOOST_CHECK_EQUAL(back->events[i].at_ms, h.events[i].at_ms);
        BOOST_CHECK(back->events[i].from == h.events[i].from);
        BOOST_CHECK(back->events[i].to == h.events[i].to);
        BOOST_CHECK_EQUAL(back->events[i].reason, h.events[i].reason);
    }
    BOOST_CHECK_EQUAL(encode_health(*back), text);  // stable: nothing lost, nothing added
}

BOOST_AUTO_TEST_CASE(document_shape) {
    auto doc = parse_json(encode_health(sample()));
    BOOST_REQUIRE(doc.ok());
    BOOST_CHECK_EQUAL((*doc)["v"].GetInt(), 1);
    BOOST_CHECK_EQUAL(std::string((*doc)["state"].GetString()), "cooling");
    BOOST_CHECK(!doc->HasMember("trial_in_flight"));
    BOOST_REQUIRE((*doc)["events"].IsArray());
    const auto& e = (*doc)["events"][1];
    BOOST_CHECK_EQUAL(std::string(e["from"].GetString()), "half_open");
    BOOST_CHECK_EQUAL(std::string(e["to"].GetString()), "cooling");
    BOOST_CHECK_EQUAL(e["at_ms"].GetInt64(), 1797330600000);
}

BOOST_AUTO_TEST_CASE(every_state_round_trips) {
    for (HealthState s :
         {HealthState::healthy, HealthState::cooling, HealthState::half_open,
          HealthState::exhausted, HealthState::quarantined, HealthState::disabled}) {
        AccountHealth h;
        h.state = s;
        Result<AccountHealth> back = decode_health(encode_health(h));
        BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
        BOOST_CHECK(back->state == s);
        BOOST_CHECK(back->events.empty());
    }
}

BOOST_AUTO_TEST_CASE(missing_optional_fields_take_defaults) {
    Result<AccountHealth> h = decode_health(R"({"v":1,"state":"quarantined"})");
    BOOST_REQUIRE_MESSAGE(h.ok(), why(h));
    BOOST_CHECK(h->state == HealthState::quarantined);
    BOOST_CHECK_EQUAL(h->reason, "");
    BOOST_CHECK_EQUAL(h->until_ms, 0);
    BOOST_CHECK_EQUAL(h->cooldowns, 0);
    BOOST_CHECK(h->events.empty());
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_corrupt_record) {
    Result<AccountHealth> not_json = decode_health("{");
    BOOST_REQUIRE(!not_json.ok());
    BOOST_CHECK_EQUAL(errc_name(not_json.error().code), errc_name(Errc::internal));
    BOOST_CHECK(not_json.error().message.starts_with("corrupt health record: "));

    check_corrupt("[]", "corrupt health record: expected a JSON object");
    check_corrupt(R"({"state":"healthy"})", "corrupt health record: field 'v' is required");
    check_corrupt(R"({"v":2,"state":"healthy"})",
                  "corrupt health record: unsupported format version 2");
    check_corrupt(R"({"v":1})", "corrupt health record: field 'state' is required");
    check_corrupt(R"({"v":1,"state":"sleepy"})",
                  "corrupt health record: field 'state' names an unknown state 'sleepy'");
    check_corrupt(R"({"v":1,"state":1})", "corrupt health record: field 'state' must be a string");
    check_corrupt(R"({"v":1,"state":"healthy","until_ms":"soon"})",
                  "corrupt health record: field 'until_ms' must be an integer");
    check_corrupt(R"({"v":1,"state":"healthy","cooldowns":-1})",
                  "corrupt health record: field 'cooldowns' must be between 0 and 2147483647");
    check_corrupt(R"({"v":1,"state":"healthy","events":{}})",
                  "corrupt health record: field 'events' must be an array");
    check_corrupt(R"({"v":1,"state":"healthy","events":[3]})",
                  "corrupt health record: 'events.0' must be an object");
    check_corrupt(R"({"v":1,"state":"healthy","events":[{"from":"healthy","to":"x"}]})",
                  "corrupt health record: field 'events.0.to' names an unknown state 'x'");
    check_corrupt(R"({"v":1,"state":"healthy","events":[)"
                  R"({"from":"healthy","to":"cooling"},{"to":"cooling"}]})",
                  "corrupt health record: field 'events.1.from' is required");
    check_corrupt(
        R"({"v":1,"state":"healthy","events":[{"at_ms":1.5,"from":"healthy","to":"cooling"}]})",
        "corrupt health record: field 'events.0.at_ms' must be an integer");
}
