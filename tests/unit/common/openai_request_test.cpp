#define BOOST_TEST_MODULE common_openai_request
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/openai_request.hpp"
#include "common/q_request.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/translate_fixtures.hpp"

using amq::Errc;
using amq::OpenAiRequest;
using amq::TranslateOptions;
using namespace amq::test;

namespace {

OpenAiRequest translate(std::string_view request, const TranslateOptions& o = options()) {
    rapidjson::Document doc = parsed(request);
    auto out = amq::translate_openai_request(doc, o);
    if (!out.ok()) BOOST_FAIL("translation failed: " << out.error().message);
    return std::move(out).value();
}

amq::Error translate_error(std::string_view request, const TranslateOptions& o = options()) {
    rapidjson::Document doc = parsed(request);
    auto out = amq::translate_openai_request(doc, o);
    if (out.ok()) BOOST_FAIL("translation succeeded but should not have:\n" << out->upstream.body);
    return out.error();
}

rapidjson::Document body_of(const OpenAiRequest& out) { return parsed(out.upstream.body); }

constexpr const char* kContext =
    "/conversationState/currentMessage/userInputMessage/userInputMessageContext";
constexpr const char* kTools =
    "/conversationState/currentMessage/userInputMessage/userInputMessageContext/tools";
constexpr const char* kToolResults =
    "/conversationState/currentMessage/userInputMessage/userInputMessageContext/toolResults";

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// The system text the upstream sees: the first history pair, or the current message's prefix.
std::string system_of(const rapidjson::Document& body) {
    if (has(body, "/conversationState/history/0/userInputMessage/content"))
        return str(at(body, "/conversationState/history/0/userInputMessage/content"));
    return str(current(body)["content"]);
}

std::string tool_names(const rapidjson::Document& body) {
    std::string out;
    if (!has(body, kTools)) return out;
    for (const auto& t : at(body, kTools).GetArray()) {
        if (!out.empty()) out += ',';
        out += str(t["toolSpecification"]["name"]);
    }
    return out;
}

// A conversation with one earlier call of Bash, answered, for the tool_choice cases.
constexpr std::string_view kBashTool =
    R"({"type":"function","function":{"name":"Bash","description":"Run a command",
        "parameters":{"type":"object","properties":{"command":{"type":"string"}}}}})";
constexpr std::string_view kReadTool =
    R"({"type":"function","function":{"name":"Read","description":"Read a file",
        "parameters":{"type":"object","properties":{"path":{"type":"string"}}}}})";

std::string with_tools(std::string_view extra) {
    return std::string(R"({"model":"gpt-4o","tools":[)") + std::string(kBashTool) + "," +
           std::string(kReadTool) + "]" + std::string(extra) +
           R"(,"messages":[{"role":"system","content":"Be brief."},
               {"role":"user","content":"list files"}]})";
}

}  // namespace

// ---- the basic shape -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(simple_request_becomes_the_whole_expected_body) {
    auto out = translate(R"({"model":"gpt-4o","max_tokens":100,"max_completion_tokens":200,
        "temperature":0.2,"top_p":0.9,"stop":["x","y"],"presence_penalty":0.5,
        "frequency_penalty":-0.5,"seed":42,"logprobs":false,"top_logprobs":0,
        "parallel_tool_calls":true,"n":1,"store":false,"metadata":{"k":"v"},
        "logit_bias":{"50256":-100},"service_tier":"auto",
        "messages":[{"role":"user","content":"Hello"}]})");
    check_json(body_of(out), R"({"conversationState":{
        "conversationId":"11111111-2222-4333-8444-555555555555","chatTriggerType":"MANUAL",
        "currentMessage":{"userInputMessage":{"content":"Hello","modelId":"claude-sonnet-4.5",
            "origin":"CLI","userInputMessageContext":{
                "envState":{"operatingSystem":"linux","currentWorkingDirectory":"/"}}}}}})");
    const amq::UpstreamRequest& up = out.upstream;
    BOOST_TEST(up.model.client == "gpt-4o");
    BOOST_TEST(up.model.upstream == "claude-sonnet-4.5");
    BOOST_TEST(!up.stream);  // OpenAI's default
    BOOST_TEST(!up.thinking);
    BOOST_TEST(!out.openai.include_usage);
    BOOST_TEST(up.conversation_id == kFallbackId);
    BOOST_TEST(up.session_id.empty());
    BOOST_TEST(up.tool_names.empty());
    BOOST_TEST(up.estimated_input_tokens >= 1);
}

BOOST_AUTO_TEST_CASE(stream_and_include_usage) {
    auto out = translate(R"({"model":"gpt-4o","stream":true,
        "stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]})");
    BOOST_TEST(out.upstream.stream);
    BOOST_TEST(out.openai.include_usage);
    out = translate(R"({"model":"gpt-4o","stream":true,"stream_options":{},
        "messages":[{"role":"user","content":"x"}]})");
    BOOST_TEST(!out.openai.include_usage);
}

BOOST_AUTO_TEST_CASE(user_is_the_session_and_gives_a_stable_conversation_id) {
    auto a = translate(R"({"model":"gpt-4o","user":"alice",
        "messages":[{"role":"user","content":"x"}]})");
    auto b = translate(R"({"model":"gpt-4o","user":"alice",
        "messages":[{"role":"user","content":"y"}]})");
    BOOST_TEST(a.upstream.session_id == "alice");
    BOOST_TEST(a.upstream.conversation_id == amq::conversation_id_for_session("alice"));
    BOOST_TEST(a.upstream.conversation_id == b.upstream.conversation_id);
    BOOST_TEST(str(at(body_of(a), "/conversationState/conversationId")) ==
               a.upstream.conversation_id);
}

// ---- system and developer messages ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(system_and_developer_messages_join_the_system_prompt) {
    auto out = translate(R"({"model":"gpt-4o","messages":[
        {"role":"system","content":"You are terse."},
        {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
        {"role":"user","content":"q1"},{"role":"assistant","content":"a1"},
        {"role":"system","content":"Late instruction."},
        {"role":"user","content":"q2"}]})");
    auto body = body_of(out);
    check_json(history(body),
               "[" + user_json("You are terse.\n\nUse metric units.\n\nLate instruction.") + "," +
                   assistant_json("OK") + "," + user_json("q1") + "," + assistant_json("a1") + "]");
    BOOST_TEST(str(current(body)["content"]) == "q2");
}

// ---- user content parts and images ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(user_parts_text_and_data_url_images) {
    auto out = translate(R"({"model":"gpt-4o","messages":[{"role":"user","content":[
        {"type":"text","text":"What is in"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO","detail":"high"}},
        {"type":"text","text":"these?"},
        {"type":"image_url","image_url":"data:image/jpeg;base64,/9j/"}]}]})");
    auto body = body_of(out);
    check_json(current(body), R"({"content":"What is in\n\nthese?",
        "modelId":"claude-sonnet-4.5","origin":"CLI",
        "images":[{"format":"png","source":{"bytes":"iVBO"}},
                  {"format":"jpeg","source":{"bytes":"/9j/"}}],
        "userInputMessageContext":{
            "envState":{"operatingSystem":"linux","currentWorkingDirectory":"/"}}})");
}

BOOST_AUTO_TEST_CASE(http_image_urls_are_refused_naming_the_part) {
    auto e = translate_error(R"({"model":"gpt-4o","messages":[
        {"role":"user","content":"a"},{"role":"assistant","content":"b"},
        {"role":"user","content":[{"type":"text","text":"look"},
            {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})");
    BOOST_TEST((e.code == Errc::invalid_argument));
    BOOST_TEST(e.message ==
               "messages.2.content.1: image_url must be a data: URL; fetching "
               "http(s) images is not supported");

    e = translate_error(R"({"model":"gpt-4o","messages":[{"role":"user","content":[
        {"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]})");
    BOOST_TEST(e.message.starts_with("messages.0.content.0: image media type 'image/bmp'"));
}

BOOST_AUTO_TEST_CASE(audio_and_file_parts_are_refused) {
    auto e = translate_error(R"({"model":"gpt-4o","messages":[{"role":"user","content":[
        {"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]})");
    BOOST_TEST(e.message == "messages.0.content.0: audio input is not supported upstream");
    e = translate_error(R"({"model":"gpt-4o","messages":[{"role":"user","content":[
        {"type":"text","text":"read"},{"type":"file","file":{"file_id":"f"}}]}]})");
    BOOST_TEST(contains(e.message, "messages.0.content.1: file parts are not supported"));
}

// ---- assistant messages, tool calls and tool results ---------------------------------------

BOOST_AUTO_TEST_CASE(tool_calls_and_tool_messages_become_tool_uses_and_tool_results) {
    auto out = translate(R"({"model":"gpt-4o","tools":[)" + std::string(kBashTool) + R"(],
        "messages":[{"role":"user","content":"list and count"},
          {"role":"assistant","content":null,"tool_calls":[
            {"id":"call_1","type":"function",
             "function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}},
            {"id":"call_2","type":"function",
             "function":{"name":"Bash","arguments":"{\"command\":\"wc -l *\"}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"a.txt\nb.txt"},
          {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"3 a.txt"},
                                                            {"type":"text","text":"4 b.txt"}]}
        ]})");
    auto body = body_of(out);
    check_json(history(body), "[" + user_json("list and count") + "," +
                                  assistant_json("OK", R"(,"toolUses":[
            {"toolUseId":"call_1","name":"Bash","input":{"command":"ls"}},
            {"toolUseId":"call_2","name":"Bash","input":{"command":"wc -l *"}}])") +
                                  "]");
    BOOST_TEST(str(current(body)["content"]) == "Here are the tool results.");
    // Consecutive tool messages merge into the toolResults of one user turn (rule 13).
    check_json(at(body, kToolResults), R"([
        {"toolUseId":"call_1","content":[{"text":"a.txt\nb.txt"}],"status":"success"},
        {"toolUseId":"call_2","content":[{"text":"3 a.txt\n\n4 b.txt"}],"status":"success"}])");
    BOOST_TEST(tool_names(body) == "Bash");
}

BOOST_AUTO_TEST_CASE(tool_messages_and_the_next_user_message_are_one_turn) {
    auto out = translate(R"({"model":"gpt-4o","messages":[
        {"role":"user","content":"go"},
        {"role":"assistant","content":"Checking.","tool_calls":[
            {"id":"a","type":"function","function":{"name":"Read","arguments":"{}"}},
            {"id":"b","type":"function","function":{"name":"Read","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"a","content":"A"},
        {"role":"tool","tool_call_id":"b","content":""},
        {"role":"user","content":"and now?"},
        {"role":"assistant","content":"Done."},
        {"role":"user","content":"thanks"}]})");
    auto body = body_of(out);
    check_json(history(body),
               "[" + user_json("go") + "," + assistant_json("Checking.", R"(,
        "toolUses":[{"toolUseId":"a","name":"Read","input":{}},
                    {"toolUseId":"b","name":"Read","input":{}}])") +
                   "," + user_json("and now?", R"j(,"userInputMessageContext":{"toolResults":[
            {"toolUseId":"a","content":[{"text":"A"}],"status":"success"},
            {"toolUseId":"b","content":[{"text":"(no output)"}],"status":"success"}]})j") +
                   "," + assistant_json("Done.") + "]");
    BOOST_TEST(str(current(body)["content"]) == "thanks");
    // No tools declared, yet the history uses one: a minimal spec is synthesised (rule 5).
    BOOST_TEST(tool_names(body) == "Read");
}

BOOST_AUTO_TEST_CASE(tool_call_arguments_that_are_not_an_object_are_wrapped) {
    auto out = translate(R"({"model":"gpt-4o","messages":[
        {"role":"user","content":"go"},
        {"role":"assistant","tool_calls":[
            {"id":"a","type":"function","function":{"name":"T","arguments":"not json"}},
            {"id":"b","type":"function","function":{"name":"T","arguments":"[1,2]"}},
            {"id":"c","type":"function","function":{"name":"T","arguments":""}},
            {"id":"d","type":"function","function":{"name":"T"}},
            {"id":"e","type":"function","function":{"name":"T","arguments":{"k":1}}},
            {"id":"f","type":"function","function":{"name":"T","arguments":"{\"x\":"}}]},
        {"role":"tool","tool_call_id":"a","content":"1"},
        {"role":"tool","tool_call_id":"b","content":"2"},
        {"role":"tool","tool_call_id":"c","content":"3"},
        {"role":"tool","tool_call_id":"d","content":"4"},
        {"role":"tool","tool_call_id":"e","content":"5"},
        {"role":"tool","tool_call_id":"f","content":"6"}]})");
    check_json(at(body_of(out), "/conversationState/history/1/assistantResponseMessage"), R"({
        "content":"OK","toolUses":[
        {"toolUseId":"a","name":"T","input":{"value":"not json"}},
        {"toolUseId":"b","name":"T","input":{"value":[1,2]}},
        {"toolUseId":"c","name":"T","input":{}},
        {"toolUseId":"d","name":"T","input":{}},
        {"toolUseId":"e","name":"T","input":{"k":1}},
        {"toolUseId":"f","name":"T","input":{"value":"{\"x\":"}}]})");
}

BOOST_AUTO_TEST_CASE(assistant_content_parts_refusals_and_reasoning) {
    auto out = translate(R"({"model":"gpt-4o","messages":[
        {"role":"user","content":"q"},
        {"role":"assistant","reasoning_content":"The user asks q.",
         "content":[{"type":"text","text":"Part A"},{"type":"refusal","refusal":"No B."}]},
        {"role":"user","content":"again"}]})");
    check_json(history(body_of(out)),
               "[" + user_json("q") + "," +
                   assistant_json("<thinking>The user asks q.</thinking>\n\nPart A\n\nNo B.") +
                   "]");
}

BOOST_AUTO_TEST_CASE(tool_message_parts_keep_images_on_the_turn) {
    auto out = translate(R"({"model":"gpt-4o","messages":[
        {"role":"user","content":"shot"},
        {"role":"assistant","tool_calls":[
            {"id":"s","type":"function","function":{"name":"Screenshot","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"s","content":[{"type":"text","text":"taken"},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}}]}]})");
    auto body = body_of(out);
    check_json(at(body, kToolResults), R"([{"toolUseId":"s","status":"success",
        "content":[{"text":"taken\n\n[image attached to this message]"}]}])");
    check_json(current(body)["images"], R"([{"format":"png","source":{"bytes":"iVBO"}}])");
}

BOOST_AUTO_TEST_CASE(legacy_function_calls_and_function_messages_pair_up) {
    auto out = translate(R"({"model":"gpt-4o",
        "functions":[{"name":"weather","description":"Weather now",
                      "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],
        "messages":[{"role":"user","content":"Paris?"},
          {"role":"assistant","content":null,
           "function_call":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
          {"role":"function","name":"weather","content":"18C"}]})");
    auto body = body_of(out);
    const auto& uses = at(body, "/conversationState/history/1/assistantResponseMessage/toolUses");
    BOOST_REQUIRE(uses.Size() == 1u);
    std::string id = str(uses[0]["toolUseId"]);
    check_json(uses[0],
               R"({"toolUseId":)" + quoted(id) + R"(,"name":"weather","input":{"city":"Paris"}})");
    check_json(at(body, kToolResults), R"([{"toolUseId":)" + quoted(id) +
                                           R"(,"content":[{"text":"18C"}],"status":"success"}])");
    BOOST_TEST(tool_names(body) == "weather");
    BOOST_TEST(id == "call_legacy_messages_1");

    // A function message that answers no call becomes text (rule 4).
    body = body_of(translate(R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"},
        {"role":"function","name":"weather","content":"18C"}]})"));
    BOOST_TEST(str(current(body)["content"]) ==
               "[Result of tool call call_legacy_unmatched_messages_1]\n18C\n\nx");
}

// ---- tools and tool_choice -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tools_become_tool_specifications) {
    auto out = translate(R"({"model":"gpt-4o","tools":[)" + std::string(kBashTool) + R"(,
        {"type":"function","function":{"name":"Now","strict":true}}],
        "messages":[{"role":"user","content":"hi"}]})");
    check_json(at(body_of(out), kTools), R"([
        {"toolSpecification":{"name":"Bash","description":"Run a command","inputSchema":{"json":
            {"type":"object","properties":{"command":{"type":"string"}}}}}},
        {"toolSpecification":{"name":"Now","description":"No description provided.",
            "inputSchema":{"json":{"type":"object","properties":{}}}}}])");
}

BOOST_AUTO_TEST_CASE(tool_choice_auto_is_the_default) {
    for (std::string extra : {"", R"(,"tool_choice":"auto")"}) {
        auto body = body_of(translate(with_tools(extra)));
        BOOST_TEST(tool_names(body) == "Bash,Read");
        BOOST_TEST(str(current(body)["content"]) == "Be brief.\n\nlist files");
    }
}

BOOST_AUTO_TEST_CASE(tool_choice_none_offers_no_tools_but_keeps_tool_history) {
    auto body = body_of(translate(with_tools(R"(,"tool_choice":"none")")));
    BOOST_TEST(!has(body, kTools));
    BOOST_TEST(has(body, kContext));
    BOOST_TEST(str(current(body)["content"]) == "Be brief.\n\nlist files");

    auto out = translate(R"({"model":"gpt-4o","tool_choice":"none","tools":[)" +
                         std::string(kBashTool) + "," + std::string(kReadTool) + R"(],
        "messages":[{"role":"user","content":"go"},
          {"role":"assistant","tool_calls":[{"id":"c","type":"function",
              "function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]},
          {"role":"tool","tool_call_id":"c","content":"a.txt"},
          {"role":"user","content":"Summarise without tools."}]})");
    body = body_of(out);
    BOOST_TEST(tool_names(body) == "Bash");  // synthesised for the history only (rule 5)
    BOOST_TEST(
        contains(str(at(body, kTools)[0]["toolSpecification"]["description"]), "do not call it"));
    BOOST_TEST(at(body, kToolResults).Size() == 1u);
}

BOOST_AUTO_TEST_CASE(tool_choice_required_appends_an_instruction) {
    auto body = body_of(translate(with_tools(R"(,"tool_choice":"required")")));
    BOOST_TEST(tool_names(body) == "Bash,Read");
    BOOST_TEST(str(current(body)["content"]) ==
               "Be brief.\n\nYou must call at least one of the available tools in this "
               "response; do not answer with text alone.\n\nlist files");
}

BOOST_AUTO_TEST_CASE(tool_choice_naming_a_function_appends_an_instruction) {
    auto body = body_of(
        translate(with_tools(R"(,"tool_choice":{"type":"function","function":{"name":"Read"}})")));
    BOOST_TEST(tool_names(body) == "Bash,Read");
    BOOST_TEST(str(current(body)["content"]) ==
               "Be brief.\n\nYou must call the tool \"Read\" in this response.\n\nlist files");

    // The legacy function_call says the same with {name}.
    auto legacy = body_of(translate(with_tools(R"(,"function_call":{"name":"Bash"})")));
    BOOST_TEST(contains(system_of(legacy), "You must call the tool \"Bash\""));
}

BOOST_AUTO_TEST_CASE(tool_choice_allowed_tools_restricts_the_offer) {
    auto body = body_of(translate(with_tools(R"(,"tool_choice":{"type":"allowed_tools",
        "allowed_tools":{"mode":"required",
                         "tools":[{"type":"function","function":{"name":"Read"}}]}})")));
    BOOST_TEST(tool_names(body) == "Read");
    BOOST_TEST(contains(system_of(body), "You must call at least one of the available tools"));
}

BOOST_AUTO_TEST_CASE(tool_choice_errors_name_the_field) {
    auto e = translate_error(
        with_tools(R"(,"tool_choice":{"type":"function","function":{"name":"Write"}})"));
    BOOST_TEST(e.message == "tool_choice: no tool named 'Write' in tools");
    e = translate_error(R"({"model":"gpt-4o","tool_choice":"required",
        "messages":[{"role":"user","content":"x"}]})");
    BOOST_TEST(e.message == "tool_choice: requires tools: the request offers none");
    e = translate_error(with_tools(R"(,"tool_choice":"sometimes")"));
    BOOST_TEST(e.message == "tool_choice: must be auto, none, required or an object");
}

// ---- response_format -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(response_format_text_changes_nothing) {
    auto body = body_of(translate(R"({"model":"gpt-4o","response_format":{"type":"text"},
        "messages":[{"role":"user","content":"hi"}]})"));
    BOOST_TEST(str(current(body)["content"]) == "hi");
}

BOOST_AUTO_TEST_CASE(response_format_json_object_appends_an_instruction) {
    auto body = body_of(translate(R"({"model":"gpt-4o","response_format":{"type":"json_object"},
        "messages":[{"role":"system","content":"Sys."},{"role":"user","content":"hi"}]})"));
    BOOST_TEST(str(current(body)["content"]) ==
               "Sys.\n\nRespond with a single valid JSON object and nothing else.\n\nhi");
}

BOOST_AUTO_TEST_CASE(response_format_json_schema_appends_the_schema) {
    auto body = body_of(translate(R"({"model":"gpt-4o","response_format":{"type":"json_schema",
        "json_schema":{"name":"person","description":"A person.","strict":true,
            "schema":{"type":"object","properties":{"name":{"type":"string"}},
                      "required":["name"]}}},
        "messages":[{"role":"user","content":"Invent someone."}]})"));
    BOOST_TEST(str(current(body)["content"]) ==
               "Respond with a single valid JSON value that conforms to the JSON Schema below, "
               "and nothing else: no prose, no Markdown code fences.\n\nSchema name: person"
               "\n\nA person.\n\n"
               R"({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]})"
               "\n\nInvent someone.");
}

BOOST_AUTO_TEST_CASE(response_format_errors_name_the_field) {
    auto e = translate_error(R"({"model":"gpt-4o","response_format":{"type":"yaml"},
        "messages":[{"role":"user","content":"hi"}]})");
    BOOST_TEST(e.message ==
               "response_format.type: 'yaml' is not one of text, json_object, "
               "json_schema");
    e = translate_error(R"({"model":"gpt-4o","response_format":{"type":"json_schema"},
        "messages":[{"role":"user","content":"hi"}]})");
    BOOST_TEST(e.message == "response_format.json_schema: an object is required");
}

// ---- reasoning_effort ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reasoning_effort_sets_the_thinking_budget) {
    struct Row {
        const char* model;
        const char* effort;  // nullptr: absent
        const char* budget;  // nullptr: thinking off
    };
    const Row rows[] = {{"gpt-4o", nullptr, nullptr},
                        {"gpt-4o", "none", nullptr},
                        {"gpt-4o", "minimal", "1024"},
                        {"gpt-4o", "low", "4000"},
                        {"gpt-4o", "medium", "16000"},
                        {"gpt-4o", "high", "32000"},
                        {"gpt-4o", "xhigh", "32000"},
                        {"claude-sonnet-4-5-thinking", nullptr, "16000"},
                        {"claude-sonnet-4-5-thinking", "low", "4000"}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.model << " " << (row.effort ? row.effort : "(absent)")) {
            std::string effort =
                row.effort ? std::string(R"(,"reasoning_effort":")") + row.effort + "\"" : "";
            auto out = translate(std::string(R"({"model":")") + row.model + "\"" + effort +
                                 R"(,"messages":[{"role":"user","content":"hi"}]})");
            std::string content = str(current(body_of(out))["content"]);
            BOOST_TEST(out.upstream.thinking == (row.budget != nullptr));
            if (row.budget)
                BOOST_TEST(content == std::string("<thinking_mode>enabled</thinking_mode>"
                                                  "<max_thinking_length>") +
                                          row.budget + "</max_thinking_length>\n\nhi");
            else
                BOOST_TEST(content == "hi");
        }
    }
    auto e = translate_error(R"({"model":"gpt-4o","reasoning_effort":"max",
        "messages":[{"role":"user","content":"hi"}]})");
    BOOST_TEST(e.message ==
               "reasoning_effort: must be one of none, minimal, low, medium, high, xhigh");
}

// ---- what cannot be served, and validation -------------------------------------------------

BOOST_AUTO_TEST_CASE(n_above_one_is_refused) {
    auto e = translate_error(R"({"model":"gpt-4o","n":2,
        "messages":[{"role":"user","content":"hi"}]})");
    BOOST_TEST((e.code == Errc::invalid_argument));
    BOOST_TEST(contains(e.message, "n > 1 is not supported"));
    BOOST_TEST(e.message.starts_with("n: "));
    e = translate_error(R"({"model":"gpt-4o","n":0,"messages":[{"role":"user","content":"hi"}]})");
    BOOST_TEST(e.message == "n: must be a positive integer");
}

BOOST_AUTO_TEST_CASE(validation_errors_name_the_field) {
    struct Row {
        const char* request;
        const char* message;
    };
    const Row rows[] = {
        {R"({"messages":[{"role":"user","content":"x"}]})",
         "model: a non-empty string is required"},
        {R"({"model":"m"})", "messages: a non-empty array of messages is required"},
        {R"({"model":"m","messages":[]})", "messages: a non-empty array of messages is required"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"},
                                      {"role":"robot","content":"y"}]})",
         "messages.1.role: 'robot' is not one of system, developer, user, assistant, tool"},
        {R"({"model":"m","messages":[{"role":"user"}]})", "messages.0.content: is required"},
        {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})",
         "messages.0: a tool message needs a string 'tool_call_id'"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant",
            "tool_calls":[{"type":"function","function":{"name":"T","arguments":"{}"}}]}]})",
         "messages.1.tool_calls.0: a tool call needs a string 'id' and a 'function' with a "
         "non-empty 'name'"},
        {R"({"model":"m","messages":[{"role":"system","content":[{"type":"image_url"}]}]})",
         "messages.0.content.0: part type 'image_url' is not allowed here; only text"},
        {R"({"model":"m","temperature":"hot","messages":[{"role":"user","content":"x"}]})",
         "temperature: must be a number between 0 and 2"},
        {R"({"model":"m","temperature":2.5,"messages":[{"role":"user","content":"x"}]})",
         "temperature: must be a number between 0 and 2"},
        {R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})",
         "max_tokens: must be an integer of at least 1"},
        {R"({"model":"m","presence_penalty":3,"messages":[{"role":"user","content":"x"}]})",
         "presence_penalty: must be a number between -2 and 2"},
        {R"({"model":"m\u0000","messages":[{"role":"user","content":"x"}]})",
         "model: must not contain control characters"},
        {R"({"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"x"}]})",
         "max_tokens: must be an integer of at least 1"},
        {R"({"model":"m","stop":["a",1],"messages":[{"role":"user","content":"x"}]})",
         "stop: must be a string or an array of strings"},
        {R"({"model":"m","stream":"yes","messages":[{"role":"user","content":"x"}]})",
         "stream: must be true or false"},
        {R"({"model":"m","stream_options":{"include_usage":1},
             "messages":[{"role":"user","content":"x"}]})",
         "stream_options.include_usage: must be true or false"},
        {R"({"model":"m","user":7,"messages":[{"role":"user","content":"x"}]})",
         "user: must be a string"},
        {R"({"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],
             "messages":[{"role":"user","content":"x"}]})",
         "tools.0: tool type 'custom' is not supported; only function"},
        {R"({"model":"m","tools":[{"type":"function","function":{"description":"d"}}],
             "messages":[{"role":"user","content":"x"}]})",
         "tools.0.function: a function needs a non-empty string 'name'"},
    };
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.request) {
            auto e = translate_error(row.request);
            BOOST_TEST((e.code == Errc::invalid_argument));
            BOOST_TEST(e.message == row.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_model_name_over_256_bytes_is_refused) {
    auto e = translate_error(R"({"model":")" + std::string(257, 'm') +
                             R"(","messages":[{"role":"user","content":"x"}]})");
    BOOST_TEST(e.message == "model: must be at most 256 bytes");
}

BOOST_AUTO_TEST_CASE(payload_cap_is_too_large) {
    TranslateOptions o = options();
    o.max_payload = 2000;
    auto e = translate_error(R"({"model":"gpt-4o","messages":[{"role":"user","content":")" +
                                 std::string(3000, 'x') + R"("}]})",
                             o);
    BOOST_TEST((e.code == Errc::too_large));
    BOOST_TEST(e.message.starts_with("prompt is too long"));
}
