// Finished requests reach the store in batches — about once a second and at shutdown — so
// that no request pays for an fsync. Each is journaled as it comes (usage_journal.hpp), so
// that a master killed between two batches loses none: recover() stores them at the next
// start.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "daemon/event.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/usage_journal.hpp"

namespace amq {

class UsageRecorder {
public:
    // Without a journal, a kill loses the records not yet in a batch.
    UsageRecorder(event_base* base, Store& store, std::optional<UsageJournal> journal,
                  double interval = 1.0);
    // The last flush: records the store still refuses are dropped, and counted.
    ~UsageRecorder();

    // Before the first record: stores what the journal holds beyond what the store has, then
    // empties it. Returns how many records that was.
    Result<std::size_t> recover();
    void record(UsageRecord usage);
    // A use of a key that leaves no record (the admin API): only its last-used time moves.
    void key_used(std::uint64_t key_id, std::int64_t time_ms);
    // A batch the store refuses (full, or failing) is kept and tried again.
    void flush();
    // Records dropped and not yet counted in the store (Store::dropped_usage has the rest).
    std::uint64_t uncounted_drops() const { return dropped_; }

private:
    void count_drops(const char* why);
    void journal(const UsageRecord& usage);
    void journal_failed(const Error& error);

    Store& store_;
    std::optional<UsageJournal> journal_;
    // Entries are numbered; after a failed append the journal is left alone (an entry may be
    // torn) until the store has every record it holds and it is emptied.
    std::uint64_t journaled_ = 0;
    bool journal_broken_ = false;
    double interval_;
    std::vector<UsageRecord> pending_;
    KeyUses pending_uses_;
    std::uint64_t dropped_ = 0;
    Event timer_;
};

}  // namespace amq
