// The Anthropic renderer: the frames and the message an answer makes. The order of blocks and
// the rules about tool calls are the assembler's, tested in answer_test.
#define BOOST_TEST_MODULE common_anthropic_answer
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/anthropic_answer.hpp"
#include "common/api_error.hpp"
#include "common/json.hpp"
#include "common/token_estimate.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/q_event_builders.hpp"
#include "tests/unit/support/stream_replay.hpp"

using amq::AnswerStream;
using amq::QEvent;
using Kind = amq::QEvent::Kind;
using namespace amq::test;

namespace {

amq::AnswerOptions options(bool thinking = false) {
    amq::AnswerOptions o;
    o.estimated_input_tokens = 1234;
    o.context_window = 200000;
    o.thinking = thinking;
    return o;
}

AnswerStream stream(amq::AnswerOptions o = options()) {
    return amq::make_anthropic_answer({"msg_test", "claude-sonnet-4-5-20250929"}, std::move(o));
}

std::string_view stop_reason(const AnswerStream& s) {
    return amq::anthropic_stop_reason(s.answer().stop_cause());
}

// ---- SSE out ----

struct Frame {
    std::string event;
    rapidjson::Document data;
};

std::vector<Frame> parse_frames(std::string_view sse) {
    std::vector<Frame> frames;
    for (std::string_view one : sse_events(sse)) {
        BOOST_REQUIRE(one.starts_with("event: "));
        std::size_t nl = one.find('\n');
        BOOST_REQUIRE(nl != std::string_view::npos);
        std::string_view data = one.substr(nl + 1);
        BOOST_REQUIRE(data.starts_with("data: "));
        data.remove_prefix(6);
        BOOST_REQUIRE(data.find('\n') == std::string_view::npos);
        auto doc = amq::parse_json(data);
        BOOST_REQUIRE_MESSAGE(doc.ok(), "frame data is not JSON: " << data);
        Frame frame{std::string(one.substr(7, nl - 7)), std::move(doc).value()};
        BOOST_TEST(std::string(frame.data["type"].GetString()) == frame.event);
        frames.push_back(std::move(frame));
    }
    return frames;
}

// "content_block_delta:1:text_delta" and the like: the shape of a stream at a glance.
std::string shape(const std::vector<Frame>& frames) {
    std::string out;
    for (const Frame& f : frames) {
        if (!out.empty()) out += ' ';
        out += f.event;
        if (f.data.HasMember("index")) out += ':' + std::to_string(f.data["index"].GetUint64());
        if (f.event == "content_block_start") out += ':' + str(f.data["content_block"]["type"]);
        if (f.event == "content_block_delta") out += ':' + str(f.data["delta"]["type"]);
    }
    return out;
}

// A content block as a client would assemble it from the frames.
struct Block {
    std::string type;
    std::string content;  // text, thinking, or the concatenated partial_json
    std::string signature;
    std::string id;
    std::string name;
};

// Replays the frames like a strict client: indices 0,1,2…, one block open at a time, deltas
// only into the open block and of its kind.
std::vector<Block> assemble(const std::vector<Frame>& frames) {
    std::vector<Block> blocks;
    bool open = false;
    for (const Frame& f : frames) {
        if (f.event == "content_block_start") {
            BOOST_REQUIRE(!open);
            BOOST_REQUIRE(f.data["index"].GetUint64() == blocks.size());
            const auto& cb = f.data["content_block"];
            Block b{str(cb["type"])};
            if (b.type == "tool_use") {
                b.id = str(cb["id"]);
                b.name = str(cb["name"]);
                BOOST_TEST(cb["input"].IsObject());
                BOOST_TEST(cb["input"].MemberCount() == 0u);
            }
            blocks.push_back(b);
            open = true;
        } else if (f.event == "content_block_delta") {
            BOOST_REQUIRE(open);
            BOOST_REQUIRE(f.data["index"].GetUint64() + 1 == blocks.size());
            const auto& d = f.data["delta"];
            std::string type = str(d["type"]);
            Block& b = blocks.back();
            if (type == "text_delta") {
                BOOST_REQUIRE(b.type == "text");
                b.content += str(d["text"]);
            } else if (type == "thinking_delta") {
                BOOST_REQUIRE(b.type == "thinking");
                b.content += str(d["thinking"]);
            } else if (type == "signature_delta") {
                BOOST_REQUIRE(b.type == "thinking");
                b.signature += str(d["signature"]);
            } else {
                BOOST_REQUIRE(type == "input_json_delta");
                BOOST_REQUIRE(b.type == "tool_use");
                b.content += str(d["partial_json"]);
            }
        } else if (f.event == "content_block_stop") {
            BOOST_REQUIRE(open);
            BOOST_REQUIRE(f.data["index"].GetUint64() + 1 == blocks.size());
            open = false;
        }
    }
    BOOST_TEST(!open);
    return blocks;
}

// Runs a whole stream: start, the events, finish.
std::vector<Frame> run(AnswerStream& s, const std::vector<QEvent>& events) {
    return parse_frames(replay(s, events));
}

std::vector<Frame> run(const std::vector<QEvent>& events, amq::AnswerOptions o = options()) {
    AnswerStream s = stream(std::move(o));
    return run(s, events);
}

const Frame& last(const std::vector<Frame>& frames, std::string_view event) {
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
        if (it->event == event) return *it;
    }
    BOOST_FAIL("no " << event << " frame");
    return frames.front();
}

std::string final_stop_reason(const std::vector<Frame>& frames) {
    return str(last(frames, "message_delta").data["delta"]["stop_reason"]);
}

std::int64_t final_usage(const std::vector<Frame>& frames, const char* field) {
    return last(frames, "message_delta").data["usage"][field].GetInt64();
}

}  // namespace

BOOST_AUTO_TEST_CASE(text_only) {
    auto frames = run({text("Hel"), text("lo")});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:text content_block_delta:0:text_delta "
               "content_block_delta:0:text_delta content_block_stop:0 message_delta message_stop");
    const auto& msg = frames[0].data["message"];
    BOOST_TEST(str(msg["id"]) == "msg_test");
    BOOST_TEST(str(msg["type"]) == "message");
    BOOST_TEST(str(msg["role"]) == "assistant");
    BOOST_TEST(str(msg["model"]) == "claude-sonnet-4-5-20250929");
    BOOST_TEST(msg["content"].IsArray());
    BOOST_TEST(msg["content"].Size() == 0u);
    BOOST_TEST(msg["stop_reason"].IsNull());
    BOOST_TEST(msg["stop_sequence"].IsNull());
    BOOST_TEST(msg["usage"]["input_tokens"].GetInt64() == 1234);
    BOOST_TEST(msg["usage"]["output_tokens"].GetInt64() == 0);
    BOOST_TEST(str(frames[2].data["content_block"]["text"]) == "");
    BOOST_TEST(str(frames[3].data["delta"]["text"]) == "Hel");
    BOOST_TEST(str(frames[4].data["delta"]["text"]) == "lo");
    const Frame& delta = frames[6];
    BOOST_TEST(str(delta.data["delta"]["stop_reason"]) == "end_turn");
    BOOST_TEST(delta.data["delta"]["stop_sequence"].IsNull());
    BOOST_TEST(delta.data["usage"]["input_tokens"].GetInt64() == 1234);
    BOOST_TEST(delta.data["usage"]["output_tokens"].GetInt64() == amq::estimate_tokens("Hello"));
}

BOOST_AUTO_TEST_CASE(ping_frame) {
    auto frames = parse_frames(stream().ping());
    BOOST_REQUIRE(frames.size() == 1u);
    BOOST_TEST(frames[0].event == "ping");
}

BOOST_AUTO_TEST_CASE(text_then_tool) {
    auto frames =
        run({text("Let me look."), tool("tooluse_1", "Bash", ""),
             tool("tooluse_1", "Bash", R"({"command":)"), tool("tooluse_1", "Bash", R"("ls"})"),
             tool("tooluse_1", "Bash", "", true), metadata(std::nullopt, std::nullopt)});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:text content_block_delta:0:text_delta "
               "content_block_stop:0 content_block_start:1:tool_use "
               "content_block_delta:1:input_json_delta content_block_delta:1:input_json_delta "
               "content_block_stop:1 message_delta message_stop");
    auto blocks = assemble(frames);
    BOOST_REQUIRE(blocks.size() == 2u);
    BOOST_TEST(blocks[0].content == "Let me look.");
    BOOST_TEST(blocks[1].id == "tooluse_1");
    BOOST_TEST(blocks[1].name == "Bash");
    BOOST_TEST(blocks[1].content == R"({"command":"ls"})");
    BOOST_TEST(final_stop_reason(frames) == "tool_use");
}

BOOST_AUTO_TEST_CASE(two_tools) {
    auto frames = run({tool("a", "Read", R"({"path":"/x"})", true),
                       tool("b", "Read", R"({"path":)"), tool("b", "Read", R"("/y"})", true)});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:tool_use "
               "content_block_delta:0:input_json_delta content_block_stop:0 "
               "content_block_start:1:tool_use content_block_delta:1:input_json_delta "
               "content_block_delta:1:input_json_delta content_block_stop:1 message_delta "
               "message_stop");
    auto blocks = assemble(frames);
    BOOST_REQUIRE(blocks.size() == 2u);
    BOOST_TEST(blocks[0].id == "a");
    BOOST_TEST(blocks[0].content == R"({"path":"/x"})");
    BOOST_TEST(blocks[1].id == "b");
    BOOST_TEST(blocks[1].content == R"({"path":"/y"})");
}

BOOST_AUTO_TEST_CASE(text_after_a_tool_opens_a_new_block) {
    auto frames = run({text("A"), tool("t", "Bash", R"({"c":1})", true), text("B"), text("C")});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:text content_block_delta:0:text_delta "
               "content_block_stop:0 content_block_start:1:tool_use "
               "content_block_delta:1:input_json_delta content_block_stop:1 "
               "content_block_start:2:text content_block_delta:2:text_delta "
               "content_block_delta:2:text_delta content_block_stop:2 message_delta message_stop");
    auto blocks = assemble(frames);
    BOOST_REQUIRE(blocks.size() == 3u);
    BOOST_TEST(blocks[2].content == "BC");
}

BOOST_AUTO_TEST_CASE(reasoning_with_signature) {
    AnswerStream s = stream();
    auto frames =
        run(s, {reasoning("Let me "), reasoning("think."), reasoning("", "c2ln"), text("Answer")});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:thinking "
               "content_block_delta:0:thinking_delta content_block_delta:0:thinking_delta "
               "content_block_delta:0:signature_delta content_block_stop:0 "
               "content_block_start:1:text content_block_delta:1:text_delta content_block_stop:1 "
               "message_delta message_stop");
    BOOST_TEST(str(frames[2].data["content_block"]["thinking"]) == "");
    auto blocks = assemble(frames);
    BOOST_TEST(blocks[0].content == "Let me think.");
    BOOST_TEST(blocks[0].signature == "c2ln");
    BOOST_TEST(blocks[1].content == "Answer");

    auto doc = amq::parse_json(s.body());
    BOOST_REQUIRE(doc.ok());
    const auto& thinking = (*doc)["content"][0];
    BOOST_TEST(str(thinking["type"]) == "thinking");
    BOOST_TEST(str(thinking["thinking"]) == "Let me think.");
    BOOST_TEST(str(thinking["signature"]) == "c2ln");
}

BOOST_AUTO_TEST_CASE(redacted_reasoning_is_a_whole_block) {
    QEvent redacted;
    redacted.kind = Kind::reasoning;
    redacted.redacted = "opaque";
    AnswerStream s = stream();
    auto frames = run(s, {redacted, text("x")});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:redacted_thinking content_block_stop:0 "
               "content_block_start:1:text content_block_delta:1:text_delta content_block_stop:1 "
               "message_delta message_stop");
    BOOST_TEST(str(frames[2].data["content_block"]["data"]) == "opaque");
}

BOOST_AUTO_TEST_CASE(thinking_tags_split_at_every_byte) {
    const std::string whole = "<thinking>ab</thinking>cd";
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        BOOST_TEST_CONTEXT("cut at " << cut) {
            auto frames = run({text(whole.substr(0, cut)), text(whole.substr(cut))}, options(true));
            auto blocks = assemble(frames);
            BOOST_REQUIRE(blocks.size() == 2u);
            BOOST_TEST(blocks[0].type == "thinking");
            BOOST_TEST(blocks[0].content == "ab");
            BOOST_TEST(blocks[1].type == "text");
            BOOST_TEST(blocks[1].content == "cd");
            for (const Frame& f : frames) {
                if (f.event != "content_block_delta") continue;
                const auto& d = f.data["delta"];
                std::string piece = str(d.HasMember("text") ? d["text"] : d["thinking"]);
                BOOST_TEST(!piece.empty());  // nothing empty, nothing of a tag
                BOOST_TEST(piece.find('<') == std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(exception_mid_stream_is_an_error_frame) {
    struct Row {
        const char* type;
        const char* client_type;
        int status;
    };
    const Row rows[] = {{"ThrottlingException", "rate_limit_error", 429},
                        {"ValidationException", "invalid_request_error", 400},
                        {"InternalServerException", "api_error", 502}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.type) {
            AnswerStream s = stream();
            s.start();
            s.on_event(text("partial"));
            BOOST_TEST(!s.answer().blocks().empty());
            auto frames = parse_frames(s.on_event(exception(row.type, "it broke")));
            BOOST_REQUIRE(frames.size() == 1u);
            BOOST_TEST(frames[0].event == "error");
            BOOST_TEST(str(frames[0].data["error"]["type"]) == row.client_type);
            BOOST_TEST(str(frames[0].data["error"]["message"]).find("it broke") !=
                       std::string::npos);
            BOOST_REQUIRE(s.failure().has_value());
            BOOST_TEST(s.failure()->status == row.status);
            BOOST_TEST(amq::anthropic_error_type(s.failure()->status) == row.client_type);
            BOOST_TEST(s.ended());
            BOOST_TEST(s.on_event(text("more")) == "");
            BOOST_TEST(s.finish() == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_state_is_an_error) {
    QEvent e;
    e.kind = Kind::invalid_state;
    e.event_type = "invalidStateEvent";
    e.reason = "INVALID_TASK";
    e.message = "bad";
    AnswerStream s = stream();
    s.start();
    auto frames = parse_frames(s.on_event(e));
    BOOST_REQUIRE(frames.size() == 1u);
    BOOST_TEST(str(frames[0].data["error"]["type"]) == "api_error");
    BOOST_TEST(s.failure().has_value());
    BOOST_TEST(s.answer().blocks().empty());
}

BOOST_AUTO_TEST_CASE(truncated_tool_call_is_an_error_never_empty_input) {
    AnswerStream s = stream();
    std::string sse = s.start();
    sse += s.on_event(tool("t1", "Write", R"({"file_path":"/a","content":"lorem)"));
    sse += s.finish();
    auto frames = parse_frames(sse);
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:tool_use "
               "content_block_delta:0:input_json_delta error");
    const auto& error = frames.back().data["error"];
    BOOST_TEST(str(error["type"]) == "api_error");
    std::string message = str(error["message"]);
    BOOST_TEST(message.find("Write") != std::string::npos);
    BOOST_TEST(message.find("cut off") != std::string::npos);
    BOOST_REQUIRE(s.failure().has_value());
    BOOST_TEST((s.failure()->error.code == amq::Errc::protocol));
    BOOST_TEST(s.failure()->status == 502);
    BOOST_TEST(sse.find(R"("partial_json":"{}")") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_call_without_input_streams_an_empty_object) {
    // "{}" then stop: a call without arguments.
    auto frames = run({tool("t", "Now", "{}"), tool("t", "Now", "", true)});
    BOOST_TEST(shape(frames) ==
               "message_start ping content_block_start:0:tool_use "
               "content_block_delta:0:input_json_delta content_block_stop:0 message_delta "
               "message_stop");
    auto blocks = assemble(frames);
    BOOST_REQUIRE(blocks.size() == 1u);
    BOOST_TEST(blocks[0].content == "{}");
    // No input at all, then stop: the same.
    blocks = assemble(run({tool("t", "Now", "", true)}));
    BOOST_TEST(blocks[0].content == "{}");
}

BOOST_AUTO_TEST_CASE(a_call_without_an_id_gets_one_from_the_message_id) {
    auto blocks = assemble(run({text("x"), tool("", "A", "{}", true), tool("", "B", "{}", true)}));
    BOOST_REQUIRE(blocks.size() == 3u);
    BOOST_TEST(blocks[1].id == "toolu_msg_test_0");  // counts tool calls, not blocks
    BOOST_TEST(blocks[2].id == "toolu_msg_test_1");
}

BOOST_AUTO_TEST_CASE(tool_name_mapped_back) {
    amq::AnswerOptions o = options();
    o.tool_names.emplace("mcp__server__short_0123456789abcdef", "mcp__server__a_very_long_name");
    AnswerStream s = stream(o);
    auto frames = run(s, {tool("t", "mcp__server__short_0123456789abcdef", "{}", true),
                          tool("u", "Bash", R"({"c":1})", true)});
    auto blocks = assemble(frames);
    BOOST_REQUIRE(blocks.size() == 2u);
    BOOST_TEST(blocks[0].name == "mcp__server__a_very_long_name");
    BOOST_TEST(blocks[1].name == "Bash");
    auto doc = amq::parse_json(s.body());
    BOOST_REQUIRE(doc.ok());
    BOOST_TEST(str((*doc)["content"][0]["name"]) == "mcp__server__a_very_long_name");
}

BOOST_AUTO_TEST_CASE(stop_reason_from_metadata) {
    struct Row {
        const char* upstream;
        const char* client;
    };
    const Row rows[] = {{"END_TURN", "end_turn"},
                        {"TOOL_USE", "tool_use"},
                        {"MAX_TOKENS", "max_tokens"},
                        {"MODEL_CONTEXT_WINDOW_EXCEEDED", "model_context_window_exceeded"},
                        {"CONTENT_FILTERED", "refusal"},
                        {"SOMETHING_NEW", "end_turn"}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.upstream) {
            AnswerStream s = stream();
            auto frames = run(s, {text("x"), metadata(std::nullopt, std::nullopt, row.upstream)});
            BOOST_TEST(final_stop_reason(frames) == row.client);
            BOOST_TEST(stop_reason(s) == row.client);
        }
    }
}

BOOST_AUTO_TEST_CASE(stop_reason_inferred) {
    // An unknown upstream value is as good as none: the tool call decides.
    auto tool_frames = run({tool("t", "Bash", R"({"c":1})", true),
                            metadata(std::nullopt, std::nullopt, "SOMETHING_NEW")});
    BOOST_TEST(final_stop_reason(tool_frames) == "tool_use");

    AnswerStream s = stream();
    auto cut = run(s, {text("long answer"), exception("ContentLengthExceededException", "long")});
    BOOST_TEST(final_stop_reason(cut) == "max_tokens");
    BOOST_TEST(!s.failure().has_value());
    BOOST_TEST(assemble(cut).at(0).content == "long answer");

    auto cut_after_tool = run({tool("t", "Bash", R"({"c":1})", true),
                               exception("ContentLengthExceededException", "long")});
    BOOST_TEST(final_stop_reason(cut_after_tool) == "tool_use");

    BOOST_TEST(final_stop_reason(run({text("x")})) == "end_turn");
    BOOST_TEST(final_stop_reason(run({})) == "end_turn");
}

BOOST_AUTO_TEST_CASE(usage_from_metadata) {
    AnswerStream s = stream();
    auto frames = run(s, {context_usage(50), text("x"), metadata(5000, 77, "END_TURN")});
    BOOST_TEST(final_usage(frames, "input_tokens") == 5000);
    BOOST_TEST(final_usage(frames, "output_tokens") == 77);
    BOOST_TEST(s.input_tokens() == 5000);
    BOOST_TEST(s.output_tokens() == 77);
}

// Claude Code adds the three input counts to know how full the context is.
BOOST_AUTO_TEST_CASE(cache_tokens_are_counted_apart_from_input_tokens) {
    AnswerStream s = stream();
    auto frames = run(s, {text("x"), cached_metadata(100, 4000, 900, 7)});
    BOOST_TEST(final_usage(frames, "input_tokens") == 100);
    BOOST_TEST(final_usage(frames, "cache_read_input_tokens") == 4000);
    BOOST_TEST(final_usage(frames, "cache_creation_input_tokens") == 900);
    BOOST_TEST(final_usage(frames, "output_tokens") == 7);
    BOOST_TEST(s.input_tokens() == 5000);  // what usage records keep: the whole input

    frames = run({text("x"), metadata(5000, 7, "END_TURN")});  // no cache numbers: all input
    BOOST_TEST(final_usage(frames, "input_tokens") == 5000);
    BOOST_TEST(final_usage(frames, "cache_read_input_tokens") == 0);
    BOOST_TEST(final_usage(frames, "cache_creation_input_tokens") == 0);
}

// The estimated prompt cache's split (docs/translation.md §9) when the upstream gives none: in
// message_start already, as the local estimate's units; scaled to the upstream's own input
// count when it sends one; the upstream's cache numbers win.
BOOST_AUTO_TEST_CASE(an_estimated_cache_split_is_reported_unless_the_upstream_gives_one) {
    auto usage_of = [](const Frame& f, const char* field) {
        const rapidjson::Value& usage =
            f.event == "message_start" ? f.data["message"]["usage"] : f.data["usage"];
        return usage[field].GetInt64();
    };
    AnswerStream estimated = stream();  // 1234 estimated input tokens
    estimated.estimate_cache({1000, 200});
    auto frames = run(estimated, {text("x")});
    const Frame& start = last(frames, "message_start");
    BOOST_TEST(usage_of(start, "cache_read_input_tokens") == 1000);
    BOOST_TEST(usage_of(start, "cache_creation_input_tokens") == 200);
    BOOST_TEST(usage_of(start, "input_tokens") == 34);
    BOOST_TEST(final_usage(frames, "cache_read_input_tokens") == 1000);
    BOOST_TEST(final_usage(frames, "cache_creation_input_tokens") == 200);
    BOOST_TEST(final_usage(frames, "input_tokens") == 34);

    AnswerStream scaled = stream();
    scaled.estimate_cache({1000, 234});
    frames = run(scaled, {text("x"), metadata(2468, 7, "END_TURN")});  // twice the estimate
    BOOST_TEST(final_usage(frames, "cache_read_input_tokens") == 2000);
    BOOST_TEST(final_usage(frames, "cache_creation_input_tokens") == 468);
    BOOST_TEST(final_usage(frames, "input_tokens") == 0);

    AnswerStream reported = stream();
    reported.estimate_cache({1000, 234});
    frames = run(reported, {text("x"), cached_metadata(100, 4000, 900, 7)});
    BOOST_TEST(final_usage(frames, "cache_read_input_tokens") == 4000);
    BOOST_TEST(final_usage(frames, "cache_creation_input_tokens") == 900);
}

BOOST_AUTO_TEST_CASE(usage_from_context_percentage) {
    auto frames = run({text("x"), context_usage(12.3456)});
    BOOST_TEST(final_usage(frames, "input_tokens") == 24691);  // 12.3456% of 200 000, rounded

    amq::AnswerOptions big = options();
    big.context_window = 1000000;
    frames = run({text("x"), context_usage(0.0001)}, big);
    BOOST_TEST(final_usage(frames, "input_tokens") == 1);

    frames = run({text("x"), context_usage(0.00001)}, big);  // rounds to 0: never reported
    BOOST_TEST(final_usage(frames, "input_tokens") == 1);
}

BOOST_AUTO_TEST_CASE(usage_from_estimate_and_never_zero) {
    auto frames = run({text("0123456789"), reasoning("abcd"), tool("t", "B", R"({"k":1})", true)});
    BOOST_TEST(final_usage(frames, "input_tokens") == 1234);
    BOOST_TEST(final_usage(frames, "output_tokens") ==
               amq::estimate_tokens(R"(0123456789abcd{"k":1})"));

    amq::AnswerOptions zero = options();
    zero.estimated_input_tokens = 0;
    frames = run({text("x"), metadata(0, 1)}, zero);  // a 0 from the upstream is no number
    BOOST_TEST(frames[0].data["message"]["usage"]["input_tokens"].GetInt64() == 1);
    BOOST_TEST(final_usage(frames, "input_tokens") == 1);
    BOOST_TEST(final_usage(frames, "output_tokens") == 1);
}

BOOST_AUTO_TEST_CASE(message_for_non_streaming) {
    AnswerStream s = stream();
    s.start();
    s.on_event(text("Running it."));
    s.on_event(tool("tooluse_9", "Bash", R"({"command": "ls",)"));
    s.on_event(tool("tooluse_9", "Bash", R"( "timeout": 5})", true));
    s.on_event(metadata(321, 12, "TOOL_USE"));
    s.finish();
    BOOST_REQUIRE(!s.failure().has_value());
    auto doc = amq::parse_json(s.body());
    BOOST_REQUIRE(doc.ok());
    const auto& m = *doc;
    BOOST_TEST(str(m["id"]) == "msg_test");
    BOOST_TEST(str(m["type"]) == "message");
    BOOST_TEST(str(m["role"]) == "assistant");
    BOOST_TEST(str(m["model"]) == "claude-sonnet-4-5-20250929");
    BOOST_TEST(str(m["stop_reason"]) == "tool_use");
    BOOST_TEST(m["stop_sequence"].IsNull());
    BOOST_TEST(m["usage"]["input_tokens"].GetInt64() == 321);
    BOOST_TEST(m["usage"]["output_tokens"].GetInt64() == 12);
    const auto& content = m["content"];
    BOOST_REQUIRE(content.Size() == 2u);
    BOOST_TEST(str(content[0]["type"]) == "text");
    BOOST_TEST(str(content[0]["text"]) == "Running it.");
    BOOST_TEST(str(content[1]["type"]) == "tool_use");
    BOOST_TEST(str(content[1]["id"]) == "tooluse_9");
    BOOST_TEST(str(content[1]["name"]) == "Bash");
    BOOST_REQUIRE(content[1]["input"].IsObject());
    BOOST_TEST(str(content[1]["input"]["command"]) == "ls");
    BOOST_TEST(content[1]["input"]["timeout"].GetInt() == 5);
}

BOOST_AUTO_TEST_CASE(error_event_ends_the_stream) {
    AnswerStream s = stream();
    s.start();
    s.on_event(text("x"));
    auto frames = parse_frames(s.error_event(529, "upstream idle for too long"));
    BOOST_REQUIRE(frames.size() == 1u);
    BOOST_TEST(str(frames[0].data["error"]["type"]) == "overloaded_error");
    BOOST_TEST(str(frames[0].data["error"]["message"]) == "upstream idle for too long");
    BOOST_TEST(s.failure().has_value());
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
