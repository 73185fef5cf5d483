#define BOOST_TEST_MODULE common_client_address
#include <boost/test/unit_test.hpp>

#include "common/client_address.hpp"

using amq::client_address;
using amq::TrustedProxies;

namespace {

TrustedProxies trusted(std::string_view list) {
    auto parsed = TrustedProxies::parse(list);
    if (!parsed) BOOST_FAIL(parsed.error().message);
    return std::move(parsed).value();
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_addresses_and_networks_of_both_families) {
    TrustedProxies t = trusted(" 127.0.0.1, ::1 ,10.0.0.0/8, fd00::/8, 192.168.1.128/25");
    BOOST_TEST(t.contains("127.0.0.1"));
    BOOST_TEST(!t.contains("127.0.0.2"));
    BOOST_TEST(t.contains("::1"));
    BOOST_TEST(t.contains("[::1]"));
    BOOST_TEST(t.contains("10.200.3.4"));
    BOOST_TEST(t.contains("fd12::5"));
    BOOST_TEST(!t.contains("fe80::1"));
    BOOST_TEST(t.contains("192.168.1.200"));
    BOOST_TEST(!t.contains("192.168.1.100"));
    BOOST_TEST(!t.contains("not an address"));
    BOOST_TEST(trusted("").empty());
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_an_address) {
    for (std::string_view bad : {"localhost", "10.0.0.0/33", "::1/129", "1.2.3.4/x", "1.2.3"}) {
        auto parsed = TrustedProxies::parse(bad);
        BOOST_REQUIRE(!parsed.ok());
        BOOST_TEST(parsed.error().message.find("trusted-proxies") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(an_untrusted_peer_is_the_client_whatever_it_forwards) {
    TrustedProxies t = trusted("127.0.0.1");
    BOOST_TEST(client_address("203.0.113.9", "1.2.3.4", t) == "203.0.113.9");
    BOOST_TEST(client_address("127.0.0.1", std::nullopt, t) == "127.0.0.1");
    BOOST_TEST(client_address("127.0.0.1", "1.2.3.4", TrustedProxies()) == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(a_trusted_proxy_names_the_right_most_untrusted_hop) {
    TrustedProxies t = trusted("127.0.0.1, 10.0.0.0/8");
    BOOST_TEST(client_address("127.0.0.1", "198.51.100.7", t) == "198.51.100.7");
    // The client wrote the first entry itself; the proxies appended the rest.
    BOOST_TEST(client_address("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.1.1", t) == "198.51.100.7");
    BOOST_TEST(client_address("127.0.0.1", "[2001:db8::1]", t) == "2001:db8::1");
    BOOST_TEST(client_address("127.0.0.1", "10.0.0.2, 10.0.0.3", t) == "10.0.0.2");
    // Garbage stops the walk at the last address that parsed.
    BOOST_TEST(client_address("127.0.0.1", "198.51.100.7, junk, 10.1.1.1", t) == "10.1.1.1");
    BOOST_TEST(client_address("127.0.0.1", "junk", t) == "127.0.0.1");
}
