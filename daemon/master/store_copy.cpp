#include "daemon/master/store_copy.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <utility>

#include "common/files.hpp"
#include "common/strings.hpp"
#include "daemon/master/pg_records.hpp"
#include "daemon/master/secret_key.hpp"
#include "daemon/master/store.hpp"

namespace amq {
namespace {

using ReadFn = std::function<Status(RecordSink&)>;

// Reads everything into `target` and commits it only when the target holds as many of each
// record as were read.
Result<RecordCounts> copy_records(const ReadFn& read, RecordSink& target,
                                  const std::atomic<bool>* cancel) {
    CountingSink counting(target, cancel);
    if (Status st = read(counting); !st) return st.error();
    auto stored = counting.finish();
    if (!stored) return stored.error();
    if (std::string diff = count_differences(counting.counted(), *stored); !diff.empty())
        return make_error(Errc::internal, str_cat("the copy does not hold what was read (", diff,
                                                  "); nothing was kept"));
    if (Status st = counting.commit(); !st) return st.error();
    return *stored;
}

// The schema of a source database must be the one this amq2api writes.
Status check_schema_current(PgConnection& db) {
    auto pending = migrate_schema(db, true);
    if (!pending) return pending.error();
    if (!pending->empty())
        return make_error(Errc::conflict,
                          str_cat("the source database lacks ", pending->size(),
                                  " schema migration(s); run amq2apictl store migrate on it "
                                  "first"));
    return {};
}

// A directory of its own in the state directory, removed with what is in it when done.
class ScratchDir {
public:
    static Result<ScratchDir> make(const std::string& parent) {
        std::string pattern = str_cat(parent, "/store-copy.XXXXXX");
        if (!mkdtemp(pattern.data()))
            return make_error(Errc::io, str_cat("cannot make a directory in ", parent, ": ",
                                                std::strerror(errno)));
        return ScratchDir(std::move(pattern));
    }
    ScratchDir(ScratchDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ScratchDir& operator=(ScratchDir&&) = delete;
    ~ScratchDir() {
        std::error_code ignored;
        if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

private:
    explicit ScratchDir(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

// Builds a new LMDB store (sealed with this host's secrets.key, as the records are) in a
// scratch directory, then writes its compact copy into the file.
Result<StoreCopyOutcome> copy_to_file(const ReadFn& read, const StoreCopyJob& job) {
    auto scratch = ScratchDir::make(job.state_dir);
    if (!scratch) return scratch.error();
    auto key = read_whole_file(str_cat(job.state_dir, "/", kSecretKeyFile));
    if (!key) return key.error();
    if (Status st = write_private_file(str_cat(scratch->path(), "/", kSecretKeyFile), *key); !st)
        return st.error();
    StoreCopyOutcome outcome;
    {
        auto store = Store::open(StoreOptions{scratch->path(), job.max_map_size});
        if (!store) return store.error();
        auto importer = (*store)->importer();
        if (!importer) return importer.error();
        auto counts = copy_records(read, **importer, job.database.cancel);
        if (!counts) return counts.error();
        outcome.counts = *counts;
        auto bytes = (*store)->copy_to(job.to_fd);
        if (!bytes) return bytes.error();
        outcome.bytes = *bytes;
    }
    return outcome;
}

Result<StoreCopyOutcome> copy_to_database(const ReadFn& read, const PgTarget& to) {
    auto db = PgConnection::connect(to);
    if (!db) return db.error();
    StoreCopyOutcome outcome;
    auto migrated = migrate_schema(*db, false);
    if (!migrated) return migrated.error();
    outcome.migrated = std::move(*migrated);
    auto writer = pg_record_writer(*db);
    if (!writer) return writer.error();
    auto counts = copy_records(read, **writer, to.settings.cancel);
    if (!counts) return counts.error();
    outcome.counts = *counts;
    return outcome;
}

Result<StoreCopyOutcome> copy_from(const ReadFn& read, const StoreCopyJob& job) {
    if (job.to.empty()) return copy_to_file(read, job);
    return copy_to_database(read, PgTarget{job.to, job.database});
}

}  // namespace

Result<StoreCopyOutcome> copy_store(const Store& store, const StoreCopyJob& job) {
    if (job.from.empty())
        return copy_from([&](RecordSink& sink) { return store.export_records(sink); }, job);
    auto source = PgConnection::connect(PgTarget{job.from, job.database});
    if (!source) return source.error();
    if (Status st = check_schema_current(*source); !st) return st.error();
    return copy_from([&](RecordSink& sink) { return export_pg_records(*source, sink); }, job);
}

Result<std::vector<Migration>> migrate_database(const PgTarget& target, bool dry_run) {
    auto db = PgConnection::connect(target);
    if (!db) return db.error();
    return migrate_schema(*db, dry_run);
}

}  // namespace amq
