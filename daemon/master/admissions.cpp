#include "daemon/master/admissions.hpp"

#include "common/log.hpp"

namespace amq {

namespace {
constexpr std::int64_t kDayMs = 86400000;
}  // namespace

namespace {

// Requests refused before admission never counted against their key's limits.
bool counted(const UsageRecord& u) {
    return u.error_class != "auth" && u.error_class != "limit" && u.error_class != "model" &&
           u.error_class != kRejectedClass;
}

}  // namespace

KeyLimits limits_of(const ApiKey& key) {
    return KeyLimits{key.requests_per_minute, key.requests_per_day, key.max_concurrent};
}

Admissions::Admissions(Store& store, Metrics& metrics, UsageRecorder& usage)
    : store_(store), metrics_(metrics), usage_(usage) {}

KeyLimits Admissions::local_limits(const ApiKey& key) const {
    KeyLimits limits = limits_of(key);
    if (shared_) limits.requests_per_minute = limits.requests_per_day = 0;
    return limits;
}

Status Admissions::restore(std::int64_t now_ms) {
    return store_.for_each_usage(now_ms - kDayMs, now_ms + 1, 10000,
                                 [this](std::vector<UsageRecord>& batch) {
                                     for (const UsageRecord& u : batch)
                                         if (u.key_id && counted(u))
                                             limiter_.restore(u.key_id, u.time_ms - u.duration_ms);
                                     return true;
                                 });
}

LimitDecision Admissions::admit(const ApiKey& key, pid_t worker, std::uint64_t request_id,
                                const RequestInfo& info, std::int64_t now_ms) {
    Slot slot{static_cast<std::uint64_t>(worker), request_id};
    LimitDecision decision = limiter_.admit(key.id, local_limits(key), now_ms, slot);
    if (!decision.admitted) return decision;  // the caller counts the refusal it answers
    in_flight_.try_emplace(slot, InFlight{key.id, 0, info, now_ms});
    return decision;
}

bool Admissions::holds(pid_t worker, std::uint64_t request_id) const {
    return in_flight_.count(Slot{static_cast<std::uint64_t>(worker), request_id}) > 0;
}

void Admissions::set_account(pid_t worker, std::uint64_t request_id, std::uint64_t account_id) {
    auto it = in_flight_.find(Slot{static_cast<std::uint64_t>(worker), request_id});
    if (it != in_flight_.end()) it->second.account_id = account_id;
}

void Admissions::finish(pid_t worker, std::uint64_t request_id) {
    Slot slot{static_cast<std::uint64_t>(worker), request_id};
    auto it = in_flight_.find(slot);
    if (it == in_flight_.end()) return;
    limiter_.release(it->second.key_id, slot);
    if (shared_) shared_->release(slot);
    in_flight_.erase(it);
}

// The worker cannot report what it was doing: each of its requests is recorded as failed.
void Admissions::worker_died(pid_t worker, std::int64_t now_ms) {
    auto owner = static_cast<std::uint64_t>(worker);
    std::size_t lost = 0;
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        if (it->first.first != owner) {
            ++it;
            continue;
        }
        UsageRecord u;
        u.time_ms = now_ms;
        u.key_id = it->second.key_id;
        u.account_id = it->second.account_id;
        u.endpoint = it->second.info.endpoint;
        u.client_model = it->second.info.model;
        u.upstream_model = it->second.info.upstream_model;
        u.stream = it->second.info.stream;
        u.status = 502;
        u.error_class = "worker_died";
        u.duration_ms = now_ms - it->second.started_ms;
        metrics_.request(u.endpoint, u.status, u.key_id);
        usage_.record(std::move(u));
        if (shared_) shared_->release(it->first);
        it = in_flight_.erase(it);
        ++lost;
    }
    limiter_.release_owner(owner);
    if (lost) log_warning(lost, " requests died with worker pid ", worker, "; recorded as failed");
}

LimitDecision Admissions::count(const ApiKey& key, std::int64_t now_ms) {
    return limiter_.count(key.id, local_limits(key), now_ms);
}

RateInfo Admissions::rate(const ApiKey& key, std::int64_t now_ms) {
    return limiter_.rate(key.id, local_limits(key), now_ms);
}

}  // namespace amq
