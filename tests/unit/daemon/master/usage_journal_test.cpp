#define BOOST_TEST_MODULE daemon_master_usage_journal
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>

#include "daemon/master/usage_journal.hpp"
#include "tests/unit/support/store_fixture.hpp"

using namespace amq;
using amq::test::require_ok;
using amq::test::TempDir;

namespace {

UsageRecord usage(std::int64_t time_ms, std::string model = "claude-sonnet-4") {
    UsageRecord u;
    u.time_ms = time_ms;
    u.key_id = 3;
    u.account_id = 2;
    u.endpoint = "/v1/messages";
    u.client_model = std::move(model);
    u.status = 200;
    u.input_tokens = 120;
    u.output_tokens = 45;
    u.request_id = "req-" + std::to_string(time_ms);
    return u;
}

std::string three_entries() {
    return encode_journal_entry(7, usage(1000)) + encode_journal_entry(8, usage(2000, "m\"x")) +
           encode_journal_entry(9, usage(3000));
}

}  // namespace

BOOST_AUTO_TEST_CASE(entries_come_back_as_written) {
    JournalContents read = decode_journal(three_entries());
    BOOST_REQUIRE_EQUAL(read.entries.size(), 3u);
    BOOST_CHECK_EQUAL(read.ignored_bytes, 0u);
    BOOST_CHECK_EQUAL(read.entries[0].sequence, 7u);
    BOOST_CHECK_EQUAL(read.entries[2].sequence, 9u);
    BOOST_CHECK(read.entries[1].usage == usage(2000, "m\"x"));
    BOOST_CHECK(decode_journal("").entries.empty());
}

// A kill while an entry was written, or a corrupt one, ends the journal there.
BOOST_AUTO_TEST_CASE(a_torn_or_corrupt_entry_ends_the_journal) {
    std::string whole = three_entries();
    std::string first = encode_journal_entry(7, usage(1000));
    std::string two = first + encode_journal_entry(8, usage(2000, "m\"x"));
    std::string torn = whole.substr(0, whole.size() - 3);
    JournalContents read = decode_journal(torn);
    BOOST_CHECK_EQUAL(read.entries.size(), 2u);
    BOOST_CHECK_EQUAL(read.ignored_bytes, torn.size() - two.size());

    std::string flipped = whole;
    flipped[first.size() + 20] ^= 0x01;
    read = decode_journal(flipped);
    BOOST_CHECK_EQUAL(read.entries.size(), 1u);
    BOOST_CHECK_EQUAL(read.ignored_bytes, whole.size() - first.size());

    std::string huge = whole;
    huge[0] = '\x7f';  // a length no entry has
    BOOST_CHECK(decode_journal(huge).entries.empty());
    BOOST_CHECK(decode_journal(std::string(5, '\0')).entries.empty());
    BOOST_CHECK(decode_journal(std::string(16, '\0')).entries.empty());
}

BOOST_AUTO_TEST_CASE(the_file_is_private_appended_to_and_emptied) {
    TempDir tmp;
    std::string path = tmp.root + "/usage.journal";
    {
        auto journal = UsageJournal::open(path);
        require_ok(journal);
        require_ok(journal->append(encode_journal_entry(1, usage(1000))));
        require_ok(journal->append(encode_journal_entry(2, usage(2000))));
    }
    struct stat st {};
    BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
    BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
    auto journal = UsageJournal::open(path);  // a second run finds what the first wrote
    require_ok(journal);
    auto read = journal->read();
    require_ok(read);
    BOOST_REQUIRE_EQUAL(read->entries.size(), 2u);
    BOOST_CHECK(read->entries[1].usage == usage(2000));
    require_ok(journal->clear());
    require_ok(journal->append(encode_journal_entry(3, usage(3000))));
    read = journal->read();
    require_ok(read);
    BOOST_REQUIRE_EQUAL(read->entries.size(), 1u);  // appends start again at the beginning
    BOOST_CHECK_EQUAL(read->entries[0].sequence, 3u);
}
