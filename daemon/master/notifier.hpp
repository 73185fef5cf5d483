// The service manager's view of the daemon (sd_notify): READY=1 once every worker of the
// first generation is ready, RELOADING=1 / READY=1 around a reload, STOPPING=1, STATUS= lines,
// EXTEND_TIMEOUT_USEC= while workers drain, and WATCHDOG=1 only while the master's loop runs
// and every worker heartbeats. Without NOTIFY_SOCKET every call is a no-op.
#pragma once

#include <functional>
#include <string>

#include "daemon/event.hpp"

namespace amq {

class Notifier {
public:
    explicit Notifier(event_base* base);

    void ready();
    void reloading();
    void stopping();
    void status(const std::string& text);
    // The unit's TimeoutStopSec= is fixed, drain-timeout is not: asks for `seconds` more.
    void extend_timeout(double seconds);
    // Pings at half the watchdog interval systemd asked for, when `healthy()` says so.
    void start_watchdog(std::function<bool()> healthy);

private:
    void send(const std::string& message);

    event_base* base_;
    Event watchdog_;
};

}  // namespace amq
