// Where a change of the shared records (accounts, credentials, health, keys) may run. A host
// with a store of its own changes them when it likes; hosts that share a database
// (shared_store.hpp) change them one at a time across all hosts, each after catching up with
// the others' changes, and share the change before it counts as made.
#pragma once

#include <cstdint>
#include <functional>

#include "common/result.hpp"

namespace amq {

class WriteGate {
public:
    using Finished = std::function<void(Status)>;
    virtual ~WriteGate() = default;
    // Runs `change` on the loop once this host may change the shared records; `change` calls
    // its Finished, once, when its own writes are done (at once or later). `done` gets the
    // change's failure, or whether what it wrote was shared.
    virtual void write(std::function<void(Finished)> change, std::function<void(Status)> done) = 0;
    // Runs `work` on the loop once this host holds the account's lock across hosts and has
    // caught up with the others' changes (another host may have refreshed its token
    // meanwhile). What `work` changed is shared before the lock goes; then `done` gets the
    // work's failure, or whether its changes were shared. Other changes go on meanwhile.
    virtual void with_account(std::uint64_t account_id, std::function<void(Finished)> work,
                              std::function<void(Status)> done) = 0;
};

// A store of its own: nothing to wait for, nothing to share.
class LocalWriteGate final : public WriteGate {
public:
    void write(std::function<void(Finished)> change, std::function<void(Status)> done) override {
        change(std::move(done));
    }
    void with_account(std::uint64_t, std::function<void(Finished)> work,
                      std::function<void(Status)> done) override {
        work(std::move(done));
    }
};

}  // namespace amq
