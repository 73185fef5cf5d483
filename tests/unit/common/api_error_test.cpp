#define BOOST_TEST_MODULE common_api_error
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/api_error.hpp"
#include "common/json.hpp"

using amq::anthropic_error_type;
using amq::Dialect;
using amq::error_body;
using amq::openai_error_type;

namespace {

rapidjson::Document parsed(const std::string& text) {
    auto doc = amq::parse_json(text);
    if (!doc.ok()) BOOST_FAIL("error body is not JSON: " << text);
    return std::move(doc).value();
}

std::string string_at(const rapidjson::Value& object, const char* name) {
    BOOST_REQUIRE(object.IsObject());
    BOOST_REQUIRE(object.HasMember(name));
    BOOST_REQUIRE(object[name].IsString());
    return std::string(object[name].GetString(), object[name].GetStringLength());
}

}  // namespace

BOOST_AUTO_TEST_CASE(anthropic_error_types_follow_the_documented_table) {
    struct Row {
        int status;
        std::string_view type;
    };
    const Row table[] = {
        {400, "invalid_request_error"},
        {401, "authentication_error"},
        {403, "permission_error"},
        {404, "not_found_error"},
        {413, "request_too_large"},
        {429, "rate_limit_error"},
        {500, "api_error"},
        {502, "api_error"},
        {503, "overloaded_error"},
        {529, "overloaded_error"},
        {405, "invalid_request_error"},
        {422, "invalid_request_error"},
    };
    for (const Row& row : table) {
        BOOST_TEST_CONTEXT("status " << row.status)
        BOOST_TEST(anthropic_error_type(row.status) == row.type);
    }
}

BOOST_AUTO_TEST_CASE(openai_error_types_follow_the_table) {
    struct Row {
        int status;
        std::string_view type;
    };
    const Row table[] = {
        {400, "invalid_request_error"}, {401, "authentication_error"},  {403, "permission_error"},
        {404, "not_found_error"},       {413, "invalid_request_error"}, {429, "rate_limit_error"},
        {500, "server_error"},          {502, "server_error"},          {503, "server_error"},
        {529, "server_error"},
    };
    for (const Row& row : table) {
        BOOST_TEST_CONTEXT("status " << row.status)
        BOOST_TEST(openai_error_type(row.status) == row.type);
    }
}

BOOST_AUTO_TEST_CASE(anthropic_body_has_type_error_and_nested_type_and_message) {
    std::string body = error_body(Dialect::anthropic, 429, "slow down");
    auto doc = parsed(body);
    BOOST_REQUIRE(doc.IsObject());
    BOOST_TEST(doc.MemberCount() == 2u);
    BOOST_TEST(string_at(doc, "type") == "error");
    BOOST_REQUIRE(doc.HasMember("error"));
    const rapidjson::Value& error = doc["error"];
    BOOST_REQUIRE(error.IsObject());
    BOOST_TEST(error.MemberCount() == 2u);
    BOOST_TEST(string_at(error, "type") == "rate_limit_error");
    BOOST_TEST(string_at(error, "message") == "slow down");
}

BOOST_AUTO_TEST_CASE(openai_body_has_message_type_and_null_param_and_code) {
    std::string body = error_body(Dialect::openai, 401, "bad key");
    auto doc = parsed(body);
    BOOST_REQUIRE(doc.IsObject());
    BOOST_TEST(doc.MemberCount() == 1u);
    BOOST_REQUIRE(doc.HasMember("error"));
    const rapidjson::Value& error = doc["error"];
    BOOST_REQUIRE(error.IsObject());
    BOOST_TEST(error.MemberCount() == 4u);
    BOOST_TEST(string_at(error, "message") == "bad key");
    BOOST_TEST(string_at(error, "type") == "authentication_error");
    BOOST_REQUIRE(error.HasMember("param"));
    BOOST_TEST(error["param"].IsNull());
    BOOST_REQUIRE(error.HasMember("code"));
    BOOST_TEST(error["code"].IsNull());
}

BOOST_AUTO_TEST_CASE(error_bodies_are_compact_and_in_a_fixed_key_order) {
    BOOST_TEST(error_body(Dialect::anthropic, 404, "no such model") ==
               R"({"type":"error","error":{"type":"not_found_error","message":"no such model"}})");
    BOOST_TEST(error_body(Dialect::openai, 500, "boom") ==
               R"({"error":{"message":"boom","type":"server_error","param":null,"code":null}})");
}

BOOST_AUTO_TEST_CASE(error_body_escapes_the_message) {
    const std::string message = "quote \" backslash \\ newline \n nul " + std::string(1, '\0');
    for (Dialect dialect : {Dialect::anthropic, Dialect::openai}) {
        auto doc = parsed(error_body(dialect, 400, message));
        BOOST_TEST(string_at(doc["error"], "message") == message);
    }
}

BOOST_AUTO_TEST_CASE(the_admin_api_answers_errors_as_detail) {
    BOOST_TEST(error_body(Dialect::admin, 409, "last admin key") ==
               R"({"detail":"last admin key"})");
}

BOOST_AUTO_TEST_CASE(a_path_says_whose_error_shape_it_gets) {
    using amq::dialect_for_path;
    BOOST_TEST((dialect_for_path("/v1/chat/completions") == Dialect::openai));
    BOOST_TEST((dialect_for_path("/v1/completions") == Dialect::openai));
    BOOST_TEST((dialect_for_path("/admin/api-keys") == Dialect::admin));
    BOOST_TEST((dialect_for_path("/v1/messages") == Dialect::anthropic));
    BOOST_TEST((dialect_for_path("") == Dialect::anthropic));
}
