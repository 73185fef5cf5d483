#include "daemon/event.hpp"

#include <cmath>
#include <cstdlib>
#include <ctime>

namespace amq {

struct Event::Impl {
    event* ev = nullptr;
    Callback cb;
};

void Event::ImplDeleter::operator()(Impl* impl) const {
    if (impl->ev) event_free(impl->ev);
    delete impl;
}

EventBasePtr make_event_base() {
    event_base* base = event_base_new();
    if (!base) std::abort();
    return EventBasePtr(base);
}

Event Event::make(event_base* base, int fd, short what, Callback cb) {
    Event e;
    e.impl_.reset(new Impl);
    e.impl_->cb = std::move(cb);
    e.impl_->ev = event_new(
        base, fd, what,
        [](evutil_socket_t, short events, void* arg) {
            auto* impl = static_cast<Impl*>(arg);
            // Copy: the callback may destroy the Event that owns it.
            Callback callback = impl->cb;
            callback(events);
        },
        e.impl_.get());
    if (!e.impl_->ev) std::abort();
    return e;
}

Event Event::timer(event_base* base, Callback cb) { return make(base, -1, 0, std::move(cb)); }
Event Event::persistent_timer(event_base* base, Callback cb) {
    return make(base, -1, EV_PERSIST, std::move(cb));
}
Event Event::signal(event_base* base, int signo, Callback cb) {
    return make(base, signo, EV_SIGNAL | EV_PERSIST, std::move(cb));
}
Event Event::watch_fd(event_base* base, int fd, short what, Callback cb) {
    return make(base, fd, what, std::move(cb));
}

void Event::arm() { event_add(impl_->ev, nullptr); }
void Event::arm_after(double seconds) {
    timeval tv = to_timeval(seconds);
    event_add(impl_->ev, &tv);
}
void Event::disarm() {
    if (impl_) event_del(impl_->ev);
}
bool Event::pending() const {
    return impl_ && event_pending(impl_->ev, EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL, nullptr);
}

void defer(event_base* base, std::function<void()> cb) {
    auto* heap = new std::function<void()>(std::move(cb));
    timeval zero{0, 0};
    event_base_once(
        base, -1, EV_TIMEOUT,
        [](evutil_socket_t, short, void* arg) {
            std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(arg));
            (*fn)();
        },
        heap, &zero);
}

timeval to_timeval(double seconds) {
    if (seconds < 0) seconds = 0;
    double whole = std::floor(seconds);
    return timeval{static_cast<time_t>(whole), static_cast<suseconds_t>((seconds - whole) * 1e6)};
}

double monotonic_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::int64_t unix_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::int64_t unix_millis() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace amq
