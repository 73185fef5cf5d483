#define BOOST_TEST_MODULE daemon_listen_socket
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <string>

#include "daemon/listen_socket.hpp"

using amq::resolve_listen_address;

BOOST_AUTO_TEST_CASE(numeric_addresses_stay_as_written) {
    auto v4 = resolve_listen_address("127.0.0.1:8080");
    BOOST_REQUIRE(v4.ok());
    BOOST_TEST(v4->address.ss_family == AF_INET);
    BOOST_TEST(v4->numeric == "127.0.0.1:8080");
    auto v6 = resolve_listen_address("[::1]:8443");
    BOOST_REQUIRE(v6.ok());
    BOOST_TEST(v6->address.ss_family == AF_INET6);
    BOOST_TEST(v6->numeric == "[::1]:8443");
}

BOOST_AUTO_TEST_CASE(localhost_resolves_to_its_ipv4_address) {
    auto local = resolve_listen_address("localhost:8080");
    BOOST_REQUIRE(local.ok());
    BOOST_TEST(local->numeric == "127.0.0.1:8080");
}

BOOST_AUTO_TEST_CASE(a_malformed_address_is_an_error) {
    auto bad = resolve_listen_address("localhost");
    BOOST_REQUIRE(!bad.ok());
    BOOST_TEST((bad.error().code == amq::Errc::invalid_argument));
}
