// Reading the Responses format: items into turns, the three tool kinds into upstream tools
// and the tool book, and the fields refused or checked. The upstream rules themselves are
// q_request's, tested with the Chat and Anthropic formats.
#define BOOST_TEST_MODULE common_responses_request
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/responses_request.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/translate_fixtures.hpp"

using amq::ResponsesRequest;
using amq::ResponsesTool;
using namespace amq::test;

namespace {

ResponsesRequest translate(std::string_view request) {
    rapidjson::Document doc = parsed(request);
    auto out = amq::translate_responses_request(doc, options());
    if (!out.ok()) BOOST_FAIL("translation failed: " << out.error().message);
    return std::move(out).value();
}

std::string translate_error(std::string_view request) {
    rapidjson::Document doc = parsed(request);
    auto out = amq::translate_responses_request(doc, options());
    if (out.ok()) BOOST_FAIL("translation succeeded but should not have:\n" << out->upstream.body);
    BOOST_TEST((out.error().code == amq::Errc::invalid_argument));
    return out.error().message;
}

constexpr const char* kTools =
    "/conversationState/currentMessage/userInputMessage/userInputMessageContext/tools";
constexpr const char* kToolResults =
    "/conversationState/currentMessage/userInputMessage/userInputMessageContext/toolResults";

}  // namespace

BOOST_AUTO_TEST_CASE(a_string_input_is_one_user_message_after_the_instructions) {
    auto out = translate(R"({"model":"gpt-5","instructions":"Be brief.","input":"Say hi"})");
    rapidjson::Document body = parsed(out.upstream.body);
    std::string all = out.upstream.body;
    BOOST_TEST(all.find("Be brief.") < all.find("Say hi"));
    BOOST_TEST(str(current(body)["content"]).find("Say hi") != std::string::npos);
    BOOST_TEST(!out.upstream.stream);
    BOOST_TEST(out.upstream.conversation_id == std::string(kFallbackId));
}

BOOST_AUTO_TEST_CASE(items_become_alternating_turns_with_calls_and_outputs_paired) {
    auto out = translate(R"({"model":"gpt-5","stream":true,"input":[
        {"type":"message","role":"developer","content":"Rules."},
        {"role":"user","content":[{"type":"input_text","text":"list, then patch"}]},
        {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"plan"}]},
        {"type":"function_call","call_id":"c1","name":"shell","arguments":"{\"command\":\"ls\"}"},
        {"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin Patch"},
        {"type":"function_call_output","call_id":"c1","output":"a.txt"},
        {"type":"custom_tool_call_output","call_id":"c2","output":[{"type":"input_text","text":"Done"}]}],
        "tools":[{"type":"function","name":"shell","parameters":{"type":"object"}},
                 {"type":"custom","name":"apply_patch"}]})");
    BOOST_TEST(out.upstream.stream);
    rapidjson::Document body = parsed(out.upstream.body);
    const rapidjson::Value& assistant =
        at(body, "/conversationState/history/3/assistantResponseMessage");
    BOOST_TEST(str(assistant["content"]).find("plan") != std::string::npos);
    check_json(assistant["toolUses"],
               R"([{"toolUseId":"c1","name":"shell","input":{"command":"ls"}},
                   {"toolUseId":"c2","name":"apply_patch","input":{"input":"*** Begin Patch"}}])");
    const rapidjson::Value& results = at(body, kToolResults);
    BOOST_TEST(results.Size() == 2u);
    BOOST_TEST(str(results[0]["toolUseId"]) == "c1");
    BOOST_TEST(str(results[1]["toolUseId"]) == "c2");
    BOOST_TEST(amq::to_json(results[1]).find("Done") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(custom_tools_go_up_with_one_string_input_and_their_grammar) {
    auto out = translate(R"({"model":"gpt-5","input":"x","tools":[{"type":"custom",
        "name":"apply_patch","description":"Edit files.",
        "format":{"type":"grammar","syntax":"lark","definition":"start: PATCH"}}]})");
    rapidjson::Document body = parsed(out.upstream.body);
    const rapidjson::Value& spec = at(body, kTools)[0]["toolSpecification"];
    BOOST_TEST(str(spec["name"]) == "apply_patch");
    std::string description = str(spec["description"]);
    BOOST_TEST(description.find("Edit files.") == 0u);
    BOOST_TEST(description.find("lark grammar:\nstart: PATCH") != std::string::npos);
    check_json(spec["inputSchema"]["json"]["required"], R"(["input"])");
    BOOST_TEST((out.responses.tools.at("apply_patch").kind == ResponsesTool::Kind::custom));
}

BOOST_AUTO_TEST_CASE(namespace_tools_are_flattened_and_booked) {
    auto out = translate(R"({"model":"gpt-5","input":[
        {"role":"user","content":"go"},
        {"type":"function_call","call_id":"c1","namespace":"crm","name":"lookup","arguments":"{}"},
        {"type":"function_call_output","call_id":"c1","output":"none"}],
        "tools":[{"type":"namespace","name":"crm","description":"Customers","tools":[
            {"type":"function","name":"lookup","description":"Find one"},
            {"type":"custom","name":"note"}]},{"type":"web_search"}]})");
    rapidjson::Document body = parsed(out.upstream.body);
    const rapidjson::Value& tools = at(body, kTools);
    BOOST_TEST(tools.Size() == 3u);  // and web_search, which the daemon runs
    BOOST_TEST(str(tools[2]["toolSpecification"]["name"]) == "web_search");
    BOOST_TEST(out.upstream.search_limit == amq::kDefaultSearchLimit);
    BOOST_TEST(str(tools[0]["toolSpecification"]["name"]) == "crm__lookup");
    BOOST_TEST(str(tools[0]["toolSpecification"]["description"]).find("Customers") !=
               std::string::npos);
    BOOST_TEST(
        str(at(body, "/conversationState/history/1/assistantResponseMessage/toolUses/0/name")) ==
        "crm__lookup");
    const ResponsesTool& note = out.responses.tools.at("crm__note");
    BOOST_TEST((note.kind == ResponsesTool::Kind::custom));
    BOOST_TEST(note.name_space == "crm");
    BOOST_TEST(note.name == "note");
    BOOST_TEST(amq::flat_tool_name("", "x") == "x");
}

BOOST_AUTO_TEST_CASE(echoes_effort_and_session) {
    auto out = translate(R"({"model":"gpt-5","input":"x","max_output_tokens":99,
        "parallel_tool_calls":false,"store":false,"reasoning":{"effort":"low","summary":"auto"},
        "prompt_cache_key":"sess-1","user":"u","include":["reasoning.encrypted_content"],
        "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"}},"verbosity":"low"}})");
    BOOST_TEST(out.responses.max_output_tokens.value_or(0) == 99);
    BOOST_TEST(!out.responses.parallel_tool_calls);
    BOOST_TEST(out.responses.reasoning_effort == "low");
    BOOST_TEST(out.upstream.thinking);
    BOOST_TEST(out.upstream.body.find("<max_thinking_length>4000") != std::string::npos);
    BOOST_TEST(out.upstream.body.find("JSON Schema") != std::string::npos);
    BOOST_TEST(out.upstream.session_id == "sess-1");
    BOOST_TEST(out.upstream.conversation_id == amq::conversation_id_for_session("sess-1"));
    BOOST_TEST(translate(R"({"model":"gpt-5","input":"x","user":"u"})").upstream.session_id == "u");
}

BOOST_AUTO_TEST_CASE(tool_choice_narrows_or_instructs) {
    auto with_choice = [](std::string_view choice) {
        return translate(
            std::string(R"({"model":"gpt-5","input":"x","tools":[)"
                        R"({"type":"function","name":"a"},{"type":"custom","name":"b"}],)"
                        R"("tool_choice":)") +
            std::string(choice) + "}");
    };
    BOOST_TEST(!has(parsed(with_choice(R"("none")").upstream.body), kTools));
    auto named = with_choice(R"({"type":"custom","name":"b"})");
    BOOST_TEST(named.upstream.body.find(R"(You must call the tool \"b\")") != std::string::npos);
    auto allowed = with_choice(
        R"({"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"a"}]})");
    rapidjson::Document body = parsed(allowed.upstream.body);
    BOOST_TEST(at(body, kTools).Size() == 1u);
    BOOST_TEST(allowed.upstream.body.find("You must call at least one") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(requests_that_need_stored_state_or_unknown_shapes_are_refused) {
    struct Row {
        const char* request;
        const char* message;
    };
    const Row rows[] = {
        {R"({"input":"x"})", "model: a non-empty string is required"},
        {R"({"model":"m"})", "input: is required"},
        {R"({"model":"m","input":[]})", "input: must be a string or a non-empty array"},
        {R"({"model":"m","input":"x","previous_response_id":"resp_1"})",
         "previous_response_id: is not supported"},
        {R"({"model":"m","input":"x","conversation":"c"})", "conversation: is not supported"},
        {R"({"model":"m","input":"x","background":true})", "background: background responses"},
        {R"({"model":"m","input":[{"type":"item_reference","id":"i"}]})",
         "input.0: item_reference"},
        {R"({"model":"m","input":[{"type":"local_shell_call"}]})",
         "input.0: input item type 'local_shell_call'"},
        {R"({"model":"m","input":[3]})", "input.0: an input item must be an object"},
        {R"({"model":"m","input":[{"role":"tool","content":"x"}]})", "input.0.role: 'tool'"},
        {R"({"model":"m","input":[{"role":"user"}]})", "input.0.content: is required"},
        {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]})",
         "input.0.content.0: input_file"},
        {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]})",
         "input.0.content.0: input_image by file_id"},
        {R"({"model":"m","input":[{"role":"system","content":[{"type":"input_image","image_url":"data:"}]}]})",
         "input.0.content.0: part type 'input_image'"},
        {R"({"model":"m","input":[{"type":"custom_tool_call","call_id":"c","name":"n"}]})",
         "input.0: a custom_tool_call needs a string 'input'"},
        {R"({"model":"m","input":[{"type":"function_call_output","output":"x"}]})",
         "input.0: needs a non-empty string 'call_id'"},
        {R"({"model":"m","input":"x","tools":[{"type":"computer_use_preview"}]})",
         "tools.0: a tool needs"},
        {R"({"model":"m","input":"x","tools":[{"type":"mcp","name":"x"}]})",
         "tools.0: tool type 'mcp'"},
        {R"({"model":"m","input":"x","tools":[{"type":"namespace","name":"n"}]})",
         "tools.0: a namespace needs"},
        {R"({"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"type":"namespace","name":"i","tools":[]}]}]})",
         "tools.0.tools.0: tool type 'namespace'"},
        {R"({"model":"m","input":"x","max_output_tokens":0})", "max_output_tokens"},
        {R"({"model":"m","input":"x","include":[1]})", "include"},
        {R"({"model":"m","input":"x","text":{"format":{"type":"yaml"}}})", "text.format.type"},
        {R"({"model":"m","input":"x","tool_choice":"always"})", "tool_choice: must be"},
    };
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.request) {
            std::string message = translate_error(row.request);
            BOOST_TEST(message.find(row.message) == 0u, message);
        }
    }
}
