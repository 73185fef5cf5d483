#include "daemon/master/notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstring>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace amq {

Notifier::Notifier(event_base* base) : base_(base) {}

void Notifier::send(const std::string& message) {
    int rc = sd_notify(0, message.c_str());
    if (rc < 0) log_warning("sd_notify: ", std::strerror(-rc));
}

void Notifier::ready() { send("READY=1"); }
void Notifier::reloading() { send("RELOADING=1"); }
void Notifier::stopping() { send("STOPPING=1"); }
void Notifier::status(const std::string& text) { send("STATUS=" + text); }

void Notifier::extend_timeout(double seconds) {
    send(str_cat("EXTEND_TIMEOUT_USEC=", static_cast<std::uint64_t>(seconds * 1e6)));
}

void Notifier::start_watchdog(std::function<bool()> healthy) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_ = Event::persistent_timer(base_, [this, healthy = std::move(healthy)](short) {
        if (healthy())
            send("WATCHDOG=1");
        else
            log_warning("a worker stopped heartbeating: withholding the watchdog ping");
    });
    watchdog_.arm_after(static_cast<double>(usec) / 2e6);
}

}  // namespace amq
