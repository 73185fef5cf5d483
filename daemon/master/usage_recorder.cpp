#include "daemon/master/usage_recorder.hpp"

#include <algorithm>
#include <utility>

#include "common/log.hpp"

namespace amq {

namespace {
// A store that keeps failing must not grow the batch without bound.
constexpr std::size_t kMaxPending = 100000;
}  // namespace

UsageRecorder::UsageRecorder(event_base* base, Store& store, std::optional<UsageJournal> journal,
                             double interval)
    : store_(store),
      journal_(std::move(journal)),
      interval_(interval),
      timer_(Event::timer(base, [this](short) { flush(); })) {}

UsageRecorder::~UsageRecorder() {
    flush();
    timer_.disarm();
    if (journal_ && !journal_broken_ && !pending_.empty())
        log_warning(pending_.size(), " usage records the store refused wait in ", journal_->path(),
                    " for the next start");
    else
        dropped_ += pending_.size();
    pending_.clear();
    count_drops("at stop");
}

Result<std::size_t> UsageRecorder::recover() {
    if (!journal_) return 0;
    auto stored = store_.journaled_through();
    if (!stored) return stored.error();
    auto contents = journal_->read();
    if (!contents) return contents.error();
    if (contents->ignored_bytes)
        log_warning("usage journal ", journal_->path(), ": ", contents->ignored_bytes,
                    " bytes at its end are not whole entries; ignored");
    journaled_ = *stored;
    std::vector<UsageRecord> missing;
    for (JournalEntry& e : contents->entries) {
        if (e.sequence > *stored) missing.push_back(std::move(e.usage));
        journaled_ = std::max(journaled_, e.sequence);
    }
    if (!missing.empty())
        if (Status st = store_.record_usage(missing, journaled_); !st) return st.error();
    if (Status st = journal_->clear(); !st) return st.error();
    return missing.size();
}

void UsageRecorder::record(UsageRecord usage) {
    if (pending_.size() >= kMaxPending) {
        ++dropped_;  // counted, and logged once, at the next flush
        return;
    }
    journal(usage);
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
    std::optional<std::uint64_t> through;
    if (journal_) through = journaled_;
    if (auto st = store_.record_usage(pending_, through); !st) {
        log_error("cannot record ", pending_.size(), " usage records: ", st.error().message);
        timer_.arm_after(interval_);  // keep them and try again
        return;
    }
    pending_.clear();
    if (!journal_) return;
    if (Status st = journal_->clear(); !st) return journal_failed(st.error());
    if (std::exchange(journal_broken_, false))
        log_notice("usage journal ", journal_->path(), ": written again");
}

void UsageRecorder::journal(const UsageRecord& usage) {
    if (!journal_ || journal_broken_) return;
    if (Status st = journal_->append(encode_journal_entry(journaled_ + 1, usage)); !st)
        return journal_failed(st.error());
    ++journaled_;
}

// The records stay in memory and reach the store with the next batch; only a kill before
// then would lose them.
void UsageRecorder::journal_failed(const Error& error) {
    if (!std::exchange(journal_broken_, true))
        log_error(error.message, "; usage records are not journaled until the next batch is ",
                  "stored");
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
