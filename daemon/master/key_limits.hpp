// Per-key admission limits, enforced by the master for every worker at once: requests per
// minute and per day (rolling windows), concurrent requests, with the figures for the
// x-ratelimit-* headers. Pure: times come in (ms), so tests drive a fake clock.
//
// A request is counted once, at its first admission (failovers re-admit without counting),
// and its concurrency slot is held until release() — or release_owner() when the worker
// that owned it dies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "daemon/master/sliding_window.hpp"

namespace amq {

struct KeyLimits {
    std::int64_t requests_per_minute = 60;  // <= 0: unlimited; any size up to INT64_MAX
    std::int64_t requests_per_day = 10000;  // <= 0: unlimited; any size up to INT64_MAX
    std::int64_t max_concurrent = 0;        // <= 0: unlimited
};

// What the x-ratelimit-*-requests headers say: the per-minute window (the per-day one when
// that is the tighter).
struct RateInfo {
    std::int64_t limit = 0;
    std::int64_t remaining = 0;
    std::int64_t reset_ms = 0;  // until the window has room again (0 = it has)
};

struct LimitDecision {
    bool admitted = false;
    std::string limit;  // refused: "requests_per_minute", "requests_per_day" or "concurrency"
    std::int64_t limit_value = 0;
    std::int64_t retry_after_ms = 0;  // refused: when a request would pass again (concurrency: 1 s)
    RateInfo rate;                    // after this admission (or refusal)
};

class KeyLimiter {
public:
    static constexpr std::int64_t kMinuteMs = 60'000;
    static constexpr std::int64_t kDayMs = 86'400'000;
    // `slot` names the request: (owner = worker pid, request id).
    using Slot = std::pair<std::uint64_t, std::uint64_t>;

    LimitDecision admit(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms,
                        Slot slot);
    // A request that holds no slot (served without an account): the windows only.
    LimitDecision count(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms);
    void release(std::uint64_t key_id, Slot slot);
    // Every slot of a dead worker; returns how many there were.
    std::size_t release_owner(std::uint64_t owner);
    // Re-counts requests from the store at start (the day's count survives a restart).
    void restore(std::uint64_t key_id, std::int64_t at_ms);
    void forget(std::uint64_t key_id);

    RateInfo rate(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms);
    std::int64_t in_flight(std::uint64_t key_id) const;

private:
    struct KeyState {
        SlidingWindow minute{kMinuteMs};  // admissions in the last 60 s
        SlidingWindow day{kDayMs};        // admissions in the last 24 h
        std::map<Slot, bool> slots;
    };
    void prune(KeyState& s, std::int64_t now_ms);
    static void cap(KeyState& s, const KeyLimits& limits);
    LimitDecision take(KeyState& s, const KeyLimits& limits, std::size_t in_flight,
                       std::int64_t now_ms);

    std::map<std::uint64_t, KeyState> keys_;
};

}  // namespace amq
