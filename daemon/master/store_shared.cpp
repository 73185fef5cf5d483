// The store as a mirror of a shared database (store.hpp, shared_store.hpp): which records
// this host changed, and the database's records applied to it.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/record_codec.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/store_keys.hpp"

namespace amq {
namespace {

Db db_of(SharedKind kind) {
    switch (kind) {
        case SharedKind::account: return Db::accounts;
        case SharedKind::credentials: return Db::tokens;
        case SharedKind::health: return Db::health;
        case SharedKind::key: return Db::keys;
    }
    std::abort();  // every kind is listed
}

// Every key of `db`, to be removed when a complete read does not hold it.
Result<std::vector<std::string>> keys_of(const ReadTxn& txn, Db db) {
    std::vector<std::string> keys;
    Status st = txn.for_each(db, [&](std::string_view key, std::string_view) {
        keys.emplace_back(key);
        return Status{};
    });
    if (!st) return st.error();
    return keys;
}

Status remove_key(WriteTxn& txn, std::string_view id) {
    auto old = txn.get(Db::keys, id);
    if (!old) return old.error();
    if (!*old) return {};
    auto key = decode_api_key(**old);
    if (!key) return key.error();
    if (Status st = txn.del(Db::key_hashes, key->secret_hash); !st) return st;
    return txn.del(Db::keys, id);
}

// A key as the database has it, but for the last-used time, which each host keeps itself.
Status put_key(WriteTxn& txn, std::string_view id, std::string_view value) {
    auto key = decode_api_key(value);
    if (!key) return key.error();
    auto old = txn.get(Db::keys, id);
    if (!old) return old.error();
    if (*old) {
        auto was = decode_api_key(**old);
        if (!was) return was.error();
        key->last_used_at = std::max(key->last_used_at, was->last_used_at);
        if (Status st = txn.del(Db::key_hashes, was->secret_hash); !st) return st;
    }
    if (Status st = txn.put(Db::key_hashes, key->secret_hash, id); !st) return st;
    return txn.put(Db::keys, id, encode_api_key(*key));
}

Status remove_record(WriteTxn& txn, SharedKind kind, std::string_view id) {
    if (kind == SharedKind::key) return remove_key(txn, id);
    if (kind == SharedKind::account) {
        if (Status st = txn.del(Db::tokens, id); !st) return st;
        if (Status st = txn.del(Db::health, id); !st) return st;
    }
    return txn.del(db_of(kind), id);
}

// A complete read's records stay (and are written next); the mirror's others go.
Status remove_others(WriteTxn& txn, const std::vector<SharedRecord>& records) {
    std::set<SharedRef> kept;
    for (const SharedRecord& r : records) kept.insert(r.ref);
    for (SharedKind kind :
         {SharedKind::key, SharedKind::account, SharedKind::health, SharedKind::credentials}) {
        auto keys = keys_of(txn, db_of(kind));
        if (!keys) return keys.error();
        for (const std::string& id : *keys) {
            std::optional<std::uint64_t> n = decode_u64(id);
            if (n && kept.contains({kind, *n})) continue;
            if (Status st = remove_record(txn, kind, id); !st) return st;
        }
    }
    return {};
}

Status raise_counter(WriteTxn& txn, std::string_view name, std::uint64_t value) {
    auto stored = txn.get(Db::meta, name);
    if (!stored) return stored.error();
    std::uint64_t local = *stored ? decode_u64(**stored).value_or(0) : 0;
    return txn.put(Db::meta, name, encode_u64(std::max(local, value)));
}

}  // namespace

void Store::on_shared_change(std::function<void()> noted) { on_shared_change_ = std::move(noted); }

void Store::note_shared(SharedKind kind, std::uint64_t id) {
    shared_changes_.insert({kind, id});
    if (on_shared_change_) on_shared_change_();
}

std::set<SharedRef> Store::take_shared_changes() { return std::exchange(shared_changes_, {}); }

void Store::return_shared_changes(const std::set<SharedRef>& refs) {
    shared_changes_.insert(refs.begin(), refs.end());
}

Result<SharedChanges> Store::read_shared(const std::set<SharedRef>& refs) const {
    return read_value<SharedChanges>(*env_, [&](const ReadTxn& txn) -> Result<SharedChanges> {
        SharedChanges out;
        for (const SharedRef& ref : refs) {
            auto value = txn.get(db_of(ref.kind), encode_u64(ref.id));
            if (!value) return value.error();
            out.records.push_back(
                {ref, *value ? std::optional<std::string>(**value) : std::nullopt});
        }
        for (std::string_view name : kSharedCounters) {
            auto value = txn.get(Db::meta, name);
            if (!value) return value.error();
            if (*value) out.counters[std::string(name)] = decode_u64(**value).value_or(0);
        }
        return out;
    });
}

Status Store::apply_shared(const SharedChanges& changes, std::string_view origin) {
    // Opened before anything is written: a wrong secrets.key leaves the mirror as it was.
    for (const SharedRecord& r : changes.records) {
        if (r.ref.kind != SharedKind::credentials || !r.value) continue;
        if (auto opened = unseal(encode_u64(r.ref.id), *r.value); !opened)
            return make_error(opened.error().code,
                              str_cat("the credentials of account ", r.ref.id,
                                      " in the database do not open with this host's "
                                      "secrets.key: every host must have the same one"));
    }
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            if (changes.complete)
                if (Status st = remove_others(txn, changes.records); !st) return st;
            for (const SharedRecord& r : changes.records) {
                std::string id = encode_u64(r.ref.id);
                Status st = !r.value ? remove_record(txn, r.ref.kind, id)
                            : r.ref.kind == SharedKind::key
                                ? put_key(txn, id, *r.value)
                                : txn.put(db_of(r.ref.kind), id, *r.value);
                if (!st) return st;
            }
            for (const auto& [name, value] : changes.counters)
                if (Status st = raise_counter(txn, name, value); !st) return st;
            if (Status st = txn.put(Db::meta, kMirrorOriginKey, origin); !st) return st;
            return txn.put(Db::meta, kMirrorRevKey, encode_u64(changes.rev));
        },
        Reserve::use);
}

Result<Store::Mirror> Store::mirror() const {
    return read_value<Mirror>(*env_, [](const ReadTxn& txn) -> Result<Mirror> {
        Mirror out;
        auto origin = txn.get(Db::meta, kMirrorOriginKey);
        if (!origin) return origin.error();
        if (*origin) out.origin = std::string(**origin);
        for (auto [key, n] :
             {std::pair{kMirrorRevKey, &out.rev}, std::pair{kMirrorUsageKey, &out.usage_cursor},
              std::pair{kMirrorAuditKey, &out.audit_cursor}}) {
            auto value = txn.get(Db::meta, key);
            if (!value) return value.error();
            if (*value) *n = decode_u64(**value).value_or(0);
        }
        return out;
    });
}

Result<std::string> Store::host_id() {
    return write_value<std::string>(*env_, [](WriteTxn& txn) -> Result<std::string> {
        auto stored = txn.get(Db::meta, kHostIdKey);
        if (!stored) return stored.error();
        if (*stored) return std::string(**stored);
        std::string id = uuid4();
        if (Status st = txn.put(Db::meta, kHostIdKey, id); !st) return st.error();
        return id;
    });
}

Result<std::vector<UsageOut>> Store::outbox(std::size_t limit) const {
    using Batch = std::vector<UsageOut>;
    return read_value<Batch>(*env_, [&](const ReadTxn& txn) -> Result<Batch> {
        Batch out;
        Status walked = txn.for_each_from(
            Db::outbox, {}, [&](std::string_view key, std::string_view value) -> Result<Walk> {
                auto record = decode_usage(value);
                std::optional<std::uint64_t> seq = decode_u64(key);
                if (!record) return record.error();
                if (!seq) return corrupt_key("outbox");
                out.push_back({*seq, std::move(*record)});
                return out.size() < limit ? Walk::next : Walk::stop;
            });
        if (!walked) return walked.error();
        return out;
    });
}

Result<std::uint64_t> Store::outbox_size() const {
    return read_value<std::uint64_t>(*env_,
                                     [](const ReadTxn& txn) { return txn.entries(Db::outbox); });
}

// Removals: the reserve takes them, so that a full store still empties its outbox.
Status Store::clear_outbox(std::uint64_t through_seq) {
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            std::vector<std::string> keys;
            Status walked = txn.for_each_from(
                Db::outbox, {}, [&](std::string_view key, std::string_view) -> Result<Walk> {
                    if (decode_u64(key).value_or(0) > through_seq) return Walk::stop;
                    keys.emplace_back(key);
                    return Walk::next;
                });
            if (!walked) return walked;
            for (const std::string& key : keys)
                if (Status st = txn.del(Db::outbox, key); !st) return st;
            return {};
        },
        Reserve::use);
}

Status Store::apply_usage(const std::vector<UsageRecord>& batch, std::uint64_t cursor) {
    return store_usage(batch, false, MetaMark{kMirrorUsageKey, cursor});
}

Result<std::vector<AuditOut>> Store::take_shared_audit() {
    std::set<std::string> keys = std::exchange(shared_audit_, {});
    std::vector<AuditOut> out;
    Status st = env_->read([&](const ReadTxn& txn) -> Status {
        for (const std::string& key : keys) {
            auto value = txn.get(Db::audit, key);
            if (!value) return value.error();
            if (!*value) continue;  // its change was undone
            auto entry = decode_audit(**value);
            if (!entry) return entry.error();
            out.push_back({static_cast<std::uint32_t>(decode_be(std::string_view(key).substr(8))),
                           std::move(*entry)});
        }
        return {};
    });
    if (!st) {
        shared_audit_.insert(keys.begin(), keys.end());
        return st.error();
    }
    return out;
}

void Store::return_shared_audit(const std::vector<AuditOut>& entries) {
    for (const AuditOut& e : entries) shared_audit_.insert(audit_key(e.entry.at_ms, e.seq));
}

Status Store::apply_audit(const std::vector<AuditEntry>& entries, std::uint64_t cursor) {
    return env_->write([&](WriteTxn& txn) -> Status {
        for (const AuditEntry& entry : entries) {
            auto key = free_audit_key(txn, entry.at_ms);
            if (!key) return key.error();
            if (Status st = txn.put(Db::audit, *key, encode_audit(entry)); !st) return st;
        }
        return txn.put(Db::meta, kMirrorAuditKey, encode_u64(cursor));
    });
}

}  // namespace amq
