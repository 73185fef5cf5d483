#include "daemon/master/usage_series.hpp"

#include <algorithm>
#include <cmath>

namespace amq {

UsageSeries::UsageSeries(std::int64_t from_ms, std::int64_t to_ms, std::int64_t bucket_ms)
    : from_ms_(from_ms - ((from_ms % bucket_ms) + bucket_ms) % bucket_ms), bucket_ms_(bucket_ms) {
    std::int64_t n = to_ms > from_ms_ ? (to_ms - from_ms_ + bucket_ms - 1) / bucket_ms : 0;
    buckets_.resize(static_cast<std::size_t>(std::min<std::int64_t>(n, kMaxBuckets)));
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        buckets_[i].sums.start_ms = from_ms_ + static_cast<std::int64_t>(i) * bucket_ms_;
}

void UsageSeries::add(const UsageRecord& u) {
    if (u.time_ms < from_ms_) return;
    auto i = static_cast<std::size_t>((u.time_ms - from_ms_) / bucket_ms_);
    if (i >= buckets_.size()) return;
    Bucket& b = buckets_[i];
    b.sums.requests += 1;
    b.sums.errors += is_error(u) ? 1 : 0;
    b.sums.input_tokens += u.input_tokens;
    b.sums.output_tokens += u.output_tokens;
    b.durations.push_back(u.duration_ms);
    if (u.ttfb_ms > 0) b.ttfbs.push_back(u.ttfb_ms);
}

std::vector<SeriesPoint> UsageSeries::points() const {
    std::vector<SeriesPoint> out;
    out.reserve(buckets_.size());
    for (const Bucket& b : buckets_) {
        SeriesPoint p = b.sums;
        p.p50_ms = percentile(b.durations, 0.5);
        p.p95_ms = percentile(b.durations, 0.95);
        p.ttfb_p50_ms = percentile(b.ttfbs, 0.5);
        p.ttfb_p95_ms = percentile(b.ttfbs, 0.95);
        out.push_back(p);
    }
    return out;
}

std::int64_t percentile(std::vector<std::int64_t> values, double share) {
    if (values.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(share * static_cast<double>(values.size())));
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(rank, 1) - 1);
    std::nth_element(values.begin(), nth, values.end());
    return *nth;
}

}  // namespace amq
