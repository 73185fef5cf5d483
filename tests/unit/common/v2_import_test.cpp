#define BOOST_TEST_MODULE common_v2_import
#include <boost/test/unit_test.hpp>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/v2_import.hpp"

using namespace amq;

BOOST_AUTO_TEST_CASE(v2_times_are_read_with_their_fraction) {
    auto t = parse_naive_time("2026-12-05 06:39:12.441207");
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->year == 2026);
    BOOST_TEST(t->month == 12);
    BOOST_TEST(t->day == 5);
    BOOST_TEST(t->hour == 6);
    BOOST_TEST(t->minute == 39);
    BOOST_TEST(t->second == 12);
    BOOST_TEST(t->microsecond == 441207);
    BOOST_TEST(parse_naive_time("2026-12-05 06:39:12")->microsecond == 0);
    BOOST_TEST(parse_naive_time("2026-12-05T06:39:12.5")->microsecond == 500000);
}

BOOST_AUTO_TEST_CASE(what_is_no_v2_time_is_refused) {
    for (const char* bad :
         {"", "2026-12-05", "2026-13-05 06:39:12", "2026-12-05 24:00:00", "2026-12-05 06:39:12.",
          "2026-12-05 06:39:12.1234567", "2026-12-05 06:39:12+08:00", "2026/12/05 06:39:12",
          "２０２６-12-05 06:39:12"})
        BOOST_TEST(!parse_naive_time(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(a_key_keeps_its_secret_only_as_the_hash) {
    V2KeyRow row{3, "amq-KyLKDzU0io-secret", "我的管理员密钥", "admin", true, true, 100, 10000, 0};
    V2Key key = v2_key(row);
    BOOST_TEST(key.secret_hash == api_key_hash("amq-KyLKDzU0io-secret"));
    BOOST_TEST(key.display.find("secret") == std::string::npos);
    BOOST_TEST(key.enabled);
    BOOST_TEST(key.is_admin);
    BOOST_TEST(key.warning.empty());
    BOOST_TEST(
        encode_v2_import(V2Import{"x", false, {}, {key}, {}}).find("amq-KyLKDzU0io-secret") ==
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_bootstrap_key_comes_disabled_with_a_warning_and_revoked_ones_disabled) {
    V2Key bootstrap = v2_key(V2KeyRow{1, std::string(kV2BootstrapKey), "默认管理员密钥", "", true,
                                      true, 1000, 100000, 0});
    BOOST_TEST(!bootstrap.enabled);
    BOOST_TEST(!bootstrap.warning.empty());
    V2Key revoked =
        v2_key(V2KeyRow{6, "amq-XxPLQiiVKm", "old-laptop", "", false, false, 10, 100, 0});
    BOOST_TEST(!revoked.enabled);
    BOOST_TEST(revoked.warning.empty());
}

BOOST_AUTO_TEST_CASE(the_request_round_trips) {
    V2Import in;
    in.source = "/srv/amq2api.db";
    in.dry_run = true;
    in.accounts.push_back(V2Account{4, "主账号", "rt", "cid", "cs", "arn:x", true, 10, "团队共享"});
    in.keys.push_back(v2_key(V2KeyRow{2, "amq-a", "k", "", true, false, std::nullopt, 5, 99}));
    UsageRecord u;
    u.time_ms = 1764916752441;
    u.key_id = 2;
    u.account_id = 4;
    u.status = 200;
    in.usage.push_back(u);
    auto doc = parse_json(encode_v2_import(in));
    BOOST_REQUIRE(doc.ok());
    auto out = decode_v2_import(*doc);
    BOOST_REQUIRE(out.ok());
    BOOST_TEST(out->source == in.source);
    BOOST_TEST(out->dry_run);
    BOOST_TEST(out->accounts[0].name == "主账号");
    BOOST_TEST(*out->accounts[0].requests_per_minute == 10);
    BOOST_TEST(!out->keys[0].requests_per_minute.has_value());
    BOOST_TEST(*out->keys[0].requests_per_day == 5);
    BOOST_TEST(out->keys[0].expires_at == 99);
    BOOST_TEST((out->usage[0] == u));
}

BOOST_AUTO_TEST_CASE(a_malformed_request_names_the_bad_field) {
    auto doc = parse_json(R"({"accounts":[{"v2_id":1,"name":"a"}]})");
    BOOST_REQUIRE(doc.ok());
    auto out = decode_v2_import(*doc);
    BOOST_REQUIRE(!out.ok());
    BOOST_TEST(out.error().message.find("accounts.0.refresh_token") != std::string::npos,
               out.error().message);
    auto not_list = parse_json(R"({"keys":[7]})");
    BOOST_TEST(decode_v2_import(*not_list).error().message.find("keys.0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_report_round_trips) {
    V2ImportReport r;
    r.source = "a.db";
    r.dry_run = true;
    r.accounts = {3, 2};
    r.keys = {1, 0};
    r.usage = {25008, 7};
    r.warnings = {"key 'x': bootstrap"};
    r.skipped = {{"account 'backup'", "another account has this name"}};
    auto doc = parse_json(encode_v2_report(r));
    BOOST_REQUIRE(doc.ok());
    auto back = decode_v2_report(*doc);
    BOOST_REQUIRE(back.ok());
    BOOST_TEST(back->source == "a.db");
    BOOST_TEST(back->dry_run);
    BOOST_TEST(back->accounts.added == 3u);
    BOOST_TEST(back->accounts.present == 2u);
    BOOST_TEST(back->usage.added == 25008u);
    BOOST_TEST(back->warnings == r.warnings);
    BOOST_REQUIRE_EQUAL(back->skipped.size(), 1u);
    BOOST_TEST(back->skipped[0].reason == "another account has this name");
    auto missing = parse_json(R"({"accounts":{"added":1,"present":0}})");
    BOOST_TEST(!decode_v2_report(*missing).ok());
}
