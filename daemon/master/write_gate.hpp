// Where a change of the shared records (accounts, credentials, health, keys) may run. A host
// with a store of its own changes them when it likes; hosts that share a database
// (shared_store.hpp) change them one at a time across all hosts, each after catching up with
// the others' changes, and share the change before it counts as made.
#pragma once

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
};

// A store of its own: nothing to wait for, nothing to share.
class LocalWriteGate final : public WriteGate {
public:
    void write(std::function<void(Finished)> change, std::function<void(Status)> done) override {
        change(std::move(done));
    }
};

}  // namespace amq
