// store = postgresql: this host's LMDB store as a mirror of the records several hosts share
// in one PostgreSQL database (shared_records.hpp). The master serves from the mirror, as from
// a store of its own, so that no request waits on the database and a database outage leaves
// the hosts serving what they have.
//
// - Reading: a session LISTENs for the other hosts' writes and reads what changed since the
//   mirror's revision, at once when told and at least every few seconds; it applies that to
//   the mirror on the loop. After a reconnect it reads again from where the mirror is.
// - Writing (WriteGate): one change at a time on this host. A second session takes the
//   database's write lock, brings the mirror up to date under it, runs the change on the
//   loop, writes the records it changed at a new revision and commits, then answers. So an
//   id or a name is decided against every host's records, and a token refresh runs once
//   across hosts: the host that waited for the lock finds the token already refreshed.
// - Changes made outside a gated write (health transitions) are written by the next one,
//   which is started for them within a tenth of a second.
// - Usage: each record is stored here and kept in the store's outbox; a write at least every
//   second takes the outbox to the database, once per record however often it is sent, and
//   the reading session brings the other hosts' records here. So every host's statistics
//   count every host's requests, and a host that cannot reach the database loses none.
//
// Every database call runs on a thread of its own (OffLoop); the loop never waits on it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "common/result.hpp"
#include "daemon/event.hpp"
#include "daemon/master/pg_connection.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/write_gate.hpp"
#include "daemon/off_loop.hpp"

namespace amq {

struct SharedStoreOptions {
    std::string address;
    // Read on the job's thread each time a session connects (the password file).
    std::function<Result<PgSettings>()> settings;
    // On the loop: after the database's changes were applied to the mirror; after in_step()
    // changed.
    std::function<void(const SharedChanges&)> applied;
    std::function<void()> step_changed;
};

class SharedStore final : public WriteGate {
public:
    SharedStore(event_base* base, Store& store, SharedStoreOptions options);
    ~SharedStore() override;
    Status start();

    void write(std::function<void(Finished)> change, std::function<void(Status)> done) override;
    // The account's lock is held on a session of its own, for as long as `work` runs; the
    // catching up before it and the sharing after it are writes like any other, so the
    // database's write lock is held only for those moments, never across the work.
    void with_account(std::uint64_t account_id, std::function<void(Finished)> work,
                      std::function<void(Status)> done) override;
    // At stop, the loop done with everything else: what this host has not written yet (its
    // last usage records above all) goes to the database now, so that a host that is never
    // started again leaves nothing behind. Runs `base` for at most `seconds`; what is left
    // (the database out of reach) stays in the outbox for the next start.
    void push_before_stop(event_base* base, double seconds);

    // Whether the mirror is in step with the database; else why not (for /health, status).
    bool in_step() const { return in_step_; }
    // The usage retention in the database: records of the days before `day` go, as
    // Store::drop_usage_before does here, a batch per write, by whichever host asks (any may;
    // each drops what is left).
    void drop_usage_before(std::int32_t day);
    const std::string& trouble() const { return trouble_; }
    void write_status(JsonWriter& w) const;
    std::uint64_t usage_waiting() const;

private:
    struct Pending {
        std::function<void(Finished)> change;
        std::function<void(Status)> done;
    };
    struct Caught {
        SharedChanges changes;
        std::string origin;
        UsageIn usage;  // read by the reading session only
        AuditIn audit;
    };
    struct Outgoing {
        std::set<SharedRef> refs;
        SharedChanges records;
        std::vector<UsageOut> usage;
        std::vector<AuditOut> audit;
        std::optional<std::int64_t> drop_usage_before_ms;
    };
    struct Session {
        std::unique_ptr<PgConnection> db;
        std::string origin;  // the database's id
    };

    void read_next(double after_seconds);
    void read_done(Result<Caught> caught);
    void next_write();
    void locked(Result<Caught> caught);
    void share(Status changed);
    Result<Outgoing> collect();
    void written(const Outgoing& out, const Result<SharedWritten>& result,
                 const std::string& origin, Status changed);
    void write_done(Status written);
    Status apply(const Caught& caught);
    bool has_work() const;
    void set_trouble(const Error& error);
    void set_in_step();
    void schedule_flush();
    // On the job's thread: the session, connected (and listening) when it was not.
    static Status ensure(Session& session, const SharedStoreOptions& options, bool listen,
                         const std::atomic<bool>* cancel);
    void on_thread(std::function<void()> work, std::function<void()> then);

    Store& store_;
    SharedStoreOptions options_;
    std::string host_;  // this host's id in the database's usage records
    Session reader_;
    Session writer_;
    std::deque<Pending> queue_;
    std::function<void(Status)> current_done_;  // of the write under way
    bool writing_ = false;
    bool flush_scheduled_ = false;
    bool more_usage_ = false;                   // the last read was a full batch
    std::optional<std::int64_t> retention_ms_;  // usage older than this is still to go
    bool in_step_ = false;
    std::string trouble_ = "not connected yet";
    double backoff_ = 0;
    std::uint64_t reads_ = 0;
    std::uint64_t writes_ = 0;
    Event read_timer_;
    Event flush_timer_;
    Event push_timer_;
    OffLoop jobs_;  // last: its threads end before the sessions they use go
};

}  // namespace amq
