// Parsing and checking JSON in tests: parse or fail, look up by JSON Pointer, compare whole
// documents with both sides printed on a mismatch.
#pragma once

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include "common/json.hpp"

namespace amq::test {

// The parsed text; fails the test when it is not JSON.
inline rapidjson::Document parsed(std::string_view text) {
    auto doc = amq::parse_json(text);
    if (!doc.ok()) BOOST_FAIL("test JSON does not parse: " << doc.error().message << "\n" << text);
    return std::move(doc).value();
}

// The value at a JSON Pointer ("/conversationState/history/0"); fails the test when absent.
inline const rapidjson::Value& at(const rapidjson::Value& doc, const char* pointer) {
    const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
    if (!v) BOOST_FAIL("no " << pointer << " in " << amq::to_json(doc));
    return *v;
}

inline bool has(const rapidjson::Value& doc, const char* pointer) {
    return rapidjson::Pointer(pointer).Get(doc) != nullptr;
}

// A string value as std::string (embedded NULs included).
inline std::string str(const rapidjson::Value& v) {
    return std::string(v.GetString(), v.GetStringLength());
}

// Compares parsed JSON (member order does not matter) and prints both sides when they differ.
inline void check_json(const rapidjson::Value& actual, std::string_view expected) {
    rapidjson::Document want = parsed(expected);
    BOOST_TEST((actual == want),
               "JSON differs\n  actual:   " << amq::to_json(actual)
                                            << "\n  expected: " << amq::to_json(want));
}

}  // namespace amq::test
