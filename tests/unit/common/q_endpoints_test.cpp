#define BOOST_TEST_MODULE common_q_endpoints
#include <boost/test/unit_test.hpp>

#include "common/q_endpoints.hpp"

using namespace amq;

BOOST_AUTO_TEST_CASE(only_region_names_go_into_host_names) {
    for (const char* good : {"us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1"})
        BOOST_TEST(is_region_name(good), good);
    for (const char* bad : {"", "US-EAST-1", "evil.com/x", "us-east-1#", "a b", "x@y",
                            "abcdefghijklmnopqrstuvwxyz0123456"})
        BOOST_TEST(!is_region_name(bad), bad);
}

BOOST_AUTO_TEST_CASE(the_region_fills_every_placeholder) {
    BOOST_TEST(expand_region("https://oidc.{region}.amazonaws.com/token", "eu-west-1") ==
               "https://oidc.eu-west-1.amazonaws.com/token");
    BOOST_TEST(profile_region("arn:aws:codewhisperer:eu-central-1:123:profile/X") ==
               "eu-central-1");
}
