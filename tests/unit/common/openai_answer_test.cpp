// The OpenAI renderer: the chunks and the completion an answer makes. The order of content
// and the rules about tool calls are the assembler's, tested in answer_test.
#define BOOST_TEST_MODULE common_openai_answer
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.hpp"
#include "common/openai_answer.hpp"
#include "common/token_estimate.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/q_event_builders.hpp"
#include "tests/unit/support/stream_replay.hpp"

using amq::AnswerStream;
using amq::QEvent;
using namespace amq::test;

namespace {

amq::AnswerOptions options(bool thinking = false) {
    amq::AnswerOptions o;
    o.estimated_input_tokens = 1234;
    o.context_window = 200000;
    o.thinking = thinking;
    return o;
}

AnswerStream stream(bool include_usage = false, amq::AnswerOptions o = options()) {
    return amq::make_openai_answer({"chatcmpl-test", 1700000000, "gpt-4o", include_usage},
                                   std::move(o));
}

// ---- SSE out ----

struct Frame {
    bool done = false;  // data: [DONE]
    rapidjson::Document data;
};

std::vector<Frame> parse_frames(std::string_view sse) {
    std::vector<Frame> frames;
    for (std::string_view one : sse_events(sse)) {
        BOOST_REQUIRE_MESSAGE(one.starts_with("data: "), "not a data line: " << one);
        std::string_view data = one.substr(6);
        BOOST_REQUIRE(data.find('\n') == std::string_view::npos);
        Frame frame;
        if (data == "[DONE]") {
            frame.done = true;
        } else {
            auto doc = amq::parse_json(data);
            BOOST_REQUIRE_MESSAGE(doc.ok(), "chunk is not JSON: " << data);
            frame.data = std::move(doc).value();
        }
        frames.push_back(std::move(frame));
    }
    return frames;
}

bool is_error(const Frame& f) { return !f.done && f.data.HasMember("error"); }
bool is_usage(const Frame& f) { return !f.done && !is_error(f) && f.data["choices"].Empty(); }

const rapidjson::Value& delta(const Frame& f) { return f.data["choices"][0]["delta"]; }

// "role content tool_call:0:start tool_call:0:args finish:stop usage DONE": the shape of a
// stream at a glance.
std::string shape(const std::vector<Frame>& frames) {
    std::string out;
    for (const Frame& f : frames) {
        if (!out.empty()) out += ' ';
        if (f.done) {
            out += "DONE";
        } else if (is_error(f)) {
            out += "error";
        } else if (is_usage(f)) {
            out += "usage";
        } else if (!f.data["choices"][0]["finish_reason"].IsNull()) {
            out += "finish:" + str(f.data["choices"][0]["finish_reason"]);
        } else if (delta(f).HasMember("role")) {
            out += "role";
        } else if (delta(f).HasMember("content")) {
            out += "content";
        } else if (delta(f).HasMember("reasoning_content")) {
            out += "reasoning";
        } else if (delta(f).HasMember("tool_calls")) {
            const auto& call = delta(f)["tool_calls"][0];
            out += "tool_call:" + std::to_string(call["index"].GetUint64()) +
                   (call.HasMember("id") ? ":start" : ":args");
        } else {
            out += "?";
        }
    }
    return out;
}

struct Call {
    std::string id;
    std::string name;
    std::string arguments;
};

struct Answer {
    std::string content;
    std::string reasoning;
    std::vector<Call> calls;
    std::string finish_reason;
};

// Replays the chunks like a strict client: every chunk carries the completion's head; a tool
// call's first delta (a new index, counting from 0) brings id, type and name, later deltas
// only argument fragments; the finish_reason chunk has an empty delta.
Answer assemble(const std::vector<Frame>& frames) {
    Answer a;
    for (const Frame& f : frames) {
        if (f.done || is_error(f) || is_usage(f)) continue;
        BOOST_TEST(str(f.data["id"]) == "chatcmpl-test");
        BOOST_TEST(str(f.data["object"]) == "chat.completion.chunk");
        BOOST_TEST(f.data["created"].GetInt64() == 1700000000);
        BOOST_TEST(str(f.data["model"]) == "gpt-4o");
        BOOST_REQUIRE(f.data["choices"].Size() == 1u);
        const auto& choice = f.data["choices"][0];
        BOOST_TEST(choice["index"].GetInt() == 0);
        const auto& d = choice["delta"];
        if (!choice["finish_reason"].IsNull()) {
            BOOST_TEST(a.finish_reason.empty());
            BOOST_TEST(d.ObjectEmpty());
            a.finish_reason = str(choice["finish_reason"]);
            continue;
        }
        if (d.HasMember("content")) a.content += str(d["content"]);
        if (d.HasMember("reasoning_content")) a.reasoning += str(d["reasoning_content"]);
        if (!d.HasMember("tool_calls")) continue;
        BOOST_REQUIRE(d["tool_calls"].Size() == 1u);
        const auto& c = d["tool_calls"][0];
        std::size_t index = c["index"].GetUint64();
        if (c.HasMember("id")) {
            BOOST_REQUIRE(index == a.calls.size());  // a new call, next index
            BOOST_TEST(str(c["type"]) == "function");
            BOOST_TEST(str(c["function"]["arguments"]) == "");
            a.calls.push_back(Call{str(c["id"]), str(c["function"]["name"]), ""});
        } else {
            BOOST_REQUIRE(index + 1 == a.calls.size());  // only the latest call continues
            BOOST_TEST(!c["function"].HasMember("name"));
            a.calls.back().arguments += str(c["function"]["arguments"]);
        }
    }
    return a;
}

std::vector<Frame> run(AnswerStream& s, const std::vector<QEvent>& events) {
    return parse_frames(replay(s, events));
}

std::vector<Frame> run(const std::vector<QEvent>& events, amq::AnswerOptions o = options()) {
    AnswerStream s = stream(false, std::move(o));
    return run(s, events);
}

std::string finish_reason(const std::vector<QEvent>& events) {
    return assemble(run(events)).finish_reason;
}

bool is_object_json(std::string_view text) {
    auto doc = amq::parse_json(text);
    return doc.ok() && doc->IsObject();
}

}  // namespace

// ---- chunk sequences -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(text_only) {
    auto frames = run({text("Hel"), text("lo")});
    BOOST_TEST(shape(frames) == "role content content finish:stop DONE");
    BOOST_TEST(str(delta(frames[0])["role"]) == "assistant");
    BOOST_TEST(str(delta(frames[0])["content"]) == "");
    BOOST_TEST(frames[1].data["choices"][0]["logprobs"].IsNull());
    BOOST_TEST(!frames[1].data.HasMember("usage"));  // only with include_usage
    Answer a = assemble(frames);
    BOOST_TEST(a.content == "Hello");
    BOOST_TEST(a.finish_reason == "stop");
    BOOST_TEST(frames.back().done);
}

BOOST_AUTO_TEST_CASE(ping_is_a_comment) { BOOST_TEST(stream().ping() == ": ping\n\n"); }

BOOST_AUTO_TEST_CASE(two_tool_calls_count_from_zero) {
    AnswerStream s = stream();
    auto frames =
        run(s, {text("Reading both."), tool("tooluse_a", "Read", ""),
                tool("tooluse_a", "Read", R"({"path":)"), tool("tooluse_a", "Read", R"("/x"})"),
                tool("tooluse_a", "Read", "", true),
                tool("tooluse_b", "Read", R"({"path":"/y"})", true)});
    BOOST_TEST(shape(frames) ==
               "role content tool_call:0:start tool_call:0:args tool_call:0:args "
               "tool_call:1:start tool_call:1:args finish:tool_calls DONE");
    Answer a = assemble(frames);
    BOOST_TEST(a.content == "Reading both.");
    BOOST_REQUIRE(a.calls.size() == 2u);
    BOOST_TEST(a.calls[0].id == "tooluse_a");
    BOOST_TEST(a.calls[0].name == "Read");
    BOOST_TEST(a.calls[0].arguments == R"({"path":"/x"})");
    BOOST_TEST(a.calls[1].id == "tooluse_b");
    BOOST_TEST(a.calls[1].arguments == R"({"path":"/y"})");
    for (const Call& c : a.calls) BOOST_TEST(is_object_json(c.arguments));
    BOOST_TEST(a.finish_reason == "tool_calls");
    BOOST_TEST(!s.failure().has_value());
}

BOOST_AUTO_TEST_CASE(calls_without_arguments) {
    // "{}" then stop, or nothing then stop: a call without arguments, whose arguments are {}.
    for (auto events : {std::vector<QEvent>{tool("t", "Now", "{}"), tool("t", "Now", "", true)},
                        std::vector<QEvent>{tool("t", "Now", "", true)}}) {
        auto frames = run(events);
        BOOST_TEST(shape(frames) ==
                   "role tool_call:0:start tool_call:0:args finish:tool_calls DONE");
        BOOST_TEST(assemble(frames).calls.at(0).arguments == "{}");
    }
}

BOOST_AUTO_TEST_CASE(text_after_a_tool_call_is_content) {
    auto frames = run({tool("t", "Bash", R"({"c":1})", true), text("Done.")});
    BOOST_TEST(shape(frames) ==
               "role tool_call:0:start tool_call:0:args content finish:tool_calls DONE");
    BOOST_TEST(assemble(frames).content == "Done.");
}

BOOST_AUTO_TEST_CASE(missing_tool_ids_are_made_up_and_names_mapped_back) {
    amq::AnswerOptions o = options();
    o.tool_names.emplace("mcp__server__short_0123456789abcdef", "mcp__server__a_very_long_name");
    auto a = assemble(run({tool("", "mcp__server__short_0123456789abcdef", "{}", true),
                           tool("", "Bash", R"({"c":1})", true)},
                          o));
    BOOST_REQUIRE(a.calls.size() == 2u);
    BOOST_TEST(a.calls[0].name == "mcp__server__a_very_long_name");
    BOOST_TEST(a.calls[1].name == "Bash");
    BOOST_TEST(a.calls[0].id == "call_chatcmpl-test_0");
    BOOST_TEST(a.calls[1].id == "call_chatcmpl-test_1");
}

// ---- reasoning -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reasoning_is_reasoning_content) {
    auto frames =
        run({reasoning("Let me "), reasoning("think."), reasoning("", "c2ln"), text("Answer")});
    BOOST_TEST(shape(frames) == "role reasoning reasoning content finish:stop DONE");
    Answer a = assemble(frames);
    BOOST_TEST(a.reasoning == "Let me think.");
    BOOST_TEST(a.content == "Answer");
}

BOOST_AUTO_TEST_CASE(a_reasoning_signature_ends_an_open_tool_call) {
    // As in the Anthropic stream: the call is complete, not cut off.
    auto frames = run({tool("t", "Bash", R"({"c":1})"), reasoning("", "c2ln"), text("Done.")});
    BOOST_TEST(shape(frames) ==
               "role tool_call:0:start tool_call:0:args content finish:tool_calls DONE");
    BOOST_TEST(assemble(frames).calls.at(0).arguments == R"({"c":1})");
}

BOOST_AUTO_TEST_CASE(thinking_tags_become_reasoning_content_when_thinking_is_on) {
    const std::string whole = "<thinking>ab</thinking>cd";
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        BOOST_TEST_CONTEXT("cut at " << cut) {
            Answer a =
                assemble(run({text(whole.substr(0, cut)), text(whole.substr(cut))}, options(true)));
            BOOST_TEST(a.reasoning == "ab");
            BOOST_TEST(a.content == "cd");
        }
    }
    Answer off = assemble(run({text(whole)}));
    BOOST_TEST(off.content == whole);
    BOOST_TEST(off.reasoning.empty());
}

// ---- finish_reason -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(finish_reason_from_metadata) {
    struct Row {
        const char* upstream;
        const char* client;
    };
    const Row rows[] = {{"END_TURN", "stop"},
                        {"TOOL_USE", "tool_calls"},
                        {"MAX_TOKENS", "length"},
                        {"MODEL_CONTEXT_WINDOW_EXCEEDED", "length"},
                        {"CONTENT_FILTERED", "content_filter"},
                        {"SOMETHING_NEW", "stop"}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.upstream) {
            AnswerStream s = stream();
            auto frames = run(s, {text("x"), metadata(std::nullopt, std::nullopt, row.upstream)});
            BOOST_TEST(assemble(frames).finish_reason == row.client);
            BOOST_TEST(amq::openai_finish_reason(s.answer().stop_cause()) == row.client);
        }
    }
}

BOOST_AUTO_TEST_CASE(finish_reason_inferred) {
    BOOST_TEST(finish_reason({text("x")}) == "stop");
    BOOST_TEST(finish_reason({}) == "stop");
    BOOST_TEST(finish_reason({tool("t", "Bash", R"({"c":1})", true),
                              metadata(std::nullopt, std::nullopt, "SOMETHING_NEW")}) ==
               "tool_calls");
    BOOST_TEST(finish_reason({text("long"), exception("ContentLengthExceededException", "l")}) ==
               "length");
    BOOST_TEST(finish_reason({tool("t", "Bash", R"({"c":1})", true),
                              exception("ContentLengthExceededException", "l")}) == "tool_calls");
}

// ---- usage ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(include_usage_adds_a_usage_chunk_before_done) {
    AnswerStream s = stream(true);
    auto frames = run(s, {text("Hi"), metadata(5000, 77, "END_TURN")});
    BOOST_TEST(shape(frames) == "role content finish:stop usage DONE");
    for (std::size_t i = 0; i + 2 < frames.size(); ++i) {
        BOOST_REQUIRE(frames[i].data.HasMember("usage"));
        BOOST_TEST(frames[i].data["usage"].IsNull());  // OpenAI's shape with include_usage
    }
    const Frame& usage = frames[frames.size() - 2];
    BOOST_TEST(str(usage.data["id"]) == "chatcmpl-test");
    BOOST_TEST(str(usage.data["object"]) == "chat.completion.chunk");
    BOOST_TEST(usage.data["choices"].IsArray());
    BOOST_TEST(usage.data["choices"].Empty());
    BOOST_TEST(usage.data["usage"]["prompt_tokens"].GetInt64() == 5000);
    BOOST_TEST(usage.data["usage"]["completion_tokens"].GetInt64() == 77);
    BOOST_TEST(usage.data["usage"]["total_tokens"].GetInt64() == 5077);
    BOOST_TEST(frames.back().done);
}

// OpenAI counts cached tokens inside prompt_tokens and tells them apart in the details.
BOOST_AUTO_TEST_CASE(cached_tokens_are_in_the_prompt_tokens_details) {
    AnswerStream s = stream(true);
    auto frames = run(s, {text("Hi"), cached_metadata(100, 4000, 900, 7)});
    const rapidjson::Value& usage = frames[frames.size() - 2].data["usage"];
    BOOST_TEST(usage["prompt_tokens"].GetInt64() == 5000);
    BOOST_TEST(usage["prompt_tokens_details"]["cached_tokens"].GetInt64() == 4000);
    BOOST_TEST(usage["total_tokens"].GetInt64() == 5007);
}

BOOST_AUTO_TEST_CASE(usage_precedence_and_never_zero) {
    AnswerStream meta = stream();
    run(meta, {context_usage(50), text("x"), metadata(5000, 77)});
    BOOST_TEST(meta.input_tokens() == 5000);
    BOOST_TEST(meta.output_tokens() == 77);

    AnswerStream pct = stream();
    run(pct, {text("x"), context_usage(12.3456)});
    BOOST_TEST(pct.input_tokens() == 24691);  // 12.3456% of 200 000, rounded

    AnswerStream estimate = stream();
    run(estimate, {reasoning("abcd"), text("0123456789"), tool("t", "B", R"({"k":1})", true)});
    BOOST_TEST(estimate.input_tokens() == 1234);
    BOOST_TEST(estimate.output_tokens() == amq::estimate_tokens(R"(abcd0123456789{"k":1})"));

    amq::AnswerOptions zero = options();
    zero.estimated_input_tokens = 0;
    AnswerStream never_zero = stream(false, zero);
    run(never_zero, {text("x"), metadata(0, 1)});  // a 0 from the upstream is no number
    BOOST_TEST(never_zero.input_tokens() == 1);
}

// ---- failures ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(truncated_tool_call_is_an_error_chunk_then_done) {
    AnswerStream s = stream(true);
    std::string sse = s.start();
    sse += s.on_event(tool("t1", "Write", R"({"file_path":"/a","content":"lorem)"));
    sse += s.finish();
    auto frames = parse_frames(sse);
    BOOST_TEST(shape(frames) == "role tool_call:0:start tool_call:0:args error DONE");
    const auto& error = frames[frames.size() - 2].data["error"];
    std::string message = str(error["message"]);
    BOOST_TEST(message.find("Write") != std::string::npos);
    BOOST_TEST(message.find("cut off") != std::string::npos);
    BOOST_TEST(str(error["type"]) == "server_error");
    BOOST_TEST(error["param"].IsNull());
    BOOST_TEST(error["code"].IsNull());
    BOOST_REQUIRE(s.failure().has_value());
    BOOST_TEST((s.failure()->error.code == amq::Errc::protocol));
    BOOST_TEST(s.failure()->status == 502);
    BOOST_TEST(sse.find(R"("arguments":"{}")") == std::string::npos);  // never a fake {}
    BOOST_TEST(s.ended());
    BOOST_TEST(s.finish() == "");
}

BOOST_AUTO_TEST_CASE(exception_mid_stream_is_an_error_chunk) {
    struct Row {
        const char* type;
        const char* client_type;
        int status;
    };
    const Row rows[] = {{"ThrottlingException", "rate_limit_error", 429},
                        {"ValidationException", "invalid_request_error", 400},
                        {"InternalServerException", "server_error", 502}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.type) {
            AnswerStream s = stream();
            s.start();
            s.on_event(text("partial"));
            auto frames = parse_frames(s.on_event(exception(row.type, "it broke")));
            BOOST_TEST(shape(frames) == "error DONE");
            BOOST_TEST(str(frames[0].data["error"]["type"]) == row.client_type);
            BOOST_TEST(str(frames[0].data["error"]["message"]).find("it broke") !=
                       std::string::npos);
            BOOST_REQUIRE(s.failure().has_value());
            BOOST_TEST(s.failure()->status == row.status);
            BOOST_TEST(s.on_event(text("more")) == "");
            BOOST_TEST(s.finish() == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(error_event_ends_the_stream) {
    AnswerStream s = stream();
    s.start();
    s.on_event(text("x"));
    auto frames = parse_frames(s.error_event(503, "upstream idle for too long"));
    BOOST_TEST(shape(frames) == "error DONE");
    BOOST_TEST(str(frames[0].data["error"]["message"]) == "upstream idle for too long");
    BOOST_TEST(str(frames[0].data["error"]["type"]) == "server_error");
    BOOST_TEST(s.failure().has_value());
    BOOST_TEST(s.failure()->status == 503);
    BOOST_TEST(s.finish() == "");
    BOOST_TEST(s.error_event(500, "again") == "");
}

BOOST_AUTO_TEST_CASE(nothing_after_finish) {
    AnswerStream s = stream();
    s.start();
    s.on_event(text("x"));
    BOOST_TEST(!s.finish().empty());
    BOOST_TEST(s.ended());
    BOOST_TEST(s.on_event(text("y")) == "");
    BOOST_TEST(s.finish() == "");
}

// ---- the non-streaming completion ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(completion_with_text_and_tool_calls) {
    AnswerStream s = stream();
    s.start();
    s.on_event(reasoning("Need a listing."));
    s.on_event(text("Running it."));
    s.on_event(tool("tooluse_9", "Bash", R"({"command": "ls",)"));
    s.on_event(tool("tooluse_9", "Bash", R"( "timeout": 5})", true));
    s.on_event(tool("tooluse_10", "Now", "", true));
    s.on_event(metadata(321, 12, "TOOL_USE"));
    s.finish();
    BOOST_REQUIRE(!s.failure().has_value());
    auto doc = amq::parse_json(s.body());
    BOOST_REQUIRE(doc.ok());
    rapidjson::Document want;
    want.Parse(R"({"id":"chatcmpl-test","object":"chat.completion","created":1700000000,
        "model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",
            "content":"Running it.","refusal":null,"reasoning_content":"Need a listing.",
            "tool_calls":[
                {"id":"tooluse_9","type":"function","function":{"name":"Bash",
                    "arguments":"{\"command\": \"ls\", \"timeout\": 5}"}},
                {"id":"tooluse_10","type":"function","function":{"name":"Now",
                    "arguments":"{}"}}]},
            "logprobs":null,"finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":321,"completion_tokens":12,"total_tokens":333,"prompt_tokens_details":{"cached_tokens":0}}})");
    BOOST_REQUIRE(!want.HasParseError());
    BOOST_TEST((*doc == want), "completion differs: " << s.body());
}

BOOST_AUTO_TEST_CASE(completion_content_is_null_only_for_tool_calls_alone) {
    AnswerStream calls = stream();
    run(calls, {tool("t", "Bash", R"({"c":1})", true)});
    auto doc = amq::parse_json(calls.body());
    BOOST_REQUIRE(doc.ok());
    const auto& message = (*doc)["choices"][0]["message"];
    BOOST_TEST(message["content"].IsNull());
    BOOST_TEST(message["tool_calls"].Size() == 1u);

    AnswerStream plain = stream();
    run(plain, {text("Hi.")});
    doc = amq::parse_json(plain.body());
    BOOST_REQUIRE(doc.ok());
    const auto& m = (*doc)["choices"][0]["message"];
    BOOST_TEST(str(m["content"]) == "Hi.");
    BOOST_TEST(!m.HasMember("tool_calls"));
    BOOST_TEST(!m.HasMember("reasoning_content"));
    BOOST_TEST(str((*doc)["choices"][0]["finish_reason"]) == "stop");
    BOOST_TEST((*doc)["usage"]["prompt_tokens"].GetInt64() == 1234);
    BOOST_TEST((*doc)["usage"]["completion_tokens"].GetInt64() == amq::estimate_tokens("Hi."));

    AnswerStream empty = stream();
    run(empty, {});
    doc = amq::parse_json(empty.body());
    BOOST_REQUIRE(doc.ok());
    BOOST_TEST(str((*doc)["choices"][0]["message"]["content"]) == "");
}
