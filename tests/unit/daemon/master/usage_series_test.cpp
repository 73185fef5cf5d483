#define BOOST_TEST_MODULE daemon_master_usage_series
#include <boost/test/unit_test.hpp>

#include <vector>

#include "daemon/master/usage_series.hpp"

using amq::UsageRecord;
using amq::UsageSeries;

namespace {

constexpr std::int64_t kHour = 3600000;
constexpr std::int64_t kT0 = 1795939200000;  // 2026-11-29T08:00:00Z, an hour's start

UsageRecord at(std::int64_t time_ms, int status, std::int64_t duration, std::int64_t ttfb = 0) {
    UsageRecord u;
    u.time_ms = time_ms;
    u.status = status;
    u.input_tokens = 10;
    u.output_tokens = 5;
    u.duration_ms = duration;
    u.ttfb_ms = ttfb;
    return u;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_bucket_of_the_range_is_there_from_an_aligned_start) {
    UsageSeries s(kT0 + 1234, kT0 + 3 * kHour, kHour);
    auto points = s.points();
    BOOST_REQUIRE_EQUAL(points.size(), 3u);
    BOOST_TEST(points[0].start_ms == kT0);
    BOOST_TEST(points[2].start_ms == kT0 + 2 * kHour);
    BOOST_TEST(points[1].requests == 0);
    BOOST_TEST(points[1].p95_ms == 0);
}

BOOST_AUTO_TEST_CASE(records_are_counted_in_their_bucket_with_errors_and_tokens) {
    UsageSeries s(kT0, kT0 + 2 * kHour, kHour);
    s.add(at(kT0, 200, 100, 40));
    s.add(at(kT0 + kHour - 1, 429, 3));
    s.add(at(kT0 + kHour, 200, 50, 20));
    s.add(at(kT0 - 1, 200, 1));          // before the range
    s.add(at(kT0 + 2 * kHour, 200, 1));  // after it
    auto points = s.points();
    BOOST_TEST(points[0].requests == 2);
    BOOST_TEST(points[0].errors == 1);
    BOOST_TEST(points[0].input_tokens == 20);
    BOOST_TEST(points[0].output_tokens == 10);
    BOOST_TEST(points[0].ttfb_p50_ms == 40);  // the refused request had no first byte
    BOOST_TEST(points[1].requests == 1);
    BOOST_TEST(points[1].p50_ms == 50);
}

BOOST_AUTO_TEST_CASE(percentiles_are_nearest_rank) {
    std::vector<std::int64_t> hundred;
    for (int i = 1; i <= 100; ++i) hundred.push_back(101 - i);
    BOOST_TEST(amq::percentile(hundred, 0.5) == 50);
    BOOST_TEST(amq::percentile(hundred, 0.95) == 95);
    BOOST_TEST(amq::percentile({7}, 0.95) == 7);
    BOOST_TEST(amq::percentile({}, 0.5) == 0);
    BOOST_TEST(amq::percentile({1, 1000}, 0.5) == 1);
}

BOOST_AUTO_TEST_CASE(the_number_of_buckets_is_bounded) {
    UsageSeries s(0, kHour * 100000, kHour);
    BOOST_TEST(s.points().size() == UsageSeries::kMaxBuckets);
}
