#include "daemon/master/shared_store.hpp"

#include <algorithm>
#include <utility>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "daemon/master/pg_schema.hpp"
#include "daemon/master/store_keys.hpp"

namespace amq {
namespace {

// Without a notification (one lost to a reconnect), the mirror still reads this often.
constexpr int kAwaitMs = 5000;
// Health transitions come in bursts: they are shared together.
constexpr double kFlushDelay = 0.1;
// Usage records are stored here about once a second: they go to the database as often.
constexpr double kPushEverySeconds = 1;
constexpr std::size_t kPushBatch = 5000;
constexpr std::size_t kPullBatch = 10000;
constexpr double kMaxBackoff = 10;

using MirrorPoint = Store::Mirror;

// A gated write that changes nothing itself: it catches the mirror up, and shares what this
// host has for the database.
void catch_up_and_share(WriteGate::Finished finished) { finished({}); }

MirrorPoint mirror_point(const Store& store) {
    auto m = store.mirror();
    return m ? *m : MirrorPoint{};
}

std::uint64_t waiting_usage(const Store& store) {
    auto n = store.outbox_size();
    return n ? *n : 0;
}

// What the mirror lacks: the changes since its revision, or every record when it mirrors
// nothing yet. A mirror of another database is refused.
Result<SharedChanges> catch_up(PgConnection& db, const std::string& origin,
                               const MirrorPoint& mirror, bool own_transaction) {
    if (!mirror.origin.empty() && mirror.origin != origin)
        return make_error(
            Errc::conflict,
            str_cat("this host's state directory mirrors another database (", mirror.origin,
                    ", this one is ", origin, "): give it an empty state directory"));
    std::optional<std::uint64_t> since;
    if (!mirror.origin.empty()) since = mirror.rev;
    return read_shared(db, since, own_transaction);
}

}  // namespace

SharedStore::SharedStore(event_base* base, Store& store, SharedStoreOptions options)
    : store_(store), options_(std::move(options)), jobs_(base) {
    read_timer_ = Event::timer(base, [this](short) { read_next(-1); });
    flush_timer_ = Event::timer(base, [this](short) {
        flush_scheduled_ = false;
        if (in_step_ && queue_.empty() && has_work())
            write(catch_up_and_share, [](Status st) {
                if (!st) log_warning("shared store: ", st.error().message);
            });
    });
    push_timer_ = Event::persistent_timer(base, [this](short) {
        if (has_work()) schedule_flush();
    });
    store_.on_shared_change([this] { schedule_flush(); });
    store_.share_records();
}

bool SharedStore::has_work() const {
    return store_.has_shared_changes() || store_.has_shared_audit() || waiting_usage(store_) > 0 ||
           retention_ms_;
}

void SharedStore::drop_usage_before(std::int32_t day) {
    retention_ms_ = std::int64_t{day} * kMsPerDay;
    schedule_flush();
}

SharedStore::~SharedStore() {
    store_.on_shared_change({});
    jobs_.stop();
}

Status SharedStore::start() {
    auto host = store_.host_id();
    if (!host) return host.error();
    host_ = std::move(*host);
    push_timer_.arm_after(kPushEverySeconds);
    read_next(0);
    return {};
}

Status SharedStore::ensure(Session& session, const SharedStoreOptions& options, bool listen,
                           const std::atomic<bool>* cancel) {
    if (session.db) return {};
    auto settings = options.settings();
    if (!settings) return settings.error();
    settings->cancel = cancel;
    auto db = PgConnection::connect(PgTarget{options.address, std::move(*settings)});
    if (!db) return db.error();
    // The first host to connect creates the schema; a later amq2api migrates it.
    auto migrated = migrate_schema(*db, false);
    if (!migrated) return migrated.error();
    for (const Migration& m : *migrated)
        log_notice("shared store: applied migration ", m.version, " (", m.name, ")");
    auto origin = shared_cluster_id(*db);
    if (!origin) return origin.error();
    if (listen)
        if (Status st = db->exec(str_cat("LISTEN ", kSharedChannel)); !st) return st;
    session.db = std::make_unique<PgConnection>(std::move(*db));
    session.origin = std::move(*origin);
    return {};
}

// after_seconds < 0: now, from the timer.
void SharedStore::read_next(double after_seconds) {
    if (after_seconds > 0) return read_timer_.arm_after(after_seconds);
    MirrorPoint mirror = mirror_point(store_);
    bool at_once = !reader_.db || std::exchange(more_usage_, false);
    jobs_.run_for<Caught>(
        [this, mirror, at_once]() -> Result<Caught> {
            if (Status st = ensure(reader_, options_, true, &jobs_.stopping()); !st)
                return st.error();
            if (!at_once) {
                auto told = reader_.db->await_notification(kAwaitMs);
                if (!told) return told.error();
            }
            auto changes = catch_up(*reader_.db, reader_.origin, mirror, true);
            if (!changes) return changes.error();
            bool same = mirror.origin == reader_.origin;
            auto usage = read_usage(*reader_.db, same ? mirror.usage_cursor : 0, host_, kPullBatch);
            if (!usage) return usage.error();
            auto audit = read_audit(*reader_.db, same ? mirror.audit_cursor : 0, host_, kPullBatch);
            if (!audit) return audit.error();
            return Caught{std::move(*changes), reader_.origin, std::move(*usage),
                          std::move(*audit)};
        },
        [this](Result<Caught> caught) { read_done(std::move(caught)); });
}

void SharedStore::read_done(Result<Caught> caught) {
    Status applied = caught ? apply(*caught) : Status(caught.error());
    if (!applied) {
        if (!caught) reader_.db.reset();
        set_trouble(applied.error());
        backoff_ = std::clamp(backoff_ * 2, 1.0, kMaxBackoff);
        return read_next(backoff_);
    }
    ++reads_;
    more_usage_ = caught->usage.more || caught->audit.more;
    backoff_ = 0;
    set_in_step();
    read_next(-1);
}

Status SharedStore::apply(const Caught& caught) {
    MirrorPoint mirror = mirror_point(store_);
    if (mirror.origin != caught.origin || caught.changes.rev > mirror.rev) {
        if (Status st = store_.apply_shared(caught.changes, caught.origin); !st) return st;
        options_.applied(caught.changes);
    }
    const UsageIn& usage = caught.usage;
    if (!usage.records.empty() || usage.cursor > mirror.usage_cursor)
        if (Status st = store_.apply_usage(usage.records, usage.cursor); !st) return st;
    const AuditIn& audit = caught.audit;
    if (audit.records.empty() && audit.cursor <= mirror.audit_cursor) return {};
    return store_.apply_audit(audit.records, audit.cursor);
}

void SharedStore::set_trouble(const Error& error) {
    if (in_step_ || trouble_ != error.message)
        log_error("shared store: ", error.message,
                  "; serving from this host's copy of it until it is in step again");
    bool was = std::exchange(in_step_, false);
    trouble_ = error.message;
    if (was) options_.step_changed();
}

void SharedStore::set_in_step() {
    bool was = std::exchange(in_step_, true);
    trouble_.clear();
    if (!was) {
        log_notice("shared store: in step with the database");
        options_.step_changed();
    }
    if (store_.has_shared_changes()) schedule_flush();
}

void SharedStore::schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    flush_timer_.arm_after(kFlushDelay);
}

void SharedStore::write(std::function<void(Finished)> change, std::function<void(Status)> done) {
    queue_.push_back({std::move(change), std::move(done)});
    if (!writing_) next_write();
}

void SharedStore::with_account(std::uint64_t account_id, std::function<void(Finished)> work,
                               std::function<void(Status)> done) {
    auto lock = std::make_shared<std::unique_ptr<PgConnection>>();
    auto release = [this, lock] {
        // Closing the session ends its transaction, and the lock with it.
        (void)jobs_.run([lock] { lock->reset(); }, [] {});
    };
    jobs_.run_for<bool>(
        [this, lock, account_id]() -> Result<bool> {
            auto settings = options_.settings();
            if (!settings) return settings.error();
            settings->cancel = &jobs_.stopping();
            auto db = PgConnection::connect(PgTarget{options_.address, std::move(*settings)});
            if (!db) return db.error();
            *lock = std::make_unique<PgConnection>(std::move(*db));
            if (Status st = lock_account(**lock, account_id); !st) return st.error();
            return true;
        },
        [this, work, done, release](Result<bool> held) {
            if (!held) {
                release();
                return done(make_error(
                    Errc::unavailable,
                    str_cat("the shared database is out of reach: ", held.error().message)));
            }
            write(catch_up_and_share, [this, work, done, release](Status caught) {
                if (!caught) {
                    release();
                    return done(caught);
                }
                work([this, done, release](Status worked) {
                    write(catch_up_and_share, [done, release, worked](Status shared) {
                        release();
                        done(worked ? shared : worked);
                    });
                });
            });
        });
}

void SharedStore::push_before_stop(event_base* base, double seconds) {
    bool out_of_time = false;
    Event deadline = Event::timer(base, [&](short) {
        out_of_time = true;
        event_base_loopbreak(base);
    });
    deadline.arm_after(seconds);
    // A write cut short by the deadline may still answer later: what it answers to outlives
    // this frame.
    struct Push {
        bool done = false;
        Status result;
    };
    Status pushed;
    while (pushed && !out_of_time && has_work()) {
        auto push = std::make_shared<Push>();
        write(catch_up_and_share, [push, base](Status st) {
            push->result = std::move(st);
            push->done = true;
            event_base_loopbreak(base);
        });
        while (!push->done && !out_of_time) event_base_loop(base, EVLOOP_ONCE);
        if (push->done) pushed = push->result;
    }
    if (has_work())
        log_warning(
            "shared store: stopped before everything was written to the database (",
            out_of_time ? str_cat("not done within ", seconds, " s") : pushed.error().message,
            "); the rest waits here for the next start");
}

void SharedStore::next_write() {
    if (queue_.empty()) return;
    writing_ = true;
    MirrorPoint mirror = mirror_point(store_);
    jobs_.run_for<Caught>(
        [this, mirror]() -> Result<Caught> {
            if (Status st = ensure(writer_, options_, false, &jobs_.stopping()); !st)
                return st.error();
            if (Status st = lock_shared(*writer_.db); !st) return st.error();
            auto changes = catch_up(*writer_.db, writer_.origin, mirror, false);
            if (!changes) {
                (void)writer_.db->exec("ROLLBACK");
                return changes.error();
            }
            return Caught{std::move(*changes), writer_.origin};
        },
        [this](Result<Caught> caught) { locked(std::move(caught)); });
}

// Under the lock, the mirror up to date: the change runs.
void SharedStore::locked(Result<Caught> caught) {
    Pending pending = std::move(queue_.front());
    queue_.pop_front();
    current_done_ = std::move(pending.done);
    Status applied = caught ? apply(*caught) : Status(caught.error());
    if (!applied) {
        writer_.db.reset();  // its transaction, if any, ends with it
        return write_done(
            make_error(Errc::unavailable,
                       str_cat("the shared database is out of reach, so nothing was changed: ",
                               applied.error().message)));
    }
    auto once = std::make_shared<bool>(false);
    pending.change([this, once](Status changed) {
        if (std::exchange(*once, true)) return;
        share(std::move(changed));
    });
}

// What this host has for the database: the records it changed, usage records waiting in
// the outbox, audit entries appended.
Result<SharedStore::Outgoing> SharedStore::collect() {
    Outgoing out;
    out.refs = store_.take_shared_changes();
    auto records = store_.read_shared(out.refs);
    auto usage = store_.outbox(kPushBatch);
    auto audit = store_.take_shared_audit();
    if (!records || !usage || !audit) {
        store_.return_shared_changes(out.refs);
        if (audit) store_.return_shared_audit(*audit);
        return !records ? records.error() : !usage ? usage.error() : audit.error();
    }
    out.records = std::move(*records);
    out.usage = std::move(*usage);
    out.audit = std::move(*audit);
    out.drop_usage_before_ms = std::exchange(retention_ms_, std::nullopt);
    return out;
}

void SharedStore::share(Status changed) {
    auto out = collect();
    if (!out) log_warning("shared store: ", out.error().message);
    if (!out || (out->refs.empty() && out->usage.empty() && out->audit.empty() &&
                 !out->drop_usage_before_ms))
        return on_thread([this] { (void)writer_.db->exec("ROLLBACK"); },
                         [this, changed] { write_done(changed); });
    auto shared = std::make_shared<Outgoing>(std::move(*out));
    auto result = std::make_shared<Result<SharedWritten>>(
        make_error(Errc::internal, "the write did not run"));
    on_thread(
        [this, result, shared] {
            *result = write_shared(
                *writer_.db, shared->records,
                HostWrites{host_, shared->usage, shared->audit, shared->drop_usage_before_ms});
        },
        [this, result, shared, origin = writer_.origin, changed] {
            written(*shared, *result, origin, changed);
        });
}

void SharedStore::written(const Outgoing& out, const Result<SharedWritten>& rev,
                          const std::string& origin, Status changed) {
    if (!rev) {
        store_.return_shared_changes(out.refs);
        store_.return_shared_audit(out.audit);
        if (!retention_ms_) retention_ms_ = out.drop_usage_before_ms;
        writer_.db.reset();
        set_trouble(rev.error());
        Error unshared =
            make_error(Errc::unavailable,
                       str_cat("changed on this host, but not yet in the shared database (",
                               rev.error().message, "): it is written there once it is back"));
        return write_done(changed ? Status(unshared) : changed);
    }
    ++writes_;
    if (!out.usage.empty())
        if (Status st = store_.clear_outbox(out.usage.back().seq); !st)
            log_warning("shared store: ", st.error().message);
    if (out.usage.size() == kPushBatch) schedule_flush();
    if (rev->usage_dropped)
        log_info("usage retention: dropped ", rev->usage_dropped,
                 " records from the shared database");
    if (rev->usage_dropped == kRetentionBatch && !retention_ms_) {
        retention_ms_ = out.drop_usage_before_ms;
        schedule_flush();
    }
    SharedChanges advanced;
    advanced.rev = rev->rev;
    if (Status st = store_.apply_shared(advanced, origin); !st)
        log_warning("shared store: ", st.error().message);
    write_done(changed);
}

// `then` runs even when no thread could be started (the work did not run).
void SharedStore::on_thread(std::function<void()> work, std::function<void()> then) {
    if (Status started = jobs_.run(std::move(work), then); !started) {
        writer_.db.reset();
        then();
    }
}

void SharedStore::write_done(Status written) {
    auto done = std::move(current_done_);
    writing_ = false;
    if (done) done(std::move(written));
    if (!writing_) next_write();
}

std::uint64_t SharedStore::usage_waiting() const { return waiting_usage(store_); }

void SharedStore::write_status(JsonWriter& w) const {
    w.StartObject();
    write_field(w, "store", "postgresql");
    w.Key("in_step");
    w.Bool(in_step_);
    if (!in_step_) write_field(w, "trouble", trouble_);
    w.Key("revision");
    w.Uint64(mirror_point(store_).rev);
    w.Key("reads");
    w.Uint64(reads_);
    w.Key("writes");
    w.Uint64(writes_);
    w.Key("usage_waiting");
    w.Uint64(waiting_usage(store_));
    w.EndObject();
}

}  // namespace amq
