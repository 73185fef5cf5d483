#include "daemon/master/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "daemon/master/health_codec.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/record_codec.hpp"
#include "daemon/master/secret_key.hpp"
#include "daemon/master/store_keys.hpp"

namespace amq {
namespace {

constexpr std::uint64_t kSchemaVersion = 1;
constexpr std::string_view kDroppedUsageKey = "usage_records_dropped";

// Kept for removals (lmdb.hpp): a sixteenth of the maximum, at most 64 MiB.
std::uint64_t removal_reserve(std::uint64_t max_map_size) {
    return std::min<std::uint64_t>(max_map_size / 16, 64ull << 20);
}

bool is_sha256_hex(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

struct AccountTable {
    using Record = Account;
    static constexpr Db db = Db::accounts;
    static constexpr std::string_view noun = "account";
    static constexpr std::string_view counter = "next_account_id";
    static std::string encode(const Account& a) { return encode_account(a); }
    static Result<Account> decode(std::string_view s) { return decode_account(s); }
};

struct KeyTable {
    using Record = ApiKey;
    static constexpr Db db = Db::keys;
    static constexpr std::string_view noun = "API key";
    static constexpr std::string_view counter = "next_key_id";
    static std::string encode(const ApiKey& k) { return encode_api_key(k); }
    static Result<ApiKey> decode(std::string_view s) { return decode_api_key(s); }
};

Status check_schema(WriteTxn& txn, const std::string& dir) {
    auto stored = txn.get(Db::meta, kSchemaKey);
    if (!stored) return stored.error();
    if (!*stored) return txn.put(Db::meta, kSchemaKey, encode_u64(kSchemaVersion));
    std::optional<std::uint64_t> version = decode_u64(**stored);
    if (!version || *version < 1) {
        return make_error(Errc::internal,
                          str_cat("corrupt store in ", dir, ": bad schema version"));
    }
    if (*version > kSchemaVersion) {
        return make_error(Errc::internal,
                          str_cat("the store in ", dir, " has schema version ", *version,
                                  ", newer than the version ", kSchemaVersion,
                                  " this amq2api knows; run a newer amq2api"));
    }
    return {};
}

template <class Table>
Result<typename Table::Record> get_record(const ReadTxn& txn, std::uint64_t id) {
    auto found = txn.get(Table::db, encode_u64(id));
    if (!found) return found.error();
    if (!*found) return make_error(Errc::not_found, str_cat("no ", Table::noun, " with id ", id));
    return Table::decode(**found);
}

template <class Table>
Result<std::vector<typename Table::Record>> list_records(const ReadTxn& txn) {
    std::vector<typename Table::Record> out;
    Status status = txn.for_each(Table::db, [&](std::string_view, std::string_view value) {
        auto record = Table::decode(value);
        if (!record) return Status(record.error());
        out.push_back(std::move(record).value());
        return Status();
    });
    if (!status) return status.error();
    return out;
}

// Names are not indexed: there are few records, and a scan keeps the databases simple.
template <class Table>
Result<std::optional<typename Table::Record>> find_named(const ReadTxn& txn,
                                                         std::string_view name) {
    using Record = typename Table::Record;
    auto records = list_records<Table>(txn);
    if (!records) return records.error();
    for (Record& record : *records) {
        if (record.name == name) return std::optional<Record>(std::move(record));
    }
    return std::optional<Record>();
}

template <class Table>
Result<typename Table::Record> get_named(const ReadTxn& txn, std::string_view name) {
    auto found = find_named<Table>(txn, name);
    if (!found) return found.error();
    if (!*found) {
        return make_error(Errc::not_found, str_cat("no ", Table::noun, " named \"", name, "\""));
    }
    return std::move(**found);
}

// `self` is the id of the record being renamed (0 for a new one).
template <class Table>
Status check_name_free(const ReadTxn& txn, std::string_view name, std::uint64_t self) {
    auto found = find_named<Table>(txn, name);
    if (!found) return found.error();
    if (*found && (*found)->id != self) {
        return make_error(Errc::conflict,
                          str_cat("an ", Table::noun, " named \"", name, "\" already exists"));
    }
    return {};
}

// Counters only grow, so an id is never handed out twice, even after its record is removed.
template <class Table>
Result<std::uint64_t> next_id(WriteTxn& txn) {
    auto stored = txn.get(Db::meta, Table::counter);
    if (!stored) return stored.error();
    std::uint64_t id = 1;
    if (*stored) {
        std::optional<std::uint64_t> n = decode_u64(**stored);
        if (!n) return make_error(Errc::internal, str_cat("corrupt store: bad ", Table::counter));
        id = *n;
    }
    if (Status status = txn.put(Db::meta, Table::counter, encode_u64(id + 1)); !status)
        return status.error();
    return id;
}

template <class Table>
Status put_record(WriteTxn& txn, const typename Table::Record& record) {
    return txn.put(Table::db, encode_u64(record.id), Table::encode(record));
}

template <class Table>
Result<typename Table::Record> insert(WriteTxn& txn, typename Table::Record record,
                                      std::int64_t now) {
    if (Status status = check_name_free<Table>(txn, record.name, 0); !status) return status.error();
    auto id = next_id<Table>(txn);
    if (!id) return id.error();
    record.id = *id;
    record.created_at = record.updated_at = now;
    if (Status status = put_record<Table>(txn, record); !status) return status.error();
    return record;
}

template <class Table>
Result<typename Table::Record> replace(WriteTxn& txn, const typename Table::Record& old,
                                       typename Table::Record record, std::int64_t now) {
    if (Status status = check_name_free<Table>(txn, record.name, record.id); !status)
        return status.error();
    record.created_at = old.created_at;
    record.updated_at = now;
    if (Status status = put_record<Table>(txn, record); !status) return status.error();
    return record;
}

// Returns the removed record, for the caller to clean up what hangs off it.
template <class Table>
Result<typename Table::Record> erase(WriteTxn& txn, std::uint64_t id) {
    auto record = get_record<Table>(txn, id);
    if (!record) return record.error();
    if (Status status = txn.del(Table::db, encode_u64(id)); !status) return status.error();
    return record;
}

// `self` is the id of the key being updated (0 for a new one).
Status check_hash_free(const ReadTxn& txn, std::string_view hash, std::uint64_t self) {
    if (!is_sha256_hex(hash)) {
        return make_error(Errc::invalid_argument,
                          "an API key's secret_hash must be 64 lowercase hex digits");
    }
    auto found = txn.get(Db::key_hashes, hash);
    if (!found) return found.error();
    if (*found && decode_u64(**found) != self)
        return make_error(Errc::conflict, "an API key with the same secret already exists");
    return {};
}

// Points the hash index at a key's new secret, if it has one.
Status move_hash(WriteTxn& txn, const ApiKey& old, const ApiKey& key) {
    if (key.secret_hash == old.secret_hash) return {};
    if (Status status = check_hash_free(txn, key.secret_hash, key.id); !status) return status;
    if (Status status = txn.del(Db::key_hashes, old.secret_hash); !status) return status;
    return txn.put(Db::key_hashes, key.secret_hash, encode_u64(key.id));
}

}  // namespace

Store::Store(std::unique_ptr<LmdbEnv> env, const SecretBox::Key& key)
    : env_(std::move(env)), box_(key) {}

// The record's key is the sealing context: a sealed value copied to another account's
// record does not open there.
std::string Store::seal(std::string_view id_key, const AccountCredentials& credentials) const {
    return box_.seal(encode_credentials(credentials), id_key);
}

Result<AccountCredentials> Store::unseal(std::string_view id_key, std::string_view value) const {
    if (!SecretBox::is_sealed(value)) return decode_credentials(value);  // not sealed yet
    auto plain = box_.open(value, id_key);
    if (!plain)
        return make_error(Errc::internal,
                          str_cat("the secrets of account ", decode_u64(id_key).value_or(0),
                                  " do not open with secrets.key: is it this store's key?"));
    return decode_credentials(*plain);
}

Status Store::seal_plain_credentials(
    const std::vector<std::pair<std::string, std::string>>& plain) {
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            for (const auto& [id, value] : plain)
                if (Status st = txn.put(Db::tokens, id, box_.seal(value, id)); !st) return st;
            return {};
        },
        Reserve::use);
}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
    auto env = LmdbEnv::open({options.dir, options.initial_map_size, options.max_map_size,
                              removal_reserve(options.max_map_size)});
    if (!env) return env.error();
    LmdbEnv& opened = **env;
    // Mostly a read: a full store must still open.
    Status schema =
        opened.write([&](WriteTxn& txn) { return check_schema(txn, opened.dir()); }, Reserve::use);
    if (!schema) return schema.error();
    // A key is made only for a store none of whose secrets are sealed yet; those still plain
    // (a store from before sealing) are sealed now.
    bool sealed = false;
    std::vector<std::pair<std::string, std::string>> plain;
    Status looked = opened.read([&](ReadTxn& txn) {
        return txn.for_each(Db::tokens, [&](std::string_view id, std::string_view value) {
            if (SecretBox::is_sealed(value))
                sealed = true;
            else
                plain.emplace_back(id, value);
            return Status{};
        });
    });
    if (!looked) return looked.error();
    auto key = load_secret_key(options.dir, !sealed);
    if (!key) return key.error();
    std::unique_ptr<Store> store(new Store(std::move(env).value(), *key));
    if (!plain.empty())
        if (Status st = store->seal_plain_credentials(plain); !st) return st.error();
    // A wrong key shows now rather than at the first request.
    if (auto cached = store->cache(); !cached) return cached.error();
    return store;
}

Result<Account> Store::add_account(Account account, const AccountCredentials& credentials,
                                   std::int64_t now) {
    auto stored = write_value<Account>(*env_, [&](WriteTxn& txn) -> Result<Account> {
        auto added = insert<AccountTable>(txn, account, now);
        if (!added) return added;
        if (Status status = txn.put(Db::tokens, encode_u64(added->id),
                                    seal(encode_u64(added->id), credentials));
            !status)
            return status.error();
        return added;
    });
    if (stored) {
        note_shared(SharedKind::account, stored->id);
        note_shared(SharedKind::credentials, stored->id);
    }
    return stored;
}

struct Store::Cache {
    std::uint64_t generation = 0;
    std::vector<Account> accounts;
    std::unordered_map<std::string, ApiKey> keys_by_hash;
    std::map<std::uint64_t, AccountCredentials> credentials;
};

Result<const Store::Cache*> Store::cache() const {
    if (cache_ && cache_->generation == env_->generation()) return cache_.get();
    auto fresh = std::make_unique<Cache>();
    fresh->generation = env_->generation();
    Status status = env_->read([&](ReadTxn& txn) -> Status {
        auto accounts = list_records<AccountTable>(txn);
        if (!accounts) return accounts.error();
        fresh->accounts = std::move(*accounts);
        auto keys = list_records<KeyTable>(txn);
        if (!keys) return keys.error();
        for (ApiKey& key : *keys) fresh->keys_by_hash.emplace(key.secret_hash, std::move(key));
        return txn.for_each(Db::tokens, [&](std::string_view id, std::string_view value) -> Status {
            auto credentials = unseal(id, value);
            if (!credentials) return credentials.error();
            fresh->credentials.emplace(decode_u64(id).value_or(0), std::move(*credentials));
            return {};
        });
    });
    if (!status) return status.error();
    cache_ = std::move(fresh);
    return cache_.get();
}

Result<std::vector<Account>> Store::list_accounts() const {
    auto cached = cache();
    if (!cached) return cached.error();
    return (*cached)->accounts;
}

Result<Account> Store::get_account(std::uint64_t id) const {
    return read_value<Account>(
        *env_, [&](const ReadTxn& txn) { return get_record<AccountTable>(txn, id); });
}

Result<Account> Store::find_account_by_name(std::string_view name) const {
    return read_value<Account>(
        *env_, [&](const ReadTxn& txn) { return get_named<AccountTable>(txn, name); });
}

Result<Account> Store::update_account(const Account& account, std::int64_t now) {
    note_shared(SharedKind::account, account.id);
    return write_value<Account>(*env_, [&](WriteTxn& txn) -> Result<Account> {
        auto old = get_record<AccountTable>(txn, account.id);
        if (!old) return old;
        return replace<AccountTable>(txn, *old, account, now);
    });
}

Status Store::remove_account(std::uint64_t id) {
    note_shared(SharedKind::account, id);
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            auto removed = erase<AccountTable>(txn, id);
            if (!removed) return removed.error();
            if (Status st = txn.del(Db::health, encode_u64(id)); !st) return st;
            return txn.del(Db::tokens, encode_u64(id));
        },
        Reserve::use);
}

Result<AccountCredentials> Store::get_credentials(std::uint64_t account_id) const {
    auto cached = cache();
    if (!cached) return cached.error();
    auto it = (*cached)->credentials.find(account_id);
    // add_account writes both records at once: no credentials means no account.
    if (it == (*cached)->credentials.end())
        return make_error(Errc::not_found, str_cat("no account with id ", account_id));
    return it->second;
}

// A refresh token that rotated must not be lost to a full store: the reserve takes this
// small in-place replacement.
Status Store::put_credentials(std::uint64_t account_id, const AccountCredentials& credentials) {
    note_shared(SharedKind::credentials, account_id);
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            if (auto account = get_record<AccountTable>(txn, account_id); !account)
                return account.error();
            std::string id = encode_u64(account_id);
            return txn.put(Db::tokens, id, seal(id, credentials));
        },
        Reserve::use);
}

Result<ApiKey> Store::add_key(ApiKey key, std::int64_t now) {
    auto stored = write_value<ApiKey>(*env_, [&](WriteTxn& txn) -> Result<ApiKey> {
        if (Status status = check_hash_free(txn, key.secret_hash, 0); !status)
            return status.error();
        auto added = insert<KeyTable>(txn, key, now);
        if (!added) return added;
        if (Status status = txn.put(Db::key_hashes, added->secret_hash, encode_u64(added->id));
            !status)
            return status.error();
        return added;
    });
    if (stored) note_shared(SharedKind::key, stored->id);
    return stored;
}

Result<std::vector<ApiKey>> Store::list_keys() const {
    return read_value<std::vector<ApiKey>>(
        *env_, [](const ReadTxn& txn) { return list_records<KeyTable>(txn); });
}

Result<ApiKey> Store::get_key(std::uint64_t id) const {
    return read_value<ApiKey>(*env_,
                              [&](const ReadTxn& txn) { return get_record<KeyTable>(txn, id); });
}

Result<ApiKey> Store::find_key_by_name(std::string_view name) const {
    return read_value<ApiKey>(*env_,
                              [&](const ReadTxn& txn) { return get_named<KeyTable>(txn, name); });
}

Result<ApiKey> Store::find_key_by_hash(std::string_view secret_hash) const {
    auto cached = cache();
    if (!cached) return cached.error();
    auto it = (*cached)->keys_by_hash.find(std::string(secret_hash));
    if (it == (*cached)->keys_by_hash.end())
        return make_error(Errc::not_found, "no API key with that secret hash");
    return it->second;
}

Result<ApiKey> Store::update_key(const ApiKey& key, std::int64_t now) {
    note_shared(SharedKind::key, key.id);
    return write_value<ApiKey>(*env_, [&](WriteTxn& txn) -> Result<ApiKey> {
        auto old = get_record<KeyTable>(txn, key.id);
        if (!old) return old;
        if (Status status = move_hash(txn, *old, key); !status) return status.error();
        return replace<KeyTable>(txn, *old, key, now);
    });
}

Status Store::remove_key(std::uint64_t id) {
    note_shared(SharedKind::key, id);
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            auto removed = erase<KeyTable>(txn, id);
            if (!removed) return removed.error();
            return txn.del(Db::key_hashes, removed->secret_hash);
        },
        Reserve::use);
}

namespace {

// Keeps one retention transaction (its dirty pages, its fsync) small.
constexpr std::size_t kDropsPerTxn = 10000;

void add_counts(Rollup& into, const Rollup& from) {
    into.requests += from.requests;
    into.errors += from.errors;
    into.input_tokens += from.input_tokens;
    into.output_tokens += from.output_tokens;
    into.credits_micros += from.credits_micros;
    into.ttfb_ms_sum += from.ttfb_ms_sum;
    into.duration_ms_sum += from.duration_ms_sum;
}

// Summed before the transaction: one read-modify-write per rollup rather than per record.
std::map<std::string, Rollup> sum_rollups(const std::vector<UsageRecord>& batch) {
    std::map<std::string, Rollup> sums;
    for (const UsageRecord& u : batch) {
        Rollup one = rollup_of(u);
        auto [it, added] = sums.try_emplace(rollup_key(one), one);
        if (!added) add_counts(it->second, one);
    }
    return sums;
}

Status add_rollups(WriteTxn& txn, const std::map<std::string, Rollup>& sums) {
    for (const auto& [key, sum] : sums) {
        auto stored = txn.get(Db::rollups, key);
        if (!stored) return stored.error();
        Rollup total = sum;
        if (*stored) {
            auto old = decode_rollup(**stored);
            if (!old) return old.error();
            add_counts(total, *old);
        }
        if (Status st = txn.put(Db::rollups, key, encode_rollup(total)); !st) return st;
    }
    return {};
}

// Keys remember when they were last used, to the second.
Status touch_keys(WriteTxn& txn, const KeyUses& last_used) {
    for (auto [id, when] : last_used) {
        auto key = get_record<KeyTable>(txn, id);
        if (!key) continue;  // removed since the request started
        if (key->last_used_at >= when) continue;
        key->last_used_at = when;
        if (Status st = txn.put(Db::keys, encode_u64(id), encode_api_key(*key)); !st) return st;
    }
    return {};
}

// One batch of for_each_usage.
struct UsagePage {
    std::vector<UsageRecord> records;
    std::string next;  // where the next page starts
    bool last = true;  // nothing follows in the range
};

Result<UsagePage> read_usage_page(const ReadTxn& txn, std::string_view start, std::int64_t to_ms,
                                  std::size_t size) {
    UsagePage page;
    auto visit = [&](std::string_view key, std::string_view value) -> Result<Walk> {
        auto time = usage_key_time(key);
        if (!time) return time.error();
        if (*time >= to_ms) return Walk::stop;
        auto record = decode_usage(value);
        if (!record) return record.error();
        page.records.push_back(std::move(*record));
        if (page.records.size() < size) return Walk::next;
        page.next = str_cat(key, '\0');  // the smallest key after this one
        page.last = false;
        return Walk::stop;
    };
    Status status = txn.for_each_from(Db::usage, start, visit);
    if (!status) return status.error();
    return page;
}

// The keys of up to `limit` records keyed before `end`, oldest first. They are collected
// and deleted after the walk, so that no cursor lives across the deletes.
Result<std::vector<std::string>> usage_keys_before(const ReadTxn& txn, std::string_view end,
                                                   std::size_t limit) {
    std::vector<std::string> keys;
    Status status = txn.for_each_from(Db::usage, {},
                                      [&](std::string_view key, std::string_view) -> Result<Walk> {
                                          if (key >= end) return Walk::stop;
                                          keys.emplace_back(key);
                                          return keys.size() < limit ? Walk::next : Walk::stop;
                                      });
    if (!status) return status.error();
    return keys;
}

// Kept for the database, in the transaction that stores them; returns how many did not fit.
Result<std::uint64_t> add_to_outbox(WriteTxn& txn, const std::vector<UsageRecord>& batch) {
    auto next = txn.get(Db::meta, kOutboxNextKey);
    if (!next) return next.error();
    std::uint64_t seq = *next ? decode_u64(**next).value_or(0) : 0;
    auto held = txn.entries(Db::outbox);
    if (!held) return held.error();
    std::uint64_t left_out = 0;
    for (const UsageRecord& u : batch) {
        if (*held >= Store::kMaxOutbox) {
            ++left_out;
            continue;
        }
        if (Status st = txn.put(Db::outbox, encode_u64(++seq), encode_usage(u)); !st)
            return st.error();
        ++*held;
    }
    if (Status st = txn.put(Db::meta, kOutboxNextKey, encode_u64(seq)); !st) return st.error();
    return left_out;
}

}  // namespace

Status Store::record_usage(const std::vector<UsageRecord>& batch,
                           std::optional<std::uint64_t> journaled_through) {
    std::optional<MetaMark> mark;
    if (journaled_through) mark = MetaMark{kJournalKey, *journaled_through};
    return store_usage(batch, shared_, mark);
}

Result<std::uint64_t> Store::journaled_through() const { return meta_count(kJournalKey); }

Status Store::store_usage(const std::vector<UsageRecord>& batch, bool to_outbox,
                          std::optional<MetaMark> mark) {
    if (batch.empty() && !mark) return {};
    std::uint32_t first_sequence = usage_sequence_;
    usage_sequence_ += static_cast<std::uint32_t>(batch.size());
    const std::map<std::string, Rollup> sums = sum_rollups(batch);
    std::uint64_t left_out = 0;
    Status stored = env_->write([&](WriteTxn& txn) -> Status {
        std::uint32_t sequence = first_sequence;
        for (const UsageRecord& u : batch) {
            std::string key = usage_key(u.time_ms, sequence++);
            if (Status st = txn.put(Db::usage, key, encode_usage(u)); !st) return st;
        }
        if (Status st = add_rollups(txn, sums); !st) return st;
        if (to_outbox) {
            auto out = add_to_outbox(txn, batch);
            if (!out) return out.error();
            left_out = *out;
        }
        if (mark)
            if (Status st = txn.put(Db::meta, mark->key, encode_u64(mark->value)); !st) return st;
        return touch_keys(txn, key_uses(batch));
    });
    if (stored && left_out)
        log_warning(left_out, " usage records are stored here but will not be shared: the ",
                    "outbox of records waiting for the database is full (", kMaxOutbox, ")");
    return stored;
}

Status Store::record_key_uses(const KeyUses& last_used) {
    if (last_used.empty()) return {};
    return env_->write([&](WriteTxn& txn) { return touch_keys(txn, last_used); });
}

Status Store::for_each_usage(std::int64_t from_ms, std::int64_t to_ms, std::size_t batch_size,
                             const std::function<bool(std::vector<UsageRecord>&)>& sink) const {
    if (batch_size == 0) return make_error(Errc::invalid_argument, "usage batches cannot be empty");
    std::string start = usage_key_at(from_ms);
    for (;;) {
        auto page = read_value<UsagePage>(*env_, [&](const ReadTxn& txn) {
            return read_usage_page(txn, start, to_ms, batch_size);
        });
        if (!page) return page.error();
        // The sink runs outside the transaction: it may take its time.
        if (page->records.empty() || !sink(page->records) || page->last) return {};
        start = std::move(page->next);
    }
}

Result<std::optional<std::string>> Store::scan_usage_newest(
    std::string_view before, std::int64_t from_ms, std::size_t budget,
    const std::function<bool(UsageRecord&)>& take) const {
    return read_value<std::optional<std::string>>(
        *env_, [&](const ReadTxn& txn) -> Result<std::optional<std::string>> {
            std::optional<std::string> stopped;
            std::size_t read = 0;
            Status status = txn.for_each_before(
                Db::usage, before,
                [&](std::string_view key, std::string_view value) -> Result<Walk> {
                    auto time = usage_key_time(key);
                    if (!time) return time.error();
                    if (*time < from_ms) return Walk::stop;
                    auto record = decode_usage(value);
                    if (!record) return record.error();
                    ++read;
                    bool more = take(*record);
                    if (more && read < budget) return Walk::next;
                    stopped = std::string(key);
                    return Walk::stop;
                });
            if (!status) return status.error();
            return stopped;
        });
}

bool Store::usage_position_valid(std::string_view position) {
    return position.size() == kUsageKeySize;
}

std::string Store::usage_position_at(std::int64_t time_ms) { return usage_key_at(time_ms); }

Result<std::size_t> Store::drop_usage_before(std::int32_t day) {
    if (day <= 0) return std::size_t{0};  // no key holds an earlier day
    const std::string end = day_key(day);
    std::size_t total = 0;
    std::size_t per_txn = kDropsPerTxn;
    for (;;) {
        std::size_t dropped = 0;  // set again if a full map makes the function rerun
        Status status = env_->write(
            [&](WriteTxn& txn) -> Status {
                auto keys = usage_keys_before(txn, end, per_txn);
                if (!keys) return keys.error();
                for (const std::string& key : *keys) {
                    if (Status st = txn.del(Db::usage, key); !st) return st;
                }
                dropped = keys->size();
                return {};
            },
            Reserve::use);
        // Deleting copies pages too: a full store has room for fewer deletes at a time, and
        // each commit frees pages for the next.
        if (!status && status.error().code == Errc::storage_full && per_txn > 1) {
            per_txn /= 2;
            continue;
        }
        if (!status) return status.error();
        total += dropped;
        if (dropped < per_txn) return total;
    }
}

Result<std::vector<Rollup>> Store::list_rollups(std::int32_t from_day, std::int32_t to_day) const {
    using Rollups = std::vector<Rollup>;
    from_day = std::max(from_day, 0);  // no key holds an earlier day
    if (to_day < from_day) return Rollups();
    return read_value<Rollups>(*env_, [&](const ReadTxn& txn) -> Result<Rollups> {
        Rollups out;
        Status status =
            txn.for_each_from(Db::rollups, day_key(from_day),
                              [&](std::string_view key, std::string_view value) -> Result<Walk> {
                                  auto rollup = decode_rollup_entry(key, value);
                                  if (!rollup) return rollup.error();
                                  if (rollup->day > to_day) return Walk::stop;
                                  out.push_back(std::move(*rollup));
                                  return Walk::next;
                              });
        if (!status) return status.error();
        return out;
    });
}

Status Store::audited(const std::function<Result<AuditEntry>()>& change) {
    return env_->unit([&]() -> Status {
        auto entry = change();
        if (!entry) return entry.error();
        return append_audit(*entry);
    });
}

Status Store::append_audit(const AuditEntry& entry) {
    return env_->write([&](WriteTxn& txn) -> Status {
        auto key = free_audit_key(txn, entry.at_ms);
        if (!key) return key.error();
        if (shared_) shared_audit_.insert(*key);
        return txn.put(Db::audit, *key, encode_audit(entry));
    });
}

Result<std::vector<AuditEntry>> Store::list_audit(std::size_t limit) const {
    using Entries = std::vector<AuditEntry>;
    if (limit == 0) return Entries();
    return read_value<Entries>(*env_, [&](const ReadTxn& txn) -> Result<Entries> {
        Entries out;
        Status status = txn.for_each_back(
            Db::audit, [&](std::string_view, std::string_view value) -> Result<Walk> {
                auto entry = decode_audit(value);
                if (!entry) return entry.error();
                out.push_back(std::move(*entry));
                return out.size() < limit ? Walk::next : Walk::stop;
            });
        if (!status) return status.error();
        std::reverse(out.begin(), out.end());  // walked newest first
        return out;
    });
}

Status Store::put_health(std::uint64_t account_id, const AccountHealth& health) {
    note_shared(SharedKind::health, account_id);
    return env_->write([&](WriteTxn& txn) -> Status {
        auto account = get_record<AccountTable>(txn, account_id);
        if (!account) return account.error();  // removed meanwhile: nothing to keep
        return txn.put(Db::health, encode_u64(account_id), encode_health(health));
    });
}

Result<std::map<std::uint64_t, AccountHealth>> Store::list_health() const {
    using Book = std::map<std::uint64_t, AccountHealth>;
    return read_value<Book>(*env_, [](const ReadTxn& txn) -> Result<Book> {
        Book out;
        Status status =
            txn.for_each(Db::health, [&](std::string_view id, std::string_view value) -> Status {
                auto health = decode_health(value);
                if (!health) return health.error();
                out.emplace(decode_u64(id).value_or(0), std::move(*health));
                return {};
            });
        if (!status) return status.error();
        return out;
    });
}

// A counter of eight bytes replaced in place: the reserve takes it, so that even records a
// full store refused are counted.
Status Store::count_dropped_usage(std::uint64_t records) {
    return env_->write(
        [&](WriteTxn& txn) -> Status {
            auto stored = txn.get(Db::meta, kDroppedUsageKey);
            if (!stored) return stored.error();
            std::uint64_t total = *stored ? decode_u64(**stored).value_or(0) : 0;
            return txn.put(Db::meta, kDroppedUsageKey, encode_u64(total + records));
        },
        Reserve::use);
}

Result<std::uint64_t> Store::dropped_usage() const { return meta_count(kDroppedUsageKey); }

Result<std::uint64_t> Store::meta_count(std::string_view key) const {
    return read_value<std::uint64_t>(*env_, [key](const ReadTxn& txn) -> Result<std::uint64_t> {
        auto stored = txn.get(Db::meta, key);
        if (!stored) return stored.error();
        return *stored ? decode_u64(**stored).value_or(0) : 0;
    });
}

Result<std::uint64_t> Store::copy_to(int fd) const {
    if (auto st = env_->copy_to(fd); !st) return st.error();
    if (::fsync(fd) != 0)
        return make_error(Errc::io, str_cat("fsync of the backup: ", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return make_error(Errc::io, str_cat("fstat of the backup: ", std::strerror(errno)));
    return static_cast<std::uint64_t>(st.st_size);
}

// open() refuses any other version, so an open store is always at this one.
int Store::schema_version() const { return static_cast<int>(kSchemaVersion); }

}  // namespace amq
