// The master's LMDB store: one environment in the state directory (0700 dir, 0600 files),
// named databases meta, accounts, tokens, keys, key_hashes, usage, health, rollups and
// audit. The tokens (the accounts' secrets) are sealed with the key in secrets.key beside
// the environment (secret_key.hpp), made at the first start; a store from before sealing is
// sealed when it is opened. Values are JSON
// documents carrying a schema version ("v"); ids are 8-byte big-endian integers so that
// cursors walk them in order. Every write commits (and fsyncs) before it returns, except
// inside audited(). Writes that add data are refused (Errc::storage_full) once the store is
// within its reserve of the maximum size; removals, usage retention and credential updates
// may use the reserve, so that a full store can always be emptied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/secret_box.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/records.hpp"
#include "daemon/master/shared_records.hpp"
#include "daemon/master/store_records.hpp"

namespace amq {

struct StoreOptions {
    std::string dir;
    std::uint64_t max_map_size = 4ull << 30;
    std::uint64_t initial_map_size = 64ull << 20;
};

class LmdbEnv;

class Store {
public:
    // Creates the directory (0700) when missing. Clears stale reader slots. Refuses a store
    // whose secrets are sealed when secrets.key is missing or is not their key.
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
    // then time, so retention can drop whole days), their rollups and the last-used times of
    // their keys; with `journaled_through`, the last entry of the usage journal the batch
    // holds (usage_journal.hpp), so that no entry is stored twice.
    Status record_usage(const std::vector<UsageRecord>& batch,
                        std::optional<std::uint64_t> journaled_through = std::nullopt);
    // The last entry of the usage journal stored; 0 for none.
    Result<std::uint64_t> journaled_through() const;
    // Uses of keys that leave no usage record (the admin API): their last-used times only.
    Status record_key_uses(const KeyUses& last_used);
    // Streams the records with from_ms <= time_ms < to_ms in time order, in batches of up to
    // batch_size, each read in its own short read transaction (so a slow sink never pins old
    // pages). sink may consume its batch; returning false stops the stream. Records written
    // meanwhile after the last one seen are delivered too.
    Status for_each_usage(std::int64_t from_ms, std::int64_t to_ms, std::size_t batch_size,
                          const std::function<bool(std::vector<UsageRecord>&)>& sink) const;
    // Newest first, in one read transaction: the records keyed before `before` (the position
    // an earlier scan stopped at; "" = the newest) and ending at or after from_ms, until
    // `take` says stop or `budget` records were read. Returns where it stopped, for the next
    // scan; nullopt when nothing older is left to read.
    Result<std::optional<std::string>> scan_usage_newest(
        std::string_view before, std::int64_t from_ms, std::size_t budget,
        const std::function<bool(UsageRecord&)>& take) const;
    // A position of scan_usage_newest, as it may come back from a client; the position
    // before every record that ends at or after time_ms.
    static bool usage_position_valid(std::string_view position);
    static std::string usage_position_at(std::int64_t time_ms);
    // Retention: deletes the raw records of the days before `day` (rollups stay), at most
    // 10 000 per write transaction (fewer when the store is full). Returns how many went; on
    // a failure the transactions before it stay committed.
    Result<std::size_t> drop_usage_before(std::int32_t day);
    // Usage records that could not be stored, counted across restarts.
    Status count_dropped_usage(std::uint64_t records);
    Result<std::uint64_t> dropped_usage() const;

    // The rollups of days from_day..to_day (inclusive), ordered by day, key, account, model.
    Result<std::vector<Rollup>> list_rollups(std::int32_t from_day, std::int32_t to_day) const;

    // Runs `change` (any calls of this store) and appends the audit entry it returns, all in
    // one transaction: both are stored or neither. Reads inside see the change's writes.
    // `change` may run more than once (a full map makes it rerun, as LmdbEnv::unit says).
    Status audited(const std::function<Result<AuditEntry>()>& change);
    // Audit log of administrative changes; each append commits at once (outside audited()).
    Status append_audit(const AuditEntry& entry);
    // The newest `limit` entries, oldest first.
    Result<std::vector<AuditEntry>> list_audit(std::size_t limit) const;

    // A compact copy of the environment written to fd (any thread; one long read transaction).
    // Returns the bytes written.
    Result<std::uint64_t> copy_to(int fd) const;

    int schema_version() const;

    // Every record, read in one snapshot on the calling thread (any thread: store copy runs
    // on one of its own), in RecordSink's order. Credentials stay sealed.
    Status export_records(RecordSink& sink) const;
    // A sink that writes into this store, which must hold no records yet (a new one): ids,
    // counters and sealed credentials are kept as they come. It commits in batches; finish()
    // commits the rest and checks that the credentials open with this store's key.
    Result<std::unique_ptr<RecordSink>> importer();
    Result<RecordCounts> record_counts() const;  // any thread

    // Hosts on one database (store = postgresql, shared_store.hpp) keep a copy of its
    // accounts, credentials, health and keys here, the mirror, and serve from it. The changes
    // this host makes to those are noted, to be written to the database; `noted` runs after
    // each (it may be empty). The database's changes are applied, unnoted.
    void on_shared_change(std::function<void()> noted);
    bool has_shared_changes() const { return !shared_changes_.empty(); }
    std::set<SharedRef> take_shared_changes();
    // Taken, but not written after all: to be written by the next write.
    void return_shared_changes(const std::set<SharedRef>& refs);
    // The records as this store holds them now (a missing one: removed), with the counters.
    Result<SharedChanges> read_shared(const std::set<SharedRef>& refs) const;
    // Applies what the database `origin` holds (complete: the mirror's others go), in one
    // transaction. Refuses credentials that do not open with this host's secrets.key. A key
    // keeps the later of both last-used times: those are each host's own.
    Status apply_shared(const SharedChanges& changes, std::string_view origin);
    struct Mirror {
        std::string origin;  // "": not a mirror
        std::uint64_t rev = 0;
        std::uint64_t usage_cursor = 0;  // the database's last usage row read
        std::uint64_t audit_cursor = 0;  // and audit row
    };
    Result<Mirror> mirror() const;
    // This store's id among the hosts, made at the first call.
    Result<std::string> host_id();

    // Usage and audit, shared: each usage record this host stores is kept in the outbox too,
    // until it is written to the database; each audit entry it appends is noted. The outbox
    // holds at most kMaxOutbox records (a long outage); the ones beyond are stored here but
    // never shared, and logged.
    static constexpr std::uint64_t kMaxOutbox = 1000000;
    void share_records() { shared_ = true; }
    bool has_shared_audit() const { return !shared_audit_.empty(); }
    // The audit entries appended since the last take (those a failed change left out are
    // not among them); return_shared_audit puts them back for the next write.
    Result<std::vector<AuditOut>> take_shared_audit();
    void return_shared_audit(const std::vector<AuditOut>& entries);
    // The other hosts' audit entries, read from the database up to its row `cursor`.
    Status apply_audit(const std::vector<AuditEntry>& entries, std::uint64_t cursor);
    Result<std::vector<UsageOut>> outbox(std::size_t limit) const;
    Result<std::uint64_t> outbox_size() const;
    Status clear_outbox(std::uint64_t through_seq);
    // The other hosts' usage records, read from the database up to its row `cursor`.
    Status apply_usage(const std::vector<UsageRecord>& batch, std::uint64_t cursor);

private:
    struct Cache;
    class Importer;
    void note_shared(SharedKind kind, std::uint64_t id);
    // `mark`: a counter of meta set in the same transaction.
    struct MetaMark {
        std::string_view key;
        std::uint64_t value;
    };
    Status store_usage(const std::vector<UsageRecord>& batch, bool to_outbox,
                       std::optional<MetaMark> mark);
    Result<std::uint64_t> meta_count(std::string_view key) const;
    Store(std::unique_ptr<LmdbEnv> env, const SecretBox::Key& key);
    std::string seal(std::string_view id_key, const AccountCredentials& credentials) const;
    Result<AccountCredentials> unseal(std::string_view id_key, std::string_view value) const;
    // (record key, encoded credentials) pairs, sealed in place.
    Status seal_plain_credentials(const std::vector<std::pair<std::string, std::string>>& plain);
    // The decoded records every admission reads, rebuilt after any commit.
    Result<const Cache*> cache() const;
    std::unique_ptr<LmdbEnv> env_;
    SecretBox box_;
    std::uint32_t usage_sequence_ = 0;  // tells apart records that end in the same millisecond
    mutable std::unique_ptr<Cache> cache_;
    std::set<SharedRef> shared_changes_;
    std::function<void()> on_shared_change_;
    bool shared_ = false;
    std::set<std::string> shared_audit_;  // keys of the entries appended
};

}  // namespace amq
