// A thin RAII layer over liblmdb: one environment holding the master's named databases, and
// transactions whose every MDB_* code becomes an amq::Error where it enters. Only the master
// opens it, once, and uses it from its loop thread (one write transaction at a time).
//
// A removal needs free pages too (LMDB copies on write), so the last `reserve` bytes below the
// maximum map size are kept for writes that free space: a write that adds data is refused
// once less than that is free, and removals still work in a store that is full.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <lmdb.h>

#include "common/result.hpp"

namespace amq {

// The named databases, all opened (and created when missing) when the environment opens.
// A store made before a database existed gets it, empty, on its next open.
enum class Db { meta, accounts, tokens, keys, key_hashes, usage, health, rollups, audit, outbox };
inline constexpr std::size_t kDbCount = 10;
static_assert(static_cast<std::size_t>(Db::outbox) + 1 == kDbCount);

// Whether a write may take the pages kept for removals: only writes that free space (or
// replace a small record in place) should.
enum class Reserve { keep, use };

using DbHandles = std::array<MDB_dbi, kDbCount>;
using EntryFn = std::function<Status(std::string_view key, std::string_view value)>;

// What a walk's visitor answers after each entry: go on, or stop there (not an error).
enum class Walk { next, stop };
using WalkFn = std::function<Result<Walk>(std::string_view key, std::string_view value)>;

class ReadTxn {
public:
    ReadTxn(const ReadTxn&) = delete;
    ReadTxn& operator=(const ReadTxn&) = delete;

    // The view points into the map: valid only until the transaction ends.
    Result<std::optional<std::string_view>> get(Db db, std::string_view key) const;
    // Visits every entry in key order; the first failure stops the walk and is returned.
    Status for_each(Db db, const EntryFn& fn) const;
    // Visits the entries from the first key >= start (from the first key when start is
    // empty) in key order until fn says stop; the first failure stops the walk and is returned.
    Status for_each_from(Db db, std::string_view start, const WalkFn& fn) const;
    // Visits the entries from the last key backwards, likewise.
    Status for_each_back(Db db, const WalkFn& fn) const;
    // Visits the entries with keys < end backwards (from the last key when end is empty).
    Status for_each_before(Db db, std::string_view end, const WalkFn& fn) const;
    Result<std::uint64_t> entries(Db db) const;

protected:
    ReadTxn(MDB_txn* txn, const DbHandles& dbis) : txn_(txn), dbis_(dbis) {}
    MDB_dbi dbi(Db db) const { return dbis_[static_cast<std::size_t>(db)]; }
    // One cursor walk: `first` positions it (MDB_SET_RANGE reads `key`), `next` moves it.
    // `back_one` steps back once from that position (from the last entry when there is none).
    Status walk(Db db, MDB_cursor_op first, MDB_cursor_op next, MDB_val key, const WalkFn& fn,
                bool back_one = false) const;

    MDB_txn* txn_;
    const DbHandles& dbis_;

    friend class LmdbEnv;
};

class WriteTxn : public ReadTxn {
public:
    Status put(Db db, std::string_view key, std::string_view value);
    Status del(Db db, std::string_view key);  // a missing key is not an error

private:
    WriteTxn(MDB_txn* txn, const DbHandles& dbis) : ReadTxn(txn, dbis) {}
    Error fail(int rc, std::string_view what);

    // Set by any MDB_MAP_FULL, so that the environment grows and retries even when the
    // caller's function turned the error into something else.
    bool map_full_ = false;

    friend class LmdbEnv;
};

struct LmdbOptions {
    std::string dir;
    std::uint64_t initial_map_size = 0;
    std::uint64_t max_map_size = 0;
    std::uint64_t reserve = 0;  // bytes below max_map_size kept for Reserve::use writes
};

class LmdbEnv {
public:
    // Creates the directory (0700) when missing; the files are 0600 whatever the umask.
    static Result<std::unique_ptr<LmdbEnv>> open(const LmdbOptions& options);
    ~LmdbEnv();
    LmdbEnv(const LmdbEnv&) = delete;
    LmdbEnv& operator=(const LmdbEnv&) = delete;

    // Runs fn in one short read-only transaction; inside a unit, in the unit's transaction
    // once it has one, so that fn sees the unit's writes.
    Status read(const std::function<Status(ReadTxn&)>& fn) const;
    // Runs fn in one write transaction and commits it when fn succeeds. When the map is full
    // the transaction is aborted, the map doubled (up to the maximum) and fn run again, so fn
    // must not keep effects outside the transaction that a rerun would repeat. With
    // Reserve::keep the write is refused (Errc::storage_full) before it starts when less than
    // the reserve is free. Inside a unit, fn runs in a transaction nested in the unit's: a
    // failing fn undoes only its own writes.
    Status write(const std::function<Status(WriteTxn&)>& fn, Reserve reserve = Reserve::keep);
    // Runs fn in a read-only transaction of its own, whatever unit the loop is in: for work
    // on another thread (MDB_NOTLS lets it), which sees one consistent state throughout.
    // Meanwhile the map cannot grow: a write that would need it fails (Errc::unavailable), to
    // be retried once the reader is done.
    Status snapshot(const std::function<Status(ReadTxn&)>& fn) const;
    // Runs fn as one unit: every write during fn goes into one transaction (begun by the first
    // write, which decides whether the reserve may be used), committed when fn succeeds and
    // aborted when it fails. A full map reruns fn, as with write(). Units do not nest.
    Status unit(const std::function<Status()>& fn);

    const std::string& dir() const { return options_.dir; }
    // Compacting copy into fd, falling back to a plain copy when compaction fails.
    Status copy_to(int fd) const;
    // Changes whenever what a reader sees may have: after a commit, and inside a unit after
    // each of its writes and at its end. Readers cache what they decoded until it changes.
    std::uint64_t generation() const { return generation_; }

private:
    using WriteFn = std::function<Status(WriteTxn&)>;
    using TxnPtr = std::unique_ptr<MDB_txn, void (*)(MDB_txn*)>;
    struct Unit {
        TxnPtr txn{nullptr, &mdb_txn_abort};  // aborted unless committed
        bool map_full = false;
    };

    LmdbEnv(MDB_env* env, LmdbOptions options);
    Status start();
    Status open_databases();
    Status write_once(const WriteFn& fn, bool& map_full);
    Status write_in_unit(const WriteFn& fn, Reserve reserve);
    // Begins a write transaction, nested in `parent` when there is one.
    Result<TxnPtr> begin_write(MDB_txn* parent) const;
    Status unit_once(const std::function<Status()>& fn, bool& map_full);
    Status check_reserve() const;
    Result<std::uint64_t> free_list_pages() const;
    Status grow();

    MDB_env* env_;
    LmdbOptions options_;
    std::uint64_t map_size_ = 0;
    std::uint64_t generation_ = 0;
    DbHandles dbis_{};
    Unit* unit_ = nullptr;  // the unit running, if any
    // Growing the map remaps it, which must not happen under a read transaction of another
    // thread (a backup, a store copy): readers hold it shared, and grow() only tries it.
    mutable std::shared_mutex remap_;
};

// Runs fn(txn) -> Result<T> in the transaction `run` opens (LmdbEnv::read or ::write) and
// hands its value out of it.
template <class T, class Txn, class Run, class Fn>
Result<T> value_from(Run&& run, Fn&& fn) {
    std::optional<T> out;
    Status status = run([&](Txn& txn) -> Status {
        Result<T> r = fn(txn);
        if (!r) return r.error();
        out = std::move(r).value();
        return {};
    });
    if (!status) return status.error();
    return std::move(*out);
}

template <class T, class Fn>
Result<T> read_value(const LmdbEnv& env, Fn&& fn) {
    return value_from<T, ReadTxn>([&](const auto& body) { return env.read(body); }, fn);
}

// fn may run more than once (see LmdbEnv::write).
template <class T, class Fn>
Result<T> write_value(LmdbEnv& env, Fn&& fn) {
    return value_from<T, WriteTxn>([&](const auto& body) { return env.write(body); }, fn);
}

}  // namespace amq
