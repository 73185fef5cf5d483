#define BOOST_TEST_MODULE daemon_master_account_pool
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/master/account_health.hpp"
#include "daemon/master/account_pool.hpp"

using namespace amq;

namespace {

constexpr std::int64_t kT0 = 1797330600000;  // 2026-12-15T10:30:00Z
constexpr std::int64_t kSecond = 1000;

Account account(std::uint64_t id, std::int64_t rpm = 0, bool enabled = true) {
    Account a;
    a.id = id;
    a.name = "acct-" + std::to_string(id);
    a.requests_per_minute = rpm;
    a.enabled = enabled;
    return a;
}

Outcome outcome(Outcome::Kind kind, std::string message = {}) {
    Outcome o;
    o.kind = kind;
    o.message = std::move(message);
    return o;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// A pool, a health book and a fake clock.
struct Fixture {
    AccountPool pool;
    HealthBook health;
    std::vector<Account> accounts{account(1), account(2), account(3)};
    std::int64_t now = kT0;

    std::variant<Account, NoAccount> pick(std::set<std::uint64_t> exclude = {},
                                          std::string session = {}) {
        PickRequest request{std::move(exclude), std::move(session), now};
        return pool.pick(accounts, health, request);
    }
    // The id picked; 0 when nothing could serve.
    std::uint64_t id(std::set<std::uint64_t> exclude = {}, std::string session = {}) {
        auto r = pick(std::move(exclude), std::move(session));
        return std::holds_alternative<Account>(r) ? std::get<Account>(r).id : 0;
    }
    NoAccount none(std::set<std::uint64_t> exclude = {}) {
        auto r = pick(std::move(exclude));
        // Boost.Test builds the message even when the check passes: only a pick has an id.
        if (auto* a = std::get_if<Account>(&r)) BOOST_FAIL("picked account " << a->id);
        return std::get<NoAccount>(r);
    }
    void sticky(std::int64_t ttl_ms = 3600 * kSecond, std::size_t max_sessions = 100000) {
        PoolPolicy policy;
        policy.sticky_sessions = true;
        policy.session_ttl_ms = ttl_ms;
        policy.max_sessions = max_sessions;
        pool.set_policy(policy);
    }
    void throttle(std::uint64_t account_id, double seconds) {
        Outcome o = outcome(Outcome::Kind::throttled);
        o.retry_after_s = seconds;
        health.apply(account_id, o, now);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(round_robin_by_ascending_id_and_wraps, Fixture) {
    accounts = {account(30), account(10), account(20)};  // order of the list does not matter
    for (std::uint64_t expected : {10, 20, 30, 10, 20, 30, 10}) BOOST_CHECK_EQUAL(id(), expected);
}

BOOST_FIXTURE_TEST_CASE(round_robin_continues_after_a_vanished_account, Fixture) {
    BOOST_CHECK_EQUAL(id(), 1u);
    BOOST_CHECK_EQUAL(id(), 2u);
    accounts = {account(1), account(3)};
    BOOST_CHECK_EQUAL(id(), 3u);
    BOOST_CHECK_EQUAL(id(), 1u);
}

BOOST_FIXTURE_TEST_CASE(round_robin_skips_disabled_and_excluded, Fixture) {
    accounts[1].enabled = false;
    BOOST_CHECK_EQUAL(id(), 1u);
    BOOST_CHECK_EQUAL(id(), 3u);
    BOOST_CHECK_EQUAL(id({1}), 3u);
    BOOST_CHECK_EQUAL(id({1, 3}), 0u);
}

BOOST_FIXTURE_TEST_CASE(least_recently_used_with_ties_by_id, Fixture) {
    PoolPolicy policy;
    policy.strategy = PoolPolicy::Strategy::least_recently_used;
    pool.set_policy(policy);
    // Never used: ties, broken by id.
    BOOST_CHECK_EQUAL(id(), 1u);
    now += 1;
    BOOST_CHECK_EQUAL(id(), 2u);
    now += 1;
    BOOST_CHECK_EQUAL(id({3}), 1u);  // 3 excluded: 1 is older than 2
    now += 1;
    BOOST_CHECK_EQUAL(id(), 3u);  // never used
    now += 1;
    BOOST_CHECK_EQUAL(id(), 2u);
    now += 1;
    BOOST_CHECK_EQUAL(id(), 1u);
    // Same-millisecond picks: equal recency again goes by id.
    HealthBook fresh;
    AccountPool lru(policy);
    std::vector<Account> two{account(9), account(4)};
    BOOST_CHECK_EQUAL(std::get<Account>(lru.pick(two, fresh, PickRequest{{}, {}, now})).id, 4u);
    BOOST_CHECK_EQUAL(std::get<Account>(lru.pick(two, fresh, PickRequest{{}, {}, now})).id, 9u);
    BOOST_CHECK_EQUAL(std::get<Account>(lru.pick(two, fresh, PickRequest{{}, {}, now})).id, 4u);
}

BOOST_FIXTURE_TEST_CASE(requests_per_minute_window_edge_is_exactly_60_s, Fixture) {
    accounts = {account(1, 2)};
    BOOST_CHECK_EQUAL(id(), 1u);
    now += 10 * kSecond;
    BOOST_CHECK_EQUAL(id(), 1u);
    now = kT0 + 60 * kSecond - 1;  // the first pick is still in the window
    NoAccount n = none();
    BOOST_CHECK_EQUAL(n.status, 429);
    BOOST_CHECK(n.retry_at_ms == kT0 + 60 * kSecond);
    BOOST_CHECK(contains(n.message, "1 at their requests-per-minute limit"));
    now = kT0 + 60 * kSecond;  // exactly 60 s later it has left
    BOOST_CHECK_EQUAL(id(), 1u);
    NoAccount again = none();  // the second pick (t0 + 10 s) and the third fill it again
    BOOST_CHECK(again.retry_at_ms == kT0 + 70 * kSecond);
}

BOOST_FIXTURE_TEST_CASE(over_the_limit_the_next_account_serves, Fixture) {
    accounts = {account(1, 1), account(2, 0)};
    BOOST_CHECK_EQUAL(id(), 1u);
    BOOST_CHECK_EQUAL(id(), 2u);
    BOOST_CHECK_EQUAL(id(), 2u);                                   // 1 is at its limit
    for (int i = 0; i < 100; ++i) BOOST_CHECK_EQUAL(id({1}), 2u);  // 0 = unlimited
}

BOOST_FIXTURE_TEST_CASE(sticky_sessions_pin_and_re_pin, Fixture) {
    sticky();
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);
    BOOST_CHECK_EQUAL(id({}, "bob"), 2u);
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);
    BOOST_CHECK_EQUAL(id({}, "bob"), 2u);
    BOOST_CHECK_EQUAL(id(), 3u);  // no session: round-robin
    // The pinned account failed for this request: another serves and takes the pin.
    BOOST_CHECK_EQUAL(id({1}, "alice"), 2u);
    BOOST_CHECK_EQUAL(id({}, "alice"), 2u);
    // The pinned account cools down: re-pinned to one that can serve.
    throttle(2, 30);
    BOOST_CHECK_EQUAL(id({}, "alice"), 3u);
    BOOST_CHECK_EQUAL(id({}, "bob"), 1u);
    now += 31 * kSecond;
    BOOST_CHECK_EQUAL(id({}, "alice"), 3u);
    BOOST_CHECK_EQUAL(id({}, "bob"), 1u);
}

BOOST_FIXTURE_TEST_CASE(stickiness_off_ignores_the_session, Fixture) {
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);
    BOOST_CHECK_EQUAL(id({}, "alice"), 2u);
}

BOOST_FIXTURE_TEST_CASE(pins_expire_after_the_ttl, Fixture) {
    sticky(10 * kSecond);
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);
    now += 10 * kSecond - 1;
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);  // used: the TTL starts again
    now += 10 * kSecond - 1;
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);
    now += 10 * kSecond;  // unused for exactly the TTL: dropped
    BOOST_CHECK_EQUAL(id({}, "alice"), 2u);
    BOOST_CHECK_EQUAL(id({}, "alice"), 2u);
}

BOOST_FIXTURE_TEST_CASE(pins_are_bounded_least_recently_used_first, Fixture) {
    sticky(3600 * kSecond, 2);
    BOOST_CHECK_EQUAL(id({}, "a"), 1u);
    BOOST_CHECK_EQUAL(id({}, "b"), 2u);
    BOOST_CHECK_EQUAL(id({}, "a"), 1u);  // a is now the most recent (and the cursor is at 1)
    BOOST_CHECK_EQUAL(id({}, "c"), 2u);  // drops b
    BOOST_CHECK_EQUAL(id({}, "b"), 3u);  // b was forgotten: round-robin after 2; drops a
    BOOST_CHECK_EQUAL(id({}, "c"), 2u);  // still pinned
    BOOST_CHECK_EQUAL(id({}, "a"), 3u);  // a was forgotten: round-robin after 2, not its 1
    BOOST_CHECK_EQUAL(id({}, "a"), 3u);
}

BOOST_FIXTURE_TEST_CASE(forget_drops_pins_and_limits, Fixture) {
    sticky();
    BOOST_CHECK_EQUAL(id({}, "alice"), 1u);
    pool.forget(1);
    BOOST_CHECK_EQUAL(id(), 2u);
    BOOST_CHECK_EQUAL(id({}, "alice"), 3u);  // no pin left: round-robin

    accounts = {account(1, 1), account(2, 1)};
    BOOST_CHECK_EQUAL(id({2}), 1u);
    BOOST_CHECK_EQUAL(id({2}), 0u);  // 1 at its limit
    pool.forget(1);
    BOOST_CHECK_EQUAL(id({2}), 1u);
}

BOOST_FIXTURE_TEST_CASE(half_open_account_gets_one_trial, Fixture) {
    accounts = {account(1), account(2)};
    throttle(1, 30);
    BOOST_CHECK_EQUAL(id(), 2u);
    BOOST_CHECK_EQUAL(id(), 2u);
    now += 30 * kSecond;
    BOOST_CHECK_EQUAL(id(), 1u);  // the trial
    BOOST_CHECK(health.get(1).state == HealthState::half_open);
    BOOST_CHECK(health.get(1).trial_in_flight);
    for (int i = 0; i < 4; ++i) BOOST_CHECK_EQUAL(id(), 2u);
    // Only the half-open account left, its trial out: it answers soon.
    NoAccount n = none({2});
    BOOST_CHECK_EQUAL(n.status, 429);
    BOOST_CHECK(n.retry_at_ms == now + kSecond);
    health.apply(1, outcome(Outcome::Kind::success), now);
    BOOST_CHECK_EQUAL(id(), 1u);
    BOOST_CHECK_EQUAL(id(), 2u);
    BOOST_CHECK_EQUAL(id(), 1u);
}

BOOST_FIXTURE_TEST_CASE(retry_at_is_the_earliest_of_cooling_exhausted_and_rpm, Fixture) {
    accounts = {account(1), account(2), account(3, 1)};
    BOOST_CHECK_EQUAL(id({1, 2}), 3u);  // 3 now at its limit until t0 + 60 s
    throttle(1, 30);
    Outcome quota = outcome(Outcome::Kind::quota_exhausted);
    quota.reset_at_ms = now + 45 * kSecond;
    health.apply(2, quota, now);
    NoAccount n = none();
    BOOST_CHECK_EQUAL(n.status, 429);
    BOOST_CHECK(n.retry_at_ms == now + 30 * kSecond);
    BOOST_CHECK(contains(n.message, "1 cooling down"));
    BOOST_CHECK(contains(n.message, "1 out of monthly quota"));
    BOOST_CHECK(contains(n.message, "1 at their requests-per-minute limit"));
    BOOST_CHECK(contains(n.message, "retry in 30 s"));

    now += 20 * kSecond;
    throttle(1, 300);  // cooling extended: the quota date is now the earliest
    BOOST_CHECK(none().retry_at_ms == kT0 + 45 * kSecond);
    health.apply(2, outcome(Outcome::Kind::suspended, "banned"), now);
    BOOST_CHECK(none().retry_at_ms == kT0 + 60 * kSecond);  // the per-minute window
}

BOOST_FIXTURE_TEST_CASE(cooling_and_over_the_limit_waits_for_both, Fixture) {
    accounts = {account(1, 1)};
    BOOST_CHECK_EQUAL(id(), 1u);
    throttle(1, 5);  // free of the cool-down at +5 s, of the limit at +60 s
    BOOST_CHECK(none().retry_at_ms == kT0 + 60 * kSecond);
}

BOOST_FIXTURE_TEST_CASE(excluded_cooling_accounts_make_a_429, Fixture) {
    accounts = {account(1), account(2)};
    // The request failed over: 1 throttled, then 2 throttled too.
    throttle(1, 20);
    throttle(2, 40);
    NoAccount n = none({1, 2});
    BOOST_CHECK_EQUAL(n.status, 429);
    BOOST_CHECK(n.retry_at_ms == now + 20 * kSecond);
    BOOST_CHECK(contains(n.message, "2 already failed for this request"));

    // An excluded account still healthy (one transient error) is worth a retry shortly.
    HealthBook fresh;
    health = fresh;
    health.apply(1, outcome(Outcome::Kind::suspended), now);
    NoAccount soon = none({2});
    BOOST_CHECK_EQUAL(soon.status, 429);
    BOOST_CHECK(soon.retry_at_ms == now + kSecond);
}

BOOST_FIXTURE_TEST_CASE(all_quarantined_or_disabled_is_a_503, Fixture) {
    health.apply(1, outcome(Outcome::Kind::invalid_credential, "invalid_grant"), now);
    health.apply(2, outcome(Outcome::Kind::suspended, "TEMPORARILY_SUSPENDED"), now);
    health.set_disabled(3, true, now);
    NoAccount n = none();
    BOOST_CHECK_EQUAL(n.status, 503);
    BOOST_CHECK(!n.retry_at_ms);
    BOOST_CHECK_EQUAL(n.message,
                      "all 3 enabled accounts are quarantined or failed for this request: "
                      "acct-1: invalid credential (invalid_grant); "
                      "acct-2: suspended by the upstream (TEMPORARILY_SUSPENDED); "
                      "acct-3: disabled by an admin");
    // Excluding a quarantined account changes nothing.
    BOOST_CHECK_EQUAL(none({1}).status, 503);
}

BOOST_FIXTURE_TEST_CASE(the_503_message_is_one_bounded_line, Fixture) {
    accounts.clear();
    for (std::uint64_t i = 1; i <= 40; ++i) {
        accounts.push_back(account(i));
        health.apply(i, outcome(Outcome::Kind::invalid_credential, std::string(500, 'x') + "\nz"),
                     now);
    }
    NoAccount n = none();
    BOOST_CHECK_EQUAL(n.status, 503);
    BOOST_CHECK(n.message.find('\n') == std::string::npos);
    BOOST_CHECK_LT(n.message.size(), 1000u);
    BOOST_CHECK(contains(n.message, "all 40 enabled accounts"));
    BOOST_CHECK(contains(n.message, "and 35 more"));
}

BOOST_FIXTURE_TEST_CASE(no_enabled_account_is_a_503, Fixture) {
    for (Account& a : accounts) a.enabled = false;
    NoAccount n = none();
    BOOST_CHECK_EQUAL(n.status, 503);
    BOOST_CHECK(!n.retry_at_ms);
    BOOST_CHECK(contains(n.message, "are disabled; enable one with amq2apictl account enable"));
    accounts.clear();
    BOOST_CHECK_EQUAL(none().message, "no Amazon Q account; add one with amq2apictl account add");
}

BOOST_FIXTURE_TEST_CASE(a_cooling_account_is_never_used_anyway, Fixture) {
    accounts = {account(1)};
    throttle(1, 30);
    for (int i = 0; i < 3; ++i) {
        NoAccount n = none();
        BOOST_CHECK_EQUAL(n.status, 429);
        BOOST_CHECK(n.retry_at_ms == kT0 + 30 * kSecond);
        now += 5 * kSecond;
    }
}

BOOST_FIXTURE_TEST_CASE(accounts_to_avoid_are_picked_only_when_nothing_else_can_serve, Fixture) {
    PickRequest request{{}, {}, now};
    request.avoid = {1, 2};
    for (int i = 0; i < 3; ++i) {
        auto picked = pool.pick(accounts, health, request);
        BOOST_TEST(std::get<Account>(picked).id == 3u);
    }
    request.exclude = {3};
    BOOST_TEST(std::get<Account>(pool.pick(accounts, health, request)).id != 3u);
}

// Counted across hosts: an account the database says has had its minute's worth is passed
// over until it has room, and the 429 says when; an account without a pace ignores it.
BOOST_FIXTURE_TEST_CASE(an_account_paced_elsewhere_waits_until_it_has_room, Fixture) {
    accounts = {account(1, 10), account(2)};
    pool.paced_elsewhere(1, now + 20 * kSecond);
    pool.paced_elsewhere(1, now + 5 * kSecond);  // an earlier word never shortens the wait
    BOOST_CHECK_EQUAL(id(), 2u);
    BOOST_CHECK_EQUAL(id(), 2u);
    accounts = {account(1, 10)};
    NoAccount n = none();
    BOOST_CHECK_EQUAL(n.status, 429);
    BOOST_CHECK(n.retry_at_ms == now + 20 * kSecond);
    BOOST_CHECK(contains(n.message, "1 at their requests-per-minute limit"));
    now += 20 * kSecond;
    BOOST_CHECK_EQUAL(id(), 1u);

    accounts = {account(1)};
    pool.paced_elsewhere(1, now + 20 * kSecond);
    BOOST_CHECK_EQUAL(id(), 1u);
}
