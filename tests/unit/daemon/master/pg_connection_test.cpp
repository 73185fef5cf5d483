#define BOOST_TEST_MODULE pg_connection
#include <boost/test/unit_test.hpp>

#include "daemon/master/pg_connection.hpp"

using namespace amq;

BOOST_AUTO_TEST_CASE(urls_and_key_value_pairs_name_databases) {
    for (const char* address :
         {"postgresql://amq@db.internal/amq2api", "postgres://db:5433/x?sslmode=require",
          "host=db.internal dbname=amq2api user=amq"}) {
        auto is = is_database_address(address);
        BOOST_REQUIRE_MESSAGE(is.ok(), address);
        BOOST_CHECK_MESSAGE(*is, address);
    }
}

BOOST_AUTO_TEST_CASE(paths_are_files) {
    for (const char* path : {"/var/backups/amq2api.mdb", "copy.mdb", "./a=b.mdb", "/tmp/a=b"}) {
        auto is = is_database_address(path);
        BOOST_REQUIRE(is.ok());
        BOOST_CHECK_MESSAGE(!*is, path);
    }
}

BOOST_AUTO_TEST_CASE(a_password_in_the_address_is_refused) {
    for (const char* address : {"postgresql://amq:hunter2@db/amq2api", "host=db password=hunter2",
                                "postgresql://amq@db/amq2api?password=hunter2"}) {
        auto is = is_database_address(address);
        BOOST_REQUIRE_MESSAGE(!is.ok(), address);
        BOOST_CHECK_EQUAL(errc_name(is.error().code), errc_name(Errc::invalid_argument));
        BOOST_CHECK_EQUAL(is.error().message.find("hunter2"), std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(a_malformed_address_is_refused) {
    for (const char* address :
         {"postgresql://db/x?nosuchoption=1", "host='unterminated", "postgresql://[::1/x"}) {
        auto is = is_database_address(address);
        BOOST_REQUIRE_MESSAGE(!is.ok(), address);
        BOOST_CHECK_EQUAL(errc_name(is.error().code), errc_name(Errc::invalid_argument));
    }
}
