#define BOOST_TEST_MODULE common_json
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json.hpp"

using amq::Errc;
using amq::FieldReader;
using amq::parse_json;

namespace {

rapidjson::Document parsed(std::string_view text) {
    auto doc = parse_json(text);
    if (!doc.ok()) BOOST_FAIL("test input does not parse: " << doc.error().message);
    return std::move(doc).value();
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_json_reads_a_document) {
    auto doc = parse_json(R"({"a":[1,2,{"b":"c"}],"d":null})");
    BOOST_REQUIRE(doc.ok());
    BOOST_TEST(doc->IsObject());
    BOOST_TEST((*doc)["a"].Size() == 3u);
    BOOST_TEST(std::string((*doc)["a"][2]["b"].GetString()) == "c");
}

BOOST_AUTO_TEST_CASE(parse_json_reads_only_the_given_length) {
    // The view stops before the garbage: what lies beyond it must not be read.
    std::string_view text("[1]garbage", 3);
    auto doc = parse_json(text);
    BOOST_REQUIRE(doc.ok());
    BOOST_TEST(doc->IsArray());
}

BOOST_AUTO_TEST_CASE(parse_json_rejects_malformed_text_with_invalid_argument) {
    for (std::string_view text : {"", "{", R"({"a":})", "[1,]", "{'a':1}", "nul", R"("open)"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'") {
            auto doc = parse_json(text);
            BOOST_REQUIRE(!doc.ok());
            BOOST_TEST((doc.error().code == Errc::invalid_argument));
            BOOST_TEST(contains(doc.error().message, "malformed JSON"));
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_json_error_names_the_offset) {
    auto doc = parse_json(R"({"a": x})");
    BOOST_REQUIRE(!doc.ok());
    BOOST_TEST(contains(doc.error().message, "offset 6"));
}

BOOST_AUTO_TEST_CASE(parse_json_rejects_trailing_garbage) {
    for (std::string_view text : {"{} x", "{}{}", "[1] [2]", "1 2", R"({"a":1}})"}) {
        BOOST_TEST_CONTEXT("text '" << text << "'") {
            auto doc = parse_json(text);
            BOOST_REQUIRE(!doc.ok());
            BOOST_TEST((doc.error().code == Errc::invalid_argument));
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_json_rejects_trailing_garbage_after_a_nul_byte) {
    auto doc = parse_json(std::string_view("{} \0xyz", 7));
    BOOST_TEST(!doc.ok());
}

BOOST_AUTO_TEST_CASE(to_json_writes_compact_text) {
    auto doc = parsed(R"( { "a" : [ 1 , true , null ] , "b" : "x\"y" } )");
    BOOST_TEST(amq::to_json(doc) == R"({"a":[1,true,null],"b":"x\"y"})");
}

BOOST_AUTO_TEST_CASE(json_object_and_write_string_keep_embedded_nul_and_escape_quotes) {
    std::string text = amq::json_object([](amq::JsonWriter& w) {
        amq::write_key(w, "k");
        amq::write_string(w, std::string_view("a\0\"b", 4));
    });
    BOOST_TEST(text == R"({"k":"a\u0000\"b"})");
    auto doc = parsed(text);
    BOOST_TEST(doc["k"].GetStringLength() == 4u);
}

BOOST_AUTO_TEST_CASE(field_reader_reads_present_fields) {
    auto doc = parsed(R"({"s":"text","i":-7,"b":true,"o":{},"a":[1]})");
    FieldReader f(doc);
    BOOST_TEST(f.string("s", true).value() == "text");
    BOOST_TEST(f.integer("i", true).value() == -7);
    BOOST_TEST(f.boolean("b", true).value() == true);
    BOOST_TEST(f.object("o", true) != nullptr);
    BOOST_TEST(f.array("a", true) != nullptr);
    BOOST_TEST(f.has("s"));
    BOOST_TEST(f.ok());
    BOOST_TEST(f.status().ok());
}

BOOST_AUTO_TEST_CASE(field_reader_optional_missing_and_null_fields_are_absent_not_errors) {
    auto doc = parsed(R"({"n":null})");
    FieldReader f(doc);
    BOOST_TEST(!f.string("missing"));
    BOOST_TEST(!f.integer("n"));
    BOOST_TEST(!f.boolean("missing"));
    BOOST_TEST(f.object("missing") == nullptr);
    BOOST_TEST(f.array("n") == nullptr);
    BOOST_TEST(!f.has("n"));
    BOOST_TEST(!f.has("missing"));
    BOOST_TEST(f.ok());
}

BOOST_AUTO_TEST_CASE(field_reader_required_missing_field_names_the_field) {
    auto doc = parsed(R"({"other":1})");
    FieldReader f(doc);
    BOOST_TEST(!f.string("client_secret", true));
    BOOST_TEST(!f.ok());
    auto status = f.status();
    BOOST_REQUIRE(!status.ok());
    BOOST_TEST((status.error().code == Errc::invalid_argument));
    BOOST_TEST(status.error().message == "field 'client_secret' is required");
}

BOOST_AUTO_TEST_CASE(field_reader_required_null_field_counts_as_missing) {
    auto doc = parsed(R"({"name":null})");
    FieldReader f(doc);
    BOOST_TEST(!f.string("name", true));
    BOOST_REQUIRE(!f.status().ok());
    BOOST_TEST(f.status().error().message == "field 'name' is required");
}

BOOST_AUTO_TEST_CASE(field_reader_wrong_types_name_the_field_and_the_expected_type) {
    // Each reader returns whether it produced a value.
    using Read = bool (*)(FieldReader&);
    struct Case {
        const char* json;
        Read read;
        const char* expected;
    };
    const Case cases[] = {
        {R"({"x":1})", [](FieldReader& f) { return f.string("x").has_value(); },
         "field 'x' must be a string"},
        {R"({"x":"1"})", [](FieldReader& f) { return f.integer("x").has_value(); },
         "field 'x' must be an integer"},
        {R"({"x":1.5})", [](FieldReader& f) { return f.integer("x").has_value(); },
         "field 'x' must be an integer"},
        {R"({"x":"true"})", [](FieldReader& f) { return f.boolean("x").has_value(); },
         "field 'x' must be true or false"},
        {R"({"x":[]})", [](FieldReader& f) { return f.object("x") != nullptr; },
         "field 'x' must be an object"},
        {R"({"x":{}})", [](FieldReader& f) { return f.array("x") != nullptr; },
         "field 'x' must be an array"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("input " << c.json) {
            auto doc = parsed(c.json);
            FieldReader f(doc);
            BOOST_TEST(!c.read(f));
            BOOST_REQUIRE(!f.status().ok());
            BOOST_TEST(f.status().error().message == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(field_reader_integer_range_is_inclusive_and_named) {
    auto doc = parsed(R"({"low":0,"min":1,"max":10,"high":11})");
    {
        FieldReader f(doc);
        BOOST_TEST(f.integer("min", false, 1, 10).value() == 1);
        BOOST_TEST(f.integer("max", false, 1, 10).value() == 10);
        BOOST_TEST(f.ok());
    }
    {
        FieldReader f(doc);
        BOOST_TEST(!f.integer("low", false, 1, 10));
        BOOST_REQUIRE(!f.status().ok());
        BOOST_TEST(f.status().error().message == "field 'low' must be between 1 and 10");
    }
    {
        FieldReader f(doc);
        BOOST_TEST(!f.integer("high", false, 1, 10));
        BOOST_REQUIRE(!f.status().ok());
        BOOST_TEST(f.status().error().message == "field 'high' must be between 1 and 10");
    }
}

BOOST_AUTO_TEST_CASE(field_reader_integer_accepts_the_int64_extremes) {
    auto doc = parsed(R"({"lo":-9223372036854775808,"hi":9223372036854775807})");
    FieldReader f(doc);
    BOOST_TEST(f.integer("lo").value() == INT64_MIN);
    BOOST_TEST(f.integer("hi").value() == INT64_MAX);
    BOOST_TEST(f.ok());
}

BOOST_AUTO_TEST_CASE(field_reader_integer_rejects_values_beyond_int64) {
    auto doc = parsed(R"({"big":18446744073709551615})");
    FieldReader f(doc);
    BOOST_TEST(!f.integer("big"));
    BOOST_TEST(!f.ok());
}

BOOST_AUTO_TEST_CASE(field_reader_prefix_appears_in_field_messages) {
    auto doc = parsed(R"({"limits":{"rpm":"many"}})");
    FieldReader outer(doc);
    const rapidjson::Value* limits = outer.object("limits", true);
    BOOST_REQUIRE(limits != nullptr);
    FieldReader inner(*limits, "limits");
    BOOST_TEST(!inner.integer("rpm"));
    BOOST_REQUIRE(!inner.status().ok());
    BOOST_TEST(inner.status().error().message == "field 'limits.rpm' must be an integer");

    FieldReader missing(*limits, "limits");
    BOOST_TEST(!missing.string("name", true));
    BOOST_REQUIRE(!missing.status().ok());
    BOOST_TEST(missing.status().error().message == "field 'limits.name' is required");
}

BOOST_AUTO_TEST_CASE(field_reader_on_a_non_object_fails_without_reading) {
    auto doc = parsed("[1,2]");
    FieldReader f(doc);
    BOOST_TEST(!f.ok());
    BOOST_TEST(!f.string("x"));
    BOOST_TEST(!f.has("x"));
    BOOST_REQUIRE(!f.status().ok());
    BOOST_TEST(f.status().error().message == "expected a JSON object");

    FieldReader prefixed(doc, "args");
    BOOST_REQUIRE(!prefixed.status().ok());
    BOOST_TEST(prefixed.status().error().message == "'args' must be an object");
}

BOOST_AUTO_TEST_CASE(field_reader_keeps_the_first_problem) {
    auto doc = parsed(R"({"a":1,"b":"x"})");
    FieldReader f(doc);
    BOOST_TEST(!f.string("a"));
    BOOST_TEST(!f.string("b"));  // valid, but reads after a failure return nothing
    BOOST_TEST(!f.string("c", true));
    BOOST_REQUIRE(!f.status().ok());
    BOOST_TEST(f.status().error().message == "field 'a' must be a string");
}

BOOST_AUTO_TEST_CASE(parse_json_accepts_nesting_up_to_the_limit) {
    std::string text = std::string(amq::kMaxJsonDepth, '[') + std::string(amq::kMaxJsonDepth, ']');
    BOOST_TEST(parse_json(text).ok());
}

BOOST_AUTO_TEST_CASE(parse_json_rejects_deep_nesting_without_recursing) {
    // 200 000 levels overflowed the stack of a worker before the limit existed.
    for (char open : {'[', '{'}) {
        std::string text;
        if (open == '[')
            text = std::string(200000, '[') + std::string(200000, ']');
        else
            for (int i = 0; i < 200000; ++i) text += R"({"a":)";
        auto doc = parse_json(text);
        BOOST_REQUIRE(!doc.ok());
        BOOST_TEST((doc.error().code == Errc::invalid_argument));
        BOOST_TEST(contains(doc.error().message, "nested deeper than 128 levels"));
    }
    std::string one_too_deep =
        std::string(amq::kMaxJsonDepth + 1, '[') + std::string(amq::kMaxJsonDepth + 1, ']');
    BOOST_TEST(!parse_json(one_too_deep).ok());
}

BOOST_AUTO_TEST_CASE(parse_request_json_rejects_invalid_utf8_in_strings) {
    for (std::string_view text : {"{\"a\":\"\xff\"}", "[\"\xc3\"]", "{\"\xed\xa0\x80\":1}"}) {
        auto doc = amq::parse_request_json(text);
        BOOST_REQUIRE(!doc.ok());
        BOOST_TEST(contains(doc.error().message, "Invalid encoding"));
        // Stored records may hold such bytes: reading them back must not fail.
        BOOST_TEST(parse_json(text).ok());
    }
    BOOST_TEST(amq::parse_request_json("[\"h\xc3\xa9\"]").ok());
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    BOOST_TEST(contains(amq::parse_request_json(deep).error().message, "nested deeper"));
}
