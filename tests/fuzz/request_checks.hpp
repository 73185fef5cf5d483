// The invariants of a translated request (anthropic_request_fuzz, openai_request_fuzz): what
// the request rules of docs/translation.md §1 promise of every generateAssistantResponse body
// the daemon sends, whatever the client wrote.
#pragma once

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/anthropic_request.hpp"
#include "common/json.hpp"
#include "common/q_request.hpp"
#include "common/result.hpp"
#include "common/tool_names.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace amq_fuzz {

inline constexpr std::string_view kFallbackConversationId = "00000000-0000-4000-8000-000000000000";

inline amq::TranslateOptions fuzz_translate_options() {
    amq::TranslateOptions options;
    options.fallback_conversation_id = std::string(kFallbackConversationId);
    return options;
}

// A translation error must be one the front ends map to a 4xx with a message.
inline void check_translate_error(const amq::Error& error) {
    FUZZ_CHECK(error.code == amq::Errc::invalid_argument || error.code == amq::Errc::too_large);
    FUZZ_CHECK(!error.message.empty());
}

// The ids of an assistantResponseMessage's toolUses; checks each use on the way.
inline std::set<std::string, std::less<>> check_tool_uses(const rapidjson::Value* assistant) {
    std::set<std::string, std::less<>> ids;
    const rapidjson::Value* uses = member(assistant, "toolUses");
    if (!uses) return ids;
    FUZZ_CHECK(uses->IsArray() && !uses->Empty());
    for (const rapidjson::Value& use : uses->GetArray()) {
        auto id = string_member(&use, "toolUseId");
        auto name = string_member(&use, "name");
        FUZZ_CHECK(id && !id->empty());
        FUZZ_CHECK(name && !name->empty() && name->size() <= amq::kMaxToolName);
        const rapidjson::Value* input = member(&use, "input");
        FUZZ_CHECK(input && input->IsObject());  // rule 8
        FUZZ_CHECK(ids.emplace(*id).second);     // rule 4: no duplicate ids
    }
    return ids;
}

// A userInputMessage's toolResults must answer the preceding assistant message's tool uses,
// each at most once (rule 4); returns the ids answered.
inline std::set<std::string, std::less<>> check_tool_results(
    const rapidjson::Value* user, const std::set<std::string, std::less<>>& offered) {
    std::set<std::string, std::less<>> answered;
    const rapidjson::Value* context = member(user, "userInputMessageContext");
    const rapidjson::Value* results = member(context, "toolResults");
    if (!results) return answered;
    FUZZ_CHECK(results->IsArray() && !results->Empty());
    for (const rapidjson::Value& result : results->GetArray()) {
        auto id = string_member(&result, "toolUseId");
        FUZZ_CHECK(id && offered.contains(*id));
        FUZZ_CHECK(answered.emplace(*id).second);
        const rapidjson::Value* content = member(&result, "content");
        FUZZ_CHECK(content && content->IsArray() && content->Size() == 1);
        auto text = string_member(&(*content)[0], "text");
        FUZZ_CHECK(text && !text->empty());
        auto status = string_member(&result, "status");
        FUZZ_CHECK(status && (*status == "success" || *status == "error"));
    }
    return answered;
}

inline void check_user_message(const rapidjson::Value* entry, const amq::UpstreamRequest& request,
                               const amq::TranslateOptions& options) {
    const rapidjson::Value* user = member(entry, "userInputMessage");
    FUZZ_CHECK(user && user->IsObject());
    auto content = string_member(user, "content");
    FUZZ_CHECK(content && !content->empty());  // the upstream rejects empty content
    FUZZ_CHECK(string_member(user, "modelId") == std::string_view(request.model.upstream));
    FUZZ_CHECK(string_member(user, "origin") == std::string_view(options.origin));
    if (const rapidjson::Value* images = member(user, "images")) {
        FUZZ_CHECK(images->IsArray() && !images->Empty());
        for (const rapidjson::Value& image : images->GetArray()) {
            auto format = string_member(&image, "format");
            FUZZ_CHECK(format && (*format == "jpeg" || *format == "png" || *format == "gif" ||
                                  *format == "webp"));
            auto bytes = string_member(member(&image, "source"), "bytes");
            FUZZ_CHECK(bytes && !bytes->empty());
        }
    }
}

// Every translated request: a JSON body within the payload cap whose current message has
// content, strict user/assistant alternation in the history, paired tool calls, a spec for
// every tool the history uses, and an input estimate of at least one token.
inline void check_upstream_request(const amq::UpstreamRequest& request,
                                   const amq::TranslateOptions& options) {
    FUZZ_CHECK(request.estimated_input_tokens >= 1);
    FUZZ_CHECK(request.body.size() <= options.max_payload);
    if (request.session_id.empty())
        FUZZ_CHECK(request.conversation_id == options.fallback_conversation_id);
    else
        FUZZ_CHECK(request.conversation_id ==
                   amq::conversation_id_for_session(request.session_id));
    for (const auto& [upstream, client] : request.tool_names) {
        FUZZ_CHECK(upstream.size() <= amq::kMaxToolName && upstream != client);
        FUZZ_CHECK(amq::upstream_tool_name(client) == upstream);
    }

    auto doc = amq::parse_json(request.body);
    FUZZ_CHECK(doc.ok() && doc->IsObject());
    const rapidjson::Value* state = member(&*doc, "conversationState");
    FUZZ_CHECK(state && state->IsObject());
    FUZZ_CHECK(string_member(state, "conversationId") == std::string_view(request.conversation_id));
    FUZZ_CHECK(string_member(state, "chatTriggerType") == std::string_view("MANUAL"));
    if (options.profile_arn.empty()) FUZZ_CHECK(!member(&*doc, "profileArn"));

    const rapidjson::Value* current = member(state, "currentMessage");
    check_user_message(current, request, options);
    auto content = string_member(member(current, "userInputMessage"), "content");
    FUZZ_CHECK(content && !content->empty());

    // Tool specs: on the current message only.
    const rapidjson::Value* context = member(member(current, "userInputMessage"),
                                             "userInputMessageContext");
    FUZZ_CHECK(context && member(context, "envState"));
    std::set<std::string, std::less<>> spec_names;
    if (const rapidjson::Value* tools = member(context, "tools")) {
        FUZZ_CHECK(tools->IsArray() && !tools->Empty());
        for (const rapidjson::Value& tool : tools->GetArray()) {
            const rapidjson::Value* spec = member(&tool, "toolSpecification");
            auto name = string_member(spec, "name");
            FUZZ_CHECK(name && !name->empty() && name->size() <= amq::kMaxToolName);
            spec_names.emplace(*name);
            auto description = string_member(spec, "description");
            FUZZ_CHECK(description && !description->empty());
            const rapidjson::Value* schema = member(member(spec, "inputSchema"), "json");
            FUZZ_CHECK(schema && schema->IsObject());
            auto type = string_member(schema, "type");
            FUZZ_CHECK(type);  // rule 6: a string type at the top
            if (*type == "object") {
                const rapidjson::Value* properties = member(schema, "properties");
                FUZZ_CHECK(properties && properties->IsObject());
            }
        }
    }

    // History: [user, assistant]*, the tool uses of each assistant message answered by the
    // user message after it (the next history entry, or the current message).
    std::set<std::string, std::less<>> offered;
    const rapidjson::Value* history = member(state, "history");
    if (history) {
        FUZZ_CHECK(history->IsArray() && !history->Empty() && history->Size() % 2 == 0);
        for (rapidjson::SizeType i = 0; i < history->Size(); ++i) {
            const rapidjson::Value* entry = &(*history)[i];
            if (i % 2 == 0) {
                check_user_message(entry, request, options);
                FUZZ_CHECK(!member(member(member(entry, "userInputMessage"),
                                          "userInputMessageContext"),
                                   "tools"));
                auto answered = check_tool_results(member(entry, "userInputMessage"), offered);
                FUZZ_CHECK(answered == offered);
                offered.clear();
            } else {
                const rapidjson::Value* assistant = member(entry, "assistantResponseMessage");
                FUZZ_CHECK(assistant && assistant->IsObject());
                auto text = string_member(assistant, "content");
                FUZZ_CHECK(text && !text->empty());
                offered = check_tool_uses(assistant);
                if (const rapidjson::Value* uses = member(assistant, "toolUses")) {
                    for (const rapidjson::Value& use : uses->GetArray())  // rule 5
                        FUZZ_CHECK(spec_names.contains(*string_member(&use, "name")));
                }
            }
        }
    }
    auto answered = check_tool_results(member(current, "userInputMessage"), offered);
    FUZZ_CHECK(answered == offered);
    if (!history)  // without history, nothing to answer
        FUZZ_CHECK(!member(context, "toolResults"));

    if (request.thinking) {
        std::string_view first = *content;
        if (history) first = *string_member(member(&(*history)[0], "userInputMessage"), "content");
        FUZZ_CHECK(first.find("<thinking_mode>enabled</thinking_mode>") != std::string_view::npos);
    }
}

}  // namespace amq_fuzz
