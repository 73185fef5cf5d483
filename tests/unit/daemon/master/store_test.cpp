#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "common/crypto.hpp"
#include "daemon/master/lmdb.hpp"
#include "daemon/master/store.hpp"

using namespace amq;

namespace {

constexpr std::uint64_t kMiB = 1ull << 20;

// Every test case gets a fresh directory under /tmp, removed with its contents at the end.
// The store's own directory is a child that Store::open has to create.
struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/amq-store-test-XXXXXX";
        if (!::mkdtemp(pattern)) std::abort();
        root = pattern;
        dir = root + "/state";
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(root, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string root;
    std::string dir;
};

// Boost.Test builds a message even when the check passes: only ask a failure for its error.
template <class T>
std::string why(const Result<T>& r) {
    return r.ok() ? std::string() : r.error().message;
}

std::unique_ptr<Store> open_store(const std::string& dir, std::uint64_t initial = kMiB,
                                  std::uint64_t max = 64 * kMiB) {
    auto store =
        Store::open(StoreOptions{.dir = dir, .max_map_size = max, .initial_map_size = initial});
    BOOST_REQUIRE_MESSAGE(store.ok(), why(store));
    return std::move(store).value();
}

template <class T>
void require_ok(const Result<T>& r) {
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
}

template <class T>
void check_error(const Result<T>& r, Errc code, const std::string& message = {}) {
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(errc_name(r.error().code), errc_name(code));
    if (!message.empty()) BOOST_CHECK_EQUAL(r.error().message, message);
}

Account make_account(const std::string& name) {
    Account a;
    a.name = name;
    a.client_id = "client-" + name;
    a.profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/" + name;
    a.requests_per_minute = 7;
    a.notes = "notes of " + name;
    return a;
}

AccountCredentials make_credentials(const std::string& tag) {
    return AccountCredentials{.refresh_token = "refresh-" + tag + "-7f3c9a1e5b2d",
                              .client_secret = "secret-" + tag + "-4e8a0c6b2f1d",
                              .access_token = "access-" + tag + "-9b1d3f5a7c0e",
                              .access_expires_at = 1700003600};
}

ApiKey make_key(const std::string& name, const NewApiKey& generated) {
    ApiKey k;
    k.name = name;
    k.description = "key " + name;
    k.secret_hash = generated.hash;
    k.display = generated.display;
    k.requests_per_day = 500;
    return k;
}

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
    BOOST_CHECK_EQUAL(store->path(), dir);
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

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused) {
    {
        auto env = LmdbEnv::open(LmdbOptions{dir, kMiB, 64 * kMiB});
        require_ok(env);
        const std::string two("\0\0\0\0\0\0\0\2", 8);
        require_ok((*env)->write(
            [&](WriteTxn& txn) { return txn.put(Db::meta, "schema_version", two); }));
    }
    auto store = Store::open(StoreOptions{.dir = dir});
    check_error(store, Errc::internal);
    BOOST_CHECK_NE(store.error().message.find("newer"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
