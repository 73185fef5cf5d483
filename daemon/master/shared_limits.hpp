// store = postgresql: the limits of API keys, and the pace of accounts, counted across all
// hosts. Every admission of a key with a per-minute, per-day or concurrency limit, and every
// pick of an account with a requests per minute, is decided by the database (amq_admit, under
// a lock of the key's or account's row), which keeps the admissions by second for the minute
// window and by minute for the day window, and each host's requests in flight: no limit is
// ever exceeded however the requests are spread. A grain counts until all of it has left the
// window, so a refusal near a window's edge may come up to a grain early (a second; a minute
// for the day). The admissions waiting at one moment go to the database together, in one
// statement, so a host pays about one round trip per request at low load and less under
// load.
//
// A host writes its count of requests in flight for a key whole, with the next statement
// after it changed (an admission, or a release when a request ends), so an answer lost or an
// outage never leaves the database's count wrong once a statement gets through; while a host
// holds requests it speaks at least every second, and the database stops counting those of a
// host it has not heard from for 5 s (the host died with them).
//
// One thread with one session does the asking; answers come back on the loop. When the
// database cannot be asked, or has not answered within kAnswerWithinMs, requests are admitted
// (the hosts serve on without it), holding no slot there, and the host says so once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
    using Slot = KeyLimiter::Slot;
    static constexpr std::int64_t kAnswerWithinMs = 2000;
    // `host` names this host in the database (its requests in flight are its own).
    SharedLimits(event_base* base, std::string address, std::string host,
                 std::function<Result<PgSettings>()> settings);
    ~SharedLimits();
    SharedLimits(const SharedLimits&) = delete;
    SharedLimits& operator=(const SharedLimits&) = delete;

    // Whether `limits` has anything the database counts.
    static bool counts(const KeyLimits& limits);
    // `slot`: the request holds one while in flight (counted against limits.max_concurrent,
    // which is ignored without it) until release(slot).
    void admit(std::uint64_t key_id, const KeyLimits& limits, std::optional<Slot> slot,
               std::int64_t now_ms, Done done);
    void release(Slot slot);
    // An account with a requests per minute about to be picked: its pick is counted across
    // hosts, refused (with when to try again) when the account has had its minute's worth.
    void pace(std::uint64_t account_id, std::int64_t per_minute, std::int64_t now_ms, Done done);
    std::uint64_t asked() const { return asked_; }
    std::uint64_t unasked() const { return unasked_; }

private:
    struct Ask {
        std::uint64_t id;
        std::int64_t subject;  // a key's id, or minus an account's id
        KeyLimits limits;
        std::int64_t now_ms;
        Result<LimitDecision> decision = LimitDecision{};
        bool holds = false;  // admitted holding a slot the database counts
    };
    struct Waiting {
        Done done;
        std::int64_t asked_at_ms;
        std::optional<Slot> slot;
    };
    // What one statement writes of this host's requests in flight, by key.
    using Held = std::map<std::int64_t, std::int64_t>;
    void ask(std::int64_t subject, const KeyLimits& limits, std::optional<Slot> slot,
             std::int64_t now_ms, Done done);
    void run();
    bool take_work(std::vector<Ask>& batch, Held& held, bool& ask);
    void unhold(std::int64_t key);
    void answer();   // on the loop: the decided ones
    void give_up();  // on the loop: those waiting too long
    void admit_unasked(Done done, const std::string& why);
    Status decide(std::vector<Ask>& batch, const Held& held);

    std::string address_;
    std::string host_;
    std::function<Result<PgSettings>()> settings_;
    std::unique_ptr<PgConnection> db_;  // the thread's
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Ask> waiting_;
    std::vector<Ask> decided_;
    // This host's requests in flight that the database counts, by key; and the keys whose
    // count it has not been told since it changed.
    Held held_;
    std::set<std::int64_t> unsent_;
    // The thread's: a new session writes every count it has, and the database drops the others.
    bool fresh_ = true;
    std::chrono::steady_clock::time_point retry_at_;  // the thread's
    std::chrono::steady_clock::time_point spoke_at_;  // the thread's
    bool stopping_ = false;
    std::atomic<bool> cancel_{false};
    int pipe_[2] = {-1, -1};
    Event readable_;
    Event patience_;
    std::map<std::uint64_t, Waiting> pending_;  // the loop's
    std::map<Slot, std::int64_t> slots_;        // the loop's: slots counted there, to their key
    std::uint64_t next_id_ = 0;
    bool unreachable_ = false;
    std::uint64_t asked_ = 0;
    std::uint64_t unasked_ = 0;
    std::thread thread_;
};

}  // namespace amq
