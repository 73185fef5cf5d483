// Every record a store holds, one at a time: what `amq2apictl store copy` moves between the
// LMDB store and PostgreSQL. Each backend reads into a RecordSink and writes from one, so a
// copy in either direction is one reader and one writer, and nothing is listed twice.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/json.hpp"
#include "common/result.hpp"
#include "common/usage_record.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/records.hpp"

namespace amq {

// How many of each a store holds; a copy is checked by comparing those of both sides.
struct RecordCounts {
    std::uint64_t counters = 0;
    std::uint64_t accounts = 0;
    std::uint64_t credentials = 0;
    std::uint64_t health = 0;
    std::uint64_t keys = 0;
    std::uint64_t usage = 0;
    std::uint64_t rollups = 0;
    std::uint64_t audit = 0;
    bool operator==(const RecordCounts&) const = default;
};

// Each kind by its name, in RecordSink's order. amq_<name> is its PostgreSQL table.
struct RecordKind {
    const char* name;
    std::uint64_t RecordCounts::*count;
};
inline constexpr RecordKind kRecordKinds[] = {
    {"counters", &RecordCounts::counters},
    {"accounts", &RecordCounts::accounts},
    {"credentials", &RecordCounts::credentials},
    {"health", &RecordCounts::health},
    {"keys", &RecordCounts::keys},
    {"usage", &RecordCounts::usage},
    {"rollups", &RecordCounts::rollups},
    {"audit", &RecordCounts::audit},
};

void write_record_counts(JsonWriter& w, const RecordCounts& counts);
// "" when equal, else which differ: "usage 10 read, 9 stored; …".
std::string count_differences(const RecordCounts& read, const RecordCounts& stored);

// Records come in this order: counters, accounts, credentials, health, keys, usage (oldest
// first), rollups, audit (oldest first).
class RecordSink {
public:
    virtual ~RecordSink() = default;
    // The store's id counters and the count of usage records it had to drop.
    virtual Status counter(std::string_view name, std::uint64_t value) = 0;
    virtual Status account(const Account& account) = 0;
    // Sealed with secrets.key for the account's id: copied as they are, never opened.
    virtual Status credentials(std::uint64_t account_id, std::string_view sealed) = 0;
    virtual Status health(std::uint64_t account_id, const AccountHealth& health) = 0;
    virtual Status key(const ApiKey& key) = 0;
    virtual Status usage(const UsageRecord& record) = 0;
    virtual Status rollup(const Rollup& rollup) = 0;
    virtual Status audit(const AuditEntry& entry) = 0;
    // Everything was given: writes the rest, and says what the target holds now.
    virtual Result<RecordCounts> finish() = 0;
    // After finish(), once the counts were found right: makes the copy last.
    virtual Status commit() = 0;
};

// Counts what passes through to another sink: what was read, to compare with what was stored.
// With `cancel`, a raised flag stops the copy at the next record.
class CountingSink : public RecordSink {
public:
    explicit CountingSink(RecordSink& target, const std::atomic<bool>* cancel = nullptr)
        : target_(target), cancel_(cancel) {}
    const RecordCounts& counted() const { return counted_; }
    Status counter(std::string_view name, std::uint64_t value) override;
    Status account(const Account& account) override;
    Status credentials(std::uint64_t account_id, std::string_view sealed) override;
    Status health(std::uint64_t account_id, const AccountHealth& health) override;
    Status key(const ApiKey& key) override;
    Status usage(const UsageRecord& record) override;
    Status rollup(const Rollup& rollup) override;
    Status audit(const AuditEntry& entry) override;
    Result<RecordCounts> finish() override { return target_.finish(); }
    Status commit() override { return target_.commit(); }

private:
    Status count(std::uint64_t& n);  // one more, unless cancelled
    RecordSink& target_;
    const std::atomic<bool>* cancel_;
    RecordCounts counted_;
};

}  // namespace amq
