#define BOOST_TEST_MODULE common_anthropic_request
#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>
#include <string_view>

#include "common/anthropic_request.hpp"
#include "common/json.hpp"
#include "common/q_request.hpp"
#include "common/tool_names.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/translate_fixtures.hpp"

using amq::Errc;
using amq::TranslateOptions;
using amq::UpstreamRequest;
using namespace amq::test;

namespace {

UpstreamRequest translate(std::string_view request, const TranslateOptions& o = options()) {
    rapidjson::Document doc = parsed(request);
    auto out = amq::translate_anthropic_request(doc, o);
    if (!out.ok()) BOOST_FAIL("translation failed: " << out.error().message);
    return std::move(out).value();
}

amq::Error translate_error(std::string_view request, const TranslateOptions& o = options()) {
    rapidjson::Document doc = parsed(request);
    auto out = amq::translate_anthropic_request(doc, o);
    if (out.ok()) BOOST_FAIL("translation succeeded but should not have:\n" << out->body);
    return out.error();
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// The modelId/origin pair every userInputMessage carries in these tests.
constexpr std::string_view kSonnet = R"("modelId":"claude-sonnet-4.5","origin":"CLI")";
constexpr std::string_view kEnv =
    R"("envState":{"operatingSystem":"linux","currentWorkingDirectory":"/"})";

}  // namespace

// ---- the basic shape -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(simple_request_becomes_the_whole_expected_body) {
    auto out = translate(R"({"model":"claude-sonnet-4-5-20250929","max_tokens":1024,
        "temperature":0.2,"top_p":0.9,"stop_sequences":["x"],
        "messages":[{"role":"user","content":"Hello"}]})");
    check_json(parsed(out.body), std::string(R"({"conversationState":{
        "conversationId":"11111111-2222-4333-8444-555555555555","chatTriggerType":"MANUAL",
        "currentMessage":{"userInputMessage":{"content":"Hello",)") +
                                     std::string(kSonnet) + R"(,"userInputMessageContext":{)" +
                                     std::string(kEnv) + "}}}}}");
    BOOST_TEST(out.model.client == "claude-sonnet-4-5-20250929");
    BOOST_TEST(out.model.upstream == "claude-sonnet-4.5");
    BOOST_TEST(!out.stream);
    BOOST_TEST(!out.thinking);
    BOOST_TEST(out.conversation_id == kFallbackId);
    BOOST_TEST(out.session_id.empty());
    BOOST_TEST(out.tool_names.empty());
    BOOST_TEST(out.estimated_input_tokens >= 1);
}

BOOST_AUTO_TEST_CASE(profile_arn_origin_and_stream_are_carried) {
    TranslateOptions o = options();
    o.profile_arn = "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC";
    o.origin = "AI_EDITOR";
    auto out = translate(R"({"model":"claude-opus-4-6","stream":true,
        "messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},
                    {"role":"user","content":"c"}]})",
                         o);
    auto body = parsed(out.body);
    BOOST_TEST(str(at(body, "/profileArn")) == o.profile_arn);
    BOOST_TEST(out.stream);
    for (const char* p : {"/conversationState/history/0/userInputMessage",
                          "/conversationState/currentMessage/userInputMessage"}) {
        BOOST_TEST(str(at(body, p)["modelId"]) == "claude-opus-4.6");
        BOOST_TEST(str(at(body, p)["origin"]) == "AI_EDITOR");
    }
    BOOST_TEST(!has(body, "/conversationState/history/0/userInputMessage/userInputMessageContext"));
}

// Another account's profile ARN and origin: the body written again from the same plan is the
// body a translation with those options writes, and the cap still holds.
BOOST_AUTO_TEST_CASE(the_body_for_another_account_is_written_from_the_plan) {
    constexpr std::string_view request = R"({"model":"claude-opus-4-6","max_tokens":10,
        "tools":[{"name":"read","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},
                    {"role":"user","content":"c"}]})";
    TranslateOptions o = options();
    o.fallback_conversation_id = "c0ffee00-0000-4000-8000-000000000000";
    auto first = translate(request, o);
    BOOST_REQUIRE(first.plan != nullptr);
    amq::QBodyOptions other = first.body_options;
    other.profile_arn = "arn:aws:codewhisperer:eu-central-1:1:profile/X";
    other.origin = "AI_EDITOR";
    auto rewritten = amq::write_q_body(*first.plan, other);
    BOOST_REQUIRE(rewritten.ok());
    o.profile_arn = other.profile_arn;
    o.origin = other.origin;
    BOOST_TEST(*rewritten == translate(request, o).body);
    BOOST_TEST(*amq::write_q_body(*first.plan, first.body_options) == first.body);
    other.max_payload = first.body.size();
    BOOST_TEST((amq::write_q_body(*first.plan, other).error().code == Errc::too_large));
}

// ---- rule 1: alternation -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule1_consecutive_messages_merge_keeping_everything) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"first"},
        {"role":"user","content":[{"type":"text","text":"second"},
            {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]},
        {"role":"assistant","content":[{"type":"text","text":"let me look"},
            {"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}}]},
        {"role":"assistant","content":[
            {"type":"tool_use","id":"t2","name":"Read","input":{"path":"b"}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"A"}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"t2","content":"B"},
            {"type":"text","text":"go on"}]}]})");
    auto body = parsed(out.body);
    check_json(history(body),
               "[" +
                   user_json("first\n\nsecond",
                             R"(,"images":[{"format":"png","source":{"bytes":"iVBO"}}])") +
                   "," + assistant_json("let me look", R"(,"toolUses":[
            {"toolUseId":"t1","name":"Read","input":{"path":"a"}},
            {"toolUseId":"t2","name":"Read","input":{"path":"b"}}])") +
                   "]");
    BOOST_TEST(str(current(body)["content"]) == "go on");
    check_json(at(body,
                  "/conversationState/currentMessage/userInputMessage/"
                  "userInputMessageContext/toolResults"),
               R"([{"toolUseId":"t1","content":[{"text":"A"}],"status":"success"},
                   {"toolUseId":"t2","content":[{"text":"B"}],"status":"success"}])");
}

BOOST_AUTO_TEST_CASE(rule1_history_starting_with_assistant_gets_a_user_turn_first) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"assistant","content":"I greet you"},{"role":"user","content":"hi"}]})");
    auto body = parsed(out.body);
    check_json(history(body),
               "[" + user_json("Continue") + "," + assistant_json("I greet you") + "]");
    BOOST_TEST(str(current(body)["content"]) == "hi");
}

BOOST_AUTO_TEST_CASE(rule1_empty_messages_do_not_break_alternation) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"a"},{"role":"assistant","content":[]},
        {"role":"user","content":"b"},{"role":"assistant","content":"c"},
        {"role":"user","content":"d"}]})");
    auto body = parsed(out.body);
    check_json(history(body), "[" + user_json("a\n\nb") + "," + assistant_json("c") + "]");
}

// ---- rule 2: the current message -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule2_trailing_assistant_prefill_goes_to_history) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"Write a haiku"},{"role":"assistant","content":"Autumn"}]})");
    auto body = parsed(out.body);
    check_json(history(body),
               "[" + user_json("Write a haiku") + "," + assistant_json("Autumn") + "]");
    BOOST_TEST(str(current(body)["content"]) == "Continue");
}

// ---- rule 3: the system prompt -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule3_system_prefixes_a_first_message) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","system":"Be brief.",
        "messages":[{"role":"user","content":"Hello"}]})");
    auto body = parsed(out.body);
    BOOST_TEST(!has(body, "/conversationState/history"));
    BOOST_TEST(str(current(body)["content"]) == "Be brief.\n\nHello");
}

BOOST_AUTO_TEST_CASE(rule3_system_is_the_first_pair_when_there_is_history) {
    auto out = translate(R"({"model":"claude-sonnet-4-5",
        "system":[{"type":"text","text":"Part one.","cache_control":{"type":"ephemeral"}},
                  {"type":"text","text":"Part two."}],
        "messages":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},
                    {"role":"user","content":"q2"}]})");
    auto body = parsed(out.body);
    check_json(history(body), "[" + user_json("Part one.\n\nPart two.") + "," +
                                  assistant_json("OK") + "," + user_json("q1") + "," +
                                  assistant_json("a1") + "]");
    BOOST_TEST(str(current(body)["content"]) == "q2");
    BOOST_TEST(!contains(out.body, "cache_control"));
}

BOOST_AUTO_TEST_CASE(rule3_tool_result_only_turn_still_carries_the_system_prompt) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","system":"You are an agent.",
        "tools":[{"name":"Bash","description":"Run","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"list files"},
          {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash",
                                          "input":{"command":"ls"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",
                                     "content":"a.txt"}]}]})");
    auto body = parsed(out.body);
    check_json(at(body, "/conversationState/history/0"), user_json("You are an agent."));
    check_json(at(body, "/conversationState/history/1"), assistant_json("OK"));
    BOOST_TEST(str(current(body)["content"]) == "Here are the tool results.");
    BOOST_TEST(at(body,
                  "/conversationState/currentMessage/userInputMessage/"
                  "userInputMessageContext/toolResults")
                   .Size() == 1u);
}

// ---- rule 4: tool pairing ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule4_orphans_and_duplicates) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","tools":[
        {"name":"Bash","description":"Run","input_schema":{"type":"object","properties":{}}}],
      "messages":[
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"early","content":"x"},
                                  {"type":"text","text":"start"}]},
        {"role":"assistant","content":[
            {"type":"tool_use","id":"a","name":"Bash","input":{}},
            {"type":"tool_use","id":"a","name":"Bash","input":{"dup":true}},
            {"type":"tool_use","id":"never","name":"Bash","input":{}}]},
        {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"a","content":"first"},
            {"type":"tool_result","tool_use_id":"a","content":"second"},
            {"type":"tool_result","tool_use_id":"ghost","content":"boo","is_error":true}]}]})");
    auto body = parsed(out.body);
    check_json(history(body), "[" + user_json("[Result of tool call early]\nx\n\nstart") + "," +
                                  assistant_json("OK", R"(,"toolUses":[
                                      {"toolUseId":"a","name":"Bash","input":{}}])") +
                                  "]");
    BOOST_TEST(str(current(body)["content"]) == "[Result of tool call ghost (error)]\nboo");
    check_json(at(body,
                  "/conversationState/currentMessage/userInputMessage/"
                  "userInputMessageContext/toolResults"),
               R"([{"toolUseId":"a","content":[{"text":"first"}],"status":"success"}])");
}

BOOST_AUTO_TEST_CASE(rule4_tool_use_answered_only_later_is_dropped) {
    // The result comes two turns late: it answers nothing in the turn before it.
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"go"},
        {"role":"assistant","content":[{"type":"text","text":"calling"},
            {"type":"tool_use","id":"x","name":"Bash","input":{}}]},
        {"role":"user","content":"wait"},
        {"role":"assistant","content":"ok"},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":"late"}]}]})");
    auto body = parsed(out.body);
    BOOST_TEST(!has(body, "/conversationState/history/1/assistantResponseMessage/toolUses"));
    BOOST_TEST(str(current(body)["content"]) == "[Result of tool call x]\nlate");
    BOOST_TEST(!has(body,
                    "/conversationState/currentMessage/userInputMessage/"
                    "userInputMessageContext/toolResults"));
}

// ---- rule 5: tool specs for tool history ---------------------------------------------------

BOOST_AUTO_TEST_CASE(rule5_tools_are_synthesised_for_tool_history_without_tools) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"run it"},
        {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"Bash",
                                        "input":{"command":"ls"}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"},
                                  {"type":"text","text":"Summarise the conversation."}]}]})");
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    BOOST_REQUIRE(tools.Size() == 1u);
    BOOST_TEST(str(tools[0]["toolSpecification"]["name"]) == "Bash");
    BOOST_TEST(!str(tools[0]["toolSpecification"]["description"]).empty());
    check_json(tools[0]["toolSpecification"]["inputSchema"],
               R"({"json":{"type":"object","properties":{}}})");
}

BOOST_AUTO_TEST_CASE(rule5_undeclared_tools_are_added_to_declared_ones) {
    auto out = translate(R"({"model":"claude-sonnet-4-5",
        "tools":[{"name":"Read","description":"r","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"x"},
        {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"Grep","input":{}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}]})");
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    BOOST_REQUIRE(tools.Size() == 2u);
    BOOST_TEST(str(tools[0]["toolSpecification"]["name"]) == "Read");
    BOOST_TEST(str(tools[1]["toolSpecification"]["name"]) == "Grep");
}

// ---- rule 6: tool names, descriptions, schemas ---------------------------------------------

BOOST_AUTO_TEST_CASE(rule6_long_names_are_shortened_and_mapped_back) {
    std::string long_name = "mcp__" + std::string(70, 'n') + "__query";
    std::string shortened = amq::upstream_tool_name(long_name);
    auto out = translate(R"({"model":"claude-sonnet-4-5","tools":[{"name":")" + long_name +
                         R"(","description":"d","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"x"},
        {"role":"assistant","content":[{"type":"tool_use","id":"t","name":")" +
                         long_name +
                         R"(","input":{}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}]})");
    auto body = parsed(out.body);
    BOOST_TEST(shortened.size() <= amq::kMaxToolName);
    BOOST_TEST(str(at(body,
                      "/conversationState/currentMessage/userInputMessage/"
                      "userInputMessageContext/tools/0/toolSpecification/name")) == shortened);
    BOOST_TEST(str(at(body,
                      "/conversationState/history/1/assistantResponseMessage/"
                      "toolUses/0/name")) == shortened);
    BOOST_TEST(out.tool_names.size() == 1u);
    BOOST_TEST(amq::client_tool_name(out.tool_names, shortened) == long_name);
    BOOST_TEST(!contains(out.body, long_name));
}

BOOST_AUTO_TEST_CASE(rule6_long_descriptions_move_into_the_system_prompt) {
    std::string description = "START " + std::string(12000, 'd') + " END";
    auto out = translate(R"({"model":"claude-sonnet-4-5","system":"sys","tools":[
        {"name":"Huge","description":")" +
                         description + R"(","input_schema":{"type":"object"}},
        {"name":"Blank","description":"","input_schema":{"type":"object"}},
        {"name":"Missing","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"hi"}]})");
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    std::string spec = str(tools[0]["toolSpecification"]["description"]);
    BOOST_TEST(spec.size() <= 10000u);
    BOOST_TEST(spec.starts_with("START "));
    BOOST_TEST(contains(spec, "Tool documentation"));
    BOOST_TEST(!contains(spec, " END"));
    std::string content = str(current(body)["content"]);
    BOOST_TEST(content.starts_with("sys\n\n# Tool documentation\n\n## Huge\n\nSTART "));
    BOOST_TEST(contains(content, description));
    BOOST_TEST(content.ends_with(description + "\n\nhi"));
    BOOST_TEST(str(tools[1]["toolSpecification"]["description"]) == "No description provided.");
    BOOST_TEST(str(tools[2]["toolSpecification"]["description"]) == "No description provided.");
}

BOOST_AUTO_TEST_CASE(rule6_schemas_are_sanitised) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","tools":[
        {"name":"A","description":"a","input_schema":{"required":null,"properties":null}},
        {"name":"B","description":"b","input_schema":{
            "$schema":"https://json-schema.org/draft/2020-12/schema","type":["object","null"],
            "properties":{
                "required":{"type":"boolean"},
                "nested":{"type":"object","properties":null,"required":null,
                          "$schema":"x","additionalProperties":false},
                "list":{"type":"array","items":{"type":"object","required":[1,"k"],
                                                "properties":{"k":{"type":"string"}}}},
                "n":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991}},
            "required":["nested"],"additionalProperties":false}},
        {"name":"C","description":"c"},
        {"name":"D","description":"d","input_schema":"not a schema"}],
        "messages":[{"role":"user","content":"hi"}]})");
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    check_json(tools[0]["toolSpecification"]["inputSchema"]["json"],
               R"({"type":"object","properties":{}})");
    check_json(tools[1]["toolSpecification"]["inputSchema"]["json"], R"({"type":"object",
        "properties":{
            "required":{"type":"boolean"},
            "nested":{"type":"object","additionalProperties":false},
            "list":{"type":"array","items":{"type":"object","required":["k"],
                                            "properties":{"k":{"type":"string"}}}},
            "n":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991}},
        "required":["nested"],"additionalProperties":false})");
    check_json(tools[2]["toolSpecification"]["inputSchema"]["json"],
               R"({"type":"object","properties":{}})");
    check_json(tools[3]["toolSpecification"]["inputSchema"]["json"],
               R"({"type":"object","properties":{}})");
}

BOOST_AUTO_TEST_CASE(rule6_duplicate_tool_declarations_keep_the_first) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","tools":[
        {"name":"A","description":"first","input_schema":{"type":"object"}},
        {"name":"A","description":"second","input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"hi"}]})");
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    BOOST_REQUIRE(tools.Size() == 1u);
    BOOST_TEST(str(tools[0]["toolSpecification"]["description"]) == "first");
}

BOOST_AUTO_TEST_CASE(server_tools_are_dropped_and_custom_ones_kept) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","tools":[
        {"type":"code_execution_20250522","name":"code_execution"},
        {"type":"custom","name":"Mine","description":"m","input_schema":{"type":"object"}}],
        "tool_choice":{"type":"auto"},
        "messages":[{"role":"user","content":"hi"}]})");
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    BOOST_REQUIRE(tools.Size() == 1u);
    BOOST_TEST(str(tools[0]["toolSpecification"]["name"]) == "Mine");
    BOOST_TEST(!contains(out.body, "code_execution"));
}

// ---- rule 7: tool result content -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule7_tool_results_are_flattened_to_text) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"go"},
        {"role":"assistant","content":[
            {"type":"tool_use","id":"a","name":"T","input":{}},
            {"type":"tool_use","id":"b","name":"T","input":{}},
            {"type":"tool_use","id":"c","name":"T","input":{}},
            {"type":"tool_use","id":"d","name":"T","input":{}}]},
        {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"a","content":[
                {"type":"text","text":"line 1"},
                {"type":"image","source":{"type":"base64","media_type":"image/jpeg",
                                          "data":"/9j/"}},
                {"type":"search_result","title":"t","source":"s","content":[]},
                {"type":"text","text":"line 2","cache_control":{"type":"ephemeral"}}]},
            {"type":"tool_result","tool_use_id":"b"},
            {"type":"tool_result","tool_use_id":"c","content":[]},
            {"type":"tool_result","tool_use_id":"d","content":"boom","is_error":true}]}]})");
    auto body = parsed(out.body);
    const auto& results = at(body,
                             "/conversationState/currentMessage/userInputMessage/"
                             "userInputMessageContext/toolResults");
    BOOST_REQUIRE(results.Size() == 4u);
    BOOST_TEST(str(results[0]["content"][0]["text"]) ==
               "line 1\n\n[image attached to this message]\n\n"
               R"({"type":"search_result","title":"t","source":"s","content":[]})"
               "\n\nline 2");
    check_json(results, R"([{"toolUseId":"a","status":"success","content":[{"text":)" +
                            quoted(str(results[0]["content"][0]["text"])) + R"j(}]},
        {"toolUseId":"b","content":[{"text":"(no output)"}],"status":"success"},
        {"toolUseId":"c","content":[{"text":"(no output)"}],"status":"success"},
        {"toolUseId":"d","content":[{"text":"boom"}],"status":"error"}])j");
    check_json(current(body)["images"], R"([{"format":"jpeg","source":{"bytes":"/9j/"}}])");
}

// ---- rule 8: tool inputs -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule8_tool_use_input_is_always_an_object) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"go"},
        {"role":"assistant","content":[
            {"type":"tool_use","id":"a","name":"T","input":"{\"k\":1}"},
            {"type":"tool_use","id":"b","name":"T","input":"not json"},
            {"type":"tool_use","id":"c","name":"T","input":[1,2]},
            {"type":"tool_use","id":"d","name":"T"},
            {"type":"tool_use","id":"e","name":"T","input":{"big":9007199254740991}}]},
        {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"a","content":"1"},
            {"type":"tool_result","tool_use_id":"b","content":"2"},
            {"type":"tool_result","tool_use_id":"c","content":"3"},
            {"type":"tool_result","tool_use_id":"d","content":"4"},
            {"type":"tool_result","tool_use_id":"e","content":"5"}]}]})");
    auto body = parsed(out.body);
    check_json(at(body, "/conversationState/history/1/assistantResponseMessage/toolUses"), R"([
        {"toolUseId":"a","name":"T","input":{"k":1}},
        {"toolUseId":"b","name":"T","input":{"value":"not json"}},
        {"toolUseId":"c","name":"T","input":{"value":[1,2]}},
        {"toolUseId":"d","name":"T","input":{}},
        {"toolUseId":"e","name":"T","input":{"big":9007199254740991}}])");
}

// ---- rule 9: images ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule9_image_formats_and_data_prefixes) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[
        {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"QUJD"}},
        {"type":"image","source":{"type":"base64","media_type":"image/jpg","data":"QUJD"}},
        {"type":"image","source":{"type":"base64","media_type":"image/PNG",
                                  "data":"data:image/png;base64,QUJD\nREVG"}},
        {"type":"image","source":{"type":"base64","media_type":"image/gif","data":"R0lG"}},
        {"type":"image","source":{"type":"base64","media_type":"image/webp","data":"UklG"}},
        {"type":"image","source":{"type":"base64","data":"data:image/webp;base64,UklG"}},
        {"type":"text","text":"what are these?"}]}]})");
    auto body = parsed(out.body);
    check_json(current(body)["images"], R"([
        {"format":"jpeg","source":{"bytes":"QUJD"}},{"format":"jpeg","source":{"bytes":"QUJD"}},
        {"format":"png","source":{"bytes":"QUJDREVG"}},{"format":"gif","source":{"bytes":"R0lG"}},
        {"format":"webp","source":{"bytes":"UklG"}},{"format":"webp","source":{"bytes":"UklG"}}])");
    BOOST_TEST(str(current(body)["content"]) == "what are these?");
    BOOST_TEST(out.estimated_input_tokens >= 6 * 1600);
}

BOOST_AUTO_TEST_CASE(rule9_url_images_are_rejected_naming_the_block) {
    auto e = translate_error(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"a"},{"role":"assistant","content":"b"},
        {"role":"user","content":"c"},
        {"role":"user","content":[{"type":"text","text":"look"},
            {"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]})");
    BOOST_TEST((e.code == Errc::invalid_argument));
    BOOST_TEST(e.message ==
               "messages.3.content.1: image source type 'url' is not supported; send base64 data");
}

BOOST_AUTO_TEST_CASE(rule9_bad_images_are_rejected) {
    struct Case {
        std::string_view source;
        std::string_view says;
    };
    for (const Case& c :
         {Case{R"({"type":"base64","media_type":"image/bmp","data":"Qk0="})", "image/bmp"},
          Case{R"({"type":"base64","media_type":"image/png","data":""})", "empty"},
          Case{R"({"type":"base64","media_type":"image/png","data":"a*b"})", "not base64"},
          Case{R"({"type":"base64","media_type":"image/png"})", "data"},
          Case{R"({"type":"file","file_id":"f"})", "'file'"},
          Case{R"({"type":"base64","data":"data:image/png,abc"})", "base64"}}) {
        BOOST_TEST_CONTEXT(c.source) {
            auto e = translate_error(std::string(R"({"model":"m","messages":[{"role":"user",
                "content":[{"type":"image","source":)") +
                                     std::string(c.source) + "}]}]}");
            BOOST_TEST((e.code == Errc::invalid_argument));
            BOOST_TEST(e.message.starts_with("messages.0.content.0: "), e.message);
            BOOST_TEST(contains(e.message, c.says), e.message);
        }
    }
}

// ---- rule 10: current content never empty --------------------------------------------------

BOOST_AUTO_TEST_CASE(rule10_current_message_is_never_empty) {
    auto tools_only = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"go"},
        {"role":"assistant","content":[{"type":"tool_use","id":"a","name":"T","input":{}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"1"}]}]})");
    BOOST_TEST(str(current(parsed(tools_only.body))["content"]) == "Here are the tool results.");

    auto image_only = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":[{"type":"image","source":{"type":"base64",
                                   "media_type":"image/png","data":"QUJD"}}]}]})");
    BOOST_TEST(str(current(parsed(image_only.body))["content"]) == "Continue");

    auto empty_text = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":""}]})");
    BOOST_TEST(str(current(parsed(empty_text.body))["content"]) == "Continue");
}

// ---- rule 11: thinking ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rule11_thinking_enabled_prefixes_the_prompt) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","system":"S",
        "thinking":{"type":"enabled","budget_tokens":5000},
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(out.thinking);
    BOOST_TEST(str(current(parsed(out.body))["content"]) ==
               "<thinking_mode>enabled</thinking_mode><max_thinking_length>5000"
               "</max_thinking_length>\n\nS\n\nHi");
}

BOOST_AUTO_TEST_CASE(rule11_adaptive_and_the_model_suffix_use_the_default_budget) {
    auto adaptive = translate(R"({"model":"claude-sonnet-4-5","thinking":{"type":"adaptive"},
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(adaptive.thinking);
    BOOST_TEST(str(current(parsed(adaptive.body))["content"]) ==
               "<thinking_mode>enabled</thinking_mode><max_thinking_length>16000"
               "</max_thinking_length>\n\nHi");

    TranslateOptions o = options();
    o.default_thinking_budget = 1234;
    auto suffix = translate(R"({"model":"claude-sonnet-4-5-thinking",
        "messages":[{"role":"user","content":"Hi"}]})",
                            o);
    BOOST_TEST(suffix.thinking);
    BOOST_TEST(suffix.model.upstream == "claude-sonnet-4.5");
    BOOST_TEST(suffix.model.client == "claude-sonnet-4-5-thinking");
    BOOST_TEST(contains(suffix.body, "<max_thinking_length>1234</max_thinking_length>"));

    auto disabled = translate(R"({"model":"claude-sonnet-4-5","thinking":{"type":"disabled"},
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(!disabled.thinking);
    BOOST_TEST(!contains(disabled.body, "thinking_mode"));
}

// Models with efforts in the model map reason natively: no prompt tags, the effort in
// additionalModelRequestFields — the client's own, else its budget's (adaptive: high), as
// near as the model takes.
BOOST_AUTO_TEST_CASE(rule11_native_reasoning_sends_an_effort_instead_of_tags) {
    struct Row {
        const char* extra;
        const char* effort;
    };
    const Row rows[] = {
        {R"("thinking":{"type":"enabled","budget_tokens":2000})", "low"},
        {R"("thinking":{"type":"enabled","budget_tokens":10000})", "medium"},
        {R"("thinking":{"type":"enabled","budget_tokens":30000})", "high"},
        {R"("thinking":{"type":"enabled","budget_tokens":60000})", "max"},
        {R"("thinking":{"type":"adaptive"})", "high"},
        {R"("thinking":{"type":"adaptive"},"output_config":{"effort":"low"})", "low"},
        {R"("thinking":{"type":"enabled","budget_tokens":2000},"output_config":{"effort":"xhigh"})",
         "high"},
    };
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.extra) {
            auto out = translate(std::string(R"({"model":"claude-opus-4-6",)") + row.extra +
                                 R"(,"messages":[{"role":"user","content":"Hi"}]})");
            auto body = parsed(out.body);
            BOOST_TEST(out.thinking);
            BOOST_TEST(str(current(body)["content"]) == "Hi");
            check_json(at(body, "/additionalModelRequestFields"),
                       std::string(R"({"output_config":{"effort":")") + row.effort + "\"}}");
        }
    }
    auto plain = translate(R"({"model":"claude-opus-4-6","output_config":{"effort":"low"},
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(!contains(plain.body, "additionalModelRequestFields"));
    BOOST_TEST(translate_error(R"({"model":"claude-opus-4-6","output_config":{"effort":"huge"},
        "messages":[{"role":"user","content":"Hi"}]})")
                   .message ==
               "output_config.effort: must be one of low, medium, high, xhigh, max");
}

// Signed reasoning goes back in the nested shape the upstream checks, to a model that reasons
// natively; to any other, and unsigned reasoning always, as <thinking> text. Redacted
// reasoning goes back only natively.
BOOST_AUTO_TEST_CASE(rule11_signed_reasoning_is_replayed_natively) {
    auto history_for = [](std::string_view model) {
        auto out = translate(std::string(R"({"model":")") + std::string(model) + R"(",
            "thinking":{"type":"enabled","budget_tokens":2000},"messages":[
            {"role":"user","content":"q1"},
            {"role":"assistant","content":[
              {"type":"thinking","thinking":"signed one","signature":"SIG1"},
              {"type":"thinking","thinking":"signed two","signature":"SIG2"},
              {"type":"thinking","thinking":"plain"},
              {"type":"redacted_thinking","data":"RED"},
              {"type":"text","text":"a1"}]},
            {"role":"user","content":"q2"}]})");
        return parsed(out.body);
    };
    auto native = history_for("claude-opus-4-6");
    const rapidjson::Value& assistant =
        at(native, "/conversationState/history/1/assistantResponseMessage");
    BOOST_TEST(str(assistant["content"]) == "<thinking>signed two\n\nplain</thinking>\n\na1");
    check_json(assistant["reasoningContent"],
               R"({"reasoningText":{"text":"signed one","signature":"SIG1"}})");

    auto text = history_for("claude-sonnet-4-5");
    const rapidjson::Value& plain =
        at(text, "/conversationState/history/3/assistantResponseMessage");
    BOOST_TEST(str(plain["content"]) ==
               "<thinking>signed two\n\nplain\n\nsigned one</thinking>\n\na1");
    BOOST_TEST(!plain.HasMember("reasoningContent"));
    BOOST_TEST(!has(text, "/additionalModelRequestFields"));
}

BOOST_AUTO_TEST_CASE(rule11_thinking_never_goes_into_a_message_with_tool_results) {
    auto out = translate(R"({"model":"claude-sonnet-4-5",
        "thinking":{"type":"enabled","budget_tokens":2048},
        "messages":[{"role":"user","content":"go"},
          {"role":"assistant","content":[
            {"type":"thinking","thinking":"I should list.","signature":"sig"},
            {"type":"redacted_thinking","data":"opaque"},
            {"type":"text","text":"Listing."},
            {"type":"tool_use","id":"a","name":"Bash","input":{}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"x"}]}]})");
    auto body = parsed(out.body);
    check_json(at(body, "/conversationState/history/0"),
               user_json("<thinking_mode>enabled</thinking_mode>"
                         "<max_thinking_length>2048</max_thinking_length>"));
    check_json(at(body, "/conversationState/history/1"), assistant_json("OK"));
    BOOST_TEST(str(at(body, "/conversationState/history/3/assistantResponseMessage/content")) ==
               "<thinking>I should list.</thinking>\n\nListing.");
    BOOST_TEST(str(current(body)["content"]) == "Here are the tool results.");
    BOOST_TEST(!contains(out.body, "opaque"));
    BOOST_TEST(!contains(out.body, "\"sig\""));
}

BOOST_AUTO_TEST_CASE(rule11_history_thinking_without_text) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"q"},
        {"role":"assistant","content":[{"type":"thinking","thinking":"hmm"}]},
        {"role":"user","content":"and?"}]})");
    BOOST_TEST(str(at(parsed(out.body),
                      "/conversationState/history/1/assistantResponseMessage/"
                      "content")) == "<thinking>hmm</thinking>");
    BOOST_TEST(!out.thinking);
}

BOOST_AUTO_TEST_CASE(rule11_bad_budget_is_an_error) {
    auto e = translate_error(R"({"model":"m","thinking":{"type":"enabled","budget_tokens":"x"},
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(e.message.starts_with("thinking.budget_tokens"), e.message);
}

// ---- rule 12: payload cap ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_cap_on_estimated_input_tokens_is_prompt_too_long) {
    std::string request = R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":")" +
                          std::string(4000, 'x') + R"("}]})";
    TranslateOptions o = options();
    std::int64_t tokens = translate(request, o).estimated_input_tokens;
    o.max_input_tokens = tokens;
    translate(request, o);
    o.max_input_tokens = tokens - 1;
    auto e = translate_error(request, o);
    BOOST_TEST((e.code == Errc::too_large));
    BOOST_TEST(e.message.starts_with("prompt is too long: about "), e.message);
}

BOOST_AUTO_TEST_CASE(rule12_oversized_payloads_are_refused) {
    std::string big(700 * 1024, 'x');
    auto e = translate_error(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":")" +
                             big + R"("}]})");
    BOOST_TEST((e.code == Errc::too_large));
    BOOST_TEST(e.message.starts_with("prompt is too long: "), e.message);

    TranslateOptions o = options();
    auto fits = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"hello"}]})",
                          o);
    o.max_payload = fits.body.size();
    translate(R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hello"}]})", o);
    o.max_payload = fits.body.size() - 1;
    auto over = translate_error(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"hello"}]})",
                                o);
    BOOST_TEST((over.code == Errc::too_large));
}

// ---- rule 14: system entries inside messages -----------------------------------------------

BOOST_AUTO_TEST_CASE(rule14_system_messages_fold_into_the_system_prompt) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","system":"Top.","messages":[
        {"role":"user","content":"q1"},
        {"role":"system","content":"Middle."},
        {"role":"assistant","content":"a1"},
        {"role":"user","content":"q2"},
        {"role":"system","content":[{"type":"text","text":"<env>cwd: /repo</env>",
                                     "cache_control":{"type":"ephemeral"}}]}]})");
    auto body = parsed(out.body);
    check_json(history(body), "[" + user_json("Top.\n\nMiddle.\n\n<env>cwd: /repo</env>") + "," +
                                  assistant_json("OK") + "," + user_json("q1") + "," +
                                  assistant_json("a1") + "]");
    BOOST_TEST(str(current(body)["content"]) == "q2");
}

BOOST_AUTO_TEST_CASE(rule14_system_message_between_users_does_not_split_them) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","messages":[
        {"role":"user","content":"q1"},{"role":"system","content":"env"},
        {"role":"user","content":"q2"}]})");
    BOOST_TEST(str(current(parsed(out.body))["content"]) == "env\n\nq1\n\nq2");
}

// ---- rule 15: a realistic Claude Code 2.1 request ------------------------------------------

BOOST_AUTO_TEST_CASE(rule15_claude_code_request_with_every_extra) {
    auto out = translate(R"({
      "model":"claude-opus-5-5","max_tokens":128000,"stream":true,
      "thinking":{"type":"adaptive"},
      "context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},
      "output_config":{"effort":"high"},
      "metadata":{"user_id":"{\"device_id\":\"d1\",\"account_uuid\":\"\",)"
                         R"(\"session_id\":\"5f0c7e4e-8a9e-4c55-9d43-2f1b3c4d5e6f\"}"},
      "tool_choice":{"type":"auto"},
      "system":[
        {"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.3; cc_entrypoint=cli"},
        {"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude.",
         "cache_control":{"type":"ephemeral","ttl":"1h"}}],
      "tools":[
        {"name":"Bash","description":"Executes a bash command.","input_schema":{
          "$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
          "properties":{"command":{"type":"string"},
                        "timeout":{"type":"integer","minimum":0,"maximum":9007199254740991}},
          "required":["command"],"additionalProperties":false}},
        {"name":"mcp__github__search","description":"Search GitHub.","defer_loading":true,
         "input_schema":{"type":"object","properties":{"q":{"type":"string"}}}},
        {"type":"tool_search_tool_regex_20251119","name":"tool_search_tool_regex"}],
      "messages":[
        {"role":"user","content":[
          {"type":"text","text":"<system-reminder>context</system-reminder>"},
          {"type":"text","text":"fix the build","cache_control":{"type":"ephemeral"}}]},
        {"role":"assistant","content":[
          {"type":"thinking","thinking":"Run make.","signature":"EqQBCkYIBxgCKkB"},
          {"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"make"}}]},
        {"role":"user","content":[
          {"type":"tool_result","tool_use_id":"toolu_01","content":[{"type":"text",
            "text":"error: x"}],"cache_control":{"type":"ephemeral"}}]},
        {"role":"system","content":"<env>Working directory: /repo\nPlatform: linux</env>"}]})");
    auto body = parsed(out.body);
    BOOST_TEST(out.stream);
    BOOST_TEST(out.thinking);
    BOOST_TEST(out.model.client == "claude-opus-5-5");
    BOOST_TEST(out.model.upstream == "claude-opus-4.6");
    BOOST_TEST(out.model.context_window == 1000000);
    BOOST_TEST(out.session_id == "5f0c7e4e-8a9e-4c55-9d43-2f1b3c4d5e6f");
    BOOST_TEST(out.conversation_id ==
               amq::conversation_id_for_session("5f0c7e4e-8a9e-4c55-9d43-2f1b3c4d5e6f"));
    BOOST_TEST(str(at(body, "/conversationState/conversationId")) == out.conversation_id);

    const char* opus = R"("modelId":"claude-opus-4.6","origin":"CLI")";
    std::string system =
        "x-anthropic-billing-header: cc_version=2.1.3; cc_entrypoint=cli"
        "\n\nYou are Claude Code, Anthropic's official CLI for Claude."
        "\n\n<env>Working directory: /repo\nPlatform: linux</env>";
    check_json(history(body),
               "[" + user_json_for("claude-opus-4.6", system) + "," + assistant_json("OK") + "," +
                   user_json_for("claude-opus-4.6",
                                 "<system-reminder>context</system-reminder>\n\nfix the build") +
                   "," + assistant_json("OK", R"(,
                       "reasoningContent":{"reasoningText":{"text":"Run make.",
                                                            "signature":"EqQBCkYIBxgCKkB"}},
                       "toolUses":[
                       {"toolUseId":"toolu_01","name":"Bash","input":{"command":"make"}}])") +
                   "]");
    check_json(current(body), std::string(R"({"content":"Here are the tool results.",)") + opus +
                                  R"(,"userInputMessageContext":{)" + std::string(kEnv) + R"(,
        "tools":[
          {"toolSpecification":{"name":"Bash","description":"Executes a bash command.",
            "inputSchema":{"json":{"type":"object",
              "properties":{"command":{"type":"string"},
                            "timeout":{"type":"integer","minimum":0,"maximum":9007199254740991}},
              "required":["command"],"additionalProperties":false}}}},
          {"toolSpecification":{"name":"mcp__github__search","description":"Search GitHub.",
            "inputSchema":{"json":{"type":"object","properties":{"q":{"type":"string"}}}}}}],
        "toolResults":[{"toolUseId":"toolu_01","content":[{"text":"error: x"}],
                        "status":"success"}]}})");
    check_json(at(body, "/additionalModelRequestFields"), R"({"output_config":{"effort":"high"}})");
    for (std::string_view dropped : {"cache_control", "defer_loading", "$schema", "tool_search",
                                     "context_management", "128000", "tool_choice"})
        BOOST_TEST(!contains(out.body, dropped), dropped);
}

// ---- conversation ids ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(session_ids_are_read_from_both_user_id_forms) {
    using amq::session_id_from_user_id;
    BOOST_TEST(session_id_from_user_id(
                   R"({"device_id":"d","account_uuid":"a","session_id":"s-1"})") == "s-1");
    BOOST_TEST(session_id_from_user_id(
                   "user_abc123_account__session_0b9c1a2e-1111-4222-8333-444455556666") ==
               "0b9c1a2e-1111-4222-8333-444455556666");
    BOOST_TEST(session_id_from_user_id(
                   "user_abc_account_9d8e7f6a-0000-4000-8000-000000000000_session_s-2") == "s-2");
    BOOST_TEST(session_id_from_user_id("alice") == "");
    BOOST_TEST(session_id_from_user_id(R"({"device_id":"d"})") == "");
    BOOST_TEST(session_id_from_user_id("{broken") == "");
}

BOOST_AUTO_TEST_CASE(conversation_id_is_stable_per_session) {
    auto request = [](std::string_view session) {
        return std::string(R"({"model":"m","metadata":{"user_id":"{\"session_id\":\")") +
               std::string(session) + R"(\"}"},"messages":[{"role":"user","content":"Hi"}]})";
    };
    auto a1 = translate(request("session-a"));
    auto a2 = translate(request("session-a"));
    auto b = translate(request("session-b"));
    BOOST_TEST(a1.conversation_id == a2.conversation_id);
    BOOST_TEST(a1.conversation_id != b.conversation_id);
    BOOST_TEST(a1.conversation_id != kFallbackId);
    static const std::regex uuid(
        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
        "[0-9a-f]{12}$");
    BOOST_TEST(std::regex_match(a1.conversation_id, uuid), a1.conversation_id);
    BOOST_TEST(str(at(parsed(a1.body), "/conversationState/conversationId")) == a1.conversation_id);

    auto none = translate(R"({"model":"m","metadata":{"user_id":"alice"},
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(none.conversation_id == kFallbackId);
    BOOST_TEST(none.session_id.empty());
}

// ---- validation ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(invalid_requests_are_refused_naming_the_field) {
    struct Case {
        std::string_view request;
        std::string_view says;
    };
    for (const Case& c :
         {Case{R"([1])", "JSON object"},
          Case{R"({"messages":[{"role":"user","content":"a"}]})", "'model' is required"},
          Case{R"({"model":7,"messages":[{"role":"user","content":"a"}]})", "'model'"},
          Case{R"({"model":"","messages":[{"role":"user","content":"a"}]})", "model:"},
          Case{R"({"model":"m"})", "messages:"},
          Case{R"({"model":"m","messages":[]})", "messages:"},
          Case{R"({"model":"m","messages":{}})", "messages:"},
          Case{R"({"model":"m","stream":"yes","messages":[{"role":"user","content":"a"}]})",
               "'stream'"},
          Case{R"({"model":"m","messages":["hi"]})", "messages.0:"},
          Case{R"({"model":"m","messages":[{"role":"bot","content":"a"}]})",
               "messages.0: role 'bot'"},
          Case{R"({"model":"m","messages":[{"role":"user"}]})", "messages.0:"},
          Case{R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages.0.content:"},
          Case{R"({"model":"m","messages":[{"role":"user","content":[{"type":"foo"}]}]})",
               "messages.0.content.0: content block type 'foo'"},
          Case{R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})",
               "messages.0.content.0:"},
          Case{R"({"model":"m","messages":[{"role":"user","content":[
                  {"type":"tool_use","id":"a","name":"b","input":{}}]}]})",
               "messages.0.content.0: content block type 'tool_use'"},
          Case{R"({"model":"m","messages":[{"role":"user","content":"a"},
                  {"role":"assistant","content":[{"type":"image"}]}]})",
               "messages.1.content.0: content block type 'image'"},
          Case{R"({"model":"m","messages":[{"role":"user","content":"a"},
                  {"role":"assistant","content":[{"type":"tool_use","name":"b"}]}]})",
               "messages.1.content.0:"},
          Case{R"({"model":"m","messages":[{"role":"user","content":[
                  {"type":"tool_result","content":"x"}]}]})",
               "tool_use_id"},
          Case{R"({"model":"m","messages":[{"role":"user","content":[
                  {"type":"document","source":{"type":"base64","media_type":"application/pdf",
                   "data":"JVBE"}}]}]})",
               "messages.0.content.0: document source type 'base64'"},
          Case{R"({"model":"m","system":[{"type":"image"}],
                  "messages":[{"role":"user","content":"a"}]})",
               "system.0:"},
          Case{R"({"model":"m","system":3,"messages":[{"role":"user","content":"a"}]})", "system:"},
          Case{R"({"model":"m","tools":{},"messages":[{"role":"user","content":"a"}]})", "tools:"},
          Case{R"({"model":"m","tools":[{"description":"x"}],
                  "messages":[{"role":"user","content":"a"}]})",
               "tools.0:"}}) {
        BOOST_TEST_CONTEXT(c.request) {
            auto e = translate_error(c.request);
            BOOST_TEST((e.code == Errc::invalid_argument));
            BOOST_TEST(contains(e.message, c.says), e.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(text_documents_are_sent_as_text) {
    auto out = translate(R"({"model":"m","messages":[{"role":"user","content":[
        {"type":"document","title":"notes.txt","source":{"type":"text","media_type":"text/plain",
                                                          "data":"line"}},
        {"type":"text","text":"summarise"}]}]})");
    BOOST_TEST(str(current(parsed(out.body))["content"]) == "notes.txt\n\nline\n\nsummarise");
}

BOOST_AUTO_TEST_CASE(only_system_messages_still_give_a_user_message) {
    auto out = translate(R"({"model":"m","messages":[{"role":"system","content":"S"}]})");
    BOOST_TEST(str(current(parsed(out.body))["content"]) == "S\n\nContinue");
}

BOOST_AUTO_TEST_CASE(estimated_tokens_count_tools_and_system) {
    auto bare = translate(R"({"model":"m","messages":[{"role":"user","content":"Hi"}]})");
    auto rich = translate(R"({"model":"m","system":")" + std::string(4000, 's') + R"(",
        "tools":[{"name":"T","description":")" +
                          std::string(4000, 'd') + R"(",
                  "input_schema":{"type":"object"}}],
        "messages":[{"role":"user","content":"Hi"}]})");
    BOOST_TEST(bare.estimated_input_tokens >= 1);
    BOOST_TEST(rich.estimated_input_tokens >= bare.estimated_input_tokens + 2000);
}

// ---- parameters the upstream ignores are still checked ---------------------------------------

BOOST_AUTO_TEST_CASE(max_tokens_is_required_except_for_count_tokens) {
    TranslateOptions o = options();
    o.require_max_tokens = true;
    std::string_view request = R"({"model":"m","messages":[{"role":"user","content":"x"}]})";
    BOOST_TEST(translate_error(request, o).message == "max_tokens: Field required");
    BOOST_TEST(translate(request).estimated_input_tokens > 0);  // count_tokens' options
    translate(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}]})", o);
}

BOOST_AUTO_TEST_CASE(malformed_parameters_are_named) {
    TranslateOptions o = options();
    o.require_max_tokens = true;
    struct Row {
        const char* params;
        const char* message;
    };
    const Row rows[] = {
        {R"("max_tokens":"a")", "max_tokens: must be an integer of at least 1"},
        {R"("max_tokens":0)", "max_tokens: must be an integer of at least 1"},
        {R"("max_tokens":9,"temperature":"hot")", "temperature: must be a number between 0 and 1"},
        {R"("max_tokens":9,"temperature":1.5)", "temperature: must be a number between 0 and 1"},
        {R"("max_tokens":9,"top_p":-0.1)", "top_p: must be a number between 0 and 1"},
        {R"("max_tokens":9,"top_k":"5")", "top_k: must be an integer of at least 0"},
        {R"("max_tokens":9,"stop_sequences":[1])",
         "stop_sequences: must be a string or an array of strings"},
        {R"("max_tokens":9,"metadata":"x")", "metadata: must be an object"},
        {R"("max_tokens":9,"metadata":{"user_id":5})", "metadata.user_id: must be a string"},
        {R"("max_tokens":9,"tool_choice":{"type":"sometimes"})",
         "tool_choice.type: must be one of auto, any, tool, none"},
        {R"("max_tokens":9,"tool_choice":{"type":"tool"})",
         "tool_choice.name: Field required for type 'tool'"},
        {R"("max_tokens":9,"stream":"yes")", "field 'stream' must be true or false"},
    };
    for (const Row& row : rows) {
        std::string request = std::string(R"({"model":"m",)") + row.params +
                              R"(,"messages":[{"role":"user","content":"x"}]})";
        BOOST_TEST_CONTEXT(request) {
            BOOST_TEST(translate_error(request, o).message == row.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(model_names_are_bounded) {
    auto e = translate_error(R"({"model":")" + std::string(300, 'm') +
                             R"(","messages":[{"role":"user","content":"x"}]})");
    BOOST_TEST(e.message == "model: must be at most 256 bytes");
    e = translate_error(R"({"model":"a\u001b[31m","messages":[{"role":"user","content":"x"}]})");
    BOOST_TEST(e.message == "model: must not contain control characters");
}

// ---- web search (docs/translation.md §8) ---------------------------------------------------

BOOST_AUTO_TEST_CASE(the_web_search_server_tool_is_offered_and_its_history_read_as_text) {
    auto out = translate(R"({"model":"claude-sonnet-4-5","tools":[
        {"type":"web_search_20250305","name":"web_search","max_uses":2},
        {"type":"code_execution_20250522","name":"code_execution"}],
      "messages":[{"role":"user","content":"news?"},
        {"role":"assistant","content":[
          {"type":"server_tool_use","id":"srv_1","name":"web_search","input":{"query":"amq"}},
          {"type":"web_search_tool_result","tool_use_id":"srv_1","content":[
            {"type":"web_search_result","title":"T","url":"https://a/","encrypted_content":"x"}]},
          {"type":"text","text":"It is new."}]},
        {"role":"user","content":"more"}]})");
    BOOST_TEST(out.search_limit == 2);
    auto body = parsed(out.body);
    const auto& tools = at(body,
                           "/conversationState/currentMessage/userInputMessage/"
                           "userInputMessageContext/tools");
    BOOST_REQUIRE(tools.Size() == 1u);
    BOOST_TEST(str(tools[0]["toolSpecification"]["name"]) == "web_search");
    BOOST_TEST(str(at(body, "/conversationState/history/1/assistantResponseMessage/content")) ==
               "[Searched the web for \"amq\"]\n\n[Web results]\n- T (https://a/)\n\nIt is new.");
    BOOST_TEST(
        translate(R"({"model":"m","messages":[{"role":"user","content":"x"}]})").search_limit == 0);
    BOOST_TEST(translate_error(R"({"model":"m","tools":[{"type":"web_search_20250305",
        "name":"web_search","max_uses":0}],"messages":[{"role":"user","content":"x"}]})")
                   .message == "tools.0.max_uses: must be a positive integer");
}

BOOST_AUTO_TEST_CASE(a_client_tool_named_web_search_beside_the_server_tool_is_refused) {
    for (const char* tools :
         {R"([{"type":"web_search_20250305","name":"web_search"},{"name":"web_search"}])",
          R"([{"name":"web_search"},{"type":"web_search_20250305","name":"web_search"}])"}) {
        BOOST_TEST_CONTEXT(tools) {
            BOOST_TEST(translate_error(std::string(R"({"model":"m","tools":)") + tools +
                                       R"(,"messages":[{"role":"user","content":"x"}]})")
                           .message ==
                       "tools: a tool named 'web_search' beside the web search server tool");
        }
    }
}
