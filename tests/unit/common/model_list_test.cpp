#define BOOST_TEST_MODULE model_list
#include <boost/test/unit_test.hpp>

#include "common/json.hpp"
#include "common/model_list.hpp"

using namespace amq;

BOOST_AUTO_TEST_CASE(display_names_read_like_anthropics) {
    BOOST_CHECK_EQUAL(model_display_name("claude-sonnet-4-5"), "Claude Sonnet 4.5");
    BOOST_CHECK_EQUAL(model_display_name("claude-opus-4-6"), "Claude Opus 4.6");
    BOOST_CHECK_EQUAL(model_display_name("claude-sonnet-4"), "Claude Sonnet 4");
    BOOST_CHECK_EQUAL(model_display_name("claude-haiku-4-5-20251001"), "Claude Haiku 4.5");
    BOOST_CHECK_EQUAL(model_display_name("auto"), "auto");
}

BOOST_AUTO_TEST_CASE(openai_list_shape) {
    auto doc = parse_json(openai_model_list({"claude-sonnet-4-5", "auto"}, 1700000000));
    BOOST_REQUIRE(doc);
    BOOST_CHECK_EQUAL(std::string((*doc)["object"].GetString()), "list");
    const auto& data = (*doc)["data"];
    BOOST_REQUIRE_EQUAL(data.Size(), 2u);
    BOOST_CHECK_EQUAL(std::string(data[0]["id"].GetString()), "claude-sonnet-4-5");
    BOOST_CHECK_EQUAL(std::string(data[0]["object"].GetString()), "model");
    BOOST_CHECK_EQUAL(data[0]["created"].GetInt64(), 1700000000);
    BOOST_CHECK(data[0].HasMember("owned_by"));
}

BOOST_AUTO_TEST_CASE(anthropic_list_shape) {
    auto doc =
        parse_json(anthropic_model_list({"claude-sonnet-4-5", "claude-opus-4-6"}, 1700000000));
    BOOST_REQUIRE(doc);
    const auto& data = (*doc)["data"];
    BOOST_REQUIRE_EQUAL(data.Size(), 2u);
    BOOST_CHECK_EQUAL(std::string(data[1]["type"].GetString()), "model");
    BOOST_CHECK_EQUAL(std::string(data[1]["display_name"].GetString()), "Claude Opus 4.6");
    BOOST_CHECK_EQUAL(std::string(data[1]["created_at"].GetString()), "2023-11-14T22:13:20Z");
    BOOST_CHECK(!(*doc)["has_more"].GetBool());
    BOOST_CHECK_EQUAL(std::string((*doc)["first_id"].GetString()), "claude-sonnet-4-5");
    BOOST_CHECK_EQUAL(std::string((*doc)["last_id"].GetString()), "claude-opus-4-6");
    auto empty = parse_json(anthropic_model_list({}, 0));
    BOOST_REQUIRE(empty);
    BOOST_CHECK((*empty)["first_id"].IsNull());
}

BOOST_AUTO_TEST_CASE(single_models) {
    auto o = parse_json(openai_model("gpt-4o", 5));
    BOOST_REQUIRE(o);
    BOOST_CHECK_EQUAL(std::string((*o)["id"].GetString()), "gpt-4o");
    auto a = parse_json(anthropic_model("claude-opus-4-6", 5));
    BOOST_REQUIRE(a);
    BOOST_CHECK_EQUAL(std::string((*a)["type"].GetString()), "model");
}
