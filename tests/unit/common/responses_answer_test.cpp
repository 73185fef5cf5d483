// The Responses renderer: the event grammar a streamed answer makes, the items as the tool
// book types them, and the response object. Order and tool-call rules are the assembler's,
// tested in answer_test.
#define BOOST_TEST_MODULE common_responses_answer
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.hpp"
#include "common/responses_answer.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/q_event_builders.hpp"
#include "tests/unit/support/stream_replay.hpp"

using amq::AnswerStream;
using amq::ResponsesTool;
using namespace amq::test;

namespace {

AnswerStream stream(amq::ResponsesOptions request = {}) {
    amq::AnswerOptions o;
    o.estimated_input_tokens = 1234;
    return amq::make_responses_answer({"resp_abc", 1700000000, "gpt-5", std::move(request)},
                                      std::move(o));
}

amq::ResponsesOptions with_tools() {
    amq::ResponsesOptions r;
    r.tools["shell"] = ResponsesTool{ResponsesTool::Kind::function, "", "shell"};
    r.tools["apply_patch"] = ResponsesTool{ResponsesTool::Kind::custom, "", "apply_patch"};
    r.tools["crm__lookup"] = ResponsesTool{ResponsesTool::Kind::function, "crm", "lookup"};
    return r;
}

struct Event {
    std::string type;
    rapidjson::Document data;
};

std::vector<Event> events_of(std::string_view sse) {
    std::vector<Event> out;
    for (std::string_view one : sse_events(sse)) {
        BOOST_REQUIRE(one.starts_with("event: "));
        std::size_t newline = one.find('\n');
        BOOST_REQUIRE(one.substr(newline + 1).starts_with("data: "));
        Event e{std::string(one.substr(7, newline - 7)), parsed(one.substr(newline + 7))};
        BOOST_TEST(str(e.data["type"]) == e.type);
        out.push_back(std::move(e));
    }
    for (std::size_t i = 0; i < out.size(); ++i)
        BOOST_TEST(out[i].data["sequence_number"].GetInt64() == static_cast<std::int64_t>(i));
    return out;
}

std::vector<std::string> types(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.type);
    return out;
}

std::vector<const rapidjson::Value*> done_items(const std::vector<Event>& events) {
    std::vector<const rapidjson::Value*> out;
    for (const Event& e : events)
        if (e.type == "response.output_item.done") out.push_back(&e.data["item"]);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(text_streams_as_one_message_item) {
    AnswerStream s = stream();
    auto events = events_of(replay(s, {text("Hel"), text("lo"), cached_metadata(10, 20, 5, 3)}));
    std::vector<std::string> expected{"response.created",           "response.in_progress",
                                      "response.output_item.added", "response.content_part.added",
                                      "response.output_text.delta", "response.output_text.delta",
                                      "response.output_text.done",  "response.content_part.done",
                                      "response.output_item.done",  "response.completed"};
    BOOST_TEST(types(events) == expected, boost::test_tools::per_element());
    check_json(events[0].data["response"]["output"], "[]");
    BOOST_TEST(events[0].data["response"]["usage"].IsNull());
    BOOST_TEST(str(events[4].data["item_id"]) == "msg_abc_0");
    BOOST_TEST(str(events[6].data["text"]) == "Hello");
    const rapidjson::Value& response = events.back().data["response"];
    BOOST_TEST(str(response["status"]) == "completed");
    check_json(response["output"],
               R"([{"id":"msg_abc_0","type":"message","status":"completed","role":"assistant",
                    "content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello"}]}])");
    check_json(response["usage"],
               R"({"input_tokens":35,"input_tokens_details":{"cached_tokens":20},"output_tokens":3,
                   "output_tokens_details":{"reasoning_tokens":0},"total_tokens":38})");
    BOOST_TEST(s.body() == amq::to_json(response));
}

BOOST_AUTO_TEST_CASE(reasoning_is_a_reasoning_item_with_a_summary) {
    AnswerStream s = stream();
    auto events = events_of(replay(s, {reasoning("think"), reasoning(" more"), text("ok")}));
    BOOST_TEST(events[2].type == "response.output_item.added");
    check_json(events[2].data["item"], R"({"id":"rs_abc_0","type":"reasoning","summary":[]})");
    BOOST_TEST(events[3].type == "response.reasoning_summary_part.added");
    BOOST_TEST(events[4].type == "response.reasoning_summary_text.delta");
    BOOST_TEST(str(events[4].data["delta"]) == "think");
    auto done = done_items(events);
    BOOST_REQUIRE(done.size() == 2u);
    check_json(*done[0], R"({"id":"rs_abc_0","type":"reasoning",
                             "summary":[{"type":"summary_text","text":"think more"}]})");
    BOOST_TEST(str((*done[1])["id"]) == "msg_abc_1");
    BOOST_TEST(events.back()
                   .data["response"]["usage"]["output_tokens_details"]["reasoning_tokens"]
                   .GetInt64() > 0);
}

BOOST_AUTO_TEST_CASE(function_calls_stream_their_arguments) {
    AnswerStream s = stream(with_tools());
    auto events = events_of(
        replay(s, {tool("c1", "shell", R"({"command")"), tool("c1", "shell", R"(:"ls"})", true),
                   tool("c2", "crm__lookup", "{}", true)}));
    check_json(events[2].data["item"],
               R"({"id":"fc_abc_0","type":"function_call","status":"in_progress","call_id":"c1",
                   "name":"shell","arguments":""})");
    std::string arguments;
    for (const Event& e : events)
        if (e.type == "response.function_call_arguments.delta") arguments += str(e.data["delta"]);
    BOOST_TEST(arguments == R"({"command":"ls"}{})");
    auto done = done_items(events);
    BOOST_REQUIRE(done.size() == 2u);
    check_json(*done[0], R"({"id":"fc_abc_0","type":"function_call","status":"completed",
                             "call_id":"c1","name":"shell","arguments":"{\"command\":\"ls\"}"})");
    check_json(*done[1], R"({"id":"fc_abc_1","type":"function_call","status":"completed",
                             "call_id":"c2","name":"lookup","namespace":"crm","arguments":"{}"})");
    BOOST_TEST(str(events.back().data["response"]["status"]) == "completed");
}

BOOST_AUTO_TEST_CASE(custom_calls_carry_the_raw_input_string) {
    AnswerStream s = stream(with_tools());
    auto events =
        events_of(replay(s, {tool("c1", "apply_patch", R"({"input":"*** Begin)"),
                             tool("c1", "apply_patch", R"( Patch\n*** End Patch"})", true)}));
    std::vector<std::string> expected{"response.created",
                                      "response.in_progress",
                                      "response.output_item.added",
                                      "response.custom_tool_call_input.delta",
                                      "response.custom_tool_call_input.delta",
                                      "response.custom_tool_call_input.done",
                                      "response.output_item.done",
                                      "response.completed"};
    BOOST_TEST(types(events) == expected, boost::test_tools::per_element());
    // The input streams as the upstream writes it, decoded from its JSON string.
    BOOST_TEST(str(events[3].data["delta"]) == "*** Begin");
    BOOST_TEST(str(events[4].data["delta"]) == " Patch\n*** End Patch");
    check_json(*done_items(events)[0],
               R"({"id":"ctc_abc_0","type":"custom_tool_call","status":"completed","call_id":"c1",
                   "name":"apply_patch","input":"*** Begin Patch\n*** End Patch"})");
}

BOOST_AUTO_TEST_CASE(a_custom_call_not_shaped_as_input_streams_at_its_end) {
    AnswerStream s = stream(with_tools());
    auto events = events_of(replay(s, {tool("c1", "apply_patch", R"({"patch":"P"})", true)}));
    std::vector<std::string> deltas;
    for (const Event& e : events)
        if (e.type == "response.custom_tool_call_input.delta")
            deltas.push_back(str(e.data["delta"]));
    BOOST_TEST(deltas == std::vector<std::string>{"P"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(custom_input_is_the_input_member_else_the_only_string_else_the_text) {
    BOOST_TEST(amq::custom_tool_input(R"({"input":"a"})") == "a");
    BOOST_TEST(amq::custom_tool_input(R"({"patch":"b"})") == "b");
    BOOST_TEST(amq::custom_tool_input(R"({"a":"x","b":"y"})") == R"({"a":"x","b":"y"})");
    BOOST_TEST(amq::custom_tool_input(R"({"n":1})") == R"({"n":1})");
    BOOST_TEST(amq::custom_tool_input("{}") == "{}");
}

BOOST_AUTO_TEST_CASE(a_cut_answer_is_incomplete) {
    amq::ResponsesOptions request;
    request.max_output_tokens = 64;
    AnswerStream s = stream(request);
    auto events = events_of(replay(s, {text("part"), metadata(1, 2, "MAX_TOKENS")}));
    BOOST_TEST(events.back().type == "response.incomplete");
    const rapidjson::Value& response = events.back().data["response"];
    check_json(response["incomplete_details"], R"({"reason":"max_output_tokens"})");
    BOOST_TEST(response["max_output_tokens"].GetInt64() == 64);
}

BOOST_AUTO_TEST_CASE(a_failure_is_response_failed_with_a_code) {
    AnswerStream s = stream();
    std::string sse = s.start();
    sse += s.on_event(text("x"));
    sse += s.error_event(429, "slow down");
    auto events = events_of(sse);
    BOOST_TEST(events.back().type == "response.failed");
    check_json(events.back().data["response"]["error"],
               R"({"code":"rate_limit_exceeded","message":"slow down"})");
    AnswerStream t = stream();
    std::string started = t.start();
    auto other = events_of(started + t.error_event(502, "upstream broke"));
    BOOST_TEST(str(other.back().data["response"]["error"]["code"]) == "server_error");
}

BOOST_AUTO_TEST_CASE(calls_without_an_id_get_one_from_the_response) {
    AnswerStream s = stream(with_tools());
    auto events = events_of(replay(s, {tool("", "shell", "{}", true)}));
    BOOST_TEST(str((*done_items(events)[0])["call_id"]) == "call_resp_abc_0");
}

BOOST_AUTO_TEST_CASE(ping_is_a_comment) { BOOST_TEST(stream().ping() == ": ping\n\n"); }
