#define BOOST_TEST_MODULE daemon_master_key_limits
#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "daemon/master/key_limits.hpp"

using namespace amq;

namespace {

constexpr std::uint64_t kKey = 3;
constexpr std::int64_t kT0 = 1797330600000;  // 2026-12-15T10:30:00Z
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kDay = 86400 * kSecond;
constexpr std::uint64_t kWorker = 4242;

KeyLimits limits(std::int64_t rpm, std::int64_t rpd, std::int64_t concurrent = 0) {
    KeyLimits l;
    l.requests_per_minute = rpm;
    l.requests_per_day = rpd;
    l.max_concurrent = concurrent;
    return l;
}

// A limiter, a fake clock and fresh request ids; every admitted request is released at once
// unless held, so that only the windows are under test.
struct Fixture {
    KeyLimiter limiter;
    std::int64_t now = kT0;
    std::uint64_t next_request = 1'000'000;  // clear of the ids tests hold by hand

    LimitDecision admit(const KeyLimits& l, std::uint64_t key = kKey, bool hold = false) {
        KeyLimiter::Slot slot{kWorker, next_request++};
        LimitDecision d = limiter.admit(key, l, now, slot);
        if (d.admitted && !hold) limiter.release(key, slot);
        return d;
    }
    LimitDecision hold(const KeyLimits& l, KeyLimiter::Slot slot, std::uint64_t key = kKey) {
        return limiter.admit(key, l, now, slot);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(key_limits, Fixture)

BOOST_AUTO_TEST_CASE(minute_window_edges) {
    KeyLimits l = limits(1, 0);
    BOOST_TEST(admit(l).admitted);
    now = kT0 + kMinute - 1;  // 59 999 ms later: the first request still counts
    LimitDecision refused = admit(l);
    BOOST_TEST(!refused.admitted);
    BOOST_TEST(refused.limit == "requests_per_minute");
    BOOST_TEST(refused.limit_value == 1);
    BOOST_TEST(refused.retry_after_ms == 1);
    now = kT0 + kMinute;  // 60 000 ms later: it has left the window
    BOOST_TEST(admit(l).admitted);
}

BOOST_AUTO_TEST_CASE(day_window_edges) {
    KeyLimits l = limits(0, 2);
    BOOST_TEST(admit(l).admitted);
    now = kT0 + 10 * kSecond;
    BOOST_TEST(admit(l).admitted);
    now = kT0 + kDay - 1;
    LimitDecision refused = admit(l);
    BOOST_TEST(!refused.admitted);
    BOOST_TEST(refused.limit == "requests_per_day");
    BOOST_TEST(refused.limit_value == 2);
    BOOST_TEST(refused.retry_after_ms == 1);
    now = kT0 + kDay;  // the first leaves; the second (t0 + 10 s) still counts
    BOOST_TEST(admit(l).admitted);
    BOOST_TEST(!admit(l).admitted);
}

BOOST_AUTO_TEST_CASE(retry_after_is_when_the_oldest_leaves) {
    KeyLimits l = limits(3, 0);
    admit(l);
    now += 5 * kSecond;
    admit(l);
    now += 5 * kSecond;
    admit(l);
    now += 20 * kSecond;  // t0 + 30 s; the oldest (t0) leaves at t0 + 60 s
    LimitDecision refused = admit(l);
    BOOST_TEST(!refused.admitted);
    BOOST_TEST(refused.retry_after_ms == 30 * kSecond);
    BOOST_TEST(refused.rate.limit == 3);
    BOOST_TEST(refused.rate.remaining == 0);
    BOOST_TEST(refused.rate.reset_ms == 30 * kSecond);

    // The day: 1 request at t0, refused at t0 + 1 h → 23 h to wait.
    Fixture day;
    KeyLimits d = limits(0, 1);
    day.admit(d);
    day.now += 3600 * kSecond;
    BOOST_TEST(day.admit(d).retry_after_ms == 23 * 3600 * kSecond);
}

BOOST_AUTO_TEST_CASE(refusal_order_day_minute_concurrency) {
    KeyLimits l = limits(1, 1, 1);
    BOOST_TEST(hold(l, {kWorker, 100}).admitted);  // fills all three
    LimitDecision d = admit(l);
    BOOST_TEST(d.limit == "requests_per_day");

    // Day roomy, minute full, slot held: the minute.
    l = limits(1, 10, 1);
    d = admit(l);
    BOOST_TEST(d.limit == "requests_per_minute");
    BOOST_TEST(d.limit_value == 1);

    // Only the slot is taken: concurrency, retry in 1 s.
    l = limits(10, 10, 1);
    d = admit(l);
    BOOST_TEST(!d.admitted);
    BOOST_TEST(d.limit == "concurrency");
    BOOST_TEST(d.limit_value == 1);
    BOOST_TEST(d.retry_after_ms == kSecond);
}

BOOST_AUTO_TEST_CASE(refused_request_counts_nothing_and_takes_no_slot) {
    KeyLimits l = limits(2, 0, 1);
    BOOST_TEST(hold(l, {kWorker, 1}).admitted);
    BOOST_TEST(admit(l).limit == "concurrency");
    BOOST_TEST(admit(l).limit == "concurrency");
    BOOST_TEST(limiter.in_flight(kKey) == 1);
    BOOST_TEST(limiter.rate(kKey, l, now).remaining == 1);  // the refusals were not counted
    limiter.release(kKey, {kWorker, 1});
    BOOST_TEST(limiter.in_flight(kKey) == 0);
    BOOST_TEST(admit(l).admitted);
    LimitDecision d = admit(l);
    BOOST_TEST(d.limit == "requests_per_minute");
    BOOST_TEST(limiter.in_flight(kKey) == 0);
    BOOST_TEST(d.rate.remaining == 0);
}

BOOST_AUTO_TEST_CASE(failover_readmission_does_not_count) {
    KeyLimits l = limits(2, 0, 1);
    KeyLimiter::Slot slot{kWorker, 7};
    BOOST_TEST(hold(l, slot).admitted);
    BOOST_TEST(limiter.rate(kKey, l, now).remaining == 1);
    // The same request on another account: admitted though concurrency is full, not counted.
    for (int i = 0; i < 3; ++i) {
        LimitDecision again = hold(l, slot);
        BOOST_TEST(again.admitted);
        BOOST_TEST(again.rate.remaining == 1);
    }
    BOOST_TEST(limiter.in_flight(kKey) == 1);
    limiter.release(kKey, slot);
    BOOST_TEST(admit(l).admitted);
    BOOST_TEST(!admit(l).admitted);
}

BOOST_AUTO_TEST_CASE(failover_readmission_passes_a_full_window) {
    KeyLimits l = limits(1, 1);
    KeyLimiter::Slot slot{kWorker, 7};
    BOOST_TEST(hold(l, slot).admitted);
    BOOST_TEST(hold(l, slot).admitted);  // its own count must not refuse it
}

BOOST_AUTO_TEST_CASE(release_paths) {
    KeyLimits l = limits(0, 0, 3);
    BOOST_TEST(hold(l, {1, 1}, 10).admitted);
    BOOST_TEST(hold(l, {1, 2}, 10).admitted);
    BOOST_TEST(hold(l, {2, 1}, 10).admitted);
    BOOST_TEST(!hold(l, {2, 9}, 10).admitted);  // concurrency 3 is full for key 10
    BOOST_TEST(hold(l, {1, 3}, 11).admitted);
    BOOST_TEST(hold(l, {2, 2}, 11).admitted);
    BOOST_TEST(hold(l, {3, 1}, 12).admitted);

    // Unknown slots and keys: no-ops.
    limiter.release(10, {9, 9});
    limiter.release(99, {1, 1});
    BOOST_TEST(limiter.in_flight(10) == 3);
    BOOST_TEST(limiter.in_flight(99) == 0);

    // Worker 1 died: its slots in keys 10 and 11 go, the others stay.
    BOOST_TEST(limiter.release_owner(1) == 3u);
    BOOST_TEST(limiter.in_flight(10) == 1);
    BOOST_TEST(limiter.in_flight(11) == 1);
    BOOST_TEST(limiter.in_flight(12) == 1);
    BOOST_TEST(limiter.release_owner(1) == 0u);
    BOOST_TEST(limiter.release_owner(77) == 0u);
    BOOST_TEST(hold(l, {2, 9}, 10).admitted);  // room again
    BOOST_TEST(limiter.in_flight(10) == 2);

    limiter.release(11, {2, 2});
    BOOST_TEST(limiter.in_flight(11) == 0);
    limiter.release(11, {2, 2});  // twice: still nothing
    BOOST_TEST(limiter.in_flight(11) == 0);
    BOOST_TEST(limiter.release_owner(3) == 1u);
    BOOST_TEST(limiter.in_flight(12) == 0);
    BOOST_TEST(limiter.release_owner(2) == 2u);
    BOOST_TEST(limiter.in_flight(10) == 0);
}

BOOST_AUTO_TEST_CASE(restore_then_admit) {
    KeyLimits l = limits(5, 3);
    limiter.restore(kKey, kT0 - 2 * kDay);  // long gone
    limiter.restore(kKey, kT0 - 3600 * kSecond);
    limiter.restore(kKey, kT0 - 30 * kSecond);
    RateInfo r = limiter.rate(kKey, l, now);
    BOOST_TEST(r.limit == 3);  // the day (1 left) is tighter than the minute (4 left)
    BOOST_TEST(r.remaining == 1);
    BOOST_TEST(r.reset_ms == kDay - 3600 * kSecond);
    BOOST_TEST(admit(l).admitted);
    LimitDecision d = admit(l);
    BOOST_TEST(d.limit == "requests_per_day");
    BOOST_TEST(d.retry_after_ms == kDay - 3600 * kSecond);
}

BOOST_AUTO_TEST_CASE(restore_counts_in_the_minute_too) {
    KeyLimits l = limits(2, 0);
    limiter.restore(kKey, kT0 - 50 * kSecond);
    limiter.restore(kKey, kT0 - 10 * kSecond);
    LimitDecision d = admit(l);
    BOOST_TEST(!d.admitted);
    BOOST_TEST(d.retry_after_ms == 10 * kSecond);
    now += 10 * kSecond;
    BOOST_TEST(admit(l).admitted);
}

BOOST_AUTO_TEST_CASE(restore_beyond_the_limit_keeps_the_right_wait) {
    // More stored than the limit (it was raised, then lowered): the next request passes when
    // the count drops under the limit, i.e. when the limit-th newest leaves.
    KeyLimits l = limits(0, 2);
    for (int i = 0; i < 4; ++i) limiter.restore(kKey, kT0 - (4 - i) * 3600 * kSecond);
    LimitDecision d = admit(l);
    BOOST_TEST(!d.admitted);
    BOOST_TEST(d.retry_after_ms == kDay - 2 * 3600 * kSecond);  // the one at t0 - 2 h
    now += d.retry_after_ms - 1;
    BOOST_TEST(!admit(l).admitted);
    now += 1;
    BOOST_TEST(admit(l).admitted);
}

BOOST_AUTO_TEST_CASE(rate_figures) {
    KeyLimits l = limits(10, 1000);
    RateInfo empty = limiter.rate(kKey, l, now);
    BOOST_TEST(empty.limit == 10);
    BOOST_TEST(empty.remaining == 10);
    BOOST_TEST(empty.reset_ms == 0);

    admit(l);
    now += 15 * kSecond;
    LimitDecision d = admit(l);
    BOOST_TEST(d.rate.limit == 10);
    BOOST_TEST(d.rate.remaining == 8);
    BOOST_TEST(d.rate.reset_ms == 45 * kSecond);

    now = kT0 + kMinute;  // the first left the minute
    RateInfo r = limiter.rate(kKey, l, now);
    BOOST_TEST(r.remaining == 9);
    BOOST_TEST(r.reset_ms == 15 * kSecond);
    now = kT0 + 2 * kMinute;
    r = limiter.rate(kKey, l, now);
    BOOST_TEST(r.remaining == 10);
    BOOST_TEST(r.reset_ms == 0);
}

BOOST_AUTO_TEST_CASE(rate_tighter_day) {
    KeyLimits l = limits(10, 12);
    for (int i = 0; i < 10; ++i) {
        admit(l);
        now += kMinute;  // spread out: the minute stays empty-ish, the day fills
    }
    RateInfo r = limiter.rate(kKey, l, now);
    BOOST_TEST(r.limit == 12);
    BOOST_TEST(r.remaining == 2);
    BOOST_TEST(r.reset_ms == kDay - 10 * kMinute);
    // Equal remaining: the minute figures stay.
    KeyLimits even = limits(2, 12);
    LimitDecision d = admit(even);
    BOOST_TEST(d.rate.limit == 2);
    BOOST_TEST(d.rate.remaining == 1);
    // Minute unlimited, day limited: the day's.
    r = limiter.rate(kKey, limits(0, 12), now);
    BOOST_TEST(r.limit == 12);
    BOOST_TEST(r.remaining == 1);
}

BOOST_AUTO_TEST_CASE(rate_unlimited) {
    KeyLimits l = limits(0, 0);
    for (int i = 0; i < 100; ++i) BOOST_TEST(admit(l).admitted);
    LimitDecision d = admit(l);
    BOOST_TEST(d.rate.limit == 0);
    BOOST_TEST(d.rate.remaining == 0);
    BOOST_TEST(d.rate.reset_ms == 0);
    RateInfo r = limiter.rate(77, l, now);  // an unknown key
    BOOST_TEST(r.limit == 0);
    BOOST_TEST(r.remaining == 0);
    BOOST_TEST(r.reset_ms == 0);
    // Minute limited, day unlimited: the minute's.
    r = limiter.rate(kKey, limits(200, 0), now);
    BOOST_TEST(r.limit == 200);
}

BOOST_AUTO_TEST_CASE(unlimited_day_keeps_no_entries) {
    // Nothing remembered for an unlimited day: when a day limit appears later, the key starts
    // with a fresh day (the minute was limited throughout, so it did keep its entries).
    for (int i = 0; i < 50; ++i) BOOST_TEST(admit(limits(1000, 0)).admitted);
    RateInfo r = limiter.rate(kKey, limits(1000, 60), now);
    BOOST_TEST(r.limit == 60);
    BOOST_TEST(r.remaining == 60);
    BOOST_TEST(limiter.rate(kKey, limits(1000, 10000), now).remaining == 950);
}

BOOST_AUTO_TEST_CASE(day_holds_at_most_the_limit) {
    // Overfilled by restore, then capped on the next look: raising the limit afterwards shows
    // that only the newest `limit` were kept.
    for (int i = 0; i < 10; ++i) limiter.restore(kKey, kT0 - (10 - i) * kSecond);
    BOOST_TEST(limiter.rate(kKey, limits(0, 4), now).remaining == 0);
    RateInfo r = limiter.rate(kKey, limits(0, 100), now);
    BOOST_TEST(r.remaining == 96);
    BOOST_TEST(r.reset_ms == kDay - 4 * kSecond);  // the oldest kept is t0 - 4 s
}

BOOST_AUTO_TEST_CASE(forget_drops_everything) {
    KeyLimits l = limits(1, 1, 1);
    BOOST_TEST(hold(l, {kWorker, 1}).admitted);
    limiter.forget(kKey);
    BOOST_TEST(limiter.in_flight(kKey) == 0);
    BOOST_TEST(limiter.rate(kKey, l, now).remaining == 1);
    BOOST_TEST(hold(l, {kWorker, 2}).admitted);
}

BOOST_AUTO_TEST_CASE(keys_are_independent) {
    KeyLimits l = limits(1, 0);
    BOOST_TEST(admit(l, 1).admitted);
    BOOST_TEST(admit(l, 2).admitted);
    BOOST_TEST(!admit(l, 1).admitted);
}

BOOST_AUTO_TEST_CASE(a_counted_request_uses_the_windows_but_no_slot) {
    KeyLimits l = limits(2, 0, 1);
    BOOST_TEST(hold(l, {kWorker, 1}).admitted);  // the one concurrency slot is taken
    LimitDecision d = limiter.count(kKey, l, now);
    BOOST_TEST(d.admitted);  // concurrency does not apply
    BOOST_TEST(d.rate.remaining == 0);
    BOOST_TEST(limiter.in_flight(kKey) == 1);
    d = limiter.count(kKey, l, now);
    BOOST_TEST(!d.admitted);
    BOOST_TEST(d.limit == "requests_per_minute");
    now += kMinute;
    BOOST_TEST(limiter.count(kKey, l, now).admitted);
}

BOOST_AUTO_TEST_SUITE_END()
