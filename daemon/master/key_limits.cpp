#include "daemon/master/key_limits.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace amq {
namespace {

// A busy slot frees when some request of the key finishes, which we cannot predict: clients
// are told to retry after a short pause rather than hammer us.
constexpr std::int64_t kConcurrencyRetryMs = 1000;

using Times = SlidingWindow;

// Until the oldest admission leaves the window. Never 0 for a non-empty window, and never
// more than the window even if the clock went backwards.
std::int64_t until_oldest_leaves(const Times& times, std::int64_t now_ms) {
    std::int64_t window_ms = times.window_ms();
    return std::clamp<std::int64_t>(times.oldest() + window_ms - now_ms, 1, window_ms);
}

RateInfo figures(const Times& times, std::int64_t limit, std::int64_t now_ms) {
    RateInfo r;
    r.limit = limit;
    r.remaining = std::max<std::int64_t>(0, limit - times.count());
    r.reset_ms = times.empty() ? 0 : until_oldest_leaves(times, now_ms);
    return r;
}

// The minute figures unless the day is tighter; windows already pruned and capped.
RateInfo rate_of(const Times& minute, const Times& day, const KeyLimits& limits,
                 std::int64_t now_ms) {
    bool by_minute = limits.requests_per_minute > 0;
    bool by_day = limits.requests_per_day > 0;
    if (!by_minute && !by_day) return {};
    RateInfo m =
        by_minute ? figures(minute, limits.requests_per_minute, now_ms) : RateInfo{};
    if (!by_day) return m;
    RateInfo d = figures(day, limits.requests_per_day, now_ms);
    return !by_minute || d.remaining < m.remaining ? d : m;
}

std::optional<LimitDecision> window_refusal(std::string_view name, const Times& times,
                                            std::int64_t limit, std::int64_t now_ms) {
    if (limit <= 0 || times.count() < limit) return std::nullopt;
    LimitDecision d;
    d.limit = std::string(name);
    d.limit_value = limit;
    d.retry_after_ms = until_oldest_leaves(times, now_ms);
    return d;
}

// The first limit that refuses: the day before the minute before concurrency, so that the
// client is told the longest wait rather than retrying into the next refusal.
std::optional<LimitDecision> refusal(const Times& minute, const Times& day, std::size_t in_flight,
                                     const KeyLimits& limits, std::int64_t now_ms) {
    if (auto d = window_refusal("requests_per_day", day, limits.requests_per_day, now_ms)) {
        return d;
    }
    if (auto d = window_refusal("requests_per_minute", minute, limits.requests_per_minute,
                                now_ms)) {
        return d;
    }
    if (limits.max_concurrent <= 0 ||
        static_cast<std::int64_t>(in_flight) < limits.max_concurrent) {
        return std::nullopt;
    }
    LimitDecision d;
    d.limit = "concurrency";
    d.limit_value = limits.max_concurrent;
    d.retry_after_ms = kConcurrencyRetryMs;
    return d;
}

}  // namespace

void KeyLimiter::prune(KeyState& s, std::int64_t now_ms) {
    s.minute.expire(now_ms);
    s.day.expire(now_ms);
}

// Only the newest `limit` admissions can decide anything (see SlidingWindow::keep_newest):
// dropping older ones (left over by restore() or a lowered limit) bounds memory by the limit,
// and an unlimited window keeps nothing.
void KeyLimiter::cap(KeyState& s, const KeyLimits& limits) {
    s.minute.keep_newest(limits.requests_per_minute);
    s.day.keep_newest(limits.requests_per_day);
}

LimitDecision KeyLimiter::admit(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms,
                                Slot slot) {
    KeyState& s = keys_[key_id];
    if (s.slots.contains(slot)) {
        // A failover of a request already counted: it keeps its slot and its one count.
        prune(s, now_ms);
        LimitDecision d;
        d.admitted = true;
        d.rate = rate_of(s.minute, s.day, limits, now_ms);
        return d;
    }
    LimitDecision d = take(s, limits, s.slots.size(), now_ms);
    if (d.admitted) s.slots.emplace(slot, true);
    return d;
}

LimitDecision KeyLimiter::count(std::uint64_t key_id, const KeyLimits& limits,
                                std::int64_t now_ms) {
    KeyLimits rates_only = limits;
    rates_only.max_concurrent = 0;
    return take(keys_[key_id], rates_only, 0, now_ms);
}

LimitDecision KeyLimiter::take(KeyState& s, const KeyLimits& limits, std::size_t in_flight,
                               std::int64_t now_ms) {
    prune(s, now_ms);
    cap(s, limits);
    LimitDecision d;
    if (auto refused = refusal(s.minute, s.day, in_flight, limits, now_ms)) {
        d = std::move(*refused);
    } else {
        d.admitted = true;
        if (limits.requests_per_minute > 0) s.minute.add(now_ms);
        if (limits.requests_per_day > 0) s.day.add(now_ms);
    }
    d.rate = rate_of(s.minute, s.day, limits, now_ms);
    return d;
}

void KeyLimiter::release(std::uint64_t key_id, Slot slot) {
    auto it = keys_.find(key_id);
    if (it != keys_.end()) it->second.slots.erase(slot);
}

std::size_t KeyLimiter::release_owner(std::uint64_t owner) {
    std::size_t released = 0;
    for (auto& [key_id, s] : keys_) {
        // Slots sort by owner first: the owner's slots are one contiguous run.
        auto first = s.slots.lower_bound(Slot{owner, 0});
        auto last = first;
        while (last != s.slots.end() && last->first.first == owner) {
            ++last;
            ++released;
        }
        s.slots.erase(first, last);
    }
    return released;
}

void KeyLimiter::restore(std::uint64_t key_id, std::int64_t at_ms) {
    KeyState& s = keys_[key_id];
    s.minute.add(at_ms);
    s.day.add(at_ms);
    // Stored times are in the past and come in ascending order, so whatever is a window older
    // than this one has already left it: a long history costs no more than one window.
    prune(s, at_ms);
}

void KeyLimiter::forget(std::uint64_t key_id) { keys_.erase(key_id); }

RateInfo KeyLimiter::rate(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms) {
    auto it = keys_.find(key_id);
    if (it == keys_.end()) return rate_of(Times(kMinuteMs), Times(kDayMs), limits, now_ms);
    KeyState& s = it->second;
    prune(s, now_ms);
    cap(s, limits);
    return rate_of(s.minute, s.day, limits, now_ms);
}

std::int64_t KeyLimiter::in_flight(std::uint64_t key_id) const {
    auto it = keys_.find(key_id);
    return it == keys_.end() ? 0 : static_cast<std::int64_t>(it->second.slots.size());
}

}  // namespace amq
