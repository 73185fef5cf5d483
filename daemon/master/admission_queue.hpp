// Requests waiting for an account. When no account can take a request now but one will
// within the queue timeout (an account's requests-per-minute window, a short cool-down), the
// request waits here instead of being refused, and is served in arrival order across all
// workers as accounts free up. Pure: times come in (ms) and the attempts are callbacks, so
// tests drive it with a fake clock and fake accounts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <list>
#include <optional>

namespace amq {

class AdmissionQueue {
public:
    struct Limits {
        std::int64_t timeout_ms = 30000;  // longest wait; an earlier start beyond it is refused
        std::size_t max = 1000;           // waiting requests; more are refused
    };

    // What one attempt to serve a waiting request came to.
    struct Attempt {
        enum class Kind { served, wait, answered } kind = Kind::served;
        std::optional<std::int64_t> ready_at_ms;  // wait: when it could start, when known
    };
    using AttemptFn = std::function<Attempt(std::int64_t now_ms)>;
    // Why a request leaves the queue unserved: answer it 429 with Retry-After.
    enum class Refusal { timeout, full };
    using ExpireFn = std::function<void(Refusal why, std::int64_t retry_at_ms)>;

    struct Waiter {
        pid_t worker = 0;
        std::uint64_t request_id = 0;
        std::int64_t since_ms = 0;  // when it first asked for an account
        // It excluded accounts it failed on: that it cannot be served says nothing about the
        // requests behind it, which are tried too.
        bool constrained = false;
        AttemptFn attempt;
        ExpireFn expire;
    };

    struct Stats {
        std::uint64_t queued = 0;     // requests that waited
        std::uint64_t served = 0;     // of those, served after waiting
        std::uint64_t timeouts = 0;   // refused once their wait was over or could not end in time
        std::uint64_t full = 0;       // refused because the queue was full
        std::uint64_t withdrawn = 0;  // their client or worker went away while waiting
        std::uint64_t wait_ms = 0;    // total time the served ones waited
    };

    void set_limits(Limits limits) { limits_ = limits; }
    const Limits& limits() const { return limits_; }

    bool empty() const { return waiting_.empty(); }
    std::size_t depth() const { return waiting_.size(); }
    const Stats& stats() const { return stats_; }

    // Queues a request that could not start now and could by `ready_at_ms` (nullopt: not
    // known). False, after expire() was called, when the queue is full or that is beyond the
    // request's timeout.
    bool push(Waiter waiter, std::optional<std::int64_t> ready_at_ms, std::int64_t now_ms);

    // Serves what can be served, in arrival order; expires what waited too long. Returns when
    // to pump again (nullopt: nothing waits).
    std::optional<std::int64_t> pump(std::int64_t now_ms);

    // The client or the worker went away: no answer is due.
    bool withdraw(pid_t worker, std::uint64_t request_id);
    std::size_t withdraw_worker(pid_t worker);

private:
    struct Entry {
        Waiter waiter;
        std::optional<std::int64_t> ready_at_ms;
    };
    std::int64_t deadline(const Waiter& w) const { return w.since_ms + limits_.timeout_ms; }
    void expire(std::list<Entry>::iterator it, std::int64_t retry_at_ms);

    Limits limits_;
    std::list<Entry> waiting_;
    Stats stats_;
};

}  // namespace amq
