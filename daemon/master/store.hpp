// The master's LMDB store: one environment in the state directory (0700 dir, 0600 files),
// named databases meta, accounts, tokens, keys, key_hashes and usage. Values are JSON
// documents carrying a schema version ("v"); ids are 8-byte big-endian integers so that
// cursors walk them in order. Every write commits (and fsyncs) before it returns.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/records.hpp"

namespace amq {

struct StoreOptions {
    std::string dir;
    std::uint64_t max_map_size = 4ull << 30;
    std::uint64_t initial_map_size = 64ull << 20;
};

class LmdbEnv;

class Store {
public:
    // Creates the directory (0700) when missing. Clears stale reader slots.
    static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Accounts. Names are unique (Errc::conflict); a missing id is Errc::not_found.
    Result<Account> add_account(Account account, const AccountCredentials& credentials,
                                std::int64_t now);
    Result<std::vector<Account>> list_accounts() const;
    Result<Account> get_account(std::uint64_t id) const;
    Result<Account> find_account_by_name(std::string_view name) const;
    Result<Account> update_account(const Account& account, std::int64_t now);
    Status remove_account(std::uint64_t id);  // with its credentials
    Result<AccountCredentials> get_credentials(std::uint64_t account_id) const;
    Status put_credentials(std::uint64_t account_id, const AccountCredentials& credentials);

    // Health of the accounts (account_health.hpp), written on transitions only.
    Status put_health(std::uint64_t account_id, const AccountHealth& health);
    Result<std::map<std::uint64_t, AccountHealth>> list_health() const;

    // API keys. Names are unique; secret hashes are unique and indexed.
    Result<ApiKey> add_key(ApiKey key, std::int64_t now);
    Result<std::vector<ApiKey>> list_keys() const;
    Result<ApiKey> get_key(std::uint64_t id) const;
    Result<ApiKey> find_key_by_name(std::string_view name) const;
    Result<ApiKey> find_key_by_hash(std::string_view secret_hash) const;
    Result<ApiKey> update_key(const ApiKey& key, std::int64_t now);
    Status remove_key(std::uint64_t id);

    // One transaction for a batch of finished requests: their usage records (keyed by day,
    // then time, so retention can drop whole days) and the last-used times of their keys.
    Status record_usage(const std::vector<UsageRecord>& batch);
    // Records with from_ms <= time_ms < to_ms, oldest first.
    Result<std::vector<UsageRecord>> list_usage(std::int64_t from_ms, std::int64_t to_ms) const;

    int schema_version() const;
    std::string path() const;

private:
    struct Cache;
    explicit Store(std::unique_ptr<LmdbEnv> env);
    // The decoded records every admission reads, rebuilt after any commit.
    Result<const Cache*> cache() const;
    std::unique_ptr<LmdbEnv> env_;
    std::uint32_t usage_sequence_ = 0;
    mutable std::unique_ptr<Cache> cache_;  // tells apart records that end in the same millisecond
};

}  // namespace amq
