#define BOOST_TEST_MODULE account_import
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/account_import.hpp"
#include "common/strings.hpp"

using amq::AccountImportPlan;
using amq::Errc;
using amq::ImportDocument;
using amq::ImportedAccount;
using amq::ImportOutcome;
using amq::parse_account_document;
using amq::parse_account_import;
using amq::same_account;

namespace {

constexpr std::int64_t kNow = 1767225600;    // 2026-01-01T00:00:00Z
constexpr std::int64_t kLater = 1780317015;  // 2026-06-01T12:30:15Z
constexpr std::int64_t kMarch = 1772323200;  // 2026-03-01T00:00:00Z

// AWS CLI v2 sso-session cache file: the token with its own client registration.
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

// Kiro's (and the Amazon Q CLI's) IdC kiro-auth-token.json: no client credentials, which are
// in the registration file ~/.aws/sso/cache/<clientIdHash>.json.
const char* const kKiroIdc = R"({
  "accessToken": "at-kiro-idc-1",
  "refreshToken": "rt-kiro-idc-1",
  "expiresAt": "2026-06-01T12:30:15.5Z",
  "clientIdHash": "0123abcd",
  "authMethod": "IdC",
  "provider": "BuilderId",
  "region": "us-east-1",
  "startUrl": "https://view.awsapps.com/start"
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

AccountImportPlan plan_of(const std::vector<ImportDocument>& documents) {
    auto r = parse_account_import(documents, kNow);
    if (!r) BOOST_FAIL("unexpected error: " << r.error().message);
    return std::move(r).value();
}

AccountImportPlan doc_plan(std::string_view json, std::string_view source = "a.json") {
    auto r = parse_account_document(json, source, kNow);
    if (!r) BOOST_FAIL("unexpected error: " << r.error().message);
    return std::move(r).value();
}

// The accounts of a plan in which every source is one.
const std::vector<ImportedAccount>& accounts_of(const AccountImportPlan& plan) {
    BOOST_REQUIRE(plan.accounts.size() == plan.outcomes.size());
    return plan.accounts;
}

// Each outcome on a line: "account SOURCE NAME", "registration SOURCE used by A, B",
// "skipped SOURCE NAME: REASON", "refused SOURCE: REASON".
std::vector<std::string> report(const AccountImportPlan& plan) {
    std::vector<std::string> lines;
    for (const ImportOutcome& o : plan.outcomes) {
        std::string who = o.name.empty() ? o.source : amq::str_cat(o.source, " ", o.name);
        switch (o.kind) {
            case ImportOutcome::Kind::account: lines.push_back("account " + who); break;
            case ImportOutcome::Kind::registration: {
                std::string users;
                for (const auto& n : o.used_by) users += (users.empty() ? "" : ", ") + n;
                lines.push_back(amq::str_cat("registration ", who, " used by ",
                                             users.empty() ? "none" : users));
                break;
            }
            case ImportOutcome::Kind::skipped:
                lines.push_back(amq::str_cat("skipped ", who, ": ", o.reason));
                break;
            case ImportOutcome::Kind::refused:
                lines.push_back(amq::str_cat("refused ", who, ": ", o.reason));
                break;
        }
    }
    return lines;
}

using Lines = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_CASE(aws_cli_sso_session_file_is_an_idc_account_with_its_registration) {
    auto plan = doc_plan(kSsoToken, "sso.json");
    BOOST_TEST(report(plan) == Lines{"account sso.json sso-9fb57d19"});
    const ImportedAccount& a = accounts_of(plan)[0];
    BOOST_TEST(a.kind == "idc");
    BOOST_TEST(a.refresh_token == "rt-sso-1");
    BOOST_TEST(a.client_id == "cid-sso-1");
    BOOST_TEST(a.client_secret == "secret-sso-1");
    BOOST_TEST(a.region == "us-east-1");
    BOOST_TEST(a.start_url == "https://d-1234567890.awsapps.com/start");
    BOOST_TEST(a.registration_expires_at == kMarch);
    BOOST_TEST(a.profile_arn.empty());
    BOOST_TEST(a.access_token == "at-sso-1");
    BOOST_TEST(a.access_expires_at == kLater);
    BOOST_TEST(!a.requests_per_minute.has_value());
    BOOST_TEST(a.name == "sso-9fb57d19");
    BOOST_TEST(a.source == "sso.json");
}

BOOST_AUTO_TEST_CASE(kiro_social_token_is_a_social_account) {
    auto plan = doc_plan(kKiroSocial, "kiro-auth-token.json");
    BOOST_TEST(report(plan) == Lines{"account kiro-auth-token.json google-ff0bc039"});
    const ImportedAccount& a = accounts_of(plan)[0];
    BOOST_TEST(a.kind == "social");
    BOOST_TEST(a.refresh_token == "rt-social-1");
    BOOST_TEST(a.client_id.empty());
    BOOST_TEST(a.client_secret.empty());
    BOOST_TEST(a.profile_arn ==
               "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK");
    BOOST_TEST(a.region.empty());
    BOOST_TEST(a.start_url.empty());
    BOOST_TEST(a.registration_expires_at == 0);
    BOOST_TEST(a.access_token == "at-social-1");
    BOOST_TEST(a.access_expires_at == kLater);  // fractional seconds truncated
}

BOOST_AUTO_TEST_CASE(social_is_also_recognised_by_provider_and_ignores_client_fields) {
    auto plan = doc_plan(
        R"({"refreshToken": "rt-gh", "provider": "Github", "clientId": "stray",
            "clientSecret": "stray", "startUrl": "https://stray", "registrationExpiresAt": 5})",
        "gh.json");
    BOOST_TEST(report(plan) == Lines{"account gh.json github-b3d44f9e"});
    const ImportedAccount& a = accounts_of(plan)[0];
    BOOST_TEST(a.kind == "social");
    BOOST_TEST(a.client_id.empty());
    BOOST_TEST(a.client_secret.empty());
    BOOST_TEST(a.start_url.empty());
    BOOST_TEST(a.registration_expires_at == 0);  // a social login has no registration to expire
}

BOOST_AUTO_TEST_CASE(explicit_kind_wins_and_is_checked) {
    auto plan = doc_plan(R"({"name": "s", "kind": "Social", "refresh_token": "rt-k"})");
    BOOST_TEST(accounts_of(plan)[0].kind == "social");
    plan = doc_plan(R"({"name": "o", "kind": "oauth", "refresh_token": "rt"})");
    BOOST_TEST(report(plan) ==
               Lines{"refused a.json o: field 'kind' must be \"idc\" or \"social\""});
    BOOST_TEST(plan.accounts.empty());
}

BOOST_AUTO_TEST_CASE(seed_account_objects) {
    auto plan = doc_plan(kSeed, "accounts.json");
    BOOST_TEST(report(plan) ==
               (Lines{"account accounts.json[0] main", "account accounts.json[1] second"}));
    auto accounts = accounts_of(plan);
    const ImportedAccount& a = accounts[0];
    BOOST_TEST(a.kind == "idc");
    BOOST_TEST(a.refresh_token == "rt-seed-1");
    BOOST_TEST(a.client_id == "cid-seed-1");
    BOOST_TEST(a.client_secret == "secret-seed-1");
    BOOST_TEST(a.profile_arn == "arn:seed");
    BOOST_TEST(a.requests_per_minute.value_or(-1) == 10);
    BOOST_TEST(a.notes == "first");
    BOOST_TEST(a.access_token.empty());
    BOOST_TEST(a.registration_expires_at == 0);
    BOOST_TEST(a.source == "accounts.json[0]");
    BOOST_TEST(!accounts[1].requests_per_minute.has_value());
    BOOST_TEST(accounts[1].source == "accounts.json[1]");
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
    auto plan = doc_plan(
        R"({"refresh_token": "rt", "client_id": "c", "client_secret": "s", "id": 7,
            "enabled": true, "scopes": ["a"], "extra": {"x": null}})");
    BOOST_TEST(accounts_of(plan).size() == 1u);
}

BOOST_AUTO_TEST_CASE(kiro_idc_token_pairs_with_the_one_registration) {
    auto plan = plan_of({{"kiro-auth-token.json", kKiroIdc}, {"0123abcd.json", kRegistration}});
    BOOST_TEST(report(plan) == (Lines{"account kiro-auth-token.json builderid-e06a3c93",
                                      "registration 0123abcd.json used by builderid-e06a3c93"}));
    BOOST_REQUIRE(plan.accounts.size() == 1u);
    const ImportedAccount& a = plan.accounts[0];
    BOOST_TEST(a.kind == "idc");
    BOOST_TEST(a.client_id == "cid-kiro-1");
    BOOST_TEST(a.client_secret == "secret-kiro-1");
    BOOST_TEST(a.region == "us-east-1");
    BOOST_TEST(a.start_url == "https://view.awsapps.com/start");
    BOOST_TEST(a.registration_expires_at == kMarch);  // the registration's expiresAt
    BOOST_TEST(a.access_token == "at-kiro-idc-1");
    BOOST_TEST(a.access_expires_at == kLater);
    BOOST_TEST(a.source == "kiro-auth-token.json");
}

BOOST_AUTO_TEST_CASE(registration_order_in_the_batch_does_not_matter) {
    auto plan = plan_of({{"reg.json", kRegistration}, {"kiro-auth-token.json", kKiroIdc}});
    BOOST_TEST(report(plan) == (Lines{"registration reg.json used by builderid-e06a3c93",
                                      "account kiro-auth-token.json builderid-e06a3c93"}));
    BOOST_TEST(plan.accounts[0].client_id == "cid-kiro-1");
}

BOOST_AUTO_TEST_CASE(amazon_q_cli_snake_case_token_pairs_with_its_device_registration) {
    auto plan = plan_of(
        {{"token.json", R"({"access_token": "at", "expires_at": "2026-06-01T12:30:15.123456Z",
                            "refresh_token": "rt-q", "region": "us-east-1",
                            "start_url": "https://view.awsapps.com/start"})"},
         {"registration.json", R"({"client_id": "cid-q", "client_secret": "sec-q",
                                   "client_secret_expires_at": "2026-03-01T00:00:00Z"})"}});
    BOOST_TEST(report(plan) == (Lines{"account token.json sso-ca6bbb5f",
                                      "registration registration.json used by sso-ca6bbb5f"}));
    const ImportedAccount& a = plan.accounts[0];
    BOOST_TEST(a.client_id == "cid-q");
    BOOST_TEST(a.client_secret == "sec-q");
    BOOST_TEST(a.access_expires_at == kLater);
    BOOST_TEST(a.start_url == "https://view.awsapps.com/start");
    BOOST_TEST(a.registration_expires_at == kMarch);
}

BOOST_AUTO_TEST_CASE(unpaired_idc_token_is_refused_alone) {
    BOOST_TEST(report(doc_plan(kKiroIdc, "kiro-auth-token.json")) ==
               Lines{"refused kiro-auth-token.json builderid-e06a3c93: an IdC token needs "
                     "clientId and clientSecret — import its client registration file too"});
    auto plan = doc_plan(
        R"([{"name": "a", "refresh_token": "r1", "client_id": "c", "client_secret": "s"},
            {"name": "d", "refresh_token": "r4", "client_id": "c4"}])",
        "accounts.json");
    BOOST_TEST(report(plan) ==
               (Lines{"account accounts.json[0] a",
                      "refused accounts.json[1] d: an IdC token needs clientId and clientSecret "
                      "— import its client registration file too"}));
    BOOST_TEST(plan.accounts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(two_registrations_ask_which_one) {
    auto plan = plan_of(
        {{"token.json", kKiroIdc}, {"r1.json", kRegistration}, {"r2.json", kOtherRegistration}});
    BOOST_TEST(report(plan) ==
               (Lines{"refused token.json builderid-e06a3c93: an IdC token needs clientId and "
                      "clientSecret and the import holds 2 client registrations (r1.json, "
                      "r2.json): which one is its own? Import it with that one only",
                      "registration r1.json used by none", "registration r2.json used by none"}));
    BOOST_TEST(plan.accounts.empty());
}

BOOST_AUTO_TEST_CASE(registration_named_by_client_id_hash_is_chosen_among_several) {
    auto plan = plan_of({{"kiro-auth-token.json", kKiroIdc},
                         {"/home/u/.aws/sso/cache/ffff0000.json", kRegistration},
                         {"/home/u/.aws/sso/cache/0123abcd.json", kOtherRegistration}});
    BOOST_TEST(plan.accounts[0].client_id == "cid-kiro-2");
    BOOST_TEST(plan.accounts[0].client_secret == "secret-kiro-2");
    BOOST_TEST(plan.outcomes[1].used_by.empty());
    BOOST_TEST(plan.outcomes[2].used_by == Lines{"builderid-e06a3c93"});
}

BOOST_AUTO_TEST_CASE(token_with_client_id_only_takes_the_matching_registration_secret) {
    auto plan = plan_of({{"t.json", R"({"refreshToken": "rt", "clientId": "cid-kiro-2"})"},
                         {"r1.json", kRegistration},
                         {"r2.json", kOtherRegistration}});
    BOOST_TEST(plan.accounts[0].client_id == "cid-kiro-2");
    BOOST_TEST(plan.accounts[0].client_secret == "secret-kiro-2");
}

BOOST_AUTO_TEST_CASE(registration_alone_is_reported_not_an_error) {
    BOOST_TEST(report(doc_plan(kRegistration, "reg.json")) ==
               Lines{"registration reg.json used by none"});
    auto plan = plan_of({{"r1.json", kRegistration}, {"r2.json", "[]"}});
    BOOST_TEST(report(plan) == (Lines{"registration r1.json used by none",
                                      "refused r2.json: an empty array: no accounts"}));
    BOOST_TEST(plan.accounts.empty());
}

BOOST_AUTO_TEST_CASE(array_mixing_every_shape) {
    std::string doc = amq::str_cat("[", kSeed, ",", kKiroSocial, "]");
    BOOST_TEST(report(doc_plan(doc, "mix.json")) ==
               (Lines{"refused mix.json[0]: expected a JSON object (an account, a token file or "
                      "a client registration)",
                      "account mix.json[1] google-ff0bc039"}));
    doc = amq::str_cat("[", R"({"name": "main", "refresh_token": "rt-seed-1", "client_id": "c1",
                                "client_secret": "s1"})",
                       ",", kKiroSocial, ",", kSsoToken, ",", kRegistration, ",", kKiroIdc, "]");
    auto plan = doc_plan(doc, "mix.json");
    BOOST_TEST(report(plan) ==
               (Lines{"account mix.json[0] main", "account mix.json[1] google-ff0bc039",
                      "account mix.json[2] sso-9fb57d19",
                      "registration mix.json[3] used by builderid-e06a3c93",
                      "account mix.json[4] builderid-e06a3c93"}));
    BOOST_TEST(plan.accounts[2].client_id == "cid-sso-1");
    BOOST_TEST(plan.accounts[3].client_id == "cid-kiro-1");  // paired inside the document
}

BOOST_AUTO_TEST_CASE(accounts_of_one_client_id_are_two_accounts) {
    auto plan = plan_of(
        {{"a.json", R"({"refreshToken": "rt-1", "clientId": "c", "clientSecret": "s"})"},
         {"b.json", R"([{"refreshToken": "rt-2", "clientId": "c", "clientSecret": "s"}])"}});
    BOOST_TEST(plan.accounts.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_repeated_refresh_token_is_skipped_naming_the_first) {
    auto plan = plan_of({{"a.json", kKiroSocial}, {"b.json", kKiroSocial}});
    BOOST_TEST(report(plan) ==
               (Lines{"account a.json google-ff0bc039",
                      "skipped b.json google-ff0bc039: same refresh token as a.json"}));
    plan = plan_of({{"a.json", R"({"refreshToken": "rt", "clientId": "c1", "clientSecret": "s"})"},
                    {"b.json", R"({"name": "b", "refreshToken": "rt", "authMethod": "social"})"}});
    BOOST_TEST(report(plan) == (Lines{"account a.json sso-cdffd5dd",
                                      "skipped b.json b: same refresh token as a.json"}));
    BOOST_TEST(plan.accounts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_token_refused_first_leaves_its_duplicate_to_be_added) {
    auto plan = plan_of({{"kiro-auth-token.json", kKiroIdc},
                         {"seed.json", R"([{"refreshToken": "rt-kiro-idc-1", "name": "seeded",
                                            "clientId": "c", "clientSecret": "s"}])"}});
    BOOST_TEST(report(plan)[0].starts_with("refused kiro-auth-token.json"));
    BOOST_TEST(report(plan)[1] == "account seed.json[0] seeded");
}

BOOST_AUTO_TEST_CASE(two_tokens_sharing_one_registration_are_two_accounts_of_one_client) {
    std::string other = R"({"refreshToken": "rt-other", "authMethod": "IdC"})";
    auto plan = plan_of({{"t1.json", kKiroIdc}, {"t2.json", other}, {"reg.json", kRegistration}});
    BOOST_TEST(report(plan) ==
               (Lines{"account t1.json builderid-e06a3c93", "account t2.json sso-78b75ce6",
                      "registration reg.json used by builderid-e06a3c93, sso-78b75ce6"}));
    BOOST_TEST(plan.accounts[0].client_id == plan.accounts[1].client_id);
}

BOOST_AUTO_TEST_CASE(a_repeated_name_is_skipped) {
    auto plan = doc_plan(
        R"([{"name": "x", "refresh_token": "r1", "client_id": "c1", "client_secret": "s"},
            {"name": "x", "refresh_token": "r2", "client_id": "c2", "client_secret": "s"},
            {"name": "y", "refresh_token": "r2", "client_id": "c2", "client_secret": "s"}])");
    // The skipped one does not hold its refresh token: the third is the account of r2.
    BOOST_TEST(report(plan) ==
               (Lines{"account a.json[0] x", "skipped a.json[1] x: same name as a.json[0]",
                      "account a.json[2] y"}));
}

BOOST_AUTO_TEST_CASE(a_token_whose_registration_expired_is_skipped) {
    std::string sso = R"({"refreshToken": "rt-sso-old", "clientId": "c", "clientSecret": "s",
                          "registrationExpiresAt": "2025-12-01T00:00:00Z"})";
    BOOST_TEST(report(doc_plan(sso, "sso.json")) ==
               Lines{"skipped sso.json sso-7b74a095: client registration expired at "
                     "2025-12-01T00:00:00Z"});
    auto plan = plan_of({{"kiro-auth-token.json", kKiroIdc},
                         {"0123abcd.json", R"({"clientId": "c", "clientSecret": "s",
                                               "expiresAt": 1764547200000})"}});
    BOOST_TEST(report(plan) ==
               (Lines{"skipped kiro-auth-token.json builderid-e06a3c93: client registration "
                      "expired at 2025-12-01T00:00:00Z",
                      "registration 0123abcd.json used by builderid-e06a3c93"}));
    BOOST_TEST(plan.accounts.empty());
    // Expiring exactly now is expired; an unreadable expiry is no verdict.
    BOOST_TEST(report(doc_plan(R"({"refreshToken": "r", "clientId": "c", "clientSecret": "s",
                                   "registrationExpiresAt": 1767225600})")) ==
               Lines{"skipped a.json sso-454349e4: client registration expired at "
                     "2026-01-01T00:00:00Z"});
    BOOST_TEST(doc_plan(R"({"refreshToken": "r", "clientId": "c", "clientSecret": "s",
                            "registrationExpiresAt": "soon"})")
                   .accounts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_access_token_without_a_refresh_token_is_skipped) {
    BOOST_TEST(report(doc_plan(R"({"accessToken": "at", "expiresAt": "2026-06-01T00:00:00Z",
                                   "clientId": "c", "clientSecret": "s"})")) ==
               Lines{"skipped a.json: no refresh token: an access token alone expires within "
                     "hours"});
}

BOOST_AUTO_TEST_CASE(expired_or_unknown_expiry_drops_the_access_token_only) {
    auto check_dropped = [](const std::string& expires) {
        auto plan = doc_plan(amq::str_cat(R"({"refreshToken": "rt", "clientId": "c",
                                              "clientSecret": "s", "accessToken": "at")",
                                          expires, "}"));
        BOOST_TEST_INFO("expiresAt " << expires);
        const ImportedAccount& a = accounts_of(plan)[0];
        BOOST_TEST(a.access_token.empty());
        BOOST_TEST(a.access_expires_at == 0);
        BOOST_TEST(a.refresh_token == "rt");
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
        auto plan = doc_plan(amq::str_cat(R"({"refresh_token": "rt", "client_id": "c",
                                              "client_secret": "s", "access_token": "at",
                                              "expires_at": )",
                                          expires, "}"));
        const ImportedAccount& a = accounts_of(plan)[0];
        BOOST_TEST(a.access_token == (a.access_expires_at ? "at" : ""));
        return a.access_expires_at;
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
    auto first = doc_plan(kKiroSocial, "one.json");
    auto again = parse_account_document(kKiroSocial, "two.json", kNow + 1000);
    BOOST_TEST(first.accounts[0].name == again->accounts[0].name);
    auto seed = doc_plan(
        R"({"name": "  ", "refresh_token": "rt-seed-1", "client_id": "c", "client_secret": "s"})");
    BOOST_TEST(seed.accounts[0].name == "sso-5f2d3969");  // a blank name is no name
    auto odd = doc_plan(
        R"({"refreshToken": "rt-seed-1", "provider": "My Corp/IdP!", "clientId": "c",
            "clientSecret": "s"})");
    BOOST_TEST(odd.accounts[0].name == "mycorpidp-5f2d3969");
}

BOOST_AUTO_TEST_CASE(malformed_documents_are_refused_with_the_reason) {
    BOOST_TEST(report(doc_plan("{\"refreshToken\": ", "bad.json"))[0].starts_with(
        "refused bad.json: malformed JSON at offset 17: "));
    BOOST_TEST(report(doc_plan("not json", "bad.json")) ==
               Lines{"refused bad.json: malformed JSON at offset 1: Invalid value."});
    BOOST_TEST(report(doc_plan("{} {}", "bad.json")) ==
               Lines{"refused bad.json: malformed JSON at offset 2: unexpected data after the "
                     "document"});
    BOOST_TEST(report(doc_plan("\"text\"", "s.json")) ==
               Lines{"refused s.json: expected a JSON object or an array of objects"});
    BOOST_TEST(report(doc_plan(R"([{"refresh_token": "r", "client_id": "c",
                                    "client_secret": "s"}, 3])")) ==
               (Lines{"account a.json[0] sso-454349e4",
                      "refused a.json[1]: expected a JSON object (an account, a token file or a "
                      "client registration)"}));
}

BOOST_AUTO_TEST_CASE(element_errors_name_the_field) {
    BOOST_TEST(report(doc_plan(R"({"clientId": "c"})")) ==
               Lines{"refused a.json: no refreshToken: neither an account nor a client "
                     "registration (clientId and clientSecret)"});
    BOOST_TEST(report(doc_plan(R"({"refreshToken": "  "})")) ==
               Lines{"refused a.json: no refreshToken: neither an account nor a client "
                     "registration (clientId and clientSecret)"});
    BOOST_TEST(report(doc_plan(R"([{"refreshToken": 5}])")) ==
               Lines{"refused a.json[0]: field 'refreshToken' must be a string"});
    BOOST_TEST(report(doc_plan(R"({"refresh_token": "r", "requests_per_minute": "ten"})")) ==
               Lines{"refused a.json: field 'requests_per_minute' must be an integer"});
    BOOST_TEST(report(doc_plan(R"({"refresh_token": "r", "requests_per_minute": -1})")) ==
               Lines{"refused a.json: field 'requests_per_minute' must be between 0 and "
                     "9223372036854775807"});
    BOOST_TEST(report(doc_plan(amq::str_cat(R"({"refresh_token": "r", "name": ")",
                                            std::string(129, 'n'), "\"}"))) ==
               Lines{"refused a.json: field 'name' is longer than 128 characters"});
}

BOOST_AUTO_TEST_CASE(a_document_the_caller_could_not_read_is_refused_with_its_error) {
    auto plan = plan_of(
        {{"gone.json", "", "cannot read: No such file or directory"}, {"ok.json", kKiroSocial}});
    BOOST_TEST(report(plan) == (Lines{"refused gone.json: cannot read: No such file or directory",
                                      "account ok.json google-ff0bc039"}));
}

BOOST_AUTO_TEST_CASE(only_an_empty_batch_is_an_error) {
    auto none = parse_account_import({}, kNow);
    BOOST_REQUIRE(!none.ok());
    BOOST_TEST(static_cast<int>(none.error().code) == static_cast<int>(Errc::invalid_argument));
    BOOST_TEST(none.error().message == "no documents to import");
}

std::string social_accounts(int from, int count) {
    std::string doc = "[";
    for (int i = from; i < from + count; ++i)
        doc += amq::str_cat(i == from ? "" : ",", R"({"refreshToken": "rt-)", i,
                            R"(", "authMethod": "social"})");
    return doc + "]";
}

BOOST_AUTO_TEST_CASE(at_most_a_thousand_accounts_per_import) {
    BOOST_TEST(doc_plan(social_accounts(0, 1000)).accounts.size() == 1000u);
    auto plan = plan_of({{"a.json", social_accounts(0, 600)},
                         {"b.json", social_accounts(600, 401)},
                         {"c.json", kKiroSocial}});
    BOOST_TEST(plan.accounts.size() == 1000u);
    BOOST_REQUIRE(plan.outcomes.size() == 1002u);
    const Lines lines = report(plan);
    const Lines rest(lines.begin() + 1000, lines.end());
    BOOST_TEST(rest ==
               (Lines{"refused b.json[400…]: not read: an import adds at most 1000 accounts",
                      "refused c.json: not read: an import adds at most 1000 accounts"}));
}

BOOST_AUTO_TEST_CASE(at_most_two_thousand_entries_per_import) {
    std::string doc = "[";
    for (int i = 0; i < 2500; ++i) doc += i ? ",{}" : "{}";
    auto plan = doc_plan(doc + "]");
    BOOST_REQUIRE(plan.outcomes.size() == 2001u);
    BOOST_TEST(report(plan).back() ==
               "refused a.json[2000…]: not read: an import reads at most 2000 entries (files and "
               "array elements)");
}

// Every kind of file an operator has, together with the mistakes a directory of them holds.
BOOST_AUTO_TEST_CASE(a_mixed_batch_reports_every_source) {
    auto plan = plan_of({
        {"cache/0123abcd.json", kRegistration},
        {"cache/aws-cli-session.json", kSsoToken},
        {"cache/broken.json", "{\"refreshToken\": \"rt-x\""},
        {"cache/expired-session.json",
         R"({"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1",
             "accessToken": "at", "expiresAt": "2025-12-01T08:00:00Z", "clientId": "c-old",
             "clientSecret": "s-old", "registrationExpiresAt": "2025-12-01T00:00:00Z",
             "refreshToken": "rt-sso-old"})"},
        {"cache/kiro-auth-token.json", kKiroIdc},
        {"cache/legacy-token.json", R"({"startUrl": "https://d-1234567890.awsapps.com/start",
                                        "region": "us-east-1", "accessToken": "at-legacy",
                                        "expiresAt": "2026-06-01T00:00:00Z"})"},
        {"kiro-social.json", kKiroSocial},
        {"seed.json", amq::str_cat(R"([{"name": "main", "refresh_token": "rt-seed-1",
                                        "client_id": "cid-seed-1", "client_secret": "s"},)",
                                   kKiroSocial, "]")},
    });
    BOOST_TEST(report(plan) ==
               (Lines{"registration cache/0123abcd.json used by builderid-e06a3c93",
                      "account cache/aws-cli-session.json sso-9fb57d19",
                      "refused cache/broken.json: malformed JSON at offset 23: Missing a comma "
                      "or '}' after an object member.",
                      "skipped cache/expired-session.json sso-7b74a095: client registration "
                      "expired at 2025-12-01T00:00:00Z",
                      "account cache/kiro-auth-token.json builderid-e06a3c93",
                      "skipped cache/legacy-token.json: no refresh token: an access token alone "
                      "expires within hours",
                      "account kiro-social.json google-ff0bc039", "account seed.json[0] main",
                      "skipped seed.json[1] google-ff0bc039: same refresh token as "
                      "kiro-social.json"}));
    BOOST_REQUIRE(plan.accounts.size() == 4u);
    BOOST_TEST(plan.accounts[1].client_secret == "secret-kiro-1");
    BOOST_TEST(plan.accounts[2].kind == "social");
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
