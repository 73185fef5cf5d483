// The store's side of `store copy` (store_records.hpp): every record out, in one snapshot,
// and every record into a new store, keys laid out as store.cpp lays them.
#include <utility>
#include <vector>

#include "common/strings.hpp"
#include "daemon/master/health_codec.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/record_codec.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/store_keys.hpp"

namespace amq {
namespace {

// Entries per write transaction of an import: a copy of millions of usage records must not
// hold them all in one transaction's dirty pages.
constexpr std::size_t kImportBatch = 10000;

template <class T>
using Decoder = Result<T> (*)(std::string_view);

// Each value of `db` decoded and handed to `give`.
template <class T, class Give>
Status export_db(const ReadTxn& txn, Db db, Decoder<T> decode, Give&& give) {
    return txn.for_each(db, [&](std::string_view, std::string_view value) -> Status {
        auto record = decode(value);
        if (!record) return record.error();
        return give(*record);
    });
}

// Each entry of a database keyed by account id.
template <class Give>
Status export_by_account(const ReadTxn& txn, Db db, std::string_view name, Give&& give) {
    return txn.for_each(db, [&](std::string_view key, std::string_view value) -> Status {
        std::optional<std::uint64_t> id = decode_u64(key);
        if (!id) return corrupt_key(name);
        return give(*id, value);
    });
}

Status export_counters(const ReadTxn& txn, RecordSink& sink) {
    return txn.for_each(Db::meta, [&](std::string_view key, std::string_view value) -> Status {
        if (is_own_meta(key)) return {};
        std::optional<std::uint64_t> n = decode_u64(value);
        if (!n) return corrupt_key("meta");
        return sink.counter(key, *n);
    });
}

Status export_rollups(const ReadTxn& txn, RecordSink& sink) {
    return txn.for_each(Db::rollups, [&](std::string_view key, std::string_view value) -> Status {
        auto rollup = decode_rollup_entry(key, value);
        if (!rollup) return rollup.error();
        return sink.rollup(*rollup);
    });
}

}  // namespace

Status Store::export_records(RecordSink& sink) const {
    return env_->snapshot([&](ReadTxn& txn) -> Status {
        if (Status st = export_counters(txn, sink); !st) return st;
        if (Status st = export_db<Account>(txn, Db::accounts, decode_account,
                                           [&](const Account& a) { return sink.account(a); });
            !st)
            return st;
        if (Status st = export_by_account(
                txn, Db::tokens, "tokens",
                [&](std::uint64_t id, std::string_view v) { return sink.credentials(id, v); });
            !st)
            return st;
        if (Status st = export_by_account(txn, Db::health, "health",
                                          [&](std::uint64_t id, std::string_view v) -> Status {
                                              auto health = decode_health(v);
                                              if (!health) return health.error();
                                              return sink.health(id, *health);
                                          });
            !st)
            return st;
        if (Status st = export_db<ApiKey>(txn, Db::keys, decode_api_key,
                                          [&](const ApiKey& k) { return sink.key(k); });
            !st)
            return st;
        if (Status st = export_db<UsageRecord>(txn, Db::usage, decode_usage,
                                               [&](const UsageRecord& u) { return sink.usage(u); });
            !st)
            return st;
        if (Status st = export_rollups(txn, sink); !st) return st;
        return export_db<AuditEntry>(txn, Db::audit, decode_audit,
                                     [&](const AuditEntry& e) { return sink.audit(e); });
    });
}

Result<RecordCounts> Store::record_counts() const {
    RecordCounts counts;
    Status status = env_->snapshot([&](ReadTxn& txn) -> Status {
        std::pair<Db, std::uint64_t*> dbs[] = {
            {Db::meta, &counts.counters},      {Db::accounts, &counts.accounts},
            {Db::tokens, &counts.credentials}, {Db::health, &counts.health},
            {Db::keys, &counts.keys},          {Db::usage, &counts.usage},
            {Db::rollups, &counts.rollups},    {Db::audit, &counts.audit}};
        for (auto [db, n] : dbs) {
            auto entries = txn.entries(db);
            if (!entries) return entries.error();
            *n = *entries;
        }
        for (std::string_view own : kOwnMetaKeys) {
            auto entry = txn.get(Db::meta, own);
            if (!entry) return entry.error();
            counts.counters -= *entry ? 1 : 0;
        }
        return {};
    });
    if (!status) return status.error();
    return counts;
}

// Entries wait in a batch and are written kImportBatch at a time. Usage and audit keys take
// their sequence from the records' order (they come oldest first into an empty store), so
// records of the same millisecond keep their order and none overwrites another.
class Store::Importer : public RecordSink {
public:
    explicit Importer(Store& store) : store_(store) {}

    Status counter(std::string_view name, std::uint64_t value) override {
        return add(Db::meta, std::string(name), encode_u64(value));
    }
    Status account(const Account& a) override {
        return add(Db::accounts, encode_u64(a.id), encode_account(a));
    }
    Status credentials(std::uint64_t account_id, std::string_view sealed) override {
        return add(Db::tokens, encode_u64(account_id), std::string(sealed));
    }
    Status health(std::uint64_t account_id, const AccountHealth& h) override {
        return add(Db::health, encode_u64(account_id), encode_health(h));
    }
    Status key(const ApiKey& k) override {
        if (Status st = add(Db::key_hashes, k.secret_hash, encode_u64(k.id)); !st) return st;
        return add(Db::keys, encode_u64(k.id), encode_api_key(k));
    }
    Status usage(const UsageRecord& u) override {
        return add(Db::usage, usage_key(u.time_ms, usage_sequence_++), encode_usage(u));
    }
    Status rollup(const Rollup& r) override {
        return add(Db::rollups, rollup_key(r), encode_rollup(r));
    }
    Status audit(const AuditEntry& e) override {
        std::int64_t at = key_time(e.at_ms);
        audit_sequence_ = at == last_audit_ms_ ? audit_sequence_ + 1 : 0;
        last_audit_ms_ = at;
        return add(Db::audit, audit_key(e.at_ms, audit_sequence_), encode_audit(e));
    }
    Result<RecordCounts> finish() override {
        if (Status st = flush(); !st) return st.error();
        // Sealed for another key, the credentials would fail at the first request instead.
        if (auto cached = store_.cache(); !cached) return cached.error();
        return store_.record_counts();
    }
    Status commit() override { return {}; }  // each batch committed as it was written

private:
    struct Entry {
        Db db;
        std::string key;
        std::string value;
    };

    Status add(Db db, std::string key, std::string value) {
        batch_.push_back({db, std::move(key), std::move(value)});
        return batch_.size() >= kImportBatch ? flush() : Status{};
    }

    Status flush() {
        Status written = store_.env_->write([&](WriteTxn& txn) -> Status {
            for (const Entry& e : batch_)
                if (Status st = txn.put(e.db, e.key, e.value); !st) return st;
            return {};
        });
        batch_.clear();
        return written;
    }

    Store& store_;
    std::vector<Entry> batch_;
    std::uint32_t usage_sequence_ = 0;
    std::int64_t last_audit_ms_ = -1;
    std::uint32_t audit_sequence_ = 0;
};

Result<std::unique_ptr<RecordSink>> Store::importer() {
    auto counts = record_counts();
    if (!counts) return counts.error();
    if (*counts != RecordCounts{})
        return make_error(Errc::conflict, "records are copied only into an empty store");
    return std::unique_ptr<RecordSink>(new Importer(*this));
}

}  // namespace amq
