#define BOOST_TEST_MODULE account_import
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/account_import.hpp"
#include "common/strings.hpp"

using amq::Errc;
using amq::ImportedAccount;
using amq::parse_account_document;
using amq::parse_account_import;
using amq::same_account;

namespace {

constexpr std::int64_t kNow = 1767225600;    // 2026-01-01T00:00:00Z
constexpr std::int64_t kLater = 1780317015;  // 2026-06-01T12:30:15Z
using Documents = std::vector<std::pair<std::string, std::string>>;

const char* const kSsoToken = R"({
  "startUrl": "https://d-1234567890.awsapps.com/start",
  "region": "us-east-1",
  "accessToken": "at-sso-1",
  "expiresAt": "2026-06-01T12:30:15Z",
  "clientId": "cid-sso-1",
  "clientSecret": "secret-sso-1",
  "registrationExpiresAt": "2026-03-01T00:00:00Z",
  "refreshToken": "rt-sso-1"
})";

const char* const kKiroSocial = R"({
  "accessToken": "at-social-1",
  "refreshToken": "rt-social-1",
  "profileArn": "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK",
  "expiresAt": "2026-06-01T12:30:15.123Z",
  "authMethod": "social",
  "provider": "Google"
})";

const char* const kKiroIdc = R"({
  "accessToken": "at-kiro-idc-1",
  "refreshToken": "rt-kiro-idc-1",
  "expiresAt": "2026-06-01T12:30:15.5Z",
  "clientIdHash": "0123abcd",
  "authMethod": "IdC",
  "provider": "BuilderId",
  "region": "us-east-1"
})";

const char* const kRegistration = R"({
  "clientId": "cid-kiro-1",
  "clientSecret": "secret-kiro-1",
  "expiresAt": "2026-03-01T00:00:00.000Z"
})";

const char* const kOtherRegistration = R"({
  "clientId": "cid-kiro-2",
  "clientSecret": "secret-kiro-2",
  "expiresAt": "2026-03-01T00:00:00.000Z"
})";

const char* const kSeed = R"([
  {"name": "main", "refresh_token": "rt-seed-1", "client_id": "cid-seed-1",
   "client_secret": "secret-seed-1", "profile_arn": "arn:seed", "requests_per_minute": 10,
   "notes": "first"},
  {"name": "second", "refresh_token": "rt-seed-2", "client_id": "cid-seed-2",
   "client_secret": "secret-seed-2"}
])";

std::vector<ImportedAccount> ok(amq::Result<std::vector<ImportedAccount>> r) {
    if (!r) BOOST_FAIL("unexpected error: " << r.error().message);
    return std::move(r).value();
}

std::string error_of(const amq::Result<std::vector<ImportedAccount>>& r, Errc code) {
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(static_cast<int>(r.error().code) == static_cast<int>(code));
    return r.error().message;
}

std::string doc_error(std::string_view json, std::string_view source = "a.json") {
    return error_of(parse_account_document(json, source, kNow), Errc::invalid_argument);
}

}  // namespace

BOOST_AUTO_TEST_CASE(sso_cache_token_is_an_idc_account) {
    auto accounts = ok(parse_account_document(kSsoToken, "sso.json", kNow));
    BOOST_REQUIRE(accounts.size() == 1u);
    const ImportedAccount& a = accounts[0];
    BOOST_TEST(a.kind == "idc");
    BOOST_TEST(a.refresh_token == "rt-sso-1");
    BOOST_TEST(a.client_id == "cid-sso-1");
    BOOST_TEST(a.client_secret == "secret-sso-1");
    BOOST_TEST(a.region == "us-east-1");
    BOOST_TEST(a.profile_arn.empty());
    BOOST_TEST(a.access_token == "at-sso-1");
    BOOST_TEST(a.access_expires_at == kLater);
    BOOST_TEST(!a.requests_per_minute.has_value());
    BOOST_TEST(a.name == "sso-9fb57d19");
    BOOST_TEST(a.source == "sso.json");
}

BOOST_AUTO_TEST_CASE(kiro_social_token_is_a_social_account) {
    auto accounts = ok(parse_account_document(kKiroSocial, "kiro-auth-token.json", kNow));
    BOOST_REQUIRE(accounts.size() == 1u);
    const ImportedAccount& a = accounts[0];
    BOOST_TEST(a.kind == "social");
    BOOST_TEST(a.refresh_token == "rt-social-1");
    BOOST_TEST(a.client_id.empty());
    BOOST_TEST(a.client_secret.empty());
    BOOST_TEST(a.profile_arn ==
               "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK");
    BOOST_TEST(a.region.empty());
    BOOST_TEST(a.access_token == "at-social-1");
    BOOST_TEST(a.access_expires_at == kLater);  // fractional seconds truncated
    BOOST_TEST(a.name == "google-ff0bc039");
}

BOOST_AUTO_TEST_CASE(social_is_also_recognised_by_provider_and_ignores_client_fields) {
    auto accounts = ok(parse_account_document(
        R"({"refreshToken": "rt-gh", "provider": "Github", "clientId": "stray",
            "clientSecret": "stray"})",
        "gh.json", kNow));
    BOOST_TEST(accounts[0].kind == "social");
    BOOST_TEST(accounts[0].client_id.empty());
    BOOST_TEST(accounts[0].client_secret.empty());
    BOOST_TEST(accounts[0].name.starts_with("github-"));
}

BOOST_AUTO_TEST_CASE(explicit_kind_wins_and_is_checked) {
    auto accounts = ok(parse_account_document(
        R"({"name": "s", "kind": "Social", "refresh_token": "rt-k"})", "k.json", kNow));
    BOOST_TEST(accounts[0].kind == "social");
    BOOST_TEST(doc_error(R"({"kind": "oauth", "refresh_token": "rt"})") ==
               "a.json: field 'kind' must be \"idc\" or \"social\"");
}

BOOST_AUTO_TEST_CASE(seed_account_objects) {
    auto accounts = ok(parse_account_document(kSeed, "accounts.json", kNow));
    BOOST_REQUIRE(accounts.size() == 2u);
    const ImportedAccount& a = accounts[0];
    BOOST_TEST(a.name == "main");
    BOOST_TEST(a.kind == "idc");
    BOOST_TEST(a.refresh_token == "rt-seed-1");
    BOOST_TEST(a.client_id == "cid-seed-1");
    BOOST_TEST(a.client_secret == "secret-seed-1");
    BOOST_TEST(a.profile_arn == "arn:seed");
    BOOST_TEST(a.requests_per_minute.value_or(-1) == 10);
    BOOST_TEST(a.notes == "first");
    BOOST_TEST(a.access_token.empty());
    BOOST_TEST(a.source == "accounts.json[0]");
    BOOST_TEST(accounts[1].name == "second");
    BOOST_TEST(!accounts[1].requests_per_minute.has_value());
    BOOST_TEST(accounts[1].source == "accounts.json[1]");
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
    auto accounts = ok(parse_account_document(
        R"({"refresh_token": "rt", "client_id": "c", "client_secret": "s", "id": 7,
            "enabled": true, "scopes": ["a"], "extra": {"x": null}})",
        "x.json", kNow));
    BOOST_TEST(accounts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(kiro_idc_token_pairs_with_the_one_registration) {
    auto accounts = ok(parse_account_import(
        {{"kiro-auth-token.json", kKiroIdc}, {"reg.json", kRegistration}}, kNow));
    BOOST_REQUIRE(accounts.size() == 1u);
    const ImportedAccount& a = accounts[0];
    BOOST_TEST(a.kind == "idc");
    BOOST_TEST(a.client_id == "cid-kiro-1");
    BOOST_TEST(a.client_secret == "secret-kiro-1");
    BOOST_TEST(a.region == "us-east-1");
    BOOST_TEST(a.access_token == "at-kiro-idc-1");
    BOOST_TEST(a.access_expires_at == kLater);
    BOOST_TEST(a.name == "builderid-e06a3c93");
    BOOST_TEST(a.source == "kiro-auth-token.json");
}

BOOST_AUTO_TEST_CASE(registration_order_in_the_batch_does_not_matter) {
    auto accounts = ok(parse_account_import(
        {{"reg.json", kRegistration}, {"kiro-auth-token.json", kKiroIdc}}, kNow));
    BOOST_TEST(accounts[0].client_id == "cid-kiro-1");
}

BOOST_AUTO_TEST_CASE(amazon_q_cli_snake_case_token_pairs_with_its_device_registration) {
    auto accounts = ok(parse_account_import(
        {{"token.json", R"({"access_token": "at", "expires_at": "2026-06-01T12:30:15.123456Z",
                            "refresh_token": "rt-q", "region": "us-east-1",
                            "start_url": "https://view.awsapps.com/start"})"},
         {"registration.json", R"({"client_id": "cid-q", "client_secret": "sec-q",
                                   "client_secret_expires_at": "2026-03-01T00:00:00Z"})"}},
        kNow));
    BOOST_TEST(accounts[0].client_id == "cid-q");
    BOOST_TEST(accounts[0].client_secret == "sec-q");
    BOOST_TEST(accounts[0].access_expires_at == kLater);
    BOOST_TEST(accounts[0].name.starts_with("sso-"));
}

BOOST_AUTO_TEST_CASE(unpaired_idc_token_is_an_error) {
    BOOST_TEST(doc_error(kKiroIdc, "kiro-auth-token.json") ==
               "kiro-auth-token.json: an IdC token needs clientId and clientSecret — import its "
               "client registration file too");
    auto seed = R"([{"name": "a", "refresh_token": "r1", "client_id": "c", "client_secret": "s"},
                    {"name": "b", "refresh_token": "r2", "client_id": "c2", "client_secret": "s"},
                    {"name": "c", "refresh_token": "r3", "client_id": "c3", "client_secret": "s"},
                    {"name": "d", "refresh_token": "r4", "client_id": "c4"}])";
    BOOST_TEST(doc_error(seed, "accounts.json") ==
               "accounts.json[3]: an IdC token needs clientId and clientSecret — import its "
               "client registration file too");
}

BOOST_AUTO_TEST_CASE(two_registrations_ask_which_one) {
    auto r = parse_account_import(
        {{"token.json", kKiroIdc}, {"r1.json", kRegistration}, {"r2.json", kOtherRegistration}},
        kNow);
    BOOST_TEST(error_of(r, Errc::invalid_argument) ==
               "token.json: an IdC token needs clientId and clientSecret and the import holds 2 "
               "client registrations (r1.json, r2.json): which one is its own? Import it with "
               "that one only");
}

BOOST_AUTO_TEST_CASE(registration_named_by_client_id_hash_is_chosen_among_several) {
    auto accounts =
        ok(parse_account_import({{"kiro-auth-token.json", kKiroIdc},
                                 {"/home/u/.aws/sso/cache/ffff0000.json", kRegistration},
                                 {"/home/u/.aws/sso/cache/0123abcd.json", kOtherRegistration}},
                                kNow));
    BOOST_TEST(accounts[0].client_id == "cid-kiro-2");
    BOOST_TEST(accounts[0].client_secret == "secret-kiro-2");
}

BOOST_AUTO_TEST_CASE(token_with_client_id_only_takes_the_matching_registration_secret) {
    auto accounts =
        ok(parse_account_import({{"t.json", R"({"refreshToken": "rt", "clientId": "cid-kiro-2"})"},
                                 {"r1.json", kRegistration},
                                 {"r2.json", kOtherRegistration}},
                                kNow));
    BOOST_TEST(accounts[0].client_id == "cid-kiro-2");
    BOOST_TEST(accounts[0].client_secret == "secret-kiro-2");
}

BOOST_AUTO_TEST_CASE(registration_alone_is_not_an_account) {
    BOOST_TEST(doc_error(kRegistration, "reg.json") ==
               "no accounts in reg.json (a client registration is not an account: import it "
               "together with its token file)");
    auto r = parse_account_import({{"r1.json", kRegistration}, {"r2.json", "[]"}}, kNow);
    BOOST_TEST(error_of(r, Errc::invalid_argument) == "no accounts in r2.json");
}

BOOST_AUTO_TEST_CASE(array_mixing_every_shape) {
    std::string doc = amq::str_cat("[", kSeed, ",", kKiroSocial, ",", kSsoToken, ",", kRegistration,
                                   ",", kKiroIdc, "]");
    // kSeed is itself an array: an element must be an object.
    BOOST_TEST(doc_error(doc, "mix.json") ==
               "mix.json[0]: expected a JSON object (an account, a token file or a client "
               "registration)");
    doc = amq::str_cat("[", R"({"name": "main", "refresh_token": "rt-seed-1", "client_id": "c1",
                                "client_secret": "s1"})",
                       ",", kKiroSocial, ",", kSsoToken, ",", kRegistration, ",", kKiroIdc, "]");
    auto accounts = ok(parse_account_document(doc, "mix.json", kNow));
    BOOST_REQUIRE(accounts.size() == 4u);
    BOOST_TEST(accounts[0].name == "main");
    BOOST_TEST(accounts[0].source == "mix.json[0]");
    BOOST_TEST(accounts[1].kind == "social");
    BOOST_TEST(accounts[1].source == "mix.json[1]");
    BOOST_TEST(accounts[2].client_id == "cid-sso-1");
    BOOST_TEST(accounts[2].source == "mix.json[2]");
    BOOST_TEST(accounts[3].client_id == "cid-kiro-1");  // paired inside the document
    BOOST_TEST(accounts[3].source == "mix.json[4]");
}

BOOST_AUTO_TEST_CASE(accounts_of_one_client_id_are_two_accounts) {
    auto r = parse_account_import(
        {{"a.json", R"({"refreshToken": "rt-1", "clientId": "c", "clientSecret": "s"})"},
         {"b.json", R"([{"refreshToken": "rt-2", "clientId": "c", "clientSecret": "s"}])"}},
        kNow);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->size() == 2u);
}

BOOST_AUTO_TEST_CASE(duplicate_refresh_token_in_a_batch_names_both_sources) {
    auto r = parse_account_import({{"a.json", kKiroSocial}, {"b.json", kKiroSocial}}, kNow);
    BOOST_TEST(error_of(r, Errc::conflict) ==
               "a.json and b.json are the same account (same refresh token)");
    r = parse_account_import(
        {{"a.json", R"({"refreshToken": "rt", "clientId": "c1", "clientSecret": "s"})"},
         {"b.json", R"({"refreshToken": "rt", "authMethod": "social"})"}},
        kNow);
    BOOST_TEST(error_of(r, Errc::conflict) ==
               "a.json and b.json are the same account (same refresh token)");
}

BOOST_AUTO_TEST_CASE(two_tokens_sharing_one_registration_are_two_accounts_of_one_client) {
    std::string other = R"({"refreshToken": "rt-other", "authMethod": "IdC"})";
    auto r = parse_account_import(
        {{"t1.json", kKiroIdc}, {"t2.json", other}, {"reg.json", kRegistration}}, kNow);
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->size() == 2u);
    BOOST_TEST((*r)[0].client_id == (*r)[1].client_id);
    BOOST_TEST((*r)[0].refresh_token != (*r)[1].refresh_token);
}

BOOST_AUTO_TEST_CASE(duplicate_name_in_a_batch_is_refused) {
    auto r = parse_account_document(
        R"([{"name": "x", "refresh_token": "r1", "client_id": "c1", "client_secret": "s"},
            {"name": "x", "refresh_token": "r2", "client_id": "c2", "client_secret": "s"}])",
        "a.json", kNow);
    BOOST_TEST(error_of(r, Errc::conflict) == "a.json[0] and a.json[1] both name an account \"x\"");
}

BOOST_AUTO_TEST_CASE(expired_or_unknown_expiry_drops_the_access_token_only) {
    auto check_dropped = [](const std::string& expires) {
        auto accounts = ok(parse_account_document(
            amq::str_cat(R"({"refreshToken": "rt", "clientId": "c", "clientSecret": "s",
                             "accessToken": "at")",
                         expires, "}"),
            "a.json", kNow));
        BOOST_TEST_INFO("expiresAt " << expires);
        BOOST_TEST(accounts[0].access_token.empty());
        BOOST_TEST(accounts[0].access_expires_at == 0);
        BOOST_TEST(accounts[0].refresh_token == "rt");
    };
    check_dropped("");                                              // no expiresAt at all
    check_dropped(R"(, "expiresAt": "2025-12-31T23:59:59Z")");      // expired
    check_dropped(R"(, "expiresAt": "2026-01-01T00:00:00.999Z")");  // == now, truncated
    check_dropped(R"(, "expiresAt": "soon")");
    check_dropped(R"(, "expiresAt": "2026-06-01T12:30:15.Z")");
    check_dropped(R"(, "expiresAt": "2026-06-01T12:30:15+25:00")");
    check_dropped(R"(, "expiresAt": "2026-13-01T12:30:15Z")");
    check_dropped(R"(, "expiresAt": true)");
    check_dropped(R"(, "expiresAt": -5)");
    check_dropped(R"(, "expiresAt": 1.0e300)");
    check_dropped(R"(, "expiresAt": 1767225599)");
}

BOOST_AUTO_TEST_CASE(expiry_formats_that_keep_the_access_token) {
    auto expiry = [](const std::string& expires) {
        auto accounts = ok(parse_account_document(
            amq::str_cat(R"({"refresh_token": "rt", "client_id": "c", "client_secret": "s",
                             "access_token": "at", "expires_at": )",
                         expires, "}"),
            "a.json", kNow));
        BOOST_TEST(accounts[0].access_token == (accounts[0].access_expires_at ? "at" : ""));
        return accounts[0].access_expires_at;
    };
    BOOST_TEST(expiry(R"("2026-06-01T12:30:15Z")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01T12:30:15.123Z")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01T12:30:15UTC")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01 12:30:15")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01T12:30:15.5")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01T14:30:15+02:00")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01T10:00:15-0230")") == kLater);
    BOOST_TEST(expiry(R"("2026-06-01T13:30:15.000+01")") == kLater);
    BOOST_TEST(expiry(R"("1780317015")") == kLater);
    BOOST_TEST(expiry("1780317015") == kLater);
    BOOST_TEST(expiry("1780317015123") == kLater);  // milliseconds
    BOOST_TEST(expiry("1780317015.75") == kLater);
}

BOOST_AUTO_TEST_CASE(names_are_derived_deterministically) {
    auto first = ok(parse_account_document(kKiroSocial, "one.json", kNow));
    auto again = ok(parse_account_document(kKiroSocial, "two.json", kNow + 1000));
    BOOST_TEST(first[0].name == again[0].name);
    BOOST_TEST(first[0].name == "google-ff0bc039");
    auto seed = ok(parse_account_document(
        R"({"name": "  ", "refresh_token": "rt-seed-1", "client_id": "c", "client_secret": "s"})",
        "s.json", kNow));
    BOOST_TEST(seed[0].name == "sso-5f2d3969");  // a blank name is no name
    auto odd = ok(parse_account_document(
        R"({"refreshToken": "rt-seed-1", "provider": "My Corp/IdP!", "clientId": "c",
            "clientSecret": "s"})",
        "s.json", kNow));
    BOOST_TEST(odd[0].name == "mycorpidp-5f2d3969");
}

BOOST_AUTO_TEST_CASE(malformed_documents_name_the_source) {
    BOOST_TEST(doc_error("{\"refreshToken\": ", "bad.json")
                   .starts_with("bad.json: malformed JSON at offset 17: "));
    BOOST_TEST(doc_error("not json", "bad.json") ==
               "bad.json: malformed JSON at offset 1: Invalid value.");
    BOOST_TEST(doc_error("{} {}", "bad.json") ==
               "bad.json: malformed JSON at offset 2: unexpected data after the document");
    BOOST_TEST(doc_error("\"text\"", "s.json") ==
               "s.json: expected a JSON object or an array of objects");
    BOOST_TEST(doc_error("[]", "empty.json") == "no accounts in empty.json");
    BOOST_TEST(doc_error(R"([{"refresh_token": "r", "client_id": "c", "client_secret": "s"}, 3])",
                         "a.json") ==
               "a.json[1]: expected a JSON object (an account, a token file or a client "
               "registration)");
}

BOOST_AUTO_TEST_CASE(element_errors_name_the_source_and_field) {
    BOOST_TEST(doc_error(R"({"accessToken": "at", "clientId": "c"})") ==
               "a.json: no refreshToken: neither an account nor a client registration "
               "(clientId and clientSecret)");
    BOOST_TEST(doc_error(R"({"refreshToken": "  "})") ==
               "a.json: no refreshToken: neither an account nor a client registration "
               "(clientId and clientSecret)");
    BOOST_TEST(doc_error(R"([{"refreshToken": 5}])") ==
               "a.json[0]: field 'refreshToken' must be a string");
    BOOST_TEST(doc_error(R"({"refresh_token": "r", "requests_per_minute": "ten"})") ==
               "a.json: field 'requests_per_minute' must be an integer");
    BOOST_TEST(doc_error(R"({"refresh_token": "r", "requests_per_minute": -1})") ==
               "a.json: field 'requests_per_minute' must be between 0 and 9223372036854775807");
    auto none = parse_account_import({}, kNow);
    BOOST_TEST(error_of(none, Errc::invalid_argument) == "no documents to import");
}

BOOST_AUTO_TEST_CASE(at_most_a_thousand_accounts_per_import) {
    auto accounts_doc = [](int from, int count) {
        std::string doc = "[";
        for (int i = from; i < from + count; ++i)
            doc += amq::str_cat(i == from ? "" : ",", R"({"refreshToken": "rt-)", i,
                                R"(", "authMethod": "social"})");
        return doc + "]";
    };
    auto full = ok(parse_account_document(accounts_doc(0, 1000), "a.json", kNow));
    BOOST_TEST(full.size() == 1000u);
    auto r = parse_account_import(
        {{"a.json", accounts_doc(0, 600)}, {"b.json", accounts_doc(600, 401)}}, kNow);
    BOOST_TEST(error_of(r, Errc::invalid_argument) ==
               "b.json[400]: too many accounts in one import (at most 1000)");
}

BOOST_AUTO_TEST_CASE(same_account_rule) {
    ImportedAccount idc;
    idc.client_id = "c";
    idc.refresh_token = "r";
    BOOST_TEST(same_account(idc, "c", "other"));
    BOOST_TEST(same_account(idc, "", "r"));
    BOOST_TEST(!same_account(idc, "x", "y"));
    ImportedAccount social;
    social.kind = "social";
    social.refresh_token = "r";
    BOOST_TEST(!same_account(social, "", ""));
    BOOST_TEST(same_account(social, "", "r"));
    ImportedAccount empty;
    BOOST_TEST(!same_account(empty, "", ""));
}
