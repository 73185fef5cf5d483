#include "daemon/master/store.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <optional>
#include <utility>

#include "common/strings.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/health_codec.hpp"
#include "daemon/master/record_codec.hpp"

namespace amq {
namespace {

constexpr std::uint64_t kSchemaVersion = 1;
constexpr std::string_view kSchemaKey = "schema_version";

// Ids, counters and the schema version: 8-byte big-endian, so cursors walk ids in order.
std::string encode_u64(std::uint64_t n) {
    std::string out(8, '\0');
    for (auto it = out.rbegin(); it != out.rend(); ++it, n >>= 8)
        *it = static_cast<char>(n & 0xff);
    return out;
}

std::optional<std::uint64_t> decode_u64(std::string_view s) {
    if (s.size() != 8) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) n = n << 8 | static_cast<unsigned char>(c);
    return n;
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

// Runs fn(txn) -> Result<T> in a read transaction and hands its value out of it.
template <class T, class Fn>
Result<T> read_value(const LmdbEnv& env, Fn&& fn) {
    std::optional<T> out;
    Status status = env.read([&](ReadTxn& txn) -> Status {
        Result<T> r = fn(txn);
        if (!r) return r.error();
        out = std::move(r).value();
        return {};
    });
    if (!status) return status.error();
    return std::move(*out);
}

// The write twin of read_value; fn may run more than once (see LmdbEnv::write).
template <class T, class Fn>
Result<T> write_value(LmdbEnv& env, Fn&& fn) {
    std::optional<T> out;
    Status status = env.write([&](WriteTxn& txn) -> Status {
        Result<T> r = fn(txn);
        if (!r) return r.error();
        out = std::move(r).value();
        return {};
    });
    if (!status) return status.error();
    return std::move(*out);
}

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
        return make_error(Errc::not_found,
                          str_cat("no ", Table::noun, " named \"", name, "\""));
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
    if (Status status = check_name_free<Table>(txn, record.name, 0); !status)
        return status.error();
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

Store::Store(std::unique_ptr<LmdbEnv> env) : env_(std::move(env)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
    auto env = LmdbEnv::open({options.dir, options.initial_map_size, options.max_map_size});
    if (!env) return env.error();
    LmdbEnv& opened = **env;
    Status schema = opened.write([&](WriteTxn& txn) { return check_schema(txn, opened.dir()); });
    if (!schema) return schema.error();
    return std::unique_ptr<Store>(new Store(std::move(env).value()));
}

Result<Account> Store::add_account(Account account, const AccountCredentials& credentials,
                                   std::int64_t now) {
    return write_value<Account>(*env_, [&](WriteTxn& txn) -> Result<Account> {
        auto added = insert<AccountTable>(txn, account, now);
        if (!added) return added;
        if (Status status = txn.put(Db::tokens, encode_u64(added->id),
                                           encode_credentials(credentials));
            !status)
            return status.error();
        return added;
    });
}

struct Store::Cache {
    std::uint64_t commits = 0;
    std::vector<Account> accounts;
    std::unordered_map<std::string, ApiKey> keys_by_hash;
    std::map<std::uint64_t, AccountCredentials> credentials;
};

Result<const Store::Cache*> Store::cache() const {
    if (cache_ && cache_->commits == env_->commits()) return cache_.get();
    auto fresh = std::make_unique<Cache>();
    fresh->commits = env_->commits();
    Status status = env_->read([&](ReadTxn& txn) -> Status {
        auto accounts = list_records<AccountTable>(txn);
        if (!accounts) return accounts.error();
        fresh->accounts = std::move(*accounts);
        auto keys = list_records<KeyTable>(txn);
        if (!keys) return keys.error();
        for (ApiKey& key : *keys) fresh->keys_by_hash.emplace(key.secret_hash, std::move(key));
        return txn.for_each(Db::tokens, [&](std::string_view id, std::string_view value) -> Status {
            auto credentials = decode_credentials(value);
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
    return write_value<Account>(*env_, [&](WriteTxn& txn) -> Result<Account> {
        auto old = get_record<AccountTable>(txn, account.id);
        if (!old) return old;
        return replace<AccountTable>(txn, *old, account, now);
    });
}

Status Store::remove_account(std::uint64_t id) {
    return env_->write([&](WriteTxn& txn) -> Status {
        auto removed = erase<AccountTable>(txn, id);
        if (!removed) return removed.error();
        if (Status st = txn.del(Db::health, encode_u64(id)); !st) return st;
        return txn.del(Db::tokens, encode_u64(id));
    });
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

Status Store::put_credentials(std::uint64_t account_id, const AccountCredentials& credentials) {
    return env_->write([&](WriteTxn& txn) -> Status {
        if (auto account = get_record<AccountTable>(txn, account_id); !account)
            return account.error();
        return txn.put(Db::tokens, encode_u64(account_id),
                              encode_credentials(credentials));
    });
}

Result<ApiKey> Store::add_key(ApiKey key, std::int64_t now) {
    return write_value<ApiKey>(*env_, [&](WriteTxn& txn) -> Result<ApiKey> {
        if (Status status = check_hash_free(txn, key.secret_hash, 0); !status)
            return status.error();
        auto added = insert<KeyTable>(txn, key, now);
        if (!added) return added;
        if (Status status = txn.put(Db::key_hashes, added->secret_hash, encode_u64(added->id));
            !status)
            return status.error();
        return added;
    });
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
    return read_value<ApiKey>(
        *env_, [&](const ReadTxn& txn) { return get_named<KeyTable>(txn, name); });
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
    return write_value<ApiKey>(*env_, [&](WriteTxn& txn) -> Result<ApiKey> {
        auto old = get_record<KeyTable>(txn, key.id);
        if (!old) return old;
        if (Status status = move_hash(txn, *old, key); !status) return status.error();
        return replace<KeyTable>(txn, *old, key, now);
    });
}

Status Store::remove_key(std::uint64_t id) {
    return env_->write([&](WriteTxn& txn) -> Status {
        auto removed = erase<KeyTable>(txn, id);
        if (!removed) return removed.error();
        return txn.del(Db::key_hashes, removed->secret_hash);
    });
}

namespace {

constexpr std::int64_t kMsPerDay = 86400000;

// day (4 bytes) | time_ms (8) | sequence (4), all big-endian: a cursor walks time order and
// one day is one contiguous key range.
std::string usage_key(std::int64_t time_ms, std::uint32_t sequence) {
    auto day = static_cast<std::uint32_t>(time_ms / kMsPerDay);
    std::string key = encode_u64(day).substr(4) + encode_u64(static_cast<std::uint64_t>(time_ms));
    key += encode_u64(sequence).substr(4);
    return key;
}

}  // namespace

Status Store::record_usage(const std::vector<UsageRecord>& batch) {
    if (batch.empty()) return {};
    std::uint32_t first_sequence = usage_sequence_;
    usage_sequence_ += static_cast<std::uint32_t>(batch.size());
    return env_->write([&](WriteTxn& txn) -> Status {
        std::map<std::uint64_t, std::int64_t> last_used;  // key id → seconds
        std::uint32_t sequence = first_sequence;
        for (const UsageRecord& u : batch) {
            if (Status st = txn.put(Db::usage, usage_key(u.time_ms, sequence++), encode_usage(u)); !st)
                return st;
            if (u.key_id) last_used[u.key_id] = std::max(last_used[u.key_id], u.time_ms / 1000);
        }
        for (auto [id, when] : last_used) {
            auto key = get_record<KeyTable>(txn, id);
            if (!key) continue;  // removed since the request started
            if (key->last_used_at >= when) continue;
            key->last_used_at = when;
            if (Status st = txn.put(Db::keys, encode_u64(id), encode_api_key(*key)); !st) return st;
        }
        return {};
    });
}

Result<std::vector<UsageRecord>> Store::list_usage(std::int64_t from_ms, std::int64_t to_ms) const {
    return read_value<std::vector<UsageRecord>>(*env_, [&](const ReadTxn& txn) -> Result<std::vector<UsageRecord>> {
        std::vector<UsageRecord> out;
        Status status = txn.for_each(Db::usage, [&](std::string_view, std::string_view value) -> Status {
            auto record = decode_usage(value);
            if (!record) return record.error();
            if (record->time_ms >= from_ms && record->time_ms < to_ms) out.push_back(std::move(*record));
            return {};
        });
        if (!status) return status.error();
        return out;
    });
}

Status Store::put_health(std::uint64_t account_id, const AccountHealth& health) {
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
        Status status = txn.for_each(Db::health, [&](std::string_view id, std::string_view value) -> Status {
            auto health = decode_health(value);
            if (!health) return health.error();
            out.emplace(decode_u64(id).value_or(0), std::move(*health));
            return {};
        });
        if (!status) return status.error();
        return out;
    });
}

// open() refuses any other version, so an open store is always at this one.
int Store::schema_version() const { return static_cast<int>(kSchemaVersion); }

std::string Store::path() const { return env_->dir(); }

}  // namespace amq
