#define BOOST_TEST_MODULE daemon_master_account_health
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/master/account_health.hpp"

using namespace amq;

namespace {

constexpr std::uint64_t kId = 7;
constexpr std::int64_t kT0 = 1797330600000;  // 2026-12-15T10:30:00Z
constexpr std::int64_t kSecond = 1000;

Outcome outcome(Outcome::Kind kind, std::string message = {}) {
    Outcome o;
    o.kind = kind;
    o.message = std::move(message);
    return o;
}

Outcome throttled(std::optional<double> retry_after_s = std::nullopt) {
    Outcome o = outcome(Outcome::Kind::throttled);
    o.retry_after_s = retry_after_s;
    return o;
}

Outcome quota(std::int64_t reset_at_ms) {
    Outcome o = outcome(Outcome::Kind::quota_exhausted);
    o.reset_at_ms = reset_at_ms;
    return o;
}

const Outcome kSuccess = outcome(Outcome::Kind::success);
const Outcome kTransient = outcome(Outcome::Kind::transient, "connection reset");

std::string state_of(const HealthBook& book) {
    return std::string(health_state_name(book.get(kId).state));
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// A fake clock: the tests move time by hand.
struct Fixture {
    HealthBook book;
    std::int64_t now = kT0;

    bool apply(const Outcome& o) { return book.apply(kId, o, now); }
    const AccountHealth& h() const { return book.get(kId); }
    // Three transient failures: a cool-down at the current back-off.
    void fail_transiently() {
        for (int i = 0; i < 3; ++i) apply(kTransient);
    }
    // Lets the cool-down run out: the account becomes half-open.
    void wait_out() {
        now = h().until_ms;
        BOOST_REQUIRE(book.advance(kId, now));
        BOOST_REQUIRE_EQUAL(state_of(book), "half_open");
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(state_names_round_trip) {
    for (HealthState s : {HealthState::healthy, HealthState::cooling, HealthState::half_open,
                          HealthState::exhausted, HealthState::quarantined, HealthState::disabled})
        BOOST_CHECK(parse_health_state(health_state_name(s)) == s);
    BOOST_CHECK_EQUAL(health_state_name(HealthState::half_open), "half_open");
    BOOST_CHECK(!parse_health_state("Healthy"));
    BOOST_CHECK(!parse_health_state(""));
}

BOOST_FIXTURE_TEST_CASE(unknown_account_is_healthy, Fixture) {
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK(book.may_serve(kId, now));
    BOOST_CHECK(book.available_at(kId, now) == now);
    BOOST_CHECK(!book.advance(kId, now));
}

BOOST_FIXTURE_TEST_CASE(throttle_without_retry_after_cools_briefly_then_longer, Fixture) {
    BOOST_CHECK(apply(throttled()));
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    BOOST_CHECK(contains(h().reason, "throttled by the upstream; cooling "));
    BOOST_CHECK_EQUAL(h().since_ms, now);
    std::int64_t first = h().until_ms - now;
    BOOST_CHECK(first >= 2400 && first <= 3600);  // 3 s ± 20 %
    BOOST_CHECK_EQUAL(h().cooldowns, 1);
    BOOST_CHECK(!book.may_serve(kId, now));
    BOOST_CHECK(book.available_at(kId, now) == h().until_ms);
    BOOST_REQUIRE_EQUAL(h().events.size(), 1u);
    const HealthEvent& e = h().events.back();
    BOOST_CHECK(e.from == HealthState::healthy && e.to == HealthState::cooling);
    BOOST_CHECK_EQUAL(e.reason, h().reason);

    // Throttled again on its trial: twice as long; then four times; a success resets it.
    now = h().until_ms;
    BOOST_CHECK(book.may_serve(kId, now));
    book.take(kId);
    apply(throttled());
    std::int64_t second = h().until_ms - now;
    BOOST_CHECK(second >= 4800 && second <= 7200);
    now = h().until_ms;
    book.may_serve(kId, now);
    book.take(kId);
    apply(throttled());
    BOOST_CHECK(h().until_ms - now >= 9600);
    now = h().until_ms;
    book.may_serve(kId, now);
    book.take(kId);
    apply(kSuccess);
    BOOST_CHECK_EQUAL(h().throttles, 0);
    apply(throttled());
    BOOST_CHECK(h().until_ms - now <= 3600);
}

BOOST_FIXTURE_TEST_CASE(the_upstreams_message_is_in_the_reason, Fixture) {
    apply(outcome(Outcome::Kind::throttled, "Too many requests, please wait"));
    BOOST_CHECK(contains(h().reason, "Too many requests, please wait"));
}

BOOST_FIXTURE_TEST_CASE(suspicious_activity_rests_the_account_long, Fixture) {
    BOOST_CHECK(apply(outcome(Outcome::Kind::suspicious,
                              "Due to suspicious activity, we are imposing temporary limits")));
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    BOOST_CHECK_EQUAL(h().until_ms, now + 1800 * kSecond);
    BOOST_CHECK(contains(h().reason, "suspicious activity"));
    BOOST_CHECK(!apply(throttled(5)));  // a late throttle does not shorten it
    BOOST_CHECK_EQUAL(h().until_ms, now + 1800 * kSecond);
}

BOOST_FIXTURE_TEST_CASE(retry_after_is_honoured_and_capped, Fixture) {
    apply(throttled(12.5));
    BOOST_CHECK_EQUAL(h().until_ms, now + 12500);
    BOOST_CHECK_EQUAL(h().reason, "throttled by the upstream; cooling 12.5 s");

    HealthBook capped;
    capped.apply(kId, throttled(3600), now);
    BOOST_CHECK_EQUAL(capped.get(kId).until_ms, now + 300 * kSecond);
    BOOST_CHECK_EQUAL(capped.get(kId).reason, "throttled by the upstream; cooling 300 s");

    HealthBook negative;  // nonsense from the upstream does not cool into the past
    negative.apply(kId, throttled(-5), now);
    BOOST_CHECK_EQUAL(negative.get(kId).until_ms, now);
}

BOOST_FIXTURE_TEST_CASE(cool_down_ends_in_a_single_half_open_trial, Fixture) {
    apply(throttled(30));
    BOOST_CHECK(!book.advance(kId, now + 30 * kSecond - 1));
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    now += 30 * kSecond;
    BOOST_CHECK(book.may_serve(kId, now));  // advances by itself
    BOOST_CHECK_EQUAL(state_of(book), "half_open");
    BOOST_CHECK_EQUAL(h().reason, "cool-down over; one trial request allowed");
    BOOST_CHECK(book.available_at(kId, now) == now);

    book.take(kId);
    BOOST_CHECK(h().trial_in_flight);
    BOOST_CHECK(!book.may_serve(kId, now));
    BOOST_CHECK(!book.may_serve(kId, now + 3600 * kSecond));
    BOOST_CHECK(book.available_at(kId, now) == now + kSecond);

    BOOST_CHECK(apply(kSuccess));
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK_EQUAL(h().reason, "");
    BOOST_CHECK_EQUAL(h().cooldowns, 0);
    BOOST_CHECK(!h().trial_in_flight);
    BOOST_CHECK(book.may_serve(kId, now));
    BOOST_CHECK_EQUAL(h().events.size(), 3u);
}

BOOST_FIXTURE_TEST_CASE(take_leaves_a_healthy_account_alone, Fixture) {
    book.take(kId);
    BOOST_CHECK(!h().trial_in_flight);
    BOOST_CHECK(book.may_serve(kId, now));
}

BOOST_FIXTURE_TEST_CASE(transient_failures_cool_at_the_threshold, Fixture) {
    BOOST_CHECK(!apply(kTransient));
    BOOST_CHECK(!apply(kTransient));
    BOOST_CHECK_EQUAL(h().transient_failures, 2);
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK(!apply(kSuccess));  // a success breaks the run
    BOOST_CHECK_EQUAL(h().transient_failures, 0);

    BOOST_CHECK(!apply(kTransient));
    BOOST_CHECK(!apply(kTransient));
    BOOST_CHECK(apply(kTransient));
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    BOOST_CHECK_EQUAL(h().until_ms, now + 10 * kSecond);
    BOOST_CHECK_EQUAL(h().cooldowns, 1);
    BOOST_CHECK_EQUAL(h().transient_failures, 0);
    BOOST_CHECK(contains(h().reason, "3 consecutive transient failures"));
    BOOST_CHECK(contains(h().reason, "connection reset"));
    BOOST_CHECK(contains(h().reason, "cooling 10 s"));
}

BOOST_FIXTURE_TEST_CASE(failed_trials_double_the_back_off_up_to_the_cap, Fixture) {
    fail_transiently();
    BOOST_CHECK_EQUAL(h().until_ms - now, 10 * kSecond);
    for (std::int64_t expected : {20, 40, 80, 160, 320, 600, 600}) {
        wait_out();
        book.take(kId);
        BOOST_CHECK(apply(kTransient));  // one failed trial is enough
        BOOST_CHECK_EQUAL(state_of(book), "cooling");
        BOOST_CHECK_EQUAL(h().until_ms - now, expected * kSecond);
        BOOST_CHECK(!h().trial_in_flight);
    }
    BOOST_CHECK_EQUAL(h().cooldowns, 8);
    wait_out();
    apply(kSuccess);
    BOOST_CHECK_EQUAL(h().cooldowns, 0);
    fail_transiently();  // back to the base after a success
    BOOST_CHECK_EQUAL(h().until_ms - now, 10 * kSecond);
}

BOOST_FIXTURE_TEST_CASE(back_off_survives_huge_exponents, Fixture) {
    AccountHealth loaded;
    loaded.state = HealthState::half_open;
    loaded.cooldowns = 100000;
    book.load(kId, loaded);
    apply(kTransient);
    BOOST_CHECK_EQUAL(h().until_ms - now, 600 * kSecond);
}

BOOST_FIXTURE_TEST_CASE(a_throttled_trial_waits_what_the_upstream_asks, Fixture) {
    apply(throttled(30));  // 30 s, cooldowns 1
    wait_out();
    apply(throttled(5));  // no transient back-off for a throttle: the upstream knows best
    BOOST_CHECK_EQUAL(h().until_ms - now, 5 * kSecond);
    BOOST_CHECK_EQUAL(h().cooldowns, 2);
    wait_out();
    apply(throttled(100));
    BOOST_CHECK_EQUAL(h().until_ms - now, 100 * kSecond);
    BOOST_CHECK(contains(h().reason, "trial request throttled"));
}

BOOST_FIXTURE_TEST_CASE(late_answers_do_not_disturb_a_cool_down, Fixture) {
    apply(throttled(60));
    std::int64_t until = h().until_ms;
    std::size_t events = h().events.size();
    BOOST_CHECK(!apply(kSuccess));
    BOOST_CHECK(!apply(kTransient));
    BOOST_CHECK(!apply(throttled(10)));  // shorter than the running cool-down
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    BOOST_CHECK_EQUAL(h().until_ms, until);
    BOOST_CHECK_EQUAL(h().transient_failures, 0);
    BOOST_CHECK_EQUAL(h().events.size(), events);

    now += 10 * kSecond;
    BOOST_CHECK(apply(throttled(120)));  // a longer Retry-After extends it
    BOOST_CHECK_EQUAL(h().until_ms, now + 120 * kSecond);
    BOOST_CHECK_EQUAL(h().cooldowns, 1);  // not a new cool-down
    BOOST_CHECK_EQUAL(h().since_ms, kT0);
}

BOOST_FIXTURE_TEST_CASE(quota_with_a_reset_date, Fixture) {
    std::int64_t reset = now + 3 * 86400 * kSecond;
    BOOST_CHECK(apply(quota(reset)));
    BOOST_CHECK_EQUAL(state_of(book), "exhausted");
    BOOST_CHECK_EQUAL(h().until_ms, reset);
    BOOST_CHECK(!book.may_serve(kId, reset - 1));
    BOOST_CHECK(book.available_at(kId, now) == reset);
    BOOST_CHECK(!apply(quota(reset)));  // the same news again changes nothing
    BOOST_CHECK(book.may_serve(kId, reset));
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK(h().events.back().from == HealthState::exhausted);
}

BOOST_FIXTURE_TEST_CASE(quota_without_a_date_resets_next_month_across_a_year_end, Fixture) {
    apply(quota(0));                                 // 2026-12-15T10:30Z
    BOOST_CHECK_EQUAL(h().until_ms, 1798761600000);  // 2027-01-01T00:00Z
    BOOST_CHECK(contains(h().reason, "monthly quota"));
}

BOOST_AUTO_TEST_CASE(next_month_dates) {
    struct Case {
        std::int64_t now, reset;
    };
    for (Case c : {Case{1709251199000, 1709251200000},  // 2024-02-29T23:59:59 → 03-01
                   Case{1777593600000, 1780272000000},  // 2026-05-01T00:00 → 06-01
                   Case{1780271999999, 1780272000000},  // 2026-05-31T23:59:59.999 → 06-01
                   Case{-43200000, 0},                  // 1969-12-31T12:00 → 1970-01-01
                   Case{0, 2678400000}}) {              // 1970-01-01 → 1970-02-01
        HealthBook book;
        book.apply(kId, quota(0), c.now);
        BOOST_CHECK_EQUAL(book.get(kId).until_ms, c.reset);
    }
}

BOOST_FIXTURE_TEST_CASE(suspension_is_not_lifted_by_a_refresh, Fixture) {
    BOOST_CHECK(apply(outcome(Outcome::Kind::suspended, "TEMPORARILY_SUSPENDED")));
    BOOST_CHECK_EQUAL(state_of(book), "quarantined");
    BOOST_CHECK(contains(h().reason, "TEMPORARILY_SUSPENDED"));
    BOOST_CHECK(!book.may_serve(kId, now));
    BOOST_CHECK(!book.available_at(kId, now));
    BOOST_CHECK(!book.advance(kId, now + 365LL * 86400 * kSecond));
    BOOST_CHECK(!apply(outcome(Outcome::Kind::refresh_succeeded)));
    BOOST_CHECK(!apply(outcome(Outcome::Kind::invalid_credential, "invalid_grant")));
    BOOST_CHECK(!apply(outcome(Outcome::Kind::refresh_succeeded)));
    BOOST_CHECK(!apply(quota(now + kSecond)));  // would leave by time
    BOOST_CHECK(!apply(throttled()));
    BOOST_CHECK(!apply(kSuccess));
    BOOST_CHECK_EQUAL(state_of(book), "quarantined");
    BOOST_CHECK(contains(h().reason, "TEMPORARILY_SUSPENDED"));
}

BOOST_FIXTURE_TEST_CASE(credential_quarantine_is_lifted_by_a_refresh, Fixture) {
    apply(kTransient);
    BOOST_CHECK(apply(outcome(Outcome::Kind::invalid_credential, "invalid_grant")));
    BOOST_CHECK_EQUAL(state_of(book), "quarantined");
    BOOST_CHECK_EQUAL(h().reason, "invalid credential (invalid_grant)");
    BOOST_CHECK(!book.available_at(kId, now));
    BOOST_CHECK(apply(outcome(Outcome::Kind::refresh_succeeded)));
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK_EQUAL(h().transient_failures, 0);
    BOOST_CHECK(!apply(outcome(Outcome::Kind::refresh_succeeded)));  // healthy: nothing to do

    // A suspension overrides a credential quarantine.
    apply(outcome(Outcome::Kind::invalid_credential, "invalid_grant"));
    BOOST_CHECK(apply(outcome(Outcome::Kind::suspended, "suspended")));
    BOOST_CHECK(!apply(outcome(Outcome::Kind::refresh_succeeded)));
    BOOST_CHECK_EQUAL(state_of(book), "quarantined");
}

BOOST_FIXTURE_TEST_CASE(quarantine_kind_survives_a_reload, Fixture) {
    apply(outcome(Outcome::Kind::invalid_credential, "invalid_grant"));
    AccountHealth saved = h();
    HealthBook restarted;
    restarted.load(kId, saved);
    BOOST_CHECK(restarted.apply(kId, outcome(Outcome::Kind::refresh_succeeded), now));
    BOOST_CHECK(restarted.get(kId).state == HealthState::healthy);
}

BOOST_FIXTURE_TEST_CASE(refresh_leaves_other_states_alone, Fixture) {
    apply(throttled(30));
    BOOST_CHECK(!apply(outcome(Outcome::Kind::refresh_succeeded)));
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
}

BOOST_FIXTURE_TEST_CASE(config_error_is_recorded_without_a_move, Fixture) {
    apply(throttled(30));
    std::size_t events = h().events.size();
    BOOST_CHECK(apply(outcome(Outcome::Kind::config_error, "The provided credential is invalid.")));
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    BOOST_CHECK_EQUAL(h().reason, "throttled by the upstream; cooling 30 s");
    BOOST_REQUIRE_EQUAL(h().events.size(), events + 1);
    const HealthEvent& e = h().events.back();
    BOOST_CHECK(e.from == HealthState::cooling && e.to == HealthState::cooling);
    BOOST_CHECK(contains(e.reason, "The provided credential is invalid."));
}

BOOST_FIXTURE_TEST_CASE(disabled_is_sticky, Fixture) {
    apply(throttled(30));
    BOOST_CHECK(book.set_disabled(kId, true, now));
    BOOST_CHECK_EQUAL(state_of(book), "disabled");
    BOOST_CHECK_EQUAL(h().reason, "disabled by an admin");
    BOOST_CHECK(!book.set_disabled(kId, true, now));
    std::size_t events = h().events.size();
    for (const Outcome& o :
         {kSuccess, kTransient, throttled(), quota(0), outcome(Outcome::Kind::suspended),
          outcome(Outcome::Kind::invalid_credential), outcome(Outcome::Kind::refresh_succeeded),
          outcome(Outcome::Kind::config_error, "x")}) {
        BOOST_CHECK(!apply(o));
        BOOST_CHECK_EQUAL(state_of(book), "disabled");
    }
    BOOST_CHECK(!book.advance(kId, now + 3600 * kSecond));
    BOOST_CHECK(!book.may_serve(kId, now + 3600 * kSecond));
    BOOST_CHECK(!book.available_at(kId, now));
    BOOST_CHECK_EQUAL(h().events.size(), events);

    BOOST_CHECK(book.set_disabled(kId, false, now));
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK_EQUAL(h().cooldowns, 0);
    BOOST_CHECK_EQUAL(h().transient_failures, 0);
    BOOST_CHECK_EQUAL(h().reason, "");
}

BOOST_FIXTURE_TEST_CASE(enabling_touches_only_a_disabled_account, Fixture) {
    BOOST_CHECK(!book.set_disabled(kId, false, now));
    apply(outcome(Outcome::Kind::suspended, "banned"));
    BOOST_CHECK(!book.set_disabled(kId, false, now));
    BOOST_CHECK_EQUAL(state_of(book), "quarantined");
    // Disabling and enabling does not lift a quarantine: only a check or an admin's reset.
    BOOST_CHECK(book.set_disabled(kId, true, now));
    BOOST_CHECK_EQUAL(state_of(book), "disabled");
    BOOST_CHECK(book.set_disabled(kId, false, now));
    BOOST_CHECK_EQUAL(state_of(book), "quarantined");
    BOOST_CHECK(contains(h().reason, "banned"));
}

BOOST_FIXTURE_TEST_CASE(an_admins_reset_lifts_any_state_but_a_disable, Fixture) {
    apply(outcome(Outcome::Kind::suspended, "locked your account"));
    now += kSecond;
    BOOST_CHECK(book.reset(kId, "ticket 1234", now));
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
    BOOST_CHECK(book.may_serve(kId, now));
    BOOST_CHECK_EQUAL(h().events.back().reason, "health reset by an admin: ticket 1234");
    BOOST_CHECK(!book.reset(kId, "again", now));  // nothing left to reset

    for (int i = 0; i < 3; ++i) apply(throttled());
    BOOST_CHECK_EQUAL(state_of(book), "cooling");
    BOOST_CHECK(book.reset(kId, "cooling", now));
    BOOST_CHECK_EQUAL(h().throttles, 0);
    BOOST_CHECK_EQUAL(h().cooldowns, 0);
    BOOST_CHECK(book.may_serve(kId, now));

    // Disabled with a quarantine held: it stays disabled, and an enable no longer brings the
    // quarantine back.
    apply(outcome(Outcome::Kind::suspended, "banned"));
    book.set_disabled(kId, true, now);
    BOOST_CHECK(book.reset(kId, "unbanned", now));
    BOOST_CHECK_EQUAL(state_of(book), "disabled");
    BOOST_CHECK(h().held.empty());
    BOOST_CHECK(book.set_disabled(kId, false, now));
    BOOST_CHECK_EQUAL(state_of(book), "healthy");
}

BOOST_FIXTURE_TEST_CASE(half_open_trial_is_disabled_too, Fixture) {
    apply(throttled(30));
    wait_out();
    book.take(kId);
    book.set_disabled(kId, true, now);
    BOOST_CHECK(!h().trial_in_flight);
    BOOST_CHECK(!apply(kSuccess));  // the trial's answer does not re-enable it
    BOOST_CHECK_EQUAL(state_of(book), "disabled");
}

BOOST_AUTO_TEST_CASE(event_log_is_trimmed) {
    HealthPolicy policy;
    policy.keep_events = 3;
    HealthBook book(policy);
    std::int64_t now = kT0;
    for (int i = 0; i < 5; ++i) {
        book.set_disabled(kId, true, now + i);
        book.set_disabled(kId, false, now + i);
    }
    const AccountHealth& h = book.get(kId);
    BOOST_REQUIRE_EQUAL(h.events.size(), 3u);
    BOOST_CHECK_EQUAL(h.events.front().at_ms, now + 3);  // the oldest kept
    BOOST_CHECK(h.events.front().to == HealthState::healthy);
    BOOST_CHECK_EQUAL(h.events.back().at_ms, now + 4);
    BOOST_CHECK(h.events.back().to == HealthState::healthy);
}

BOOST_AUTO_TEST_CASE(load_forgets_the_trial_and_trims) {
    HealthPolicy policy;
    policy.keep_events = 2;
    HealthBook book(policy);
    AccountHealth h;
    h.state = HealthState::half_open;
    h.trial_in_flight = true;
    for (int i = 0; i < 5; ++i) h.events.push_back(HealthEvent{i, {}, {}, "e"});
    book.load(kId, h);
    BOOST_CHECK(!book.get(kId).trial_in_flight);
    BOOST_CHECK(book.may_serve(kId, kT0));
    BOOST_REQUIRE_EQUAL(book.get(kId).events.size(), 2u);
    BOOST_CHECK_EQUAL(book.get(kId).events.front().at_ms, 3);

    book.forget(kId);
    BOOST_CHECK(book.get(kId).state == HealthState::healthy);
    BOOST_CHECK(book.get(kId).events.empty());
}

BOOST_AUTO_TEST_CASE(custom_policy) {
    HealthPolicy policy;
    policy.transient_threshold = 1;
    policy.transient_base_s = 2;
    policy.transient_max_s = 5;
    policy.throttle_default_s = 7;
    HealthBook book(policy);
    Outcome transient = kTransient;
    BOOST_CHECK(book.apply(kId, transient, kT0));
    BOOST_CHECK_EQUAL(book.get(kId).until_ms, kT0 + 2 * kSecond);
    book.advance(kId, kT0 + 2 * kSecond);
    book.apply(kId, transient, kT0 + 2 * kSecond);
    BOOST_CHECK_EQUAL(book.get(kId).until_ms, kT0 + 6 * kSecond);  // 4 s
    book.advance(kId, kT0 + 6 * kSecond);
    book.apply(kId, transient, kT0 + 6 * kSecond);
    BOOST_CHECK_EQUAL(book.get(kId).until_ms, kT0 + 11 * kSecond);  // capped at 5 s

    HealthBook other(policy);
    other.apply(kId, throttled(), kT0);
    BOOST_CHECK(other.get(kId).until_ms >= kT0 + 5600 && other.get(kId).until_ms <= kT0 + 8400);
}

BOOST_AUTO_TEST_CASE(a_released_trial_lets_another_request_try) {
    amq::HealthBook book;
    book.apply(1, throttled(5), 0);
    BOOST_REQUIRE(book.may_serve(1, 10000));
    book.take(1);
    BOOST_CHECK(!book.may_serve(1, 10001));
    book.release(1);
    BOOST_CHECK(book.may_serve(1, 10002));
}
