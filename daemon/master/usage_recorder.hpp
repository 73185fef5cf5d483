// Finished requests reach the store in batches — about once a second and at shutdown — so
// that no request pays for an fsync.
#pragma once

#include <vector>

#include "daemon/event.hpp"
#include "daemon/master/store.hpp"

namespace amq {

class UsageRecorder {
public:
    UsageRecorder(event_base* base, Store& store, double interval = 1.0);
    ~UsageRecorder();

    void record(UsageRecord usage);
    void flush();

private:
    Store& store_;
    double interval_;
    std::vector<UsageRecord> pending_;
    Event timer_;
};

}  // namespace amq
