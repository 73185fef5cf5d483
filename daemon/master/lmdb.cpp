#include "daemon/master/lmdb.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <utility>

#include "common/strings.hpp"

namespace amq {
namespace {

constexpr const char* kDbNames[kDbCount] = {"meta",  "accounts", "tokens",  "keys", "key_hashes",
                                            "usage", "health",   "rollups", "audit",
                                            "outbox"};

const char* db_name(Db db) { return kDbNames[static_cast<std::size_t>(db)]; }

Errc errc_of(int rc) {
    switch (rc) {
        case MDB_MAP_FULL: return Errc::storage_full;
        case MDB_NOTFOUND: return Errc::not_found;
        case MDB_BAD_VALSIZE: return Errc::invalid_argument;
        default: return Errc::io;
    }
}

Error lmdb_error(int rc, std::string_view what) {
    return make_error(errc_of(rc), str_cat("LMDB: ", what, ": ", mdb_strerror(rc)));
}

Error errno_error(std::string_view what, const std::string& path) {
    return make_error(Errc::io, str_cat(what, " ", path, ": ", std::strerror(errno)));
}

// LMDB never writes through a key or value it is given; MDB_val just lacks const.
MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

std::string_view to_view(const MDB_val& v) {
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// Aborts on every path that does not commit, exceptions included.
using TxnGuard = std::unique_ptr<MDB_txn, decltype(&mdb_txn_abort)>;
using CursorGuard = std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)>;

// LMDB's own database of free pages (FREE_DBI in mdb.c).
constexpr MDB_dbi kFreeListDbi = 0;

Status ensure_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
        // An odd umask may have taken owner bits that LMDB needs.
        if (::chmod(dir.c_str(), 0700) != 0) return errno_error("cannot chmod", dir);
        return {};
    }
    if (errno != EEXIST) return errno_error("cannot create the state directory", dir);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return errno_error("cannot stat", dir);
    if (!S_ISDIR(st.st_mode)) return make_error(Errc::io, str_cat(dir, " is not a directory"));
    return {};
}

// mdb_env_open's mode passes through the umask and does not apply to files that exist.
Status restrict_file_modes(const std::string& dir) {
    for (const char* name : {"data.mdb", "lock.mdb"}) {
        std::string path = str_cat(dir, "/", name);
        if (::chmod(path.c_str(), 0600) != 0) return errno_error("cannot chmod", path);
    }
    return {};
}

}  // namespace

Result<std::optional<std::string_view>> ReadTxn::get(Db db, std::string_view key) const {
    MDB_val k = to_val(key);
    MDB_val v{};
    int rc = mdb_get(txn_, dbi(db), &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
    if (rc != 0) return lmdb_error(rc, str_cat("cannot read from ", db_name(db)));
    return std::optional<std::string_view>(to_view(v));
}

Status ReadTxn::for_each(Db db, const EntryFn& fn) const {
    return walk(db, MDB_FIRST, MDB_NEXT, {}, [&](std::string_view key, std::string_view value) {
        if (Status status = fn(key, value); !status) return Result<Walk>(status.error());
        return Result<Walk>(Walk::next);
    });
}

Result<std::uint64_t> ReadTxn::entries(Db db) const {
    MDB_stat stat{};
    if (int rc = mdb_stat(txn_, dbi(db), &stat); rc != 0)
        return lmdb_error(rc, "cannot count a database's entries");
    return std::uint64_t{stat.ms_entries};
}

Status ReadTxn::for_each_from(Db db, std::string_view start, const WalkFn& fn) const {
    // MDB_SET_RANGE refuses an empty key (MDB_BAD_VALSIZE); every key is >= "" anyway.
    if (start.empty()) return walk(db, MDB_FIRST, MDB_NEXT, {}, fn);
    return walk(db, MDB_SET_RANGE, MDB_NEXT, to_val(start), fn);
}

Status ReadTxn::for_each_back(Db db, const WalkFn& fn) const {
    return walk(db, MDB_LAST, MDB_PREV, {}, fn);
}

Status ReadTxn::for_each_before(Db db, std::string_view end, const WalkFn& fn) const {
    if (end.empty()) return for_each_back(db, fn);
    return walk(db, MDB_SET_RANGE, MDB_PREV, to_val(end), fn, true);
}

Status ReadTxn::walk(Db db, MDB_cursor_op first, MDB_cursor_op next, MDB_val key, const WalkFn& fn,
                     bool back_one) const {
    MDB_cursor* raw = nullptr;
    if (int rc = mdb_cursor_open(txn_, dbi(db), &raw); rc != 0)
        return lmdb_error(rc, str_cat("cannot open a cursor on ", db_name(db)));
    CursorGuard cursor(raw, &mdb_cursor_close);
    MDB_val value{};
    int rc = mdb_cursor_get(raw, &key, &value, first);
    if (back_one && (rc == 0 || rc == MDB_NOTFOUND))
        rc = mdb_cursor_get(raw, &key, &value, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    for (; rc == 0; rc = mdb_cursor_get(raw, &key, &value, next)) {
        Result<Walk> step = fn(to_view(key), to_view(value));
        if (!step) return step.error();
        if (*step == Walk::stop) return {};
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc, str_cat("cannot walk ", db_name(db)));
    return {};
}

Status WriteTxn::put(Db db, std::string_view key, std::string_view value) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    if (int rc = mdb_put(txn_, dbi(db), &k, &v, 0); rc != 0)
        return fail(rc, str_cat("cannot write to ", db_name(db)));
    return {};
}

Status WriteTxn::del(Db db, std::string_view key) {
    MDB_val k = to_val(key);
    int rc = mdb_del(txn_, dbi(db), &k, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return fail(rc, str_cat("cannot delete from ", db_name(db)));
    return {};
}

Error WriteTxn::fail(int rc, std::string_view what) {
    if (rc == MDB_MAP_FULL) map_full_ = true;
    return lmdb_error(rc, what);
}

LmdbEnv::LmdbEnv(MDB_env* env, LmdbOptions options) : env_(env), options_(std::move(options)) {}

LmdbEnv::~LmdbEnv() { mdb_env_close(env_); }

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::open(const LmdbOptions& options) {
    if (options.dir.empty()) return make_error(Errc::invalid_argument, "no state directory given");
    if (options.initial_map_size == 0 || options.max_map_size == 0)
        return make_error(Errc::invalid_argument, "the LMDB map sizes must be positive");
    if (Status status = ensure_directory(options.dir); !status) return status.error();
    MDB_env* raw = nullptr;
    if (int rc = mdb_env_create(&raw); rc != 0)
        return lmdb_error(rc, "cannot create an environment");
    std::unique_ptr<LmdbEnv> env(new LmdbEnv(raw, options));
    if (Status status = env->start(); !status) return status.error();
    return env;
}

Status LmdbEnv::start() {
    const std::string& dir = options_.dir;
    std::uint64_t initial = std::min(options_.initial_map_size, options_.max_map_size);
    if (int rc = mdb_env_set_maxdbs(env_, kDbCount); rc != 0)
        return lmdb_error(rc, "cannot set the number of databases");
    if (int rc = mdb_env_set_mapsize(env_, initial); rc != 0)
        return lmdb_error(rc, "cannot set the map size");
    // MDB_NOTLS: a read slot belongs to its transaction, not to the thread that opened it.
    if (int rc = mdb_env_open(env_, dir.c_str(), MDB_NOTLS, 0600); rc != 0)
        return lmdb_error(rc, str_cat("cannot open ", dir));
    if (Status status = restrict_file_modes(dir); !status) return status;
    // A process that died inside a read transaction leaves its slot behind.
    if (int rc = mdb_reader_check(env_, nullptr); rc != 0)
        return lmdb_error(rc, "cannot clear stale readers");
    MDB_envinfo info{};
    if (int rc = mdb_env_info(env_, &info); rc != 0)
        return lmdb_error(rc, "cannot read the environment's size");
    map_size_ = info.me_mapsize;  // an existing environment may be larger than `initial`
    return open_databases();
}

Status LmdbEnv::open_databases() {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != 0)
        return lmdb_error(rc, "cannot begin a write transaction");
    TxnGuard guard(txn, &mdb_txn_abort);
    for (std::size_t i = 0; i < kDbCount; ++i) {
        if (int rc = mdb_dbi_open(txn, kDbNames[i], MDB_CREATE, &dbis_[i]); rc != 0)
            return lmdb_error(rc, str_cat("cannot open database ", kDbNames[i]));
    }
    if (int rc = mdb_txn_commit(guard.release()); rc != 0)
        return lmdb_error(rc, "cannot create the databases");
    return {};
}

Status LmdbEnv::read(const std::function<Status(ReadTxn&)>& fn) const {
    if (unit_ && unit_->txn) {
        ReadTxn txn(unit_->txn.get(), dbis_);
        return fn(txn);
    }
    return snapshot(fn);
}

Status LmdbEnv::snapshot(const std::function<Status(ReadTxn&)>& fn) const {
    std::shared_lock reading(remap_);
    MDB_txn* raw = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw); rc != 0)
        return lmdb_error(rc, "cannot begin a read transaction");
    TxnGuard guard(raw, &mdb_txn_abort);  // a read-only transaction has nothing to commit
    ReadTxn txn(raw, dbis_);
    return fn(txn);
}

Status LmdbEnv::write(const WriteFn& fn, Reserve reserve) {
    if (unit_) return write_in_unit(fn, reserve);
    if (reserve == Reserve::keep) {
        if (Status status = check_reserve(); !status) return status;
    }
    for (;;) {
        bool map_full = false;
        Status status = write_once(fn, map_full);
        if (!map_full) return status;
        if (Status grown = grow(); !grown) return grown;
    }
}

Result<LmdbEnv::TxnPtr> LmdbEnv::begin_write(MDB_txn* parent) const {
    MDB_txn* raw = nullptr;
    if (int rc = mdb_txn_begin(env_, parent, 0, &raw); rc != 0)
        return lmdb_error(rc, "cannot begin a write transaction");
    return TxnPtr(raw, &mdb_txn_abort);
}

Status LmdbEnv::write_once(const WriteFn& fn, bool& map_full) {
    auto begun = begin_write(nullptr);
    if (!begun) return begun.error();
    WriteTxn txn(begun->get(), dbis_);
    Status status = fn(txn);
    map_full = txn.map_full_;
    if (!status || map_full) return status;
    int rc = mdb_txn_commit(begun->release());  // frees the transaction even when it fails
    map_full = rc == MDB_MAP_FULL;
    if (rc != 0) return lmdb_error(rc, "cannot commit a write transaction");
    ++generation_;
    return {};
}

// The unit's transaction holds the write lock from its first write to its end; each write
// is a child of it, so that a failing one leaves the others.
Status LmdbEnv::write_in_unit(const WriteFn& fn, Reserve reserve) {
    if (!unit_->txn) {
        if (reserve == Reserve::keep) {
            if (Status status = check_reserve(); !status) return status;
        }
        auto begun = begin_write(nullptr);
        if (!begun) return begun.error();
        unit_->txn = std::move(*begun);
    }
    auto child = begin_write(unit_->txn.get());
    if (!child) return child.error();
    WriteTxn txn(child->get(), dbis_);
    Status status = fn(txn);
    unit_->map_full = unit_->map_full || txn.map_full_;
    if (!status || txn.map_full_) return status;
    if (int rc = mdb_txn_commit(child->release()); rc != 0) {
        unit_->map_full = unit_->map_full || rc == MDB_MAP_FULL;
        return lmdb_error(rc, "cannot commit a nested write transaction");
    }
    ++generation_;
    return {};
}

Status LmdbEnv::unit(const std::function<Status()>& fn) {
    if (unit_) return make_error(Errc::internal, "LMDB units do not nest");
    for (;;) {
        bool map_full = false;
        Status status = unit_once(fn, map_full);
        if (!map_full) return status;
        if (Status grown = grow(); !grown) return grown;
    }
}

Status LmdbEnv::unit_once(const std::function<Status()>& fn, bool& map_full) {
    Unit unit;
    struct Leave {  // the unit ends on every path out of here, exceptions included
        Unit*& running;
        ~Leave() { running = nullptr; }
    } leave{unit_};
    unit_ = &unit;
    Status status = fn();
    map_full = unit.map_full;
    if (!unit.txn) return status;
    ++generation_;  // committed or not, what readers saw inside the unit is gone
    if (!status || map_full) return status;
    int rc = mdb_txn_commit(unit.txn.release());
    map_full = rc == MDB_MAP_FULL;
    if (rc != 0) return lmdb_error(rc, "cannot commit a write transaction");
    return {};
}

// Writes that add data stop while less than the reserve is free: counting the map's unused
// tail up to its maximum size, and the pages LMDB keeps in its free list for reuse.
Status LmdbEnv::check_reserve() const {
    MDB_stat stat{};
    MDB_envinfo info{};
    if (int rc = mdb_env_stat(env_, &stat); rc != 0)
        return lmdb_error(rc, "cannot read the page size");
    if (int rc = mdb_env_info(env_, &info); rc != 0)
        return lmdb_error(rc, "cannot read the environment's size");
    std::uint64_t page = stat.ms_psize;
    std::uint64_t used = info.me_last_pgno + 1;
    std::uint64_t pages = options_.max_map_size / page;
    std::uint64_t free = pages > used ? pages - used : 0;
    std::uint64_t reserve = options_.reserve / page;
    if (free >= reserve) return {};
    auto listed = free_list_pages();
    if (!listed) return listed.error();
    if (free + *listed >= reserve) return {};
    return make_error(
        Errc::storage_full,
        str_cat("storage full: less than ", options_.reserve, " bytes of the maximum size of ",
                options_.max_map_size, " bytes (max-map-size) are free in ", options_.dir,
                "; that reserve is kept for removals: remove API keys or accounts, keep "
                "usage for fewer days (usage-retention-days), or raise max-map-size"));
}

Result<std::uint64_t> LmdbEnv::free_list_pages() const {
    MDB_txn* raw = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw); rc != 0)
        return lmdb_error(rc, "cannot begin a read transaction");
    TxnGuard txn(raw, &mdb_txn_abort);
    MDB_cursor* raw_cursor = nullptr;
    if (int rc = mdb_cursor_open(raw, kFreeListDbi, &raw_cursor); rc != 0)
        return lmdb_error(rc, "cannot open a cursor on the free list");
    CursorGuard cursor(raw_cursor, &mdb_cursor_close);
    // Each record is a list of page numbers (MDB_ID, a size_t) led by its length, as
    // mdb_stat -f reads it.
    std::uint64_t pages = 0;
    MDB_val key{};
    MDB_val value{};
    int rc = mdb_cursor_get(raw_cursor, &key, &value, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(raw_cursor, &key, &value, MDB_NEXT)) {
        std::size_t count = 0;
        if (value.mv_size < sizeof count) continue;
        std::memcpy(&count, value.mv_data, sizeof count);
        pages += count;
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc, "cannot walk the free list");
    return pages;
}

Status LmdbEnv::copy_to(int fd) const {
    std::shared_lock reading(remap_);
    int rc = mdb_env_copyfd2(env_, fd, MDB_CP_COMPACT);
    if (rc != 0) {
        if (::lseek(fd, 0, SEEK_SET) != 0 || ::ftruncate(fd, 0) != 0)
            return lmdb_error(rc, "compacting copy failed and the file cannot be rewound");
        rc = mdb_env_copyfd2(env_, fd, 0);
    }
    if (rc != 0) return lmdb_error(rc, "cannot copy the store");
    return {};
}

// Only called between transactions: mdb_env_set_mapsize requires that none is open.
Status LmdbEnv::grow() {
    std::uint64_t max = options_.max_map_size;
    if (map_size_ >= max) {
        return make_error(
            Errc::storage_full,
            str_cat("storage full: the database in ", options_.dir, " reached its maximum size of ",
                    max, " bytes (max-map-size); raise max-map-size, or remove data"));
    }
    std::unique_lock remapping(remap_, std::try_to_lock);
    if (!remapping)
        return make_error(Errc::unavailable,
                          "the store is full until the backup or store copy reading it ends, "
                          "when it can grow");
    std::uint64_t next = map_size_ > max / 2 ? max : map_size_ * 2;
    if (int rc = mdb_env_set_mapsize(env_, next); rc != 0)
        return lmdb_error(rc, "cannot grow the map");
    map_size_ = next;
    return {};
}

}  // namespace amq
