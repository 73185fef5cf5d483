#define BOOST_TEST_MODULE store_shared
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "daemon/master/secret_key.hpp"
#include "daemon/master/store.hpp"
#include "tests/unit/support/store_fixture.hpp"

using namespace amq;
using namespace amq::test;

namespace {

// A second host's store: its own directory, the first one's secrets.key.
struct TwoHosts {
    TempDir first_dir;
    TempDir second_dir;
    std::unique_ptr<Store> first = open_store(first_dir.dir);
    std::unique_ptr<Store> second = with_key_of(first_dir, second_dir);

    static std::unique_ptr<Store> with_key_of(const TempDir& from, const TempDir& to) {
        std::filesystem::create_directories(to.dir);
        std::filesystem::copy_file(from.dir + "/" + std::string(kSecretKeyFile),
                                   to.dir + "/" + std::string(kSecretKeyFile));
        return open_store(to.dir);
    }

    // What the first store changed, as the database would hand it to the second.
    SharedChanges changed(std::uint64_t rev) {
        auto read = first->read_shared(first->take_shared_changes());
        BOOST_REQUIRE_MESSAGE(read.ok(), why(read));
        read->rev = rev;
        return std::move(read).value();
    }
};

UsageRecord usage(std::int64_t time_ms) {
    UsageRecord u;
    u.time_ms = time_ms;
    u.key_id = 1;
    u.account_id = 1;
    u.endpoint = "/v1/messages";
    u.client_model = "claude-sonnet-4";
    u.status = 200;
    u.input_tokens = 10;
    u.output_tokens = 20;
    return u;
}

}  // namespace

BOOST_AUTO_TEST_CASE(what_this_host_changes_is_noted_and_nothing_else) {
    TempDir dir;
    auto store = open_store(dir.dir);
    int told = 0;
    store->on_shared_change([&] { ++told; });
    auto account = store->add_account(make_account("a"), make_credentials("a"), 1700000000);
    require_ok(account);
    auto key = store->add_key(make_key("k", generate_api_key()), 1700000000);
    require_ok(key);
    require_ok(store->put_health(account->id, AccountHealth{}));
    std::set<SharedRef> expected{{SharedKind::account, account->id},
                                 {SharedKind::credentials, account->id},
                                 {SharedKind::health, account->id},
                                 {SharedKind::key, key->id}};
    BOOST_CHECK(store->take_shared_changes() == expected);
    BOOST_CHECK_GE(told, 4);
    // A request's last use of its key is each host's own.
    require_ok(store->record_usage({usage(1700000000000)}));
    BOOST_CHECK(!store->has_shared_changes());
}

BOOST_AUTO_TEST_CASE(the_database_records_are_applied_to_another_store) {
    TwoHosts hosts;
    auto account = hosts.first->add_account(make_account("a"), make_credentials("a"), 1700000000);
    require_ok(account);
    auto key = hosts.first->add_key(make_key("k", generate_api_key()), 1700000000);
    require_ok(key);
    require_ok(hosts.second->apply_shared(hosts.changed(7), "db-1"));
    BOOST_CHECK(!hosts.second->has_shared_changes());
    auto copied = hosts.second->get_account(account->id);
    require_ok(copied);
    BOOST_CHECK_EQUAL(copied->name, "a");
    auto credentials = hosts.second->get_credentials(account->id);
    require_ok(credentials);
    BOOST_CHECK_EQUAL(credentials->refresh_token, make_credentials("a").refresh_token);
    require_ok(hosts.second->find_key_by_hash(key->secret_hash));
    auto mirror = hosts.second->mirror();
    require_ok(mirror);
    BOOST_CHECK_EQUAL(mirror->origin, "db-1");
    BOOST_CHECK_EQUAL(mirror->rev, 7u);
    // The counters come along: the next id is the same on both hosts.
    auto next = hosts.second->add_key(make_key("k2", generate_api_key()), 1700000000);
    require_ok(next);
    BOOST_CHECK_EQUAL(next->id, key->id + 1);
    // A removal is applied as one.
    require_ok(hosts.first->remove_key(key->id));
    require_ok(hosts.second->apply_shared(hosts.changed(8), "db-1"));
    check_error(hosts.second->find_key_by_hash(key->secret_hash), Errc::not_found);
}

BOOST_AUTO_TEST_CASE(a_complete_read_removes_what_the_database_does_not_hold) {
    TwoHosts hosts;
    require_ok(hosts.second->add_account(make_account("stale"), make_credentials("s"), 1));
    auto kept = hosts.first->add_account(make_account("kept"), make_credentials("k"), 1);
    require_ok(kept);
    SharedChanges all = hosts.changed(3);
    all.complete = true;
    require_ok(hosts.second->apply_shared(all, "db-1"));
    auto accounts = hosts.second->list_accounts();
    require_ok(accounts);
    BOOST_REQUIRE_EQUAL(accounts->size(), 1u);
    BOOST_CHECK_EQUAL(accounts->front().name, "kept");
}

BOOST_AUTO_TEST_CASE(credentials_under_another_secrets_key_are_refused_whole) {
    TempDir first_dir, other_dir;
    auto first = open_store(first_dir.dir);
    auto other = open_store(other_dir.dir);  // a key of its own
    require_ok(first->add_account(make_account("a"), make_credentials("a"), 1));
    auto changes = first->read_shared(first->take_shared_changes());
    require_ok(changes);
    Status applied = other->apply_shared(*changes, "db-1");
    BOOST_REQUIRE(!applied.ok());
    BOOST_CHECK_NE(applied.error().message.find("secrets.key"), std::string::npos);
    auto accounts = other->list_accounts();
    require_ok(accounts);
    BOOST_CHECK(accounts->empty());
}

BOOST_AUTO_TEST_CASE(a_key_keeps_the_later_last_use_of_either_host) {
    TwoHosts hosts;
    auto key = hosts.first->add_key(make_key("k", generate_api_key()), 1);
    require_ok(key);
    require_ok(hosts.second->apply_shared(hosts.changed(1), "db-1"));
    require_ok(hosts.second->record_key_uses({{key->id, 5000}}));
    ApiKey changed = *key;
    changed.description = "changed on the first host";
    require_ok(hosts.first->update_key(changed, 2));
    require_ok(hosts.second->apply_shared(hosts.changed(2), "db-1"));
    auto got = hosts.second->get_key(key->id);
    require_ok(got);
    BOOST_CHECK_EQUAL(got->description, "changed on the first host");
    BOOST_CHECK_EQUAL(got->last_used_at, 5000);
}

BOOST_AUTO_TEST_CASE(usage_waits_in_the_outbox_and_sequences_are_never_reused) {
    TempDir dir;
    auto store = open_store(dir.dir);
    require_ok(store->record_usage({usage(1000)}));  // before sharing: not kept
    store->share_records();
    require_ok(store->record_usage({usage(2000), usage(3000), usage(4000)}));
    auto out = store->outbox(10);
    require_ok(out);
    BOOST_REQUIRE_EQUAL(out->size(), 3u);
    BOOST_CHECK_EQUAL((*out)[0].seq, 1u);
    BOOST_CHECK_EQUAL((*out)[2].record.time_ms, 4000);
    require_ok(store->clear_outbox(3));
    auto left = store->outbox_size();
    require_ok(left);
    BOOST_CHECK_EQUAL(*left, 0u);
    require_ok(store->record_usage({usage(5000)}));
    out = store->outbox(10);
    require_ok(out);
    BOOST_REQUIRE_EQUAL(out->size(), 1u);
    BOOST_CHECK_EQUAL(out->front().seq, 4u);
    // Other hosts' records are counted here, never sent back.
    require_ok(store->apply_usage({usage(6000), usage(7000)}, 42));
    left = store->outbox_size();
    require_ok(left);
    BOOST_CHECK_EQUAL(*left, 1u);
    auto mirror = store->mirror();
    require_ok(mirror);
    BOOST_CHECK_EQUAL(mirror->usage_cursor, 42u);
    auto rollups = store->list_rollups(0, 1);
    require_ok(rollups);
    BOOST_REQUIRE_EQUAL(rollups->size(), 1u);
    BOOST_CHECK_EQUAL(rollups->front().requests, 7);
}

BOOST_AUTO_TEST_CASE(what_makes_a_store_a_mirror_is_never_copied) {
    TwoHosts hosts;
    require_ok(hosts.first->add_account(make_account("a"), make_credentials("a"), 1));
    require_ok(hosts.second->apply_shared(hosts.changed(5), "db-1"));
    require_ok(hosts.second->host_id());
    hosts.second->share_records();
    require_ok(hosts.second->record_usage({usage(1000)}));
    auto counts = hosts.second->record_counts();
    require_ok(counts);
    BOOST_CHECK_EQUAL(counts->counters, 1u);  // next_account_id
    auto id = hosts.second->host_id();
    require_ok(id);
    auto again = hosts.second->host_id();
    require_ok(again);
    BOOST_CHECK_EQUAL(*id, *again);
}

BOOST_AUTO_TEST_CASE(audit_entries_are_noted_only_when_shared_and_others_are_applied_unnoted) {
    TempDir dir;
    auto store = open_store(dir.dir);
    AuditEntry entry{.at_ms = 1700000000123, .actor = "uid 0", .command = "key.create"};
    require_ok(store->append_audit(entry));
    BOOST_CHECK(!store->has_shared_audit());  // a store of its own keeps nothing for later
    store->share_records();
    require_ok(store->append_audit(entry));  // the same millisecond: the next sequence
    auto taken = store->take_shared_audit();
    require_ok(taken);
    BOOST_REQUIRE_EQUAL(taken->size(), 1u);
    BOOST_CHECK_EQUAL(taken->front().seq, 1u);
    BOOST_CHECK_EQUAL(taken->front().entry.command, "key.create");
    BOOST_CHECK(!store->has_shared_audit());
    store->return_shared_audit(*taken);
    BOOST_CHECK(store->has_shared_audit());
    (void)store->take_shared_audit();
    AuditEntry other{.at_ms = 1700000000500, .actor = "uid 0", .command = "account.add"};
    require_ok(store->apply_audit({other}, 9));
    BOOST_CHECK(!store->has_shared_audit());
    auto mirror = store->mirror();
    require_ok(mirror);
    BOOST_CHECK_EQUAL(mirror->audit_cursor, 9u);
    auto listed = store->list_audit(10);
    require_ok(listed);
    BOOST_REQUIRE_EQUAL(listed->size(), 3u);
    BOOST_CHECK_EQUAL(listed->back().command, "account.add");
}
