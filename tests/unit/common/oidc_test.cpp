#define BOOST_TEST_MODULE common_oidc
#include <boost/test/unit_test.hpp>

#include "common/oidc.hpp"

namespace amq {

BOOST_AUTO_TEST_CASE(an_oidc_grant_is_read_in_camel_case) {
    auto g = parse_oidc_response(200, R"({"accessToken":"a","expiresIn":60,"refreshToken":"r"})");
    BOOST_REQUIRE(g.ok());
    BOOST_TEST(g->access_token == "a");
    BOOST_TEST(g->expires_in == 60);
    BOOST_TEST(g->refresh_token == "r");
    BOOST_TEST((parse_oidc_response(400, R"({"error":"invalid_grant"})").error().code ==
                Errc::permission_denied));
    BOOST_TEST((parse_oidc_response(503, "").error().code == Errc::unavailable));
}

BOOST_AUTO_TEST_CASE(a_kiro_grant_carries_its_profile_arn) {
    auto g = parse_kiro_response(
        200, R"({"accessToken":"a","expiresIn":60,"refreshToken":"r","profileArn":"arn:x"})");
    BOOST_REQUIRE(g.ok());
    BOOST_TEST(g->profile_arn == "arn:x");
}

BOOST_AUTO_TEST_CASE(an_external_idp_refresh_is_form_encoded_for_a_public_client) {
    BOOST_TEST(oauth2_refresh_body("app id", "r/t+1") ==
               "grant_type=refresh_token&client_id=app%20id&refresh_token=r%2Ft%2B1");
}

BOOST_AUTO_TEST_CASE(an_external_idp_grant_is_read_in_snake_case) {
    auto g = parse_oauth2_response(
        200, R"({"access_token":"a","token_type":"Bearer","expires_in":3599,"refresh_token":"n"})");
    BOOST_REQUIRE(g.ok());
    BOOST_TEST(g->access_token == "a");
    BOOST_TEST(g->expires_in == 3599);
    BOOST_TEST(g->refresh_token == "n");
    BOOST_TEST(!parse_oauth2_response(200, R"({"accessToken":"a","expiresIn":60})").ok());
    auto dead = parse_oauth2_response(
        400, R"({"error":"invalid_grant","error_description":"AADSTS70008: expired"})");
    BOOST_TEST((dead.error().code == Errc::permission_denied));
    BOOST_TEST(dead.error().message.find("AADSTS70008") != std::string::npos);
}

}  // namespace amq
