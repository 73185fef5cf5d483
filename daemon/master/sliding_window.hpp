// Events in a rolling time window (a key's requests in the last minute or day, an account's
// picks in the last minute), counted so that memory is bounded by the window, not by the
// rate or the limit: events that fall in the same grain (window / kMaxRuns, at least 1 ms) are
// one run. A run counts until its newest event leaves the window, so a limit enforced with it
// is never exceeded, and a wait computed from it is late by less than one grain.
//
// "0 means no cap" with limits up to INT64_MAX is only safe because of this: a list of every
// admission time would hold a day's traffic for a key with a huge requests-per-day limit.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace amq {

class SlidingWindow {
public:
    static constexpr std::int64_t kMaxRuns = 65536;

    explicit SlidingWindow(std::int64_t window_ms);

    // Drops what has left the window: an event at t counts while now - t < window.
    void expire(std::int64_t now_ms);
    // Times may come out of order (restored history); each lands in its place.
    void add(std::int64_t at_ms, std::int64_t n = 1);
    // Keeps only the newest `limit` events; limit <= 0 keeps none. Lossless for a limit of
    // `limit`: only the newest `limit` events can decide when the window has room again.
    void keep_newest(std::int64_t limit);
    // When fewer than `limit` events will be in the window; nullopt when that is already so
    // at now_ms (or limit <= 0: no cap).
    std::optional<std::int64_t> free_at(std::int64_t limit, std::int64_t now_ms) const;

    std::int64_t count() const { return total_; }
    bool empty() const { return runs_.empty(); }
    // The oldest event still counted; only when !empty().
    std::int64_t oldest() const { return runs_.front().newest_ms; }
    std::int64_t window_ms() const { return window_ms_; }
    std::size_t runs() const { return runs_.size(); }

private:
    struct Run {
        std::int64_t grain;      // at_ms / grain_ms_
        std::int64_t newest_ms;  // the run leaves the window with its newest event
        std::int64_t n;
    };

    std::int64_t window_ms_;
    std::int64_t grain_ms_;
    std::deque<Run> runs_;  // ascending by grain
    std::int64_t total_ = 0;
};

}  // namespace amq
