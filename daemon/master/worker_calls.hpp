// The master's side of the worker channel's calls: admit (key → account + access token),
// auth (a key for a route that needs no account), refresh (a token the upstream refused),
// outcome (one upstream attempt), report (a finished exchange) and answered (any other
// answered request).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <set>
#include <string>

#include <rapidjson/document.h>

#include "common/model_map.hpp"
#include "common/worker_messages.hpp"
#include "daemon/master/admission_queue.hpp"
#include "daemon/master/admissions.hpp"
#include "daemon/master/metrics.hpp"
#include "daemon/master/model_catalog.hpp"
#include "daemon/master/pool_state.hpp"
#include "daemon/master/prompt_cache_meter.hpp"
#include "daemon/master/shared_limits.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/token_refresher.hpp"
#include "daemon/master/usage_recorder.hpp"

namespace amq {

class WorkerCalls {
public:
    using Send = std::function<void(const std::string& payload)>;
    // Runs an admin command for the admin key `key_id` (the HTTP admin API's transport).
    using AdminFn = std::function<void(std::uint64_t key_id, const std::string& command,
                                       const rapidjson::Value& args,
                                       std::function<void(Result<std::string>)> done)>;

    struct Parts {
        event_base* base;
        Store& store;
        TokenRefresher& refresher;
        PoolState& pool;
        UsageRecorder& usage;
        Admissions& admissions;
        Metrics& metrics;
        ModelCatalog& models;
    };
    struct Policy {
        ModelMapConfig models;  // to match keys' allowed models
        bool metrics_admin_only = false;
        AdmissionQueue::Limits queue;
        std::int64_t cache_estimate_ttl_ms = 0;  // 0: no estimated prompt cache
    };
    using MetricsTextFn = std::function<std::string()>;

    WorkerCalls(Parts parts, AdminFn admin, MetricsTextFn metrics_text);
    void set_policy(Policy policy);
    // store = postgresql: keys' limits and accounts' pace are counted there.
    void count_across_hosts(SharedLimits& limits) { shared_limits_ = &limits; }

    // Requests of a dead worker leave the queue.
    void worker_died(pid_t pid);
    const AdmissionQueue& queue() const { return queue_; }

    // A frame of type call or report from worker `pid`; `send` answers that worker.
    void on_frame(const rapidjson::Document& frame, pid_t pid, Send send);

private:
    struct Admission;
    void admit(std::uint64_t call_id, const rapidjson::Value& args, pid_t pid, Send send);
    void take_slot(std::shared_ptr<Admission> admission, ApiKey key, bool second_look);
    void refuse_slot(std::shared_ptr<Admission> admission, ApiKey key, const LimitDecision& d,
                     bool second_look);
    void slot_taken(std::shared_ptr<Admission> admission, const ApiKey& key, RateInfo rate);
    // `local` decided by this host; with the limits counted across hosts, an admission the
    // host would make is asked of them too (`slot`: the request holds one while in flight).
    void ask_other_hosts(const ApiKey& key, std::optional<KeyLimiter::Slot> slot,
                         LimitDecision local, std::function<void(LimitDecision)> then);
    void refresh(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void auth(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void admin(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void metrics(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void report(const rapidjson::Value& args, pid_t pid);
    void answered(const rapidjson::Value& args);
    void outcome(const rapidjson::Value& args);
    // The key behind a presented secret's hash, or why the client gets a 401.
    Result<ApiKey> usable_key(const std::string& hash);
    struct TokenWait;
    void try_next_account(std::shared_ptr<Admission> admission);
    AdmissionQueue::Attempt attempt(const std::shared_ptr<Admission>& admission, std::int64_t now);
    void refuse_waiting(const std::shared_ptr<Admission>& admission, AdmissionQueue::Refusal why,
                        std::int64_t retry_at_ms);
    void pump_soon(double seconds);
    void pace_across_hosts(std::shared_ptr<Admission> admission, Account chosen);
    void use_account(std::shared_ptr<Admission> admission, Account chosen);
    bool leave_slow_account(const std::shared_ptr<Admission>& admission, std::uint64_t slow);

    event_base* base_;
    Store& store_;
    TokenRefresher& refresher_;
    PoolState& pool_;
    UsageRecorder& usage_;
    Admissions& admissions_;
    Metrics& metrics_;
    ModelCatalog& models_;
    SharedLimits* shared_limits_ = nullptr;
    AdminFn admin_;
    MetricsTextFn metrics_text_;
    Policy policy_;
    AdmissionQueue queue_;
    PromptCacheMeter cache_meter_{{}};
    Event pump_timer_;
};

}  // namespace amq
