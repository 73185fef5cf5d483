// Finished requests reach the store in batches — about once a second and at shutdown — so
// that no request pays for an fsync.
#pragma once

#include <cstdint>
#include <vector>

#include "daemon/event.hpp"
#include "daemon/master/store.hpp"

namespace amq {

class UsageRecorder {
public:
    UsageRecorder(event_base* base, Store& store, double interval = 1.0);
    // The last flush: records the store still refuses are dropped, and counted.
    ~UsageRecorder();

    void record(UsageRecord usage);
    // A use of a key that leaves no record (the admin API): only its last-used time moves.
    void key_used(std::uint64_t key_id, std::int64_t time_ms);
    // A batch the store refuses (full, or failing) is kept and tried again.
    void flush();
    // Records dropped and not yet counted in the store (Store::dropped_usage has the rest).
    std::uint64_t uncounted_drops() const { return dropped_; }

private:
    void count_drops(const char* why);

    Store& store_;
    double interval_;
    std::vector<UsageRecord> pending_;
    KeyUses pending_uses_;
    std::uint64_t dropped_ = 0;
    Event timer_;
};

}  // namespace amq
