#define BOOST_TEST_MODULE common_kiro_signin
#include <boost/test/unit_test.hpp>

#include "common/kiro_signin.hpp"
#include "common/strings.hpp"

namespace amq {

// RFC 7636 appendix B.
BOOST_AUTO_TEST_CASE(the_challenge_is_the_rfc_7636_s256_of_the_verifier) {
    BOOST_TEST(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
               "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

BOOST_AUTO_TEST_CASE(the_signin_url_carries_state_challenge_and_redirect) {
    std::string url = kiro_signin_url(kKiroSigninUrl, "s t", "chal", "http://localhost:50000");
    BOOST_TEST(url.starts_with("https://app.kiro.dev/signin?state=s%20t&"));
    BOOST_TEST((query_param(url, "code_challenge") == "chal"));
    BOOST_TEST((query_param(url, "code_challenge_method") == "S256"));
    BOOST_TEST((query_param(url, "redirect_uri") == "http://localhost:50000"));
    BOOST_TEST((query_param(url, "redirect_from") == "kirocli"));
    BOOST_TEST(kiro_signin_url("https://p/signin?x=1", "s", "c", "r")
                   .starts_with("https://p/signin?x=1&state=s"));
}

BOOST_AUTO_TEST_CASE(a_callback_gives_its_code_only_with_the_expected_state) {
    auto code = signin_code("  http://localhost:50000/?code=abc%2B1&state=st  ", "st");
    BOOST_REQUIRE(code.ok());
    BOOST_TEST(*code == "abc+1");
    BOOST_TEST((signin_code("http://localhost:50000/?code=abc&state=other", "st").error().code ==
                Errc::invalid_argument));
    BOOST_TEST((signin_code("http://localhost:50000/?code=abc", "st").error().code ==
                Errc::invalid_argument));
    auto no_code = signin_code("https://app.kiro.dev/signin?state=st&code_challenge=x", "st");
    BOOST_TEST(no_code.error().message.find("no code") != std::string::npos);
    auto denied =
        signin_code("http://localhost:1/?error=access_denied&error_description=No+way", "st");
    BOOST_TEST((denied.error().code == Errc::permission_denied));
    BOOST_TEST(denied.error().message.find("access_denied (No way)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_exchange_body_names_code_verifier_and_redirect) {
    BOOST_TEST(kiro_code_exchange_body("c", "v", "http://localhost:1") ==
               R"({"code":"c","code_verifier":"v","redirect_uri":"http://localhost:1"})");
}

}  // namespace amq
