#include "daemon/master/sliding_window.hpp"

#include <algorithm>

namespace amq {

SlidingWindow::SlidingWindow(std::int64_t window_ms)
    : window_ms_(std::max<std::int64_t>(1, window_ms)),
      grain_ms_(std::max<std::int64_t>(1, (window_ms_ + kMaxRuns - 1) / kMaxRuns)) {}

void SlidingWindow::expire(std::int64_t now_ms) {
    while (!runs_.empty() && now_ms - runs_.front().newest_ms >= window_ms_) {
        total_ -= runs_.front().n;
        runs_.pop_front();
    }
}

void SlidingWindow::add(std::int64_t at_ms, std::int64_t n) {
    if (n <= 0) return;
    std::int64_t grain = at_ms >= 0 ? at_ms / grain_ms_ : 0;
    auto it = std::lower_bound(runs_.begin(), runs_.end(), grain,
                               [](const Run& r, std::int64_t g) { return r.grain < g; });
    if (it != runs_.end() && it->grain == grain) {
        it->newest_ms = std::max(it->newest_ms, at_ms);
        it->n += n;
    } else {
        runs_.insert(it, Run{grain, at_ms, n});
    }
    total_ += n;
}

void SlidingWindow::keep_newest(std::int64_t limit) {
    std::int64_t keep = std::max<std::int64_t>(0, limit);
    while (total_ > keep) {
        Run& front = runs_.front();
        std::int64_t excess = total_ - keep;
        if (front.n > excess) {
            front.n -= excess;
            total_ = keep;
        } else {
            total_ -= front.n;
            runs_.pop_front();
        }
    }
}

// The window has room once the limit-th newest event has left it.
std::optional<std::int64_t> SlidingWindow::free_at(std::int64_t limit,
                                                   std::int64_t now_ms) const {
    if (limit <= 0 || total_ < limit) return std::nullopt;
    std::int64_t seen = 0;
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
        if (now_ms - it->newest_ms >= window_ms_) return std::nullopt;  // older ones left too
        seen += it->n;
        if (seen >= limit) return it->newest_ms + window_ms_;
    }
    return std::nullopt;
}

}  // namespace amq
