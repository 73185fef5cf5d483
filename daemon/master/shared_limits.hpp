// store = postgresql: the per-minute and per-day limits of API keys counted across all hosts.
// Every admission of a key with such a limit is decided by the database (amq_admit, under a
// lock of the key's row), which keeps the admissions by second for the minute window and by
// minute for the day window: the limit is never exceeded however the requests are spread. A
// grain counts until all of it has left the window, so a refusal near a window's edge may
// come up to a grain early (a second; a minute for the day). The admissions waiting at one moment
// go to the database together, in one statement, so a host pays about one round trip per
// request at low load and less under load.
//
// One thread with one session does the asking; answers come back on the loop. When the
// database cannot be asked, or has not answered within kAnswerWithinMs, requests are admitted
// (the hosts serve on without it) and the host says so once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "daemon/event.hpp"
#include "daemon/master/key_limits.hpp"
#include "daemon/master/pg_connection.hpp"

namespace amq {

class SharedLimits {
public:
    using Done = std::function<void(LimitDecision)>;
    static constexpr std::int64_t kAnswerWithinMs = 2000;
    SharedLimits(event_base* base, std::string address,
                 std::function<Result<PgSettings>()> settings);
    ~SharedLimits();
    SharedLimits(const SharedLimits&) = delete;
    SharedLimits& operator=(const SharedLimits&) = delete;

    // Whether `limits` has anything the database counts.
    static bool counts(const KeyLimits& limits);
    void admit(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms, Done done);
    std::uint64_t asked() const { return asked_; }
    std::uint64_t unasked() const { return unasked_; }

private:
    struct Ask {
        std::uint64_t id;
        std::uint64_t key_id;
        KeyLimits limits;
        std::int64_t now_ms;
        Result<LimitDecision> decision = LimitDecision{};
    };
    struct Waiting {
        Done done;
        std::int64_t asked_at_ms;
    };
    void run();
    void answer();   // on the loop: the decided ones
    void give_up();  // on the loop: those waiting too long
    void admit_unasked(Done done, const std::string& why);
    Status decide(std::vector<Ask>& batch);

    std::string address_;
    std::function<Result<PgSettings>()> settings_;
    std::unique_ptr<PgConnection> db_;  // the thread's
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Ask> waiting_;
    std::vector<Ask> decided_;
    bool stopping_ = false;
    std::atomic<bool> cancel_{false};
    int pipe_[2] = {-1, -1};
    Event readable_;
    Event patience_;
    std::map<std::uint64_t, Waiting> pending_;  // the loop's
    std::uint64_t next_id_ = 0;
    bool unreachable_ = false;
    std::uint64_t asked_ = 0;
    std::uint64_t unasked_ = 0;
    std::thread thread_;
};

}  // namespace amq
