#include "daemon/master/admission_queue.hpp"

#include <algorithm>

namespace amq {
namespace {

// Looked at again at least this often while requests wait: capacity also comes back through
// changes no timer knows of (an account enabled, a report).
constexpr std::int64_t kRecheckMs = 1000;
// An account said to be ready that still could not serve is not asked again at once.
constexpr std::int64_t kRetryMs = 50;

}  // namespace

bool AdmissionQueue::push(Waiter waiter, std::optional<std::int64_t> ready_at_ms,
                          std::int64_t now_ms) {
    std::int64_t retry_at = ready_at_ms.value_or(now_ms + kRecheckMs);
    if (waiting_.size() >= limits_.max) {
        ++stats_.full;
        waiter.expire(Refusal::full, std::max(retry_at, now_ms + kRecheckMs));
        return false;
    }
    if (ready_at_ms && *ready_at_ms > deadline(waiter)) {
        ++stats_.timeouts;
        waiter.expire(Refusal::timeout, *ready_at_ms);
        return false;
    }
    ++stats_.queued;
    waiting_.push_back(Entry{std::move(waiter), ready_at_ms});
    return true;
}

void AdmissionQueue::expire(std::list<Entry>::iterator it, std::int64_t retry_at_ms) {
    ExpireFn expire = std::move(it->waiter.expire);
    waiting_.erase(it);
    ++stats_.timeouts;
    expire(Refusal::timeout, retry_at_ms);
}

std::optional<std::int64_t> AdmissionQueue::pump(std::int64_t now_ms) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        Entry& e = *it;
        if (e.ready_at_ms && *e.ready_at_ms > deadline(e.waiter)) {
            std::int64_t retry_at = *e.ready_at_ms;
            expire(it++, retry_at);
            continue;
        }
        Attempt a = e.waiter.attempt(now_ms);
        if (a.kind != Attempt::Kind::wait) {
            if (a.kind == Attempt::Kind::served) {
                ++stats_.served;
                stats_.wait_ms += static_cast<std::uint64_t>(now_ms - e.waiter.since_ms);
            }
            it = waiting_.erase(it);
            continue;
        }
        e.ready_at_ms = a.ready_at_ms;
        if (now_ms >= deadline(e.waiter) ||
            (a.ready_at_ms && *a.ready_at_ms > deadline(e.waiter))) {
            expire(it++, a.ready_at_ms.value_or(now_ms + kRecheckMs));
            continue;
        }
        // A request any account could serve is waiting: those behind it wait too (arrival
        // order), unless it is held back only by accounts it excluded.
        if (!e.waiter.constrained) break;
        ++it;
    }
    if (waiting_.empty()) return std::nullopt;
    std::int64_t next = now_ms + kRecheckMs;
    for (const Entry& e : waiting_) {
        next = std::min(next, std::max(deadline(e.waiter), now_ms));
        if (e.ready_at_ms) next = std::min(next, std::max(*e.ready_at_ms, now_ms + kRetryMs));
    }
    return next;
}

bool AdmissionQueue::withdraw(pid_t worker, std::uint64_t request_id) {
    auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const Entry& e) {
        return e.waiter.worker == worker && e.waiter.request_id == request_id;
    });
    if (it == waiting_.end()) return false;
    waiting_.erase(it);
    ++stats_.withdrawn;
    return true;
}

std::size_t AdmissionQueue::withdraw_worker(pid_t worker) {
    std::size_t n =
        std::erase_if(waiting_, [&](const Entry& e) { return e.waiter.worker == worker; });
    stats_.withdrawn += n;
    return n;
}

}  // namespace amq
