#define BOOST_TEST_MODULE common_q_events
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/eventstream.hpp"
#include "common/q_events.hpp"

using amq::Errc;
using amq::QEvent;
using amq::eventstream::Header;
using amq::eventstream::Message;
using Kind = amq::QEvent::Kind;

namespace {

Message event_message(const std::string& type, const std::string& payload) {
    Message m;
    m.headers.push_back(Header{":event-type", type});
    m.headers.push_back(Header{":content-type", std::string("application/json")});
    m.headers.push_back(Header{":message-type", std::string("event")});
    m.payload = payload;
    return m;
}

Message exception_message(const std::string& type, const std::string& payload) {
    Message m;
    m.headers.push_back(Header{":exception-type", type});
    m.headers.push_back(Header{":message-type", std::string("exception")});
    m.payload = payload;
    return m;
}

QEvent interpreted(const Message& m) {
    auto event = amq::interpret_event(m);
    if (!event.ok()) BOOST_FAIL("interpret_event failed: " << event.error().message);
    return std::move(event).value();
}

}  // namespace

BOOST_AUTO_TEST_CASE(assistant_response_is_text) {
    QEvent e = interpreted(event_message("assistantResponseEvent", R"({"content":"Hel\nlo"})"));
    BOOST_TEST((e.kind == Kind::text));
    BOOST_TEST(e.event_type == "assistantResponseEvent");
    BOOST_TEST(e.text == "Hel\nlo");
}

BOOST_AUTO_TEST_CASE(tool_use_reads_id_name_fragment_and_stop) {
    QEvent e = interpreted(event_message(
        "toolUseEvent",
        R"({"toolUseId":"tooluse_1","name":"Bash","input":"{\"cmd\":","stop":false})"));
    BOOST_TEST((e.kind == Kind::tool_use));
    BOOST_TEST(e.tool_use_id == "tooluse_1");
    BOOST_TEST(e.tool_name == "Bash");
    BOOST_TEST(e.tool_input == R"({"cmd":)");
    BOOST_TEST(!e.tool_stop);

    QEvent last = interpreted(
        event_message("toolUseEvent", R"({"toolUseId":"tooluse_1","name":"Bash","stop":true})"));
    BOOST_TEST(last.tool_input == "");
    BOOST_TEST(last.tool_stop);
}

BOOST_AUTO_TEST_CASE(tool_use_input_empty_or_placeholder_is_passed_verbatim) {
    // The "{}" placeholder can only be recognised with the call's history: the stream does it.
    QEvent empty =
        interpreted(event_message("toolUseEvent", R"({"toolUseId":"t","name":"Read","input":""})"));
    BOOST_TEST(empty.tool_input == "");
    QEvent braces = interpreted(
        event_message("toolUseEvent", R"({"toolUseId":"t","name":"Read","input":"{}"})"));
    BOOST_TEST(braces.tool_input == "{}");
    QEvent null_input = interpreted(
        event_message("toolUseEvent", R"({"toolUseId":"t","name":"Read","input":null})"));
    BOOST_TEST(null_input.tool_input == "");
}

BOOST_AUTO_TEST_CASE(tool_use_input_as_an_object_is_its_json_text) {
    QEvent e = interpreted(event_message(
        "toolUseEvent", R"({"toolUseId":"t","name":"Read","input":{"path":"/a"},"stop":true})"));
    BOOST_TEST(e.tool_input == R"({"path":"/a"})");
    BOOST_TEST(e.tool_stop);
}

BOOST_AUTO_TEST_CASE(reasoning_reads_text_signature_and_redacted) {
    QEvent e = interpreted(event_message(
        "reasoningContentEvent", R"({"text":"hmm","signature":"sig==","redactedContent":"xyz"})"));
    BOOST_TEST((e.kind == Kind::reasoning));
    BOOST_TEST(e.text == "hmm");
    BOOST_TEST(e.signature == "sig==");
    BOOST_TEST(e.redacted == "xyz");
}

BOOST_AUTO_TEST_CASE(metadata_sums_the_input_tokens) {
    QEvent e = interpreted(event_message("metadataEvent", R"({"tokenUsage":{
        "uncachedInputTokens":100,"outputTokens":42,"totalTokens":1142,
        "cacheReadInputTokens":1000,"cacheWriteInputTokens":7,
        "contextUsagePercentage":0.57},"stopReason":"TOOL_USE"})"));
    BOOST_TEST((e.kind == Kind::metadata));
    BOOST_REQUIRE(e.input_tokens.has_value());
    BOOST_TEST(*e.input_tokens == 1107);
    BOOST_TEST(e.output_tokens.value_or(-1) == 42);
    BOOST_TEST(e.cache_read_tokens.value_or(-1) == 1000);
    BOOST_TEST(e.cache_write_tokens.value_or(-1) == 7);
    BOOST_REQUIRE(e.context_percentage.has_value());
    BOOST_TEST(*e.context_percentage == 0.57);
    BOOST_TEST(e.stop_reason == "TOOL_USE");
}

BOOST_AUTO_TEST_CASE(metadata_without_input_counts_has_no_input_tokens) {
    QEvent e = interpreted(event_message("metadataEvent", R"({"tokenUsage":{"outputTokens":5}})"));
    BOOST_TEST(!e.input_tokens.has_value());
    BOOST_TEST(e.output_tokens.value_or(-1) == 5);
    BOOST_TEST(e.stop_reason == "");

    QEvent bare = interpreted(event_message("metadataEvent", "{}"));
    BOOST_TEST(!bare.input_tokens.has_value());
    BOOST_TEST(!bare.output_tokens.has_value());
}

BOOST_AUTO_TEST_CASE(metadata_fields_of_the_wrong_type_count_as_absent) {
    QEvent e = interpreted(event_message(
        "metadataEvent", R"({"tokenUsage":{"uncachedInputTokens":"many","outputTokens":3.0}})"));
    BOOST_TEST(!e.input_tokens.has_value());
    BOOST_TEST(e.output_tokens.value_or(-1) == 3);
}

BOOST_AUTO_TEST_CASE(counts_out_of_range_count_as_absent) {
    // Negative or absurd counts would make the sums overflow; they are no counts at all.
    QEvent e = interpreted(event_message("metadataEvent", R"({"tokenUsage":{
        "uncachedInputTokens":9223372036854775807,"cacheReadInputTokens":-5,
        "cacheWriteInputTokens":12,"outputTokens":9223372036854775807}})"));
    BOOST_TEST(e.input_tokens.value_or(-1) == 12);
    BOOST_TEST(!e.cache_read_tokens.has_value());
    BOOST_TEST(!e.output_tokens.has_value());
    QEvent big = interpreted(
        event_message("metadataEvent", R"({"tokenUsage":{"outputTokens":1e300}})"));
    BOOST_TEST(!big.output_tokens.has_value());
    QEvent c = interpreted(
        event_message("contextUsageEvent", R"({"contextUsagePercentage":1e300})"));
    BOOST_TEST(!c.context_percentage.has_value());
}

BOOST_AUTO_TEST_CASE(context_usage_and_metering) {
    QEvent c =
        interpreted(event_message("contextUsageEvent", R"({"contextUsagePercentage":12.5})"));
    BOOST_TEST((c.kind == Kind::context_usage));
    BOOST_TEST(c.context_percentage.value_or(-1) == 12.5);

    QEvent m = interpreted(
        event_message("meteringEvent", R"({"unit":"credit","unitPlural":"credits","usage":0.25})"));
    BOOST_TEST((m.kind == Kind::metering));
    BOOST_TEST(m.metering_usage.value_or(-1) == 0.25);
}

BOOST_AUTO_TEST_CASE(invalid_state_reads_reason_and_message) {
    QEvent e = interpreted(
        event_message("invalidStateEvent", R"({"reason":"INVALID_TASK","message":"broken"})"));
    BOOST_TEST((e.kind == Kind::invalid_state));
    BOOST_TEST(e.reason == "INVALID_TASK");
    BOOST_TEST(e.message == "broken");
}

BOOST_AUTO_TEST_CASE(initial_response_and_unknown_events_are_ignored_unparsed) {
    QEvent init = interpreted(event_message("initial-response", R"({"conversationId":"c"})"));
    BOOST_TEST((init.kind == Kind::ignored));
    BOOST_TEST(init.event_type == "initial-response");
    QEvent other = interpreted(event_message("citationEvent", "not json at all"));
    BOOST_TEST((other.kind == Kind::ignored));
    BOOST_TEST(other.event_type == "citationEvent");
}

BOOST_AUTO_TEST_CASE(exception_reads_type_message_and_reason) {
    QEvent e = interpreted(exception_message(
        "ValidationException", R"({"message":"Improperly formed request.","reason":"X"})"));
    BOOST_TEST((e.kind == Kind::exception));
    BOOST_TEST(e.event_type == "ValidationException");
    BOOST_TEST(e.message == "Improperly formed request.");
    BOOST_TEST(e.reason == "X");

    QEvent capital = interpreted(exception_message("ThrottlingException", R"({"Message":"slow"})"));
    BOOST_TEST(capital.message == "slow");
}

BOOST_AUTO_TEST_CASE(error_message_type_uses_the_error_code) {
    Message m;
    m.headers.push_back(Header{":message-type", std::string("error")});
    m.headers.push_back(Header{":error-code", std::string("InternalServerException")});
    m.headers.push_back(Header{":error-message", std::string("boom")});
    QEvent e = interpreted(m);
    BOOST_TEST((e.kind == Kind::exception));
    BOOST_TEST(e.event_type == "InternalServerException");
    BOOST_TEST(e.message == "boom");
}

BOOST_AUTO_TEST_CASE(exception_with_a_plain_text_payload_keeps_its_type) {
    QEvent e = interpreted(exception_message("ThrottlingException", "  Rate exceeded \n"));
    BOOST_TEST((e.kind == Kind::exception));
    BOOST_TEST(e.event_type == "ThrottlingException");
    BOOST_TEST(e.message == "Rate exceeded");
}

BOOST_AUTO_TEST_CASE(exception_type_from_the_payload_when_the_header_is_missing) {
    Message m;
    m.headers.push_back(Header{":message-type", std::string("exception")});
    m.payload = R"({"__type":"com.amazon.aws.codewhisperer#AccessDeniedException","message":"no"})";
    QEvent e = interpreted(m);
    BOOST_TEST(e.event_type == "AccessDeniedException");
    BOOST_TEST(e.message == "no");
}

BOOST_AUTO_TEST_CASE(unusable_messages_are_errors) {
    auto not_json = amq::interpret_event(event_message("assistantResponseEvent", "{\"content\":"));
    BOOST_REQUIRE(!not_json.ok());
    BOOST_TEST((not_json.error().code == Errc::protocol));

    auto array = amq::interpret_event(event_message("toolUseEvent", "[1]"));
    BOOST_TEST(!array.ok());

    Message no_event_type;
    no_event_type.headers.push_back(Header{":message-type", std::string("event")});
    no_event_type.payload = "{}";
    BOOST_TEST(!amq::interpret_event(no_event_type).ok());

    Message no_message_type;
    no_message_type.headers.push_back(Header{":event-type", std::string("metadataEvent")});
    no_message_type.payload = "{}";
    BOOST_TEST(!amq::interpret_event(no_message_type).ok());
}

BOOST_AUTO_TEST_CASE(header_of_another_type_is_not_a_string) {
    Message m = event_message("assistantResponseEvent", R"({"content":"x"})");
    m.headers[0].value = amq::eventstream::Bytes{"assistantResponseEvent"};
    BOOST_TEST(!amq::interpret_event(m).ok());
}
