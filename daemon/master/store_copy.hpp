// amq2apictl store copy and store migrate: blocking work (one long LMDB snapshot, a database
// across the network) that the master runs on a thread of its own, never on its loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/master/pg_connection.hpp"
#include "daemon/master/pg_schema.hpp"
#include "daemon/master/store_records.hpp"

namespace amq {

class Store;

struct StoreCopyJob {
    std::string from;  // a database address; "" = this host's store
    std::string to;    // a database address; "" = an LMDB file written into to_fd
    int to_fd = -1;    // not closed here
    // For the database(s); its cancel, raised, stops the copy soon with nothing kept.
    PgSettings database;
    // Where the LMDB file is built before it is written into to_fd, and with which secrets.key.
    std::string state_dir;
    std::uint64_t max_map_size = 0;
};

struct StoreCopyOutcome {
    RecordCounts counts;              // what the target holds, equal to what was read
    std::vector<Migration> migrated;  // applied to the target database first
    std::uint64_t bytes = 0;          // the LMDB file's size
};

// Copies every record of the source into the target, which must be empty, and checks the
// counts of both before the copy is committed. An LMDB source is read in one snapshot, so a
// copy is consistent while the daemon serves; a database target is written in one
// transaction, so a failed copy leaves it as it was.
Result<StoreCopyOutcome> copy_store(const Store& store, const StoreCopyJob& job);

Result<std::vector<Migration>> migrate_database(const PgTarget& target, bool dry_run);

}  // namespace amq
