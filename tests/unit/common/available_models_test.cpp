#define BOOST_TEST_MODULE common_available_models
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/available_models.hpp"

BOOST_AUTO_TEST_CASE(the_path_carries_the_profile_arn_encoded) {
    BOOST_TEST(amq::available_models_path("") == "ListAvailableModels?origin=AI_EDITOR");
    BOOST_TEST(amq::available_models_path("arn:aws:x:1/P") ==
               "ListAvailableModels?origin=AI_EDITOR&profileArn=arn%3Aaws%3Ax%3A1%2FP");
}

BOOST_AUTO_TEST_CASE(the_ids_are_read_in_order_and_unfit_ones_dropped) {
    auto ids = amq::parse_available_models(
        200, R"({"models":[{"modelId":"claude-sonnet-4.5","modelName":"Sonnet"},{"x":1},
                 {"modelId":"bad\u0001id"},{"modelId":"claude-opus-4.6"}],"nextToken":null})");
    BOOST_REQUIRE(ids.ok());
    BOOST_TEST(*ids == (std::vector<std::string>{"claude-sonnet-4.5", "claude-opus-4.6"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(refusals_and_garbage_are_errors) {
    BOOST_TEST(!amq::parse_available_models(403, R"({"message":"denied"})").ok());
    BOOST_TEST(!amq::parse_available_models(200, "not json").ok());
    BOOST_TEST(!amq::parse_available_models(200, R"({"models":{}})").ok());
}

BOOST_AUTO_TEST_CASE(profile_arns_are_read_in_order_under_either_name) {
    auto arns = amq::parse_available_profiles(
        200, R"({"profiles":[{"arn":"arn:aws:codewhisperer:us-east-1:1:profile/A",
                 "profileName":"a"},{"profileArn":"arn:aws:codewhisperer:eu-central-1:1:profile/B"},
                 {"arn":"not an arn"},{"arn":"arn:x\nInjected: 1"},7],"nextToken":null})");
    BOOST_REQUIRE(arns.ok());
    BOOST_TEST(
        *arns == (std::vector<std::string>{"arn:aws:codewhisperer:us-east-1:1:profile/A",
                                           "arn:aws:codewhisperer:eu-central-1:1:profile/B"}),
        boost::test_tools::per_element());
    BOOST_TEST(amq::parse_available_profiles(200, R"({"profiles":[]})")->empty());
    BOOST_TEST(!amq::parse_available_profiles(403, R"({"message":"no profiles"})").ok());
    BOOST_TEST(!amq::parse_available_profiles(200, R"({"models":[]})").ok());
}
