#define BOOST_TEST_MODULE daemon_master_sliding_window
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>

#include "daemon/master/sliding_window.hpp"

using namespace amq;

namespace {
constexpr std::int64_t kT0 = 1797330600000;  // 2026-12-15T10:30:00Z
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
}  // namespace

BOOST_AUTO_TEST_CASE(an_event_counts_until_exactly_one_window_later) {
    SlidingWindow w(kMinute);
    w.add(kT0);
    w.expire(kT0 + kMinute - 1);
    BOOST_TEST(w.count() == 1);
    w.expire(kT0 + kMinute);
    BOOST_TEST(w.count() == 0);
    BOOST_TEST(w.empty());
}

BOOST_AUTO_TEST_CASE(free_at_is_when_the_limit_th_newest_event_leaves) {
    SlidingWindow w(kMinute);
    for (int i = 0; i < 5; ++i) w.add(kT0 + i * 1000);
    BOOST_TEST(!w.free_at(6, kT0 + 5000).has_value());
    BOOST_TEST(*w.free_at(5, kT0 + 5000) == kT0 + kMinute);
    BOOST_TEST(*w.free_at(2, kT0 + 5000) == kT0 + 3000 + kMinute);
    // Once that event has left, there is room: no wait.
    BOOST_TEST(!w.free_at(2, kT0 + 3000 + kMinute).has_value());
}

BOOST_AUTO_TEST_CASE(no_limit_never_waits) {
    SlidingWindow w(kMinute);
    for (int i = 0; i < 100; ++i) w.add(kT0);
    BOOST_TEST(!w.free_at(0, kT0).has_value());
    BOOST_TEST(!w.free_at(-1, kT0).has_value());
}

BOOST_AUTO_TEST_CASE(keep_newest_trims_the_oldest_events_within_a_run) {
    SlidingWindow w(kMinute);
    w.add(kT0, 3);
    w.add(kT0 + 10, 2);
    w.keep_newest(4);
    BOOST_TEST(w.count() == 4);
    BOOST_TEST(w.runs() == 2u);
    w.keep_newest(2);
    BOOST_TEST(w.count() == 2);
    BOOST_TEST(w.oldest() == kT0 + 10);
    w.keep_newest(0);
    BOOST_TEST(w.empty());
}

BOOST_AUTO_TEST_CASE(an_older_time_lands_in_its_place) {
    SlidingWindow w(kMinute);
    w.add(kT0 + 2000);
    w.add(kT0);
    BOOST_TEST(w.oldest() == kT0);
    w.expire(kT0 + kMinute);
    BOOST_TEST(w.count() == 1);
}

// The reason it exists: a key with a huge daily limit at a high rate must not keep one entry
// per request for a day.
BOOST_AUTO_TEST_CASE(memory_is_bounded_by_the_window_not_the_rate) {
    SlidingWindow day(kDay);
    constexpr std::int64_t kRequests = 2'000'000;
    for (std::int64_t i = 0; i < kRequests; ++i) day.add(kT0 + i * 43);  // ~23 req/s for a day
    BOOST_TEST(day.count() == kRequests);
    BOOST_TEST(day.runs() <= static_cast<std::size_t>(SlidingWindow::kMaxRuns) + 1);
    // The limit holds: with the limit reached nothing passes before the limit-th newest leaves,
    // and that moment is late by less than one grain, never early.
    std::int64_t now = kT0 + (kRequests - 1) * 43;
    auto free = day.free_at(kRequests, now);
    BOOST_REQUIRE(free.has_value());
    BOOST_TEST(*free >= kT0 + kDay);
    BOOST_TEST(*free < kT0 + kDay + kDay / SlidingWindow::kMaxRuns + 1);
}

BOOST_AUTO_TEST_CASE(the_largest_limit_is_a_limit_like_any_other) {
    SlidingWindow w(kMinute);
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    w.add(kT0, 1000);
    BOOST_TEST(!w.free_at(kMax, kT0).has_value());
    w.keep_newest(kMax);
    BOOST_TEST(w.count() == 1000);
}
