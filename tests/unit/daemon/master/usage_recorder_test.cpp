#define BOOST_TEST_MODULE daemon_master_usage_recorder
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "daemon/event.hpp"
#include "daemon/master/usage_recorder.hpp"
#include "tests/unit/support/store_fixture.hpp"

using namespace amq;
using namespace amq::test;

namespace {

UsageRecord usage(std::int64_t time_ms) {
    UsageRecord u;
    u.time_ms = time_ms;
    u.key_id = 1;
    u.endpoint = "/v1/messages";
    u.status = 200;
    u.output_tokens = 20;
    return u;
}

struct Fixture {
    TempDir tmp;
    std::unique_ptr<Store> store = open_store(tmp.dir);
    EventBasePtr base = make_event_base();
    std::string path = tmp.root + "/usage.journal";

    UsageJournal journal() {
        auto j = UsageJournal::open(path);
        require_ok(j);
        return std::move(j).value();
    }
    std::vector<UsageRecord> stored() {
        std::vector<UsageRecord> all;
        require_ok(store->for_each_usage(0, INT64_MAX, 100, [&](std::vector<UsageRecord>& batch) {
            all.insert(all.end(), batch.begin(), batch.end());
            return true;
        }));
        return all;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(records_are_journaled_until_their_batch_is_stored, Fixture) {
    UsageRecorder recorder(base.get(), *store, journal());
    recorder.record(usage(1000));
    recorder.record(usage(2000));
    auto read = journal().read();
    require_ok(read);
    BOOST_REQUIRE_EQUAL(read->entries.size(), 2u);
    BOOST_CHECK_EQUAL(read->entries[1].sequence, 2u);
    BOOST_CHECK(stored().empty());

    recorder.flush();
    BOOST_CHECK_EQUAL(stored().size(), 2u);
    read = journal().read();
    require_ok(read);
    BOOST_CHECK(read->entries.empty());
    auto through = store->journaled_through();
    require_ok(through);
    BOOST_CHECK_EQUAL(*through, 2u);
}

// A run killed after its batch was stored but before the journal was emptied left entries
// the store has: only those beyond are stored, once.
BOOST_FIXTURE_TEST_CASE(a_killed_run_leaves_nothing_lost_and_nothing_twice, Fixture) {
    require_ok(store->record_usage({usage(1000)}, 1));
    {
        UsageJournal left = journal();
        for (std::uint64_t seq = 1; seq <= 3; ++seq)
            require_ok(left.append(encode_journal_entry(seq, usage(seq * 1000))));
        require_ok(left.append("\x00\x00\x01"));  // torn by the kill
    }
    {
        UsageRecorder recorder(base.get(), *store, journal());
        auto recovered = recorder.recover();
        require_ok(recovered);
        BOOST_CHECK_EQUAL(*recovered, 2u);
        std::vector<UsageRecord> all = stored();
        BOOST_REQUIRE_EQUAL(all.size(), 3u);
        BOOST_CHECK(all[2] == usage(3000));
        recorder.record(usage(4000));  // numbered after what the journal held
        recorder.flush();
    }
    auto through = store->journaled_through();
    require_ok(through);
    BOOST_CHECK_EQUAL(*through, 4u);
    UsageRecorder again(base.get(), *store, journal());
    auto recovered = again.recover();
    require_ok(recovered);
    BOOST_CHECK_EQUAL(*recovered, 0u);
    BOOST_CHECK_EQUAL(stored().size(), 4u);
}
