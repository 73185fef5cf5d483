// Usage records summed into equal time buckets, for the dashboard's charts: per bucket the
// requests, errors and tokens, and the median and 95th percentile of the duration and of the
// time to first byte (of the requests that had one). Every bucket of the range is there, empty
// or not, so that a chart's time axis has no gaps. Pure.
#pragma once

#include <cstdint>
#include <vector>

#include "common/usage_record.hpp"

namespace amq {

struct SeriesPoint {
    std::int64_t start_ms = 0;
    std::int64_t requests = 0;
    std::int64_t errors = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t p50_ms = 0, p95_ms = 0;  // duration; 0 in an empty bucket
    std::int64_t ttfb_p50_ms = 0, ttfb_p95_ms = 0;
};

class UsageSeries {
public:
    static constexpr std::size_t kMaxBuckets = 800;

    // Buckets of bucket_ms from from_ms (aligned down to a bucket boundary) to to_ms; the
    // caller keeps (to_ms - from_ms) / bucket_ms within kMaxBuckets.
    UsageSeries(std::int64_t from_ms, std::int64_t to_ms, std::int64_t bucket_ms);

    // A record outside the range is left out.
    void add(const UsageRecord& u);
    std::vector<SeriesPoint> points() const;

private:
    struct Bucket {
        SeriesPoint sums;
        std::vector<std::int64_t> durations, ttfbs;
    };
    std::int64_t from_ms_, bucket_ms_;
    std::vector<Bucket> buckets_;
};

// The value below which `share` (0.5, 0.95) of the values lie (nearest rank); 0 for none.
std::int64_t percentile(std::vector<std::int64_t> values, double share);

}  // namespace amq
