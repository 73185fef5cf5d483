#include "daemon/master/usage_recorder.hpp"

#include "common/log.hpp"

namespace amq {

namespace {
// A store that keeps failing must not grow the batch without bound.
constexpr std::size_t kMaxPending = 100000;
}  // namespace

UsageRecorder::UsageRecorder(event_base* base, Store& store, double interval)
    : store_(store), interval_(interval), timer_(Event::timer(base, [this](short) { flush(); })) {}

UsageRecorder::~UsageRecorder() {
    flush();
    timer_.disarm();
    dropped_ += pending_.size();
    pending_.clear();
    count_drops("at stop");
}

void UsageRecorder::record(UsageRecord usage) {
    if (pending_.size() >= kMaxPending) {
        ++dropped_;  // counted, and logged once, at the next flush
        return;
    }
    pending_.push_back(std::move(usage));
    if (!timer_.pending()) timer_.arm_after(interval_);
}

void UsageRecorder::key_used(std::uint64_t key_id, std::int64_t time_ms) {
    note_key_use(pending_uses_, key_id, time_ms);
    if (!timer_.pending()) timer_.arm_after(interval_);
}

void UsageRecorder::flush() {
    timer_.disarm();
    count_drops("the batch of unstored records was full");
    // A last-used time is worth one try: the next use sets it again.
    if (auto st = store_.record_key_uses(pending_uses_); !st)
        log_warning("cannot record when ", pending_uses_.size(),
                    " keys were last used: ", st.error().message);
    pending_uses_.clear();
    if (pending_.empty()) return;
    if (auto st = store_.record_usage(pending_); !st) {
        log_error("cannot record ", pending_.size(), " usage records: ", st.error().message);
        timer_.arm_after(interval_);  // keep them and try again
        return;
    }
    pending_.clear();
}

// The count is stored (it fits in the store's reserve), so that /metrics shows it after a
// restart too.
void UsageRecorder::count_drops(const char* why) {
    if (dropped_ == 0) return;
    log_warning("dropped ", dropped_, " usage records (", why, "); they are counted in ",
                "amq2api_usage_records_dropped");
    if (auto st = store_.count_dropped_usage(dropped_); !st) {
        log_error("cannot count ", dropped_, " dropped usage records: ", st.error().message);
        return;
    }
    dropped_ = 0;
}

}  // namespace amq
