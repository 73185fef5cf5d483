// The records hosts share through PostgreSQL (store = postgresql): accounts, their sealed
// credentials, their health and the API keys, each as the LMDB store encodes it, and the id
// counters. Each host keeps a copy of them in its LMDB store (the mirror), from which it
// serves; these are the statements that read and write the database's side. They block, and
// run on threads of their own (shared_store.hpp), never on the master's loop.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/usage_record.hpp"
#include "daemon/master/records.hpp"

namespace amq {

class PgConnection;

enum class SharedKind { account, credentials, health, key };
std::string_view shared_kind_name(SharedKind kind);

struct SharedRef {
    SharedKind kind;
    std::uint64_t id;
    auto operator<=>(const SharedRef&) const = default;
};

struct SharedRecord {
    SharedRef ref;
    std::optional<std::string> value;  // the stored bytes; nullopt: removed
};

// What a read found, or what a write brings.
struct SharedChanges {
    // The newest revision they include: what the mirror is up to once they are applied.
    std::uint64_t rev = 0;
    // Every shared record: the mirror's others are to be removed.
    bool complete = false;
    std::vector<SharedRecord> records;
    std::map<std::string, std::uint64_t> counters;  // next_account_id, next_key_id
};

// A usage record of this host on its way to the database, by its sequence in the outbox.
struct UsageOut {
    std::uint64_t seq;  // never reused by a host: the database keeps a record once
    UsageRecord record;
};

// An audit entry of this host on its way to the database: its time and sequence there are
// its key in this host's store.
struct AuditOut {
    std::uint32_t seq;
    AuditEntry entry;
};

// Other hosts' records (usage, audit), read after the database's row `after` of their table.
template <class T>
struct FromOthers {
    std::vector<T> records;
    std::uint64_t cursor = 0;  // where the next read starts
    bool more = false;         // a full batch: more may wait
};
using UsageIn = FromOthers<UsageRecord>;
using AuditIn = FromOthers<AuditEntry>;

// The counters hosts share: the others (dropped usage) are each host's own.
inline constexpr std::string_view kSharedCounters[] = {"next_account_id", "next_key_id"};

// The database's id (migration 2), which a mirror is a copy of.
Result<std::string> shared_cluster_id(PgConnection& db);

// What changed after revision `since` (nullopt: every record), read in one snapshot: in a
// REPEATABLE READ transaction of its own, or in the caller's locked one.
Result<SharedChanges> read_shared(PgConnection& db, std::optional<std::uint64_t> since,
                                  bool own_transaction);
// Up to `limit` usage records or audit entries written by hosts other than `host`, in one
// snapshot.
Result<UsageIn> read_usage(PgConnection& db, std::uint64_t after, std::string_view host,
                           std::size_t limit);
Result<AuditIn> read_audit(PgConnection& db, std::uint64_t after, std::string_view host,
                           std::size_t limit);

// Begins the transaction in which a host writes: it holds the lock every writer takes, so
// that nothing changes under the host until it commits or rolls back.
Status lock_shared(PgConnection& db);
// Begins a transaction that holds one account's lock across hosts until it ends: the lock a
// token refresh holds, so that one host at a time refreshes the account.
Status lock_account(PgConnection& db, std::uint64_t account_id);
// What a host writes in one transaction, beside its changed records.
struct HostWrites {
    std::string_view host;
    const std::vector<UsageOut>& usage;
    const std::vector<AuditOut>& audit;
    // The usage retention: up to kRetentionBatch usage records older than this go (their
    // rollups stay).
    std::optional<std::int64_t> drop_usage_before_ms;
};
inline constexpr std::uint64_t kRetentionBatch = 10000;
struct SharedWritten {
    std::uint64_t rev = 0;
    std::uint64_t usage_dropped = 0;
};

// In the locked transaction: writes the records (a missing value removes the record) at a
// new revision, raises the counters, adds the host's usage records with their rollups and
// its audit entries (one the database has already is skipped), drops old usage, notes the
// change for the other hosts and commits.
Result<SharedWritten> write_shared(PgConnection& db, const SharedChanges& changes,
                                   const HostWrites& host);

// The channel hosts LISTEN on: a notification says a write was committed.
inline constexpr std::string_view kSharedChannel = "amq_shared";

}  // namespace amq
