#include "daemon/master/usage_recorder.hpp"

#include "common/log.hpp"

namespace amq {

namespace {
// A store that keeps failing must not grow the batch without bound.
constexpr std::size_t kMaxPending = 100000;
}  // namespace

UsageRecorder::UsageRecorder(event_base* base, Store& store, double interval)
    : store_(store), interval_(interval), timer_(Event::timer(base, [this](short) { flush(); })) {}

UsageRecorder::~UsageRecorder() { flush(); }

void UsageRecorder::record(UsageRecord usage) {
    if (pending_.size() >= kMaxPending) {
        log_warning("usage batch full; dropping a usage record");
        return;
    }
    pending_.push_back(std::move(usage));
    if (!timer_.pending()) timer_.arm_after(interval_);
}

void UsageRecorder::flush() {
    timer_.disarm();
    if (pending_.empty()) return;
    if (auto st = store_.record_usage(pending_); !st) {
        log_error("cannot record ", pending_.size(), " usage records: ", st.error().message);
        timer_.arm_after(interval_);  // keep them and try again
        return;
    }
    pending_.clear();
}

}  // namespace amq
