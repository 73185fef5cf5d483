#define BOOST_TEST_MODULE common_secret_box
#include <boost/test/unit_test.hpp>

#include "common/secret_box.hpp"

namespace amq {
namespace {

SecretBox::Key key_of(std::uint8_t fill) {
    SecretBox::Key key;
    key.fill(fill);
    return key;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_sealed_value_opens_with_its_key_and_context_only) {
    SecretBox box(key_of(1));
    std::string sealed = box.seal(R"({"refresh_token":"rt-1"})", "ctx-1");
    BOOST_TEST(SecretBox::is_sealed(sealed));
    BOOST_TEST(sealed.find("rt-1") == std::string::npos);
    BOOST_TEST(*box.open(sealed, "ctx-1") == R"({"refresh_token":"rt-1"})");
    BOOST_TEST(!box.open(sealed, "ctx-2").ok());
    BOOST_TEST(!SecretBox(key_of(2)).open(sealed, "ctx-1").ok());
    // Two seals of one value differ (fresh nonces), both open.
    std::string again = box.seal(R"({"refresh_token":"rt-1"})", "ctx-1");
    BOOST_TEST(again != sealed);
    BOOST_TEST(box.open(again, "ctx-1").ok());
    BOOST_TEST(*box.open(box.seal("", "c"), "c") == "");
}

BOOST_AUTO_TEST_CASE(altered_truncated_or_plain_values_do_not_open) {
    SecretBox box(key_of(3));
    std::string sealed = box.seal("secret", "c");
    for (std::size_t i = 6; i < sealed.size(); ++i) {
        std::string altered = sealed;
        altered[i] = static_cast<char>(altered[i] ^ 1);
        BOOST_TEST(!box.open(altered, "c").ok());
    }
    BOOST_TEST(!box.open(sealed.substr(0, 20), "c").ok());
    BOOST_TEST(!box.open(R"({"refresh_token":"x"})", "c").ok());
    BOOST_TEST(!SecretBox::is_sealed(R"({"v":1})"));
}

}  // namespace amq
