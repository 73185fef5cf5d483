// Requests in flight and the limits of their keys: what an admission takes and what the
// report — or the death of the worker that held the request — gives back. A request that
// dies with its worker is recorded as failed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "daemon/master/key_limits.hpp"
#include "daemon/master/metrics.hpp"
#include "daemon/master/records.hpp"
#include "daemon/master/shared_limits.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/usage_recorder.hpp"

namespace amq {

KeyLimits limits_of(const ApiKey& key);

class Admissions {
public:
    Admissions(Store& store, Metrics& metrics, UsageRecorder& usage);
    // store = postgresql: the limits are counted across hosts (shared_limits.hpp), which are
    // told of every slot this host releases; this host counts its own concurrency only.
    void count_across_hosts(SharedLimits& shared) { shared_ = &shared; }

    // Re-counts the last day's requests from the stored usage records (per-day limits survive
    // a restart).
    Status restore(std::int64_t now_ms);

    // The first admission of a request: counts it against its key and holds its slot.
    struct RequestInfo {
        std::string model;
        std::string upstream_model;
        std::string endpoint;
        bool stream = false;
    };
    LimitDecision admit(const ApiKey& key, pid_t worker, std::uint64_t request_id,
                        const RequestInfo& info, std::int64_t now_ms);
    // A request served without an account: counted against the key's per-minute and per-day
    // limits, holding no concurrency slot.
    LimitDecision count(const ApiKey& key, std::int64_t now_ms);
    bool holds(pid_t worker, std::uint64_t request_id) const;
    void set_account(pid_t worker, std::uint64_t request_id, std::uint64_t account_id);
    void finish(pid_t worker, std::uint64_t request_id);
    void worker_died(pid_t worker, std::int64_t now_ms);

    RateInfo rate(const ApiKey& key, std::int64_t now_ms);
    std::size_t in_flight() const { return in_flight_.size(); }

private:
    struct InFlight {
        std::uint64_t key_id = 0;
        std::uint64_t account_id = 0;
        RequestInfo info;
        std::int64_t started_ms = 0;
    };
    using Slot = KeyLimiter::Slot;
    KeyLimits local_limits(const ApiKey& key) const;

    Store& store_;
    Metrics& metrics_;
    UsageRecorder& usage_;
    KeyLimiter limiter_;
    std::map<Slot, InFlight> in_flight_;
    SharedLimits* shared_ = nullptr;
};

}  // namespace amq
