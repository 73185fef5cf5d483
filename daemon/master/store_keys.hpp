// How the LMDB store keys its records (store.hpp): numbers big-endian, so that cursors walk
// them in order. Shared by the store and by what copies records in and out of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/usage_record.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/records.hpp"

namespace amq {

// Entries of `meta` that are this store's own rather than counters, and never copied: its
// schema version, the database it is a mirror of and how far (store.hpp), and how far its
// host's usage journal is stored (usage_journal.hpp).
inline constexpr std::string_view kSchemaKey = "schema_version";
inline constexpr std::string_view kMirrorOriginKey = "mirror_origin";
inline constexpr std::string_view kMirrorRevKey = "mirror_rev";
inline constexpr std::string_view kMirrorUsageKey = "mirror_usage_id";
inline constexpr std::string_view kMirrorAuditKey = "mirror_audit_id";
inline constexpr std::string_view kHostIdKey = "host_id";
inline constexpr std::string_view kOutboxNextKey = "outbox_next";
inline constexpr std::string_view kJournalKey = "journaled_through";  // usage_journal.hpp
inline constexpr std::string_view kOwnMetaKeys[] = {
    kSchemaKey,      kMirrorOriginKey, kMirrorRevKey,  kMirrorUsageKey,
    kMirrorAuditKey, kHostIdKey,       kOutboxNextKey, kJournalKey};
bool is_own_meta(std::string_view key);

inline constexpr std::int64_t kMsPerDay = 86400000;
inline constexpr std::size_t kUsageKeySize = 16;
inline constexpr std::size_t kRollupKeyPrefix = 20;  // day, key id, account id

// The low `width` bytes of n.
std::string encode_be(std::uint64_t n, std::size_t width);
std::uint64_t decode_be(std::string_view s);
// Ids, counters and the schema version: 8 bytes.
std::string encode_u64(std::uint64_t n);
std::optional<std::uint64_t> decode_u64(std::string_view s);

// Keys hold unsigned numbers: a time before 1970 (a broken clock) is keyed as 0 rather than
// sorting after every other.
std::int64_t key_time(std::int64_t time_ms);
std::int32_t day_of(std::int64_t time_ms);
std::string day_key(std::int32_t day);

// Usage keys are day (4 bytes) | time_ms (8) | sequence (4): a cursor walks time order and
// one day is one contiguous key range. usage_key_at is their first 12 bytes.
std::string usage_key_at(std::int64_t time_ms);
std::string usage_key(std::int64_t time_ms, std::uint32_t sequence);
Result<std::int64_t> usage_key_time(std::string_view key);

// Rollup keys are day (4 bytes) | key id (8) | account id (8) | model. The model is the
// unterminated tail: it needs no escaping, and as the fixed-size fields come first one day
// is still one contiguous key range.
std::string rollup_key(const Rollup& r);
// The rollup one usage record adds to.
Rollup rollup_of(const UsageRecord& u);
Result<Rollup> decode_rollup_entry(std::string_view key, std::string_view value);

// Audit keys are at_ms (8 bytes) | sequence (4): a cursor walks the log in time order.
std::string audit_key(std::int64_t at_ms, std::uint32_t sequence);
// The first sequence free at at_ms. Probing (rather than a counter that restarts with the
// process) never overwrites an entry; appends are rare, and rarely share a millisecond.
Result<std::string> free_audit_key(const ReadTxn& txn, std::int64_t at_ms);

Error corrupt_key(std::string_view db);

}  // namespace amq
