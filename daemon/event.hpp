// RAII over libevent: an event base, and events whose callbacks are std::functions. Callbacks
// run on the loop thread only; nothing here throws.
#pragma once

#include <event2/event.h>

#include <functional>
#include <memory>

namespace amq {

struct EventBaseDeleter {
    void operator()(event_base* base) const { event_base_free(base); }
};
using EventBasePtr = std::unique_ptr<event_base, EventBaseDeleter>;

EventBasePtr make_event_base();

class Event {
public:
    using Callback = std::function<void(short what)>;

    Event() = default;
    static Event timer(event_base* base, Callback cb);
    static Event signal(event_base* base, int signo, Callback cb);
    static Event persistent_timer(event_base* base, Callback cb);
    static Event watch_fd(event_base* base, int fd, short what, Callback cb);

    void arm();  // no timeout (signals, fds)
    void arm_after(double seconds);
    void disarm();
    bool pending() const;
    explicit operator bool() const { return impl_ != nullptr; }

private:
    struct Impl;
    struct ImplDeleter {
        void operator()(Impl* impl) const;
    };
    static Event make(event_base* base, int fd, short what, Callback cb);
    std::unique_ptr<Impl, ImplDeleter> impl_;
};

// Runs `cb` once on the next loop turn: how work is moved out of C callbacks that must not
// re-enter their library (curl, evhtp).
void defer(event_base* base, std::function<void()> cb);

timeval to_timeval(double seconds);
double monotonic_seconds();
std::int64_t unix_seconds();
std::int64_t unix_millis();

}  // namespace amq
