#define BOOST_TEST_MODULE pg_schema
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "daemon/master/pg_schema.hpp"

using namespace amq;

namespace {

int last_version() { return schema_migrations().back().version; }

}  // namespace

BOOST_AUTO_TEST_CASE(migrations_are_numbered_from_one_without_gaps) {
    int expected = 1;
    for (const Migration& m : schema_migrations()) {
        BOOST_CHECK_EQUAL(m.version, expected++);
        BOOST_CHECK(!m.name.empty());
        BOOST_CHECK(!m.sql.empty());
    }
}

BOOST_AUTO_TEST_CASE(a_new_database_lacks_every_migration) {
    auto pending = pending_migrations({});
    BOOST_REQUIRE(pending.ok());
    BOOST_CHECK_EQUAL(pending->size(), schema_migrations().size());
    BOOST_CHECK_EQUAL(pending->front().version, 1);
}

BOOST_AUTO_TEST_CASE(a_current_database_lacks_none) {
    std::set<int> all;
    for (const Migration& m : schema_migrations()) all.insert(m.version);
    auto pending = pending_migrations(all);
    BOOST_REQUIRE(pending.ok());
    BOOST_CHECK(pending->empty());
}

BOOST_AUTO_TEST_CASE(a_database_of_a_newer_amq2api_is_refused) {
    auto pending = pending_migrations({1, last_version() + 1});
    BOOST_REQUIRE(!pending.ok());
    BOOST_CHECK_EQUAL(errc_name(pending.error().code), errc_name(Errc::conflict));
    BOOST_CHECK_NE(pending.error().message.find("newer"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_gap_is_refused) {
    auto pending = pending_migrations({2});
    BOOST_REQUIRE(!pending.ok());
    BOOST_CHECK_NE(pending.error().message.find("lacks migration 1"), std::string::npos);
}
