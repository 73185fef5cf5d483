// What the request translation tests share: their options and the pieces of the Amazon Q
// body they check (its current message and history, and user/assistant history entries).
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/json.hpp"
#include "common/q_request.hpp"
#include "tests/unit/support/json_check.hpp"

namespace amq::test {

inline constexpr std::string_view kFallbackId = "11111111-2222-4333-8444-555555555555";

inline TranslateOptions options() {
    TranslateOptions o;
    o.fallback_conversation_id = std::string(kFallbackId);
    o.require_max_tokens = false;  // the parameter checks have tests of their own
    return o;
}

inline const rapidjson::Value& current(const rapidjson::Document& body) {
    return at(body, "/conversationState/currentMessage/userInputMessage");
}

inline const rapidjson::Value& history(const rapidjson::Document& body) {
    return at(body, "/conversationState/history");
}

// The text as a JSON string literal, quotes included.
inline std::string quoted(std::string_view text) {
    return amq::json_value([&](amq::JsonWriter& w) { amq::write_string(w, text); });
}

// A user message in the upstream's history for the model, with extra members (",\"images\":…")
// spliced in after the origin.
inline std::string user_json_for(std::string_view model, std::string_view content,
                                 std::string_view extra = "") {
    return std::string(R"({"userInputMessage":{"content":)") + quoted(content) + R"(,"modelId":")" +
           std::string(model) + R"(","origin":"CLI")" + std::string(extra) + "}}";
}

inline std::string user_json(std::string_view content, std::string_view extra = "") {
    return user_json_for("claude-sonnet-4.5", content, extra);
}

// An assistant message in the upstream's history, extra members (",\"toolUses\":…") last.
inline std::string assistant_json(std::string_view content, std::string_view extra = "") {
    return std::string(R"({"assistantResponseMessage":{"content":)") + quoted(content) +
           std::string(extra) + "}}";
}

}  // namespace amq::test
