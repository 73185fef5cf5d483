#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <lmdb.h>

#include "common/crypto.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/record_codec.hpp"
#include "daemon/master/store.hpp"
#include "tests/unit/support/store_fixture.hpp"

using namespace amq;
using namespace amq::test;

namespace {

void check_same(const Account& a, const Account& b) {
    BOOST_CHECK_EQUAL(a.id, b.id);
    BOOST_CHECK_EQUAL(a.name, b.name);
    BOOST_CHECK_EQUAL(a.client_id, b.client_id);
    BOOST_CHECK_EQUAL(a.profile_arn, b.profile_arn);
    BOOST_CHECK_EQUAL(a.enabled, b.enabled);
    BOOST_CHECK_EQUAL(a.requests_per_minute, b.requests_per_minute);
    BOOST_CHECK_EQUAL(a.notes, b.notes);
    BOOST_CHECK_EQUAL(a.created_at, b.created_at);
    BOOST_CHECK_EQUAL(a.updated_at, b.updated_at);
}

void check_same(const AccountCredentials& a, const AccountCredentials& b) {
    BOOST_CHECK_EQUAL(a.refresh_token, b.refresh_token);
    BOOST_CHECK_EQUAL(a.client_secret, b.client_secret);
    BOOST_CHECK_EQUAL(a.access_token, b.access_token);
    BOOST_CHECK_EQUAL(a.access_expires_at, b.access_expires_at);
}

void check_same(const ApiKey& a, const ApiKey& b) {
    BOOST_CHECK_EQUAL(a.id, b.id);
    BOOST_CHECK_EQUAL(a.name, b.name);
    BOOST_CHECK_EQUAL(a.description, b.description);
    BOOST_CHECK_EQUAL(a.secret_hash, b.secret_hash);
    BOOST_CHECK_EQUAL(a.display, b.display);
    BOOST_CHECK_EQUAL(a.is_admin, b.is_admin);
    BOOST_CHECK_EQUAL(a.enabled, b.enabled);
    BOOST_CHECK_EQUAL(a.requests_per_minute, b.requests_per_minute);
    BOOST_CHECK_EQUAL(a.requests_per_day, b.requests_per_day);
    BOOST_CHECK_EQUAL(a.expires_at, b.expires_at);
    BOOST_CHECK_EQUAL(a.created_at, b.created_at);
    BOOST_CHECK_EQUAL(a.updated_at, b.updated_at);
    BOOST_CHECK_EQUAL(a.last_used_at, b.last_used_at);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
}

constexpr std::int64_t kDay = 86400000;
constexpr std::int32_t kDay0 = 19700;  // 2023-12-09
constexpr std::int64_t kT0 = kDay0 * kDay;

UsageRecord usage_at(std::int64_t time_ms, std::uint64_t key_id = 1, std::uint64_t account_id = 2,
                     const std::string& model = "claude-sonnet-4") {
    UsageRecord u;
    u.time_ms = time_ms;
    u.key_id = key_id;
    u.account_id = account_id;
    u.endpoint = "/v1/messages";
    u.client_model = model;
    u.upstream_model = "CLAUDE_SONNET_4";
    u.status = 200;
    u.input_tokens = 10;
    u.output_tokens = 20;
    u.ttfb_ms = 100;
    u.duration_ms = 1000;
    u.attempts = 1;
    return u;
}

// Every record of [from_ms, to_ms) in one vector, and the sizes of the batches it came in.
std::vector<UsageRecord> all_usage(const Store& store, std::int64_t from_ms, std::int64_t to_ms,
                                   std::size_t batch_size,
                                   std::vector<std::size_t>* sizes = nullptr) {
    std::vector<UsageRecord> out;
    auto sink = [&](std::vector<UsageRecord>& batch) {
        if (sizes) sizes->push_back(batch.size());
        for (UsageRecord& u : batch) out.push_back(std::move(u));
        return true;
    };
    Status status = store.for_each_usage(from_ms, to_ms, batch_size, sink);
    BOOST_REQUIRE_MESSAGE(status.ok(), why(status));
    return out;
}

void check_rollup(const Rollup& r, std::int32_t day, std::uint64_t key_id, std::uint64_t account_id,
                  const std::string& model, std::int64_t requests, std::int64_t errors) {
    BOOST_CHECK_EQUAL(r.day, day);
    BOOST_CHECK_EQUAL(r.key_id, key_id);
    BOOST_CHECK_EQUAL(r.account_id, account_id);
    BOOST_CHECK_EQUAL(r.model, model);
    BOOST_CHECK_EQUAL(r.requests, requests);
    BOOST_CHECK_EQUAL(r.errors, errors);
}

std::string big_endian(std::uint64_t n, std::size_t width) {
    std::string out(width, '\0');
    for (auto it = out.rbegin(); it != out.rend(); ++it, n >>= 8) *it = static_cast<char>(n & 0xff);
    return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(store, TempDir)

BOOST_AUTO_TEST_CASE(account_round_trip) {
    auto store = open_store(dir);
    auto added = store->add_account(make_account("alpha"), make_credentials("alpha"), 1000);
    require_ok(added);
    BOOST_CHECK_EQUAL(added->id, 1u);
    BOOST_CHECK_EQUAL(added->created_at, 1000);
    BOOST_CHECK_EQUAL(added->updated_at, 1000);

    auto got = store->get_account(added->id);
    require_ok(got);
    check_same(*got, *added);
    auto by_name = store->find_account_by_name("alpha");
    require_ok(by_name);
    check_same(*by_name, *added);
    auto credentials = store->get_credentials(added->id);
    require_ok(credentials);
    check_same(*credentials, make_credentials("alpha"));

    require_ok(store->add_account(make_account("beta"), make_credentials("beta"), 1001));
    auto listed = store->list_accounts();
    require_ok(listed);
    BOOST_REQUIRE_EQUAL(listed->size(), 2u);
    BOOST_CHECK_EQUAL((*listed)[0].name, "alpha");
    BOOST_CHECK_EQUAL((*listed)[1].name, "beta");

    Account changed = *added;
    changed.name = "alpha2";
    changed.enabled = false;
    changed.notes = "paused";
    changed.created_at = 5;  // not the caller's to change
    auto updated = store->update_account(changed, 2000);
    require_ok(updated);
    BOOST_CHECK_EQUAL(updated->created_at, 1000);
    BOOST_CHECK_EQUAL(updated->updated_at, 2000);
    auto reread = store->get_account(added->id);
    require_ok(reread);
    check_same(*reread, *updated);
    BOOST_CHECK(!reread->enabled);
    check_error(store->find_account_by_name("alpha"), Errc::not_found,
                "no account named \"alpha\"");

    require_ok(store->put_credentials(added->id, make_credentials("rotated")));
    auto rotated = store->get_credentials(added->id);
    require_ok(rotated);
    check_same(*rotated, make_credentials("rotated"));

    require_ok(store->remove_account(added->id));
    check_error(store->get_account(added->id), Errc::not_found, "no account with id 1");
    check_error(store->get_credentials(added->id), Errc::not_found);
    auto remaining = store->list_accounts();
    require_ok(remaining);
    BOOST_REQUIRE_EQUAL(remaining->size(), 1u);
    BOOST_CHECK_EQUAL((*remaining)[0].name, "beta");
}

BOOST_AUTO_TEST_CASE(key_round_trip) {
    auto store = open_store(dir);
    NewApiKey generated = generate_api_key();
    auto added = store->add_key(make_key("ci", generated), 1000);
    require_ok(added);
    BOOST_CHECK_EQUAL(added->id, 1u);
    BOOST_CHECK_EQUAL(added->created_at, 1000);

    auto by_hash = store->find_key_by_hash(api_key_hash(generated.secret));
    require_ok(by_hash);
    check_same(*by_hash, *added);
    auto by_name = store->find_key_by_name("ci");
    require_ok(by_name);
    check_same(*by_name, *added);
    check_error(store->find_key_by_hash(generate_api_key().hash), Errc::not_found);
    check_error(store->find_key_by_hash(""), Errc::not_found);

    ApiKey changed = *added;
    changed.is_admin = true;
    changed.last_used_at = 1500;
    auto updated = store->update_key(changed, 2000);
    require_ok(updated);
    BOOST_CHECK_EQUAL(updated->created_at, 1000);
    BOOST_CHECK_EQUAL(updated->updated_at, 2000);
    auto got = store->get_key(added->id);
    require_ok(got);
    check_same(*got, *updated);

    // A new secret for the same key moves the hash index along.
    NewApiKey regenerated = generate_api_key();
    changed.secret_hash = regenerated.hash;
    require_ok(store->update_key(changed, 2100));
    check_error(store->find_key_by_hash(generated.hash), Errc::not_found);
    auto moved = store->find_key_by_hash(regenerated.hash);
    require_ok(moved);
    BOOST_CHECK_EQUAL(moved->id, added->id);

    require_ok(store->remove_key(added->id));
    check_error(store->get_key(added->id), Errc::not_found, "no API key with id 1");
    check_error(store->find_key_by_hash(regenerated.hash), Errc::not_found);
    auto listed = store->list_keys();
    require_ok(listed);
    BOOST_CHECK(listed->empty());
}

BOOST_AUTO_TEST_CASE(reopening_keeps_the_data) {
    NewApiKey generated = generate_api_key();
    {
        auto store = open_store(dir);
        require_ok(store->add_account(make_account("alpha"), make_credentials("alpha"), 10));
        require_ok(store->add_key(make_key("ci", generated), 20));
    }
    auto store = open_store(dir);
    BOOST_CHECK_EQUAL(store->schema_version(), 1);
    auto account = store->find_account_by_name("alpha");
    require_ok(account);
    BOOST_CHECK_EQUAL(account->created_at, 10);
    auto credentials = store->get_credentials(account->id);
    require_ok(credentials);
    check_same(*credentials, make_credentials("alpha"));
    auto key = store->find_key_by_hash(generated.hash);
    require_ok(key);
    BOOST_CHECK_EQUAL(key->name, "ci");
}

BOOST_AUTO_TEST_CASE(ids_are_never_reused) {
    {
        auto store = open_store(dir);
        require_ok(store->add_account(make_account("a"), {}, 1));
        auto b = store->add_account(make_account("b"), {}, 1);
        require_ok(b);
        require_ok(store->remove_account(b->id));
        auto c = store->add_account(make_account("c"), {}, 1);
        require_ok(c);
        BOOST_CHECK_EQUAL(c->id, 3u);
        auto k = store->add_key(make_key("k", generate_api_key()), 1);
        require_ok(k);
        require_ok(store->remove_key(k->id));
    }
    auto store = open_store(dir);
    require_ok(store->remove_account(3));
    auto d = store->add_account(make_account("d"), {}, 1);
    require_ok(d);
    BOOST_CHECK_EQUAL(d->id, 4u);
    auto k2 = store->add_key(make_key("k", generate_api_key()), 1);
    require_ok(k2);
    BOOST_CHECK_EQUAL(k2->id, 2u);
}

BOOST_AUTO_TEST_CASE(duplicates_conflict) {
    auto store = open_store(dir);
    require_ok(store->add_account(make_account("x"), {}, 1));
    auto y = store->add_account(make_account("y"), {}, 1);
    require_ok(y);
    check_error(store->add_account(make_account("x"), {}, 2), Errc::conflict,
                "an account named \"x\" already exists");
    Account renamed = *y;
    renamed.name = "x";
    check_error(store->update_account(renamed, 2), Errc::conflict);
    require_ok(store->update_account(*y, 2));  // keeping its own name is fine

    NewApiKey generated = generate_api_key();
    require_ok(store->add_key(make_key("k", generated), 1));
    check_error(store->add_key(make_key("k", generate_api_key()), 2), Errc::conflict,
                "an API key named \"k\" already exists");
    check_error(store->add_key(make_key("other", generated), 2), Errc::conflict);
    auto second = store->add_key(make_key("k2", generate_api_key()), 1);
    require_ok(second);
    ApiKey clash = *second;
    clash.secret_hash = generated.hash;
    check_error(store->update_key(clash, 2), Errc::conflict);
    clash = *second;
    clash.name = "k";
    check_error(store->update_key(clash, 2), Errc::conflict);
    check_error(store->add_key(make_key("bad", NewApiKey{.hash = "not-a-hash"}), 2),
                Errc::invalid_argument);

    auto accounts = store->list_accounts();
    require_ok(accounts);
    BOOST_CHECK_EQUAL(accounts->size(), 2u);
    auto keys = store->list_keys();
    require_ok(keys);
    BOOST_CHECK_EQUAL(keys->size(), 2u);
}

BOOST_AUTO_TEST_CASE(unknown_ids_are_not_found) {
    auto store = open_store(dir);
    check_error(store->get_account(7), Errc::not_found, "no account with id 7");
    Account ghost = make_account("ghost");
    ghost.id = 7;
    check_error(store->update_account(ghost, 1), Errc::not_found, "no account with id 7");
    check_error(store->remove_account(7), Errc::not_found, "no account with id 7");
    check_error(store->get_credentials(7), Errc::not_found, "no account with id 7");
    check_error(store->put_credentials(7, {}), Errc::not_found, "no account with id 7");
    check_error(store->find_account_by_name("ghost"), Errc::not_found);

    check_error(store->get_key(9), Errc::not_found, "no API key with id 9");
    ApiKey ghost_key = make_key("ghost", generate_api_key());
    ghost_key.id = 9;
    check_error(store->update_key(ghost_key, 1), Errc::not_found, "no API key with id 9");
    check_error(store->remove_key(9), Errc::not_found, "no API key with id 9");
    check_error(store->find_key_by_name("ghost"), Errc::not_found);
}

// API key secrets are never stored: only their hash is. (Credentials of a removed account
// may linger in LMDB's free pages until reused; the state directory is private for that.)
BOOST_AUTO_TEST_CASE(api_key_secrets_stay_out_of_the_data_file) {
    NewApiKey generated = generate_api_key();
    auto store = open_store(dir);
    require_ok(store->add_key(make_key("ci", generated), 1));
    require_ok(store->find_key_by_hash(api_key_hash(generated.secret)));
    store.reset();
    std::string data = read_file(dir + "/data.mdb");
    BOOST_CHECK(data.find(generated.hash) != std::string::npos);  // the search itself works
    BOOST_CHECK(data.find(generated.secret) == std::string::npos);
}

// The accounts' secrets are sealed with secrets.key: the data file holds none of them.
BOOST_AUTO_TEST_CASE(account_secrets_are_sealed_at_rest) {
    AccountCredentials c = make_credentials("sealed");
    {
        auto store = open_store(dir);
        auto added = store->add_account(make_account("a"), c, 1);
        require_ok(added);
        c.access_token = "access-rotated-5d1e";
        require_ok(store->put_credentials(added->id, c));
    }
    std::string data = read_file(dir + "/data.mdb");
    BOOST_CHECK(data.find("notes of a") != std::string::npos);  // the search itself works
    for (const std::string& secret : {c.refresh_token, c.client_secret, c.access_token})
        BOOST_CHECK(data.find(secret) == std::string::npos);
    BOOST_CHECK_EQUAL(mode_of(dir + "/secrets.key"), 0600u);
    auto store = open_store(dir);
    auto back = store->get_credentials(1);
    require_ok(back);
    BOOST_CHECK_EQUAL(back->refresh_token, c.refresh_token);
    BOOST_CHECK_EQUAL(back->access_token, "access-rotated-5d1e");
}

BOOST_AUTO_TEST_CASE(a_store_without_its_key_or_with_another_does_not_open) {
    require_ok(open_store(dir)->add_account(make_account("a"), make_credentials("a"), 1));
    std::string key = read_file(dir + "/secrets.key");
    BOOST_REQUIRE_EQUAL(::unlink((dir + "/secrets.key").c_str()), 0);
    auto missing = Store::open(StoreOptions{.dir = dir});
    check_error(missing, Errc::not_found);
    BOOST_CHECK(missing.error().message.find("put back the copy") != std::string::npos);

    std::ofstream(dir + "/secrets.key") << std::string(64, '7') << "\n";
    BOOST_REQUIRE_EQUAL(::chmod((dir + "/secrets.key").c_str(), 0644), 0);
    auto wrong = Store::open(StoreOptions{.dir = dir});
    check_error(wrong, Errc::internal);
    BOOST_CHECK(wrong.error().message.find("secrets.key") != std::string::npos);
    BOOST_CHECK_EQUAL(mode_of(dir + "/secrets.key"), 0600u);  // tightened even so

    std::ofstream(dir + "/secrets.key") << "not a key\n";
    check_error(Store::open(StoreOptions{.dir = dir}), Errc::invalid_argument);
    std::ofstream(dir + "/secrets.key") << key;
    require_ok(open_store(dir)->get_credentials(1));
}

// Stores written before sealing are sealed when they are opened.
BOOST_AUTO_TEST_CASE(plain_credentials_of_an_older_store_are_sealed_on_open) {
    const std::string id1("\0\0\0\0\0\0\0\1", 8);  // ids are 8-byte big-endian keys
    AccountCredentials c = make_credentials("old");
    require_ok(open_store(dir)->add_account(make_account("a"), {}, 1));
    {
        auto env = LmdbEnv::open({dir, kMiB, 64 * kMiB, 0});
        require_ok(env);
        require_ok((*env)->write([&](WriteTxn& txn) -> Status {
            return txn.put(Db::tokens, id1, encode_credentials(c));
        }));
    }
    BOOST_REQUIRE(read_file(dir + "/data.mdb").find(c.refresh_token) != std::string::npos);
    auto store = open_store(dir);
    BOOST_CHECK_EQUAL(store->get_credentials(1)->refresh_token, c.refresh_token);
    store.reset();
    // LMDB may keep the old page free for a while; the live record is what must be sealed.
    auto env = LmdbEnv::open({dir, kMiB, 64 * kMiB, 0});
    require_ok(env);
    require_ok((*env)->read([&](ReadTxn& txn) -> Status {
        auto value = txn.get(Db::tokens, id1);
        BOOST_REQUIRE(value.ok() && value->has_value());
        BOOST_CHECK(SecretBox::is_sealed(**value));
        return {};
    }));
}

BOOST_AUTO_TEST_CASE(file_modes_ignore_the_umask) {
    struct ZeroUmask {  // restored even when a requirement fails
        mode_t old = ::umask(0);
        ~ZeroUmask() { ::umask(old); }
    } zero_umask;
    {
        auto store = open_store(dir);
        require_ok(store->add_account(make_account("a"), {}, 1));
    }
    BOOST_CHECK_EQUAL(mode_of(dir), 0700u);
    BOOST_CHECK_EQUAL(mode_of(dir + "/data.mdb"), 0600u);
    BOOST_CHECK_EQUAL(mode_of(dir + "/lock.mdb"), 0600u);

    // Files left too open by someone else are tightened on the next open.
    BOOST_REQUIRE_EQUAL(::chmod((dir + "/data.mdb").c_str(), 0666), 0);
    BOOST_REQUIRE_EQUAL(::chmod((dir + "/lock.mdb").c_str(), 0644), 0);
    open_store(dir);
    BOOST_CHECK_EQUAL(mode_of(dir + "/data.mdb"), 0600u);
    BOOST_CHECK_EQUAL(mode_of(dir + "/lock.mdb"), 0600u);
}

BOOST_AUTO_TEST_CASE(the_map_grows_when_full) {
    // 6 × 1 MiB: the 1 MiB map has to double three times. (Few big records rather than many
    // small ones, since every add decodes all accounts to check the name.)
    constexpr int kAccounts = 6;
    const std::string notes(kMiB, 'n');
    {
        auto store = open_store(dir, kMiB, 64 * kMiB);
        for (int i = 0; i < kAccounts; ++i) {
            Account a = make_account("acct" + std::to_string(i));
            a.notes = notes;
            require_ok(store->add_account(a, make_credentials(std::to_string(i)), i));
        }
    }
    BOOST_CHECK_GT(std::filesystem::file_size(dir + "/data.mdb"), 4 * kMiB);
    auto store = open_store(dir, kMiB, 64 * kMiB);
    auto listed = store->list_accounts();
    require_ok(listed);
    BOOST_REQUIRE_EQUAL(listed->size(), static_cast<std::size_t>(kAccounts));
    BOOST_CHECK_EQUAL(listed->back().notes, notes);
    require_ok(store->add_account(make_account("one more"), {}, 1));
}

BOOST_AUTO_TEST_CASE(a_full_store_says_so_and_still_reads) {
    const std::string notes(256 * 1024, 'n');
    auto store = open_store(dir, kMiB, 2 * kMiB);
    int added = 0;
    Result<Account> last = make_error(Errc::internal, "nothing written");
    for (int i = 0; i < 100; ++i) {
        Account a = make_account("acct" + std::to_string(i));
        a.notes = notes;
        last = store->add_account(a, {}, i);
        if (!last.ok()) break;
        ++added;
    }
    check_error(last, Errc::storage_full);
    BOOST_CHECK_NE(last.error().message.find("reached its maximum size"), std::string::npos);
    BOOST_CHECK_GT(added, 0);

    auto listed = store->list_accounts();
    require_ok(listed);
    BOOST_CHECK_EQUAL(listed->size(), static_cast<std::size_t>(added));
    require_ok(store->get_account(1));
    // Removing still works, and LMDB reuses the freed pages from the second commit on.
    require_ok(store->remove_account(1));
    require_ok(store->remove_account(2));
    require_ok(store->add_account(make_account("small"), {}, 1));
}

// Usage records in ever smaller batches until the store refuses even one; returns how many
// it kept.
std::size_t fill_with_usage(Store& store) {
    std::size_t stored = 0;
    std::size_t batch_size = 128;
    for (int batch = 0; batch < 1000; ++batch) {
        std::vector<UsageRecord> records;
        for (std::size_t i = 0; i < batch_size; ++i)
            records.push_back(usage_at(kT0 + static_cast<std::int64_t>(stored + i)));
        Status status = store.record_usage(records);
        if (status) {
            stored += records.size();
            continue;
        }
        BOOST_REQUIRE_EQUAL(errc_name(status.error().code), errc_name(Errc::storage_full));
        if (batch_size == 1) return stored;
        batch_size /= 2;
    }
    BOOST_FAIL("the store never filled up");
    return stored;
}

// Then small keys until the store refuses one too.
void fill_with_keys(Store& store) {
    for (int i = 0; i < 1000; ++i) {
        auto added = store.add_key(make_key("filler" + std::to_string(i), generate_api_key()), 1);
        if (added) continue;
        BOOST_REQUIRE_EQUAL(errc_name(added.error().code), errc_name(Errc::storage_full));
        return;
    }
    BOOST_FAIL("the store never refused a key");
}

AuditEntry audit_entry(const std::string& command) {
    return AuditEntry{.at_ms = 1000, .actor = "key:1", .command = command};
}

BOOST_AUTO_TEST_CASE(a_full_store_keeps_room_for_removals) {
    auto store = open_store(dir, kMiB, 2 * kMiB);
    auto key = store->add_key(make_key("doomed", generate_api_key()), 1);
    require_ok(key);
    auto account = store->add_account(make_account("doomed"), make_credentials("d"), 1);
    require_ok(account);
    std::size_t stored = fill_with_usage(*store);
    BOOST_CHECK_GT(stored, 0u);
    fill_with_keys(*store);

    auto refused = store->add_key(make_key("more", generate_api_key()), 2);
    check_error(refused, Errc::storage_full);
    BOOST_CHECK_NE(refused.error().message.find("remove API keys or accounts"), std::string::npos);
    require_ok(store->put_credentials(account->id, make_credentials("rotated")));
    // A removal is stored with its audit entry, which takes a little of the reserve too.
    require_ok(store->audited([&]() -> Result<AuditEntry> {
        if (Status removed = store->remove_key(key->id); !removed) return removed.error();
        return audit_entry("key.remove");
    }));
    require_ok(store->remove_account(account->id));
    auto dropped = store->drop_usage_before(kDay0 + 1);
    require_ok(dropped);
    BOOST_CHECK_EQUAL(*dropped, stored);
    require_ok(store->add_key(make_key("more", generate_api_key()), 3));
}

BOOST_AUTO_TEST_CASE(dropped_usage_is_counted_in_a_full_store_and_kept) {
    {
        auto store = open_store(dir, kMiB, 2 * kMiB);
        fill_with_usage(*store);
        require_ok(store->count_dropped_usage(23));
        require_ok(store->count_dropped_usage(2));
    }
    auto store = open_store(dir, kMiB, 2 * kMiB);
    auto counted = store->dropped_usage();
    require_ok(counted);
    BOOST_CHECK_EQUAL(*counted, 25u);
}

BOOST_AUTO_TEST_CASE(an_audited_change_is_stored_with_its_entry_or_not_at_all) {
    auto store = open_store(dir);
    Status undone = store->audited([&]() -> Result<AuditEntry> {
        auto added = store->add_key(make_key("undone", generate_api_key()), 1);
        if (!added) return added.error();
        return make_error(Errc::invalid_argument, "refused after the write");
    });
    check_error(undone, Errc::invalid_argument);
    check_error(store->find_key_by_name("undone"), Errc::not_found);

    Status done = store->audited([&]() -> Result<AuditEntry> {
        auto added = store->add_key(make_key("kept", generate_api_key()), 1);
        if (!added) return added.error();
        // Reads see the unit's writes, and a failing write undoes only itself.
        if (auto seen = store->find_key_by_name("kept"); !seen) return seen.error();
        check_error(store->add_key(make_key("kept", generate_api_key()), 1), Errc::conflict);
        return audit_entry("key.create");
    });
    require_ok(done);
    require_ok(store->find_key_by_name("kept"));
    auto entries = store->list_audit(10);
    require_ok(entries);
    BOOST_REQUIRE_EQUAL(entries->size(), 1u);
    BOOST_CHECK_EQUAL(entries->front().command, "key.create");
}

BOOST_AUTO_TEST_CASE(a_full_store_refuses_an_audited_change_whole) {
    auto store = open_store(dir, kMiB, 2 * kMiB);
    fill_with_usage(*store);
    fill_with_keys(*store);
    Status refused = store->audited([&]() -> Result<AuditEntry> {
        auto added = store->add_key(make_key("late", generate_api_key()), 1);
        if (!added) return added.error();
        return audit_entry("key.create");
    });
    check_error(refused, Errc::storage_full);
    check_error(store->find_key_by_name("late"), Errc::not_found);
    auto entries = store->list_audit(10);
    require_ok(entries);
    BOOST_CHECK(entries->empty());
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused) {
    {
        auto env = LmdbEnv::open(LmdbOptions{dir, kMiB, 64 * kMiB});
        require_ok(env);
        const std::string two("\0\0\0\0\0\0\0\2", 8);
        require_ok(
            (*env)->write([&](WriteTxn& txn) { return txn.put(Db::meta, "schema_version", two); }));
    }
    auto store = Store::open(StoreOptions{.dir = dir});
    check_error(store, Errc::internal);
    BOOST_CHECK_NE(store.error().message.find("newer"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(rollups_add_up) {
    auto store = open_store(dir);
    UsageRecord ok = usage_at(kT0 + 1000);
    UsageRecord limited = usage_at(kT0 + 2000);
    limited.status = 429;
    limited.input_tokens = 1;
    limited.output_tokens = 0;
    limited.ttfb_ms = 5;
    limited.duration_ms = 7;
    limited.credits_micros = 250000;
    UsageRecord no_answer = usage_at(kT0 + 3000);
    no_answer.status = 0;
    UsageRecord cut = usage_at(kT0 + 4000);
    cut.error_class = "upstream_stream_cut";  // a 200 that broke off
    UsageRecord redirect = usage_at(kT0 + 4500);
    redirect.status = 399;
    require_ok(store->record_usage(
        {ok, limited, no_answer, cut, redirect, usage_at(kT0 + 5000, 1, 3),
         usage_at(kT0 + 6000, 2, 2, "gpt-4o"), usage_at(kT0 + kDay - 1, 5, 5, "x"),
         usage_at(kT0 + kDay, 5, 5, "x")}));
    // A later batch adds into the stored sums.
    require_ok(store->record_usage({usage_at(kT0 + 7000), usage_at(kT0 + kDay + 1, 5, 5, "x")}));

    auto rollups = store->list_rollups(kDay0, kDay0 + 1);
    require_ok(rollups);
    BOOST_REQUIRE_EQUAL(rollups->size(), 5u);
    const Rollup& main = (*rollups)[0];
    check_rollup(main, kDay0, 1, 2, "claude-sonnet-4", 6, 3);
    BOOST_CHECK_EQUAL(main.input_tokens, 10 + 1 + 10 + 10 + 10 + 10);
    BOOST_CHECK_EQUAL(main.output_tokens, 20 * 5);
    BOOST_CHECK_EQUAL(main.credits_micros, 250000);
    BOOST_CHECK_EQUAL(main.ttfb_ms_sum, 100 * 5 + 5);
    BOOST_CHECK_EQUAL(main.duration_ms_sum, 1000 * 5 + 7);
    check_rollup((*rollups)[1], kDay0, 1, 3, "claude-sonnet-4", 1, 0);
    check_rollup((*rollups)[2], kDay0, 2, 2, "gpt-4o", 1, 0);
    BOOST_CHECK_EQUAL((*rollups)[2].input_tokens, 10);
    // The last millisecond of a day and the first of the next land in two rollups.
    check_rollup((*rollups)[3], kDay0, 5, 5, "x", 1, 0);
    check_rollup((*rollups)[4], kDay0 + 1, 5, 5, "x", 2, 0);
    BOOST_CHECK_EQUAL((*rollups)[4].duration_ms_sum, 2000);
}

// The request log's walk: newest first, across days, from a position, down to from_ms, within
// a budget; the position it stops at goes on exactly where it stopped.
BOOST_AUTO_TEST_CASE(usage_is_scanned_newest_first_in_resumable_steps) {
    auto store = open_store(dir);
    std::vector<UsageRecord> batch;
    for (std::int64_t t : {kT0, kT0 + 1, kT0 + 1, kT0 + kDay - 1, kT0 + kDay, kT0 + kDay + 5})
        batch.push_back(usage_at(t, static_cast<std::uint64_t>(batch.size() + 1)));
    require_ok(store->record_usage(batch));
    auto scan = [&](std::string_view before, std::int64_t from_ms, std::size_t budget,
                    std::size_t want, std::vector<std::uint64_t>& keys) {
        auto stopped = store->scan_usage_newest(before, from_ms, budget, [&](UsageRecord& u) {
            keys.push_back(u.key_id);
            return keys.size() < want;
        });
        require_ok(stopped);
        return *stopped;
    };
    std::vector<std::uint64_t> keys;
    BOOST_TEST(!scan("", kT0, 100, 100, keys).has_value());
    BOOST_TEST(keys == (std::vector<std::uint64_t>{6, 5, 4, 3, 2, 1}), "whole walk");

    keys.clear();
    auto first = scan("", kT0, 100, 2, keys);  // a page of two
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(Store::usage_position_valid(*first));
    auto second = scan(*first, kT0, 3, 100, keys);  // then a budget of three
    BOOST_REQUIRE(second.has_value());
    BOOST_TEST(!scan(*second, kT0 + 1, 100, 100, keys).has_value());  // down to from_ms
    BOOST_TEST(keys == (std::vector<std::uint64_t>{6, 5, 4, 3, 2}), "resumed walk");

    keys.clear();
    scan(Store::usage_position_at(kT0 + kDay), kT0, 100, 100, keys);  // before a time
    BOOST_TEST(keys == (std::vector<std::uint64_t>{4, 3, 2, 1}), "from a time");
    BOOST_TEST(!Store::usage_position_valid("short"));
}

BOOST_AUTO_TEST_CASE(list_rollups_walks_only_its_days) {
    auto store = open_store(dir);
    constexpr std::uint64_t kMaxId = std::numeric_limits<std::uint64_t>::max();
    require_ok(store->record_usage({
        usage_at(kT0 - 1, 9, 9, "before"),
        usage_at(kT0, 0, 0, ""),
        usage_at(kT0 + kDay - 1, kMaxId, kMaxId, "\xff\xff"),  // the highest key of its day
        usage_at(kT0 + kDay, 0, 0, ""),                        // the lowest of the next
        usage_at(kT0 + 2 * kDay, 1, 1, "after"),
    }));
    auto days = [&](std::int32_t from, std::int32_t to) {
        auto rollups = store->list_rollups(from, to);
        require_ok(rollups);
        std::vector<std::int32_t> out;
        for (const Rollup& r : *rollups) out.push_back(r.day);
        return out;
    };
    using Days = std::vector<std::int32_t>;
    BOOST_CHECK(days(kDay0, kDay0) == (Days{kDay0, kDay0}));
    BOOST_CHECK(days(kDay0, kDay0 + 1) == (Days{kDay0, kDay0, kDay0 + 1}));
    BOOST_CHECK(days(kDay0 + 1, kDay0 + 1) == Days{kDay0 + 1});
    BOOST_CHECK(days(kDay0 - 1, kDay0 - 1) == Days{kDay0 - 1});
    BOOST_CHECK(days(kDay0 + 1, kDay0) == Days{});  // an empty range
    BOOST_CHECK(days(kDay0 + 3, kDay0 + 9) == Days{});
    BOOST_CHECK_EQUAL(days(-5, std::numeric_limits<std::int32_t>::max()).size(), 5u);
    BOOST_CHECK(days(-5, -1) == Days{});

    auto day0 = store->list_rollups(kDay0, kDay0);
    require_ok(day0);
    check_rollup((*day0)[0], kDay0, 0, 0, "", 1, 0);
    check_rollup((*day0)[1], kDay0, kMaxId, kMaxId, "\xff\xff", 1, 0);
}

BOOST_AUTO_TEST_CASE(long_model_names_are_cut_in_rollups_only) {
    auto store = open_store(dir);
    std::string model = "a";
    for (int i = 0; i < 500; ++i) model += "\xc3\xa9";  // é: the cut falls inside one
    require_ok(store->record_usage({usage_at(kT0, 1, 1, model)}));
    auto rollups = store->list_rollups(kDay0, kDay0);
    require_ok(rollups);
    BOOST_REQUIRE_EQUAL(rollups->size(), 1u);
    BOOST_CHECK_EQUAL((*rollups)[0].model.size(), 255u);
    BOOST_CHECK_EQUAL((*rollups)[0].model, model.substr(0, 255));
    auto raw = all_usage(*store, kT0, kT0 + kDay, 10);
    BOOST_REQUIRE_EQUAL(raw.size(), 1u);
    BOOST_CHECK_EQUAL(raw[0].client_model, model);
}

BOOST_AUTO_TEST_CASE(for_each_usage_streams_in_time_order) {
    auto store = open_store(dir);
    // Written out of order, three in one millisecond, and across a midnight.
    std::vector<UsageRecord> batch;
    for (int i : {5, 1, 8, 0, 9, 3, 2, 7, 6, 4}) batch.push_back(usage_at(kT0 + i * 1000, i));
    batch.push_back(usage_at(kT0 + 3000, 30));
    batch.push_back(usage_at(kT0 + 3000, 31));
    batch.push_back(usage_at(kT0 + kDay + 5, 99));
    require_ok(store->record_usage(batch));

    std::vector<std::size_t> sizes;
    auto all = all_usage(*store, 0, std::numeric_limits<std::int64_t>::max(), 4, &sizes);
    BOOST_REQUIRE_EQUAL(all.size(), 13u);
    BOOST_CHECK(sizes == (std::vector<std::size_t>{4, 4, 4, 1}));
    std::vector<std::uint64_t> keys;
    for (const UsageRecord& u : all) keys.push_back(u.key_id);
    BOOST_CHECK(keys == (std::vector<std::uint64_t>{0, 1, 2, 3, 30, 31, 4, 5, 6, 7, 8, 9, 99}));
    BOOST_CHECK_EQUAL(all[0].endpoint, "/v1/messages");

    // from_ms is inclusive, to_ms exclusive; a full last batch ends without an empty one.
    sizes.clear();
    auto part = all_usage(*store, kT0 + 2000, kT0 + 4000, 2, &sizes);
    BOOST_REQUIRE_EQUAL(part.size(), 4u);
    BOOST_CHECK_EQUAL(part.front().key_id, 2u);
    BOOST_CHECK_EQUAL(part.back().key_id, 31u);
    BOOST_CHECK(sizes == (std::vector<std::size_t>{2, 2}));
    BOOST_CHECK(all_usage(*store, kT0 + 9001, kT0 + kDay, 5).empty());
    BOOST_CHECK(all_usage(*store, kT0 + 5000, kT0 + 5000, 5).empty());
    BOOST_CHECK_EQUAL(all_usage(*store, kT0 + kDay, kT0 + 2 * kDay, 5).size(), 1u);

    int calls = 0;
    require_ok(store->for_each_usage(0, kT0 + 2 * kDay, 3, [&](std::vector<UsageRecord>& b) {
        ++calls;
        BOOST_CHECK_EQUAL(b.size(), 3u);
        return false;
    }));
    BOOST_CHECK_EQUAL(calls, 1);
    check_error(store->for_each_usage(0, 1, 0, [](std::vector<UsageRecord>&) { return true; }),
                Errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(for_each_usage_holds_no_transaction_across_the_sink) {
    auto store = open_store(dir);
    require_ok(store->record_usage({usage_at(kT0), usage_at(kT0 + 1)}));
    std::vector<std::int64_t> times;
    require_ok(store->for_each_usage(kT0, kT0 + kDay, 1, [&](std::vector<UsageRecord>& b) {
        times.push_back(b[0].time_ms);
        // A write from the sink: the next batch, in a new transaction, sees it.
        if (times.size() == 1) BOOST_CHECK(store->record_usage({usage_at(kT0 + 2)}).ok());
        return true;
    }));
    BOOST_CHECK(times == (std::vector<std::int64_t>{kT0, kT0 + 1, kT0 + 2}));
}

BOOST_AUTO_TEST_CASE(drop_usage_before_spans_several_transactions) {
    auto store = open_store(dir, 64 * kMiB, 256 * kMiB);
    // 25 000 records before the cut: three retention transactions of at most 10 000.
    std::vector<UsageRecord> batch;
    for (int i = 0; i < 12000; ++i) batch.push_back(usage_at(kT0 + i, 1));
    for (int i = 0; i < 13000; ++i) batch.push_back(usage_at(kT0 + kDay + i, 2));
    for (int i = 0; i < 5; ++i) batch.push_back(usage_at(kT0 + 2 * kDay + i, 3));
    require_ok(store->record_usage(batch));

    auto none = store->drop_usage_before(kDay0);
    require_ok(none);
    BOOST_CHECK_EQUAL(*none, 0u);
    auto dropped = store->drop_usage_before(kDay0 + 2);
    require_ok(dropped);
    BOOST_CHECK_EQUAL(*dropped, 25000u);
    auto left = all_usage(*store, 0, std::numeric_limits<std::int64_t>::max(), 100);
    BOOST_REQUIRE_EQUAL(left.size(), 5u);
    BOOST_CHECK_EQUAL(left.front().time_ms, kT0 + 2 * kDay);  // the cut day itself stays

    auto again = store->drop_usage_before(kDay0 + 2);
    require_ok(again);
    BOOST_CHECK_EQUAL(*again, 0u);
    auto rollups = store->list_rollups(kDay0, kDay0 + 2);
    require_ok(rollups);
    BOOST_REQUIRE_EQUAL(rollups->size(), 3u);
    BOOST_CHECK_EQUAL((*rollups)[0].requests, 12000);
    BOOST_CHECK_EQUAL((*rollups)[1].requests, 13000);
    BOOST_CHECK_EQUAL((*rollups)[2].requests, 5);
}

BOOST_AUTO_TEST_CASE(audit_lists_the_newest_entries_oldest_first) {
    auto entry = [](std::int64_t at_ms, const std::string& command) {
        return AuditEntry{.at_ms = at_ms,
                          .actor = "key:1",
                          .command = command,
                          .args_json = R"({"name":"x"})",
                          .before_json = "null",
                          .after_json = R"({"enabled":false})"};
    };
    auto commands = [](const std::vector<AuditEntry>& entries) {
        std::vector<std::string> out;
        for (const AuditEntry& e : entries) out.push_back(e.command);
        return out;
    };
    using Commands = std::vector<std::string>;
    {
        auto store = open_store(dir);
        auto empty = store->list_audit(10);
        require_ok(empty);
        BOOST_CHECK(empty->empty());
        require_ok(store->append_audit(entry(3000, "c")));
        require_ok(store->append_audit(entry(1000, "a")));  // a clock that stepped back
        require_ok(store->append_audit(entry(3000, "d")));  // the same millisecond
    }
    auto store = open_store(dir);
    // A new process starts its sequence again: the probe keeps "c" and "d".
    require_ok(store->append_audit(entry(3000, "e")));
    require_ok(store->append_audit(entry(4000, "f")));

    auto all = store->list_audit(100);
    require_ok(all);
    BOOST_CHECK(commands(*all) == (Commands{"a", "c", "d", "e", "f"}));
    BOOST_CHECK_EQUAL((*all)[0].at_ms, 1000);
    BOOST_CHECK_EQUAL((*all)[0].actor, "key:1");
    BOOST_CHECK_EQUAL((*all)[0].args_json, R"({"name":"x"})");
    BOOST_CHECK_EQUAL((*all)[0].after_json, R"({"enabled":false})");
    auto newest = store->list_audit(3);
    require_ok(newest);
    BOOST_CHECK(commands(*newest) == (Commands{"d", "e", "f"}));
    auto none = store->list_audit(0);
    require_ok(none);
    BOOST_CHECK(none->empty());
}

// A store from before rollups and audit: LMDB creates the missing databases on open.
BOOST_AUTO_TEST_CASE(a_store_without_the_new_databases_opens) {
    const char* old_names[] = {"meta",       "accounts", "tokens", "keys",
                               "key_hashes", "usage",    "health"};
    std::filesystem::create_directory(dir);
    MDB_env* env = nullptr;
    BOOST_REQUIRE_EQUAL(mdb_env_create(&env), 0);
    BOOST_REQUIRE_EQUAL(mdb_env_set_maxdbs(env, 7), 0);
    BOOST_REQUIRE_EQUAL(mdb_env_open(env, dir.c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    BOOST_REQUIRE_EQUAL(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbis[7] = {};
    for (int i = 0; i < 7; ++i)
        BOOST_REQUIRE_EQUAL(mdb_dbi_open(txn, old_names[i], MDB_CREATE, &dbis[i]), 0);
    auto put = [&](MDB_dbi dbi, std::string key, std::string value) {
        MDB_val k{key.size(), key.data()};
        MDB_val v{value.size(), value.data()};
        BOOST_REQUIRE_EQUAL(mdb_put(txn, dbi, &k, &v, 0), 0);
    };
    put(dbis[0], "schema_version", big_endian(1, 8));
    UsageRecord old = usage_at(kT0 + 10, 7);
    put(dbis[5], big_endian(kDay0, 4) + big_endian(kT0 + 10, 8) + big_endian(0, 4),
        encode_usage(old));
    BOOST_REQUIRE_EQUAL(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    auto store = open_store(dir);
    require_ok(store->record_usage({usage_at(kT0 + 20, 8)}));
    auto usage = all_usage(*store, kT0, kT0 + kDay, 10);
    BOOST_REQUIRE_EQUAL(usage.size(), 2u);
    BOOST_CHECK_EQUAL(usage[0].key_id, 7u);
    BOOST_CHECK_EQUAL(usage[1].key_id, 8u);
    // Rollups start with the records written after the upgrade.
    auto rollups = store->list_rollups(kDay0, kDay0);
    require_ok(rollups);
    BOOST_REQUIRE_EQUAL(rollups->size(), 1u);
    BOOST_CHECK_EQUAL((*rollups)[0].key_id, 8u);
    require_ok(store->append_audit(AuditEntry{.at_ms = 1, .command = "upgrade"}));
    auto audit = store->list_audit(5);
    require_ok(audit);
    BOOST_CHECK_EQUAL(audit->size(), 1u);
}

// Copies A's secrets.key into a new store's directory, as store copy does for an LMDB file.
std::unique_ptr<Store> open_store_sharing_key(const std::string& from, const std::string& dir) {
    BOOST_REQUIRE(std::filesystem::create_directory(dir));
    std::filesystem::copy_file(from + "/secrets.key", dir + "/secrets.key");
    return open_store(dir);
}

// A store with one of every kind of record, and the cases a copy could get wrong: a removed
// account (its id must not come back), records of the same millisecond, bytes that are not
// UTF-8 in a model name.
void fill_every_kind(Store& store) {
    require_ok(store.add_account(make_account("gone"), make_credentials("g"), 10));
    auto kept = store.add_account(make_account("kept"), make_credentials("k"), 11);
    require_ok(kept);
    require_ok(store.remove_account(1));
    AccountHealth health;
    health.state = HealthState::quarantined;
    health.reason = "suspended";
    health.events.push_back(HealthEvent{.at_ms = 5, .to = HealthState::quarantined});
    require_ok(store.put_health(kept->id, health));
    require_ok(store.add_key(make_key("ci", generate_api_key()), 12));
    std::string odd_model("m\0\xff", 3);
    require_ok(store.record_usage(
        {usage_at(kT0, 1, 2), usage_at(kT0, 1, 2, odd_model), usage_at(kT0 + kDay, 1, 2)}));
    require_ok(store.count_dropped_usage(4));
    require_ok(store.append_audit(AuditEntry{.at_ms = 7, .actor = "a", .command = "one"}));
    require_ok(store.append_audit(AuditEntry{.at_ms = 7, .actor = "a", .command = "two"}));
}

BOOST_AUTO_TEST_CASE(every_record_moves_to_a_new_store) {
    auto source = open_store(dir);
    fill_every_kind(*source);
    auto target = open_store_sharing_key(dir, root + "/copy");
    auto importer = target->importer();
    require_ok(importer);
    CountingSink counting(**importer);
    require_ok(source->export_records(counting));
    auto stored = counting.finish();
    require_ok(stored);
    BOOST_CHECK_EQUAL(count_differences(counting.counted(), *stored), "");
    BOOST_CHECK_EQUAL(stored->accounts, 1u);
    BOOST_CHECK_EQUAL(stored->counters, 3u);  // two id counters, the dropped usage
    BOOST_CHECK_EQUAL(stored->usage, 3u);
    BOOST_CHECK_EQUAL(stored->rollups, 3u);
    BOOST_CHECK_EQUAL(stored->audit, 2u);
    auto held = source->record_counts();
    require_ok(held);
    BOOST_CHECK(*held == *stored);

    auto accounts = target->list_accounts();
    require_ok(accounts);
    BOOST_REQUIRE_EQUAL(accounts->size(), 1u);
    check_same((*accounts)[0], *source->get_account(2));
    auto credentials = target->get_credentials(2);  // opens with the shared key
    require_ok(credentials);
    check_same(*credentials, make_credentials("k"));
    auto health = target->list_health();
    require_ok(health);
    BOOST_CHECK(health->at(2).state == HealthState::quarantined);
    BOOST_CHECK_EQUAL(health->at(2).events.size(), 1u);
    auto keys = source->list_keys();
    require_ok(keys);
    auto by_hash = target->find_key_by_hash((*keys)[0].secret_hash);
    require_ok(by_hash);
    check_same(*by_hash, (*keys)[0]);
    auto usage = all_usage(*target, 0, kT0 + 2 * kDay, 10);
    BOOST_REQUIRE_EQUAL(usage.size(), 3u);
    BOOST_CHECK_EQUAL(usage[1].client_model, std::string("m\0\xff", 3));
    BOOST_CHECK_EQUAL(usage[2].time_ms, kT0 + kDay);
    auto rollups = target->list_rollups(kDay0, kDay0 + 1);
    require_ok(rollups);
    BOOST_CHECK_EQUAL(rollups->size(), 3u);
    auto audit = target->list_audit(10);
    require_ok(audit);
    BOOST_REQUIRE_EQUAL(audit->size(), 2u);
    BOOST_CHECK_EQUAL((*audit)[0].command, "one");
    BOOST_CHECK_EQUAL((*audit)[1].command, "two");
    BOOST_CHECK_EQUAL(*target->dropped_usage(), 4u);
    // The counters came along: a removed account's id is not handed out again.
    auto next = target->add_account(make_account("new"), make_credentials("n"), 20);
    require_ok(next);
    BOOST_CHECK_EQUAL(next->id, 3u);
}

// A daemon stopping raises the flag: the copy ends at the next record.
BOOST_AUTO_TEST_CASE(a_raised_cancel_stops_a_copy_at_the_next_record) {
    auto source = open_store(dir);
    fill_every_kind(*source);
    auto target = open_store_sharing_key(dir, root + "/copy");
    auto importer = target->importer();
    require_ok(importer);
    std::atomic<bool> cancel{true};
    CountingSink counting(**importer, &cancel);
    check_error(source->export_records(counting), Errc::unavailable);
    BOOST_CHECK(counting.counted() == RecordCounts{});
}

BOOST_AUTO_TEST_CASE(records_are_imported_only_into_an_empty_store) {
    auto store = open_store(dir);
    require_ok(store->add_key(make_key("ci", generate_api_key()), 1));
    check_error(store->importer(), Errc::conflict);
}

BOOST_AUTO_TEST_CASE(credentials_sealed_with_another_key_fail_the_import) {
    auto source = open_store(dir);
    require_ok(source->add_account(make_account("a"), make_credentials("a"), 1));
    auto target = open_store(root + "/other");  // a key of its own
    auto importer = target->importer();
    require_ok(importer);
    require_ok(source->export_records(**importer));
    check_error((*importer)->finish(), Errc::internal);
}

BOOST_AUTO_TEST_CASE(count_differences_names_what_differs) {
    RecordCounts read{.accounts = 2, .usage = 10};
    BOOST_CHECK_EQUAL(count_differences(read, read), "");
    RecordCounts stored{.accounts = 2, .usage = 9, .audit = 1};
    BOOST_CHECK_EQUAL(count_differences(read, stored),
                      "usage 10 read, 9 stored; audit 0 read, 1 stored");
}

// A sink that stops at the first account until released: a copy in progress on its thread.
class HeldSink : public CountingSink {
public:
    explicit HeldSink(RecordSink& target) : CountingSink(target) {}
    Status account(const Account& a) override {
        inside.set_value();
        release.get_future().wait();
        return CountingSink::account(a);
    }
    std::promise<void> inside;
    std::promise<void> release;
};

// Remapping the map under another thread's read transaction would pull its pages away: the
// write that needs room waits for the reader instead, and then gets it.
BOOST_AUTO_TEST_CASE(the_map_does_not_grow_under_a_copy) {
    auto store = open_store(dir, kMiB, 64 * kMiB);
    require_ok(store->add_account(make_account("first"), make_credentials("f"), 1));
    auto target = open_store_sharing_key(dir, root + "/copy");
    auto importer = target->importer();
    require_ok(importer);
    HeldSink held(**importer);
    Status exported;
    std::thread copy([&] { exported = store->export_records(held); });
    held.inside.get_future().wait();
    Account big = make_account("big");
    big.notes.assign(kMiB, 'n');
    auto refused = store->add_account(big, make_credentials("b"), 2);
    check_error(refused, Errc::unavailable);
    held.release.set_value();
    copy.join();
    require_ok(exported);
    require_ok(store->add_account(big, make_credentials("b"), 2));
}

BOOST_AUTO_TEST_SUITE_END()
