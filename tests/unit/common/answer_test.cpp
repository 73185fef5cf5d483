// The answer assembler's sequencing, tested once against a renderer that records each step;
// then the same events through both real renderers, which must judge the answer alike.
#define BOOST_TEST_MODULE common_answer
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/answer.hpp"
#include "common/anthropic_answer.hpp"
#include "common/json.hpp"
#include "common/openai_answer.hpp"
#include "common/strings.hpp"
#include "common/token_estimate.hpp"
#include "tests/unit/support/json_check.hpp"
#include "tests/unit/support/q_event_builders.hpp"
#include "tests/unit/support/stream_replay.hpp"

using amq::AnswerBlock;
using amq::AnswerStream;
using amq::BlockKind;
using amq::DeltaKind;
using amq::QEvent;
using amq::StopCause;
using namespace amq::test;

namespace {

std::string_view kind_name(BlockKind kind) {
    switch (kind) {
        case BlockKind::text: return "text";
        case BlockKind::thinking: return "thinking";
        case BlockKind::redacted_thinking: return "redacted";
        case BlockKind::tool_use: return "tool";
        case BlockKind::server_tool_use: return "server";
        case BlockKind::search_result: return "result";
    }
    return "?";
}

std::string_view delta_name(DeltaKind kind) {
    switch (kind) {
        case DeltaKind::text: return "text";
        case DeltaKind::thinking: return "thinking";
        case DeltaKind::signature: return "signature";
        case DeltaKind::tool_input: return "input";
    }
    return "?";
}

std::string_view cause_name(StopCause cause) {
    switch (cause) {
        case StopCause::end_turn: return "end_turn";
        case StopCause::tool_use: return "tool_use";
        case StopCause::max_tokens: return "max_tokens";
        case StopCause::context_window_exceeded: return "context_window_exceeded";
        case StopCause::content_filtered: return "content_filtered";
    }
    return "?";
}

// Writes each step as one line: "+1 tool a Bash #0" opens block 1 (a tool call: id, name,
// ordinal), "1 input:{}" is a delta into it, "-1" closes it; "finish tool_use" and
// "fail 502 …" end the answer.
class Recorder final : public amq::AnswerRenderer {
public:
    amq::Dialect dialect() const override { return amq::Dialect::anthropic; }
    void start(std::string& out, const amq::Answer&) override { out += "start\n"; }
    void block_start(std::string& out, std::size_t index, const AnswerBlock& b) override {
        out += amq::str_cat("+", index, " ", kind_name(b.kind));
        if (b.is_call())
            out += amq::str_cat(" ", b.tool_id, " ", b.tool_name, " #", b.tool_ordinal);
        if (b.kind == BlockKind::search_result)
            out += amq::str_cat(" ", b.tool_id, " ", b.search->hits.size());
        if (b.kind == BlockKind::redacted_thinking) out += " " + b.content;
        out += "\n";
    }
    void delta(std::string& out, std::size_t index, const AnswerBlock&, DeltaKind kind,
               std::string_view text) override {
        out += amq::str_cat(index, " ", delta_name(kind), ":", text, "\n");
    }
    void block_stop(std::string& out, std::size_t index, const AnswerBlock&) override {
        out += amq::str_cat("-", index, "\n");
    }
    void finish(std::string& out, const amq::Answer& answer) override {
        out += amq::str_cat("finish ", cause_name(answer.stop_cause()), "\n");
    }
    void failure(std::string& out, int status, std::string_view message) override {
        out += amq::str_cat("fail ", status, " ", message, "\n");
    }
    void ping(std::string& out) override { out += "ping\n"; }
    std::string body(const amq::Answer&) const override { return "body"; }
};

amq::AnswerOptions options(bool thinking = false) {
    amq::AnswerOptions o;
    o.estimated_input_tokens = 1234;
    o.thinking = thinking;
    o.tool_id_prefix = "id_";
    return o;
}

AnswerStream recorded(bool thinking = false) {
    return AnswerStream(options(thinking), std::make_unique<Recorder>());
}

// The steps of a whole answer (start, the events, finish), without the "start" line.
std::string steps(AnswerStream& s, const std::vector<QEvent>& events) {
    std::string all = replay(s, events);
    BOOST_REQUIRE(all.starts_with("start\n"));
    return all.substr(6);
}

std::string steps(const std::vector<QEvent>& events, bool thinking = false) {
    AnswerStream s = recorded(thinking);
    return steps(s, events);
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

}  // namespace

// ---- tool calls ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_tool_call_opens_continues_and_closes) {
    AnswerStream s = recorded();
    BOOST_TEST(steps(s, {text("Look."), tool("t", "Bash", ""), tool("t", "Bash", R"({"c":)"),
                         tool("", "Bash", "1}"), tool("t", "Bash", "", true)}) ==
               "+0 text\n0 text:Look.\n-0\n+1 tool t Bash #0\n1 input:{\"c\":\n1 input:1}\n-1\n"
               "finish tool_use\n");
    BOOST_TEST(s.answer().tool_calls() == 1u);
    BOOST_TEST(s.answer().blocks().at(1).input.text() == R"({"c":1})");
    BOOST_TEST(!s.failure().has_value());
}

BOOST_AUTO_TEST_CASE(a_new_id_closes_the_open_call) {
    BOOST_TEST(steps({tool("a", "Read", R"({"p":1})"), tool("b", "Glob", "{}"),
                      tool("b", "Glob", R"({"q":2})", true)}) ==
               "+0 tool a Read #0\n0 input:{\"p\":1}\n-0\n+1 tool b Glob #1\n1 input:{\"q\":2}\n"
               "-1\nfinish tool_use\n");
}

BOOST_AUTO_TEST_CASE(the_placeholder_counts_only_as_a_call_s_first_fragment) {
    // "{}" then stop, or nothing then stop: a call without input, which gets "{}" at its end.
    const std::string empty_call = "+0 tool t Now #0\n0 input:{}\n-0\nfinish tool_use\n";
    BOOST_TEST(steps({tool("t", "Now", "{}"), tool("t", "Now", "", true)}) == empty_call);
    BOOST_TEST(steps({tool("t", "Now", "", true)}) == empty_call);
    // A later "{}" is data.
    AnswerStream s = recorded();
    steps(s, {tool("t", "Set", "{}"), tool("t", "Set", R"({"a":)"), tool("t", "Set", "{}"),
              tool("t", "Set", "}", true)});
    BOOST_TEST(s.answer().blocks().at(0).input.text() == R"({"a":{}})");
}

BOOST_AUTO_TEST_CASE(more_input_for_a_closed_call_fails) {
    AnswerStream s = recorded();
    std::string out = steps(s, {tool("a", "Read", R"({"p":1})"), tool("b", "Read", R"({"q":)"),
                                tool("a", "Read", "2}")});
    BOOST_TEST(
        out.starts_with("+0 tool a Read #0\n0 input:{\"p\":1}\n-0\n+1 tool b Read #1\n"
                        "1 input:{\"q\":\nfail 502 "));
    BOOST_TEST(contains(out, "interleaved"));
    BOOST_REQUIRE(s.failure().has_value());
    BOOST_TEST(s.failure()->status == 502);
    BOOST_TEST((s.failure()->error.code == amq::Errc::protocol));
    // A late stop alone is harmless.
    BOOST_TEST(steps({tool("a", "Read", R"({"p":1})", true), tool("a", "Read", "", true)}) ==
               "+0 tool a Read #0\n0 input:{\"p\":1}\n-0\nfinish tool_use\n");
}

BOOST_AUTO_TEST_CASE(a_call_without_a_name_fails) {
    AnswerStream s = recorded();
    std::string out = steps(s, {text("x"), tool("t", "", "{}", true)});
    BOOST_TEST(out.starts_with("+0 text\n0 text:x\nfail 502 "));  // the text block stays open
    BOOST_TEST(contains(out, "without a name"));
    BOOST_TEST(s.failure()->status == 502);
}

BOOST_AUTO_TEST_CASE(a_call_cut_off_at_the_end_fails_and_never_gets_a_placeholder) {
    AnswerStream s = recorded();
    std::string out = steps(s, {tool("t1", "Write", R"({"content":"lorem)")});
    BOOST_TEST(out.starts_with("+0 tool t1 Write #0\n0 input:{\"content\":\"lorem\nfail 502 "));
    BOOST_TEST(contains(out, "cut off tool call 'Write' (t1)"));
    BOOST_TEST(!contains(out, "input:{}"));
    BOOST_TEST((s.failure()->error.code == amq::Errc::protocol));
    // Not even input, nor a stop: truncated all the same.
    out = steps({tool("t1", "Bash", "")});
    BOOST_TEST(out.starts_with("+0 tool t1 Bash #0\nfail 502 "));
}

BOOST_AUTO_TEST_CASE(input_that_is_not_an_object_fails_at_the_close) {
    for (std::string input : {R"({"command":"l)", "[1]", R"("x")"}) {
        BOOST_TEST_CONTEXT(input) {
            AnswerStream s = recorded();
            std::string out = steps(s, {tool("t1", "Bash", input, true)});
            BOOST_TEST(out.starts_with("+0 tool t1 Bash #0\n0 input:" + input + "\nfail 502 "));
            BOOST_TEST(contains(out, "not a JSON object"));
            BOOST_TEST(!contains(out, "-0"));
            BOOST_TEST(s.failure().has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(text_ends_an_open_call) {
    BOOST_TEST(steps({tool("t", "Bash", R"({"c":1})"), text("Done.")}) ==
               "+0 tool t Bash #0\n0 input:{\"c\":1}\n-0\n+1 text\n1 text:Done.\n-1\n"
               "finish tool_use\n");
    // And a call it ends must be complete by then.
    BOOST_TEST(steps({tool("t", "Bash", R"({"c":)"), text("Done.")})
                   .starts_with("+0 tool t Bash #0\n0 input:{\"c\":\nfail 502 "));
}

BOOST_AUTO_TEST_CASE(reasoning_signature_and_redacted_reasoning_end_an_open_call) {
    BOOST_TEST(steps({tool("t", "Bash", R"({"c":1})"), reasoning("", "c2ln")}) ==
               "+0 tool t Bash #0\n0 input:{\"c\":1}\n-0\n+1 thinking\n1 signature:c2ln\n-1\n"
               "finish tool_use\n");
    QEvent redacted;
    redacted.kind = QEvent::Kind::reasoning;
    redacted.redacted = "opaque";
    BOOST_TEST(steps({tool("t", "Now", ""), redacted}) ==
               "+0 tool t Now #0\n0 input:{}\n-0\n+1 redacted opaque\n-1\nfinish tool_use\n");
}

// The upstream signs a block's whole text: reasoning after a signature is a block of its own,
// so that no signature ever covers text it did not sign.
BOOST_AUTO_TEST_CASE(a_signature_ends_its_thinking_block) {
    BOOST_TEST(steps({reasoning("a", "c2ln"), reasoning("b")}) ==
               "+0 thinking\n0 thinking:a\n0 signature:c2ln\n-0\n+1 thinking\n1 thinking:b\n-1\n"
               "finish end_turn\n");
}

BOOST_AUTO_TEST_CASE(calls_without_an_id_get_the_prefix_and_their_ordinal) {
    AnswerStream s = recorded();
    std::string out = steps(s, {text("x"), tool("", "A", "{}", true), tool("", "B", "{}", true)});
    BOOST_TEST(contains(out, "+1 tool id_0 A #0\n"));  // the ordinal, not the block index
    BOOST_TEST(contains(out, "+2 tool id_1 B #1\n"));
}

BOOST_AUTO_TEST_CASE(tool_names_are_mapped_back) {
    amq::AnswerOptions o = options();
    o.tool_names.emplace("mcp__s__short_0123456789abcdef", "mcp__s__a_very_long_name");
    AnswerStream s(o, std::make_unique<Recorder>());
    BOOST_TEST(contains(steps(s, {tool("t", "mcp__s__short_0123456789abcdef", "{}", true)}),
                        "+0 tool t mcp__s__a_very_long_name #0\n"));
}

// ---- failures ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(upstream_exceptions_fail_with_their_status) {
    struct Row {
        const char* type;
        int status;
    };
    const Row rows[] = {{"ThrottlingException", 429},
                        {"ValidationException", 400},
                        {"InternalServerException", 502}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.type) {
            AnswerStream s = recorded();
            s.start();
            s.on_event(text("partial"));
            std::string out = s.on_event(exception(row.type, "it broke"));
            BOOST_TEST(out.starts_with(amq::str_cat("fail ", row.status, " ")));
            BOOST_TEST(contains(out, "it broke"));
            BOOST_TEST(s.failure()->status == row.status);
            BOOST_TEST(s.ended());
        }
    }
    QEvent invalid;
    invalid.kind = QEvent::Kind::invalid_state;
    invalid.reason = "INVALID_TASK";
    AnswerStream s = recorded();
    BOOST_TEST(steps(s, {invalid}).starts_with("fail 502 "));
    BOOST_TEST(s.answer().blocks().empty());
}

BOOST_AUTO_TEST_CASE(the_output_limit_ends_the_answer_without_failing_it) {
    AnswerStream s = recorded();
    BOOST_TEST(steps(s, {text("long"), exception("ContentLengthExceededException", "l")}) ==
               "+0 text\n0 text:long\n-0\nfinish max_tokens\n");
    BOOST_TEST(!s.failure().has_value());
}

BOOST_AUTO_TEST_CASE(nothing_after_the_end) {
    AnswerStream failed = recorded();
    failed.start();
    failed.on_event(exception("ThrottlingException", "slow down"));
    BOOST_TEST(failed.on_event(text("more")) == "");
    BOOST_TEST(failed.finish() == "");
    BOOST_TEST(failed.error_event(504, "late") == "");
    BOOST_TEST(failed.failure()->status == 429);  // the first failure stays

    AnswerStream finished = recorded();
    steps(finished, {text("x")});
    BOOST_TEST(finished.ended());
    BOOST_TEST(finished.on_event(text("y")) == "");
    BOOST_TEST(finished.finish() == "");
    BOOST_TEST(finished.error_event(504, "late") == "");
    BOOST_TEST(!finished.failure().has_value());
}

BOOST_AUTO_TEST_CASE(the_caller_s_error_ends_the_answer) {
    AnswerStream s = recorded();
    s.start();
    s.on_event(text("x"));
    BOOST_TEST(s.error_event(503, "upstream idle for too long") ==
               "fail 503 upstream idle for too long\n");
    BOOST_TEST(s.failure()->status == 503);
    BOOST_TEST((s.failure()->error.code == amq::Errc::unavailable));
    BOOST_TEST(s.finish() == "");
}

// ---- <thinking> tags -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(thinking_tags_split_at_every_byte) {
    const std::string whole = "<thinking>ab</thinking>cd";
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        BOOST_TEST_CONTEXT("cut at " << cut) {
            AnswerStream s = recorded(true);
            std::string out = steps(s, {text(whole.substr(0, cut)), text(whole.substr(cut))});
            const auto& blocks = s.answer().blocks();
            BOOST_REQUIRE(blocks.size() == 2u);
            BOOST_TEST((blocks[0].kind == BlockKind::thinking));
            BOOST_TEST(blocks[0].content == "ab");
            BOOST_TEST((blocks[1].kind == BlockKind::text));
            BOOST_TEST(blocks[1].content == "cd");
            BOOST_TEST(!contains(out, ":\n"));  // no empty delta
            BOOST_TEST(!contains(out, "<"));    // nothing of a tag
        }
    }
}

BOOST_AUTO_TEST_CASE(thinking_tags_one_byte_per_event) {
    std::vector<QEvent> events;
    for (char c : std::string("\n<thinking>a<b</thinking>\n\nc<d")) events.push_back(text({c}));
    AnswerStream s = recorded(true);
    steps(s, events);
    const auto& blocks = s.answer().blocks();
    BOOST_REQUIRE(blocks.size() == 2u);
    BOOST_TEST(blocks[0].content == "a<b");
    BOOST_TEST(blocks[1].content == "c<d");
}

BOOST_AUTO_TEST_CASE(text_is_held_back_only_while_it_can_be_a_tag) {
    AnswerStream s = recorded(true);
    s.start();
    BOOST_TEST(s.on_event(text("<thin")) == "");  // could still be the tag
    BOOST_TEST(s.on_event(text("gs")) == "+0 text\n0 text:<things\n");
    // Once the answer is text, text passes straight through.
    BOOST_TEST(s.on_event(text("<thinking>")) == "0 text:<thinking>\n");
}

BOOST_AUTO_TEST_CASE(what_is_held_back_comes_out_at_the_end) {
    // A tag's start at the end is text; a thinking block never closed keeps its text.
    BOOST_TEST(steps({text("<thin")}, true) == "+0 text\n0 text:<thin\n-0\nfinish end_turn\n");
    BOOST_TEST(steps({text("<thinking>abc</thi")}, true) ==
               "+0 thinking\n0 thinking:abc\n0 thinking:</thi\n-0\nfinish end_turn\n");
}

BOOST_AUTO_TEST_CASE(tags_are_text_when_thinking_is_off_or_later_in_the_answer) {
    BOOST_TEST(steps({text("<thinking>ab</thinking>cd")}) ==
               "+0 text\n0 text:<thinking>ab</thinking>cd\n-0\nfinish end_turn\n");
    BOOST_TEST(steps({text("Use <thinking>x</thinking>")}, true) ==
               "+0 text\n0 text:Use <thinking>x</thinking>\n-0\nfinish end_turn\n");
}

BOOST_AUTO_TEST_CASE(held_text_comes_out_before_a_tool_call_or_reasoning) {
    BOOST_TEST(steps({text("<thin"), tool("t", "Bash", R"({"c":1})", true)}, true) ==
               "+0 text\n0 text:<thin\n-0\n+1 tool t Bash #0\n1 input:{\"c\":1}\n-1\n"
               "finish tool_use\n");
    BOOST_TEST(steps({text("<thin"), reasoning("r")}, true) ==
               "+0 text\n0 text:<thin\n-0\n+1 thinking\n1 thinking:r\n-1\nfinish end_turn\n");
}

// ---- usage ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(output_estimate_counts_every_block_but_redacted_ones_in_order) {
    QEvent redacted;
    redacted.kind = QEvent::Kind::reasoning;
    redacted.redacted = "opaque-bytes";
    AnswerStream s = recorded();
    steps(s, {reasoning("abcd"), redacted, text("0123456789"), tool("t", "B", R"({"k":1})", true)});
    BOOST_TEST(s.output_tokens() == amq::estimate_tokens(R"(abcd0123456789{"k":1})"));
    BOOST_TEST(s.input_tokens() == 1234);

    AnswerStream reported = recorded();
    steps(reported, {text("x"), metadata(5000, 77)});
    BOOST_TEST(reported.output_tokens() == 77);
    BOOST_TEST(reported.input_tokens() == 5000);
}

BOOST_AUTO_TEST_CASE(input_estimate_stays_the_estimate) {
    amq::AnswerOptions o = options();
    o.estimated_input_tokens = 0;
    AnswerStream s(o, std::make_unique<Recorder>());
    steps(s, {context_usage(50), text("x")});
    BOOST_TEST(s.answer().input_estimate() == 1);  // never 0
    BOOST_TEST(s.input_tokens() == 100000);        // 50% of 200 000
}

// ---- both APIs alike -----------------------------------------------------------------------

namespace {

struct Verdict {
    std::string failure;  // "<status> <message>", or "" when the answer holds
    std::string stop;     // the client's stop reason
    std::string calls;    // "id name input;" per tool call, ids without the API's prefix
};

std::string strip(std::string_view id, std::string_view prefix) {
    return std::string(id.starts_with(prefix) ? id.substr(prefix.size()) : id);
}

Verdict anthropic_verdict(const std::vector<QEvent>& events) {
    AnswerStream s = amq::make_anthropic_answer({"msg_x", "m"}, options());
    std::string sse = replay(s, events);
    if (s.failure()) {
        auto frame = sse_events(sse).back();
        BOOST_TEST(frame.starts_with("event: error\n"));
        auto error = parsed(frame.substr(frame.find("data: ") + 6));
        return {amq::str_cat(s.failure()->status, " ", str(at(error, "/error/message"))), "", ""};
    }
    auto message = parsed(s.body());
    Verdict v{"", str(message["stop_reason"]), ""};
    for (const auto& block : message["content"].GetArray()) {
        if (str(block["type"]) != "tool_use") continue;
        v.calls += amq::str_cat(strip(str(block["id"]), "toolu_msg_x_"), " ", str(block["name"]),
                                " ", amq::to_json(block["input"]), ";");
    }
    return v;
}

Verdict openai_verdict(const std::vector<QEvent>& events) {
    AnswerStream s = amq::make_openai_answer({"chatcmpl-x", 1, "m", false}, options());
    std::string sse = replay(s, events);
    if (s.failure()) {
        auto chunks = sse_events(sse);
        BOOST_REQUIRE(chunks.size() >= 2u);
        BOOST_TEST(chunks.back() == "data: [DONE]");
        auto error = parsed(chunks[chunks.size() - 2].substr(6));
        return {amq::str_cat(s.failure()->status, " ", str(at(error, "/error/message"))), "", ""};
    }
    auto completion = parsed(s.body());
    const auto& choice = completion["choices"][0];
    Verdict v{"", str(choice["finish_reason"]), ""};
    if (!choice["message"].HasMember("tool_calls")) return v;
    for (const auto& call : choice["message"]["tool_calls"].GetArray()) {
        auto input = parsed(str(call["function"]["arguments"]));
        v.calls += amq::str_cat(strip(str(call["id"]), "call_chatcmpl-x_"), " ",
                                str(call["function"]["name"]), " ", amq::to_json(input), ";");
    }
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(both_apis_judge_the_same_events_alike) {
    QEvent redacted;
    redacted.kind = QEvent::Kind::reasoning;
    redacted.redacted = "opaque";
    const std::vector<std::vector<QEvent>> cases = {
        {text("Hi.")},
        {text("A"), tool("t", "Bash", R"({"c":1})", true), text("B")},
        {tool("", "A", "{}", true), tool("", "B", R"({"x":[1]})", true)},
        {tool("a", "Read", R"({"p":1})"), tool("b", "Read", "{}"), tool("a", "Read", "2}")},
        {tool("t", "", "{}", true)},
        {tool("t", "Write", R"({"content":"lo)")},
        {tool("t", "Bash", "[1]", true)},
        {tool("t", "Bash", R"({"c":1})"), reasoning("", "c2ln"), text("ok")},
        {tool("t", "Bash", R"({"c":)"), redacted},
        {text("x"), exception("ThrottlingException", "slow down")},
        {text("x"), exception("ContentLengthExceededException", "long")},
        {text("x"), metadata(std::nullopt, std::nullopt, "CONTENT_FILTERED")},
        {tool("t", "Now", "", true), metadata(std::nullopt, std::nullopt, "MAX_TOKENS")},
    };
    const std::pair<std::string, std::string> same_stop[] = {
        {"end_turn", "stop"},
        {"tool_use", "tool_calls"},
        {"max_tokens", "length"},
        {"refusal", "content_filter"},
        {"model_context_window_exceeded", "length"}};
    for (std::size_t i = 0; i < cases.size(); ++i) {
        BOOST_TEST_CONTEXT("case " << i) {
            Verdict a = anthropic_verdict(cases[i]);
            Verdict o = openai_verdict(cases[i]);
            BOOST_TEST(a.failure == o.failure);
            BOOST_TEST(a.calls == o.calls);
            bool stop_agrees = a.stop.empty() && o.stop.empty();
            for (const auto& [anthropic, openai] : same_stop)
                stop_agrees = stop_agrees || (a.stop == anthropic && o.stop == openai);
            BOOST_TEST(stop_agrees, a.stop << " vs " << o.stop);
        }
    }
}

// ---- server tool rounds ----

BOOST_AUTO_TEST_CASE(a_round_of_searches_is_answered_and_continued) {
    amq::AnswerOptions o = options();
    o.web_search = true;
    AnswerStream s(o, std::make_unique<Recorder>());
    std::string out = s.start();
    for (const QEvent& e :
         {text("Let me look."), tool("s1", "web_search", R"({"query":"amq"})", true),
          metadata(10, 5, "TOOL_USE")})
        out += s.on_event(e);
    BOOST_TEST(s.answer().tool_calls() == 0u);
    auto pending = s.pending_searches();
    BOOST_REQUIRE(pending.size() == 1u);
    BOOST_TEST(pending[0].tool_id == "s1");
    BOOST_TEST(pending[0].query == "amq");
    amq::WebSearchOutcome outcome{"amq", {{"AMQ", "https://amq.example/", "About AMQ.", {}}}, {}};
    out += s.add_search_result("s1", outcome);
    auto [assistant, user] = s.close_round();
    BOOST_TEST(assistant.text == "Let me look.");
    BOOST_REQUIRE(assistant.tool_uses.size() == 1u);
    BOOST_TEST(assistant.tool_uses[0].input_json == R"({"query":"amq"})");
    BOOST_REQUIRE(user.tool_results.size() == 1u);
    BOOST_TEST(user.tool_results[0].tool_use_id == "s1");
    BOOST_TEST(user.tool_results[0].text.find("https://amq.example/") != std::string::npos);
    BOOST_TEST(s.pending_searches().empty());  // answered
    out += s.on_event(text("Found it."));
    out += s.finish();
    BOOST_TEST(out ==
               "start\n+0 text\n0 text:Let me look.\n-0\n+1 server s1 web_search #0\n"
               "1 input:{\"query\":\"amq\"}\n-1\n+2 result s1 1\n-2\n+3 text\n"
               "3 text:Found it.\n-3\nfinish tool_use\n");
    BOOST_TEST(s.answer().searches() == 1u);
}

BOOST_AUTO_TEST_CASE(a_round_that_calls_a_client_tool_goes_to_the_client) {
    amq::AnswerOptions o = options();
    o.web_search = true;
    AnswerStream s(o, std::make_unique<Recorder>());
    std::string out = s.start();
    out += s.on_event(tool("s1", "web_search", R"({"query":"amq"})", true));
    out += s.on_event(tool("t1", "Bash", R"({"c":1})", true));
    BOOST_TEST(s.pending_searches().empty());
    BOOST_TEST(s.answer().tool_calls() == 1u);
    // Without web search offered, a web_search call is the client's like any other.
    AnswerStream plain = recorded();
    BOOST_TEST(steps(plain, {tool("s1", "web_search", "{}", true)}).starts_with("+0 tool s1"));
}

BOOST_AUTO_TEST_CASE(metered_credits_add_up_and_nonsense_is_no_charge) {
    AnswerStream s = recorded();
    replay(s, {text("a"), metering(0.25), metering(0.125), metering(-1), metering(2e6)});
    BOOST_TEST(s.answer().credits_micros() == 375000);
}
