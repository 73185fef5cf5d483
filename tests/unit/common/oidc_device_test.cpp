#define BOOST_TEST_MODULE common_oidc_device
#include <boost/test/unit_test.hpp>

#include "common/json.hpp"
#include "common/oidc_device.hpp"

using namespace amq;
using State = DevicePoll::State;

BOOST_AUTO_TEST_CASE(the_other_endpoints_derive_from_the_token_endpoint) {
    BOOST_TEST(oidc_endpoint("https://oidc.us-east-1.amazonaws.com/token", "client/register") ==
               "https://oidc.us-east-1.amazonaws.com/client/register");
    BOOST_TEST(oidc_endpoint("http://127.0.0.1:9/token/", "device_authorization") ==
               "http://127.0.0.1:9/device_authorization");
    BOOST_TEST(oidc_endpoint("http://127.0.0.1:9/oidc", "device_authorization") ==
               "http://127.0.0.1:9/oidc/device_authorization");
}

BOOST_AUTO_TEST_CASE(the_registration_asks_for_a_public_device_code_client) {
    auto doc = parse_json(oidc_register_body("amq2api", "https://view.awsapps.com/start"));
    BOOST_REQUIRE(doc.ok());
    const auto& d = *doc;
    BOOST_TEST(std::string(d["clientType"].GetString()) == "public");
    BOOST_TEST(std::string(d["issuerUrl"].GetString()) == "https://view.awsapps.com/start");
    BOOST_TEST(d["grantTypes"].Size() == 2u);
    BOOST_TEST(std::string(d["grantTypes"][0].GetString()) == std::string(kDeviceCodeGrant));
    BOOST_TEST(std::string(d["scopes"][0].GetString()) == "codewhisperer:completions");
}

BOOST_AUTO_TEST_CASE(a_registration_and_an_authorization_are_read) {
    auto r = parse_registration(
        200,
        R"({"clientId":"c","clientSecret":"s","clientIdIssuedAt":1,"clientSecretExpiresAt":99})");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->client_id == "c");
    BOOST_TEST(r->expires_at == 99);
    BOOST_TEST(!parse_registration(200, R"({"clientId":"c"})").ok());
    auto refused = parse_registration(400, R"({"error":"invalid_scope","error_description":"no"})");
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST(refused.error().message.find("invalid_scope: no") != std::string::npos);

    auto a = parse_device_authorization(
        200,
        R"({"deviceCode":"d","userCode":"ABCD-EFGH","verificationUri":"https://v",)"
        R"("verificationUriComplete":"https://v?user_code=ABCD-EFGH","expiresIn":600,"interval":1})");
    BOOST_REQUIRE(a.ok());
    BOOST_TEST(a->user_code == "ABCD-EFGH");
    BOOST_TEST(a->verification_uri_complete == "https://v?user_code=ABCD-EFGH");
    BOOST_TEST(a->interval == 1);
    BOOST_TEST(!parse_device_authorization(200, R"({"deviceCode":"d"})").ok());
}

BOOST_AUTO_TEST_CASE(each_poll_answer_has_its_state) {
    auto granted = parse_device_token(
        200, R"({"accessToken":"at","tokenType":"Bearer","expiresIn":3600,"refreshToken":"rt"})");
    BOOST_TEST((granted.state == State::granted));
    BOOST_TEST(granted.grant.refresh_token == "rt");
    BOOST_TEST((parse_device_token(200, R"({"accessToken":"at","expiresIn":3600})").state ==
                State::failed));
    BOOST_TEST(
        (parse_device_token(400, R"({"error":"authorization_pending"})").state == State::pending));
    BOOST_TEST((parse_device_token(400, R"({"error":"slow_down"})").state == State::slow_down));
    BOOST_TEST((parse_device_token(400, R"({"error":"expired_token"})").state == State::expired));
    BOOST_TEST((parse_device_token(400, R"({"error":"access_denied"})").state == State::denied));
    BOOST_TEST((parse_device_token(503, "busy").state == State::retry));
    BOOST_TEST((parse_device_token(0, "").state == State::retry));
    auto bad = parse_device_token(400, R"({"error":"invalid_client","error_description":"x"})");
    BOOST_TEST((bad.state == State::failed));
    BOOST_TEST(bad.message.find("invalid_client: x") != std::string::npos);
}
