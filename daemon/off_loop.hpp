// Work that blocks (a long LMDB read transaction, a database across the network) runs on
// threads of its own, so that the loop keeps serving; each job's `then` runs on the loop when
// the job is done. The destructor raises stopping() and waits for the jobs still running
// (their `then` no longer runs): whatever a job uses must outlive this object.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <thread>

#include "common/result.hpp"
#include "daemon/event.hpp"

namespace amq {

class OffLoop {
public:
    explicit OffLoop(event_base* base) : base_(base) {}
    ~OffLoop() { stop(); }
    OffLoop(const OffLoop&) = delete;
    OffLoop& operator=(const OffLoop&) = delete;

    // When the thread cannot be set up, the error is returned and neither runs.
    Status run(std::function<void()> work, std::function<void()> then);

    // `work`'s result handed to `done` on the loop. A failure to start is `done`'s too, and
    // false: `work` never ran, so what it was to release is still the caller's.
    template <class T>
    bool run_for(std::function<Result<T>()> work, std::function<void(Result<T>)> done) {
        auto result =
            std::make_shared<Result<T>>(make_error(Errc::internal, "the work did not end"));
        Status started = run([work = std::move(work), result] { *result = work(); },
                             [done, result] { done(std::move(*result)); });
        if (!started) done(started.error());
        return started.ok();
    }

    // Raised when the owner is going away: a job that can end early should.
    const std::atomic<bool>& stopping() const { return stopping_; }
    // Raises stopping() and waits for every job; no `then` runs after. Returns how many were
    // still running.
    std::size_t stop();

private:
    struct Job {
        std::thread thread;
        Event watcher;  // on the pipe the thread writes to when done
        int reader = -1;
    };
    void finish(std::list<Job>::iterator job, const std::function<void()>& then);

    event_base* base_;
    std::atomic<bool> stopping_{false};
    std::list<Job> jobs_;
};

}  // namespace amq
