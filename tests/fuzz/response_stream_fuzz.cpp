// libFuzzer entry point for the response side: one sequence of Amazon Q events fed to both
// the Anthropic, the OpenAI and the Responses answer (start, on_event…, finish). Input layout:
//   byte 0: options: bit 0 = thinking (<thinking> parsing), bit 1 = include_usage,
//           bit 2 = the upstream tool name "mapped_tool" maps back to a client name,
//           bits 3-7 = the local input token estimate
//   then events until the input ends, each a kind byte (value % 9 = QEvent::Kind in
//   declaration order) and its fields. A string is a length byte and that many bytes; a
//   count is a byte b (b < 128: b itself, else the next 8 bytes as a little-endian uint64
//   modulo kMaxTokenCount + 1); a percentage likewise (b < 128: b, else the next 8 bytes as a
//   double, kept when within what interpret_event lets through).
//     text           string text
//     tool_use       flags (bit 0 = stop), string id, string name, string input fragment
//     reasoning      string text, string signature, string redacted
//     metadata       mask (bits 0-4: input, output, cache read, cache write tokens,
//                    context percentage present), those values, stop selector (see
//                    kStopReasons; past the list: a string follows)
//     context_usage  percentage
//     metering       percentage (the usage)
//     invalid_state  string reason, string message
//     exception      type selector (see kExceptionTypes; past the list: a string follows),
//                    string message, string reason
//     ignored        string event type
// Invariants: every SSE frame is well formed and its data is JSON (OpenAI's "[DONE]" aside);
// Anthropic content blocks open with strictly increasing indices from 0, deltas and stops
// name the open block and match its type; OpenAI tool calls get indices 0, 1, … in order;
// each stream ends exactly once, with an error exactly when failure() is set, and both agree
// on the failure; otherwise each body() is JSON and holds what the deltas streamed.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/anthropic_answer.hpp"
#include "common/json.hpp"
#include "common/openai_answer.hpp"
#include "common/q_events.hpp"
#include "common/responses_answer.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using amq::QEvent;
using amq_fuzz::member;
using amq_fuzz::string_member;

constexpr std::string_view kMessageId = "msg_fuzz";
constexpr std::string_view kCompletionId = "chatcmpl-fuzz";
constexpr std::string_view kModel = "claude-sonnet-4-5";
constexpr std::int64_t kCreated = 1767225600;

constexpr std::string_view kStopReasons[] = {
    "END_TURN", "TOOL_USE", "MAX_TOKENS", "MODEL_CONTEXT_WINDOW_EXCEEDED", "CONTENT_FILTERED", ""};
constexpr std::string_view kExceptionTypes[] = {
    "ThrottlingException",         "ValidationException",      "ContentLengthExceededException",
    "InternalServerException",     "AccessDeniedException",    "ServiceQuotaExceededException",
    "ServiceUnavailableException", "ModelStreamErrorException"};

// ---- the input ---------------------------------------------------------------------------

class Input {
public:
    explicit Input(std::string_view bytes) : rest_(bytes) {}
    bool empty() const { return rest_.empty(); }
    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    std::string string() {
        std::size_t want = byte();  // before rest_.size(): reading it shrinks rest_
        std::size_t n = std::min(want, rest_.size());
        std::string out(rest_.substr(0, n));
        rest_.remove_prefix(n);
        return out;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
        return v;
    }
    std::int64_t count() {
        std::uint8_t b = byte();
        return b < 128 ? b : static_cast<std::int64_t>(u64() % (amq::kMaxTokenCount + 1));
    }
    std::optional<double> percentage() {
        std::uint8_t b = byte();
        if (b < 128) return b;
        double d = std::bit_cast<double>(u64());
        // interpret_event drops those
        if (!std::isfinite(d) || d < 0 || d > amq::kMaxContextPercentage) return std::nullopt;
        return d;
    }

private:
    std::string_view rest_;
};

template <std::size_t N>
std::string pick(Input& in, const std::string_view (&names)[N]) {
    std::uint8_t b = in.byte();
    return b < N ? std::string(names[b]) : in.string();
}

QEvent next_event(Input& in) {
    QEvent e;
    e.kind = static_cast<QEvent::Kind>(in.byte() % 9);
    switch (e.kind) {
        case QEvent::Kind::text:
            e.event_type = "assistantResponseEvent";
            e.text = in.string();
            break;
        case QEvent::Kind::tool_use:
            e.event_type = "toolUseEvent";
            e.tool_stop = (in.byte() & 1) != 0;
            e.tool_use_id = in.string();
            e.tool_name = in.string();
            e.tool_input = in.string();
            break;
        case QEvent::Kind::reasoning:
            e.event_type = "reasoningContentEvent";
            e.text = in.string();
            e.signature = in.string();
            e.redacted = in.string();
            break;
        case QEvent::Kind::metadata: {
            e.event_type = "metadataEvent";
            std::uint8_t mask = in.byte();
            if (mask & 1) e.input_tokens = in.count();
            if (mask & 2) e.output_tokens = in.count();
            if (mask & 4) e.cache_read_tokens = in.count();
            if (mask & 8) e.cache_write_tokens = in.count();
            if (mask & 16) e.context_percentage = in.percentage();
            e.stop_reason = pick(in, kStopReasons);
            break;
        }
        case QEvent::Kind::context_usage:
            e.event_type = "contextUsageEvent";
            e.context_percentage = in.percentage();
            break;
        case QEvent::Kind::metering:
            e.event_type = "meteringEvent";
            e.metering_usage = in.percentage();
            break;
        case QEvent::Kind::invalid_state:
            e.event_type = "invalidStateEvent";
            e.reason = in.string();
            e.message = in.string();
            break;
        case QEvent::Kind::exception:
            e.event_type = pick(in, kExceptionTypes);
            e.message = in.string();
            e.reason = in.string();
            break;
        case QEvent::Kind::ignored: e.event_type = in.string(); break;
    }
    return e;
}

rapidjson::Document parse_or_die(std::string_view text) {
    auto doc = amq::parse_json(text);
    FUZZ_CHECK(doc.ok());
    return std::move(*doc);
}

// Splits SSE text into frames ("…\n\n"); every piece the streams return is whole frames.
std::vector<std::string_view> frames(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        std::size_t end = text.find("\n\n");
        FUZZ_CHECK(end != std::string_view::npos);
        out.push_back(text.substr(0, end + 1));  // keeps the line's own '\n'
        text.remove_prefix(end + 2);
    }
    return out;
}

// "event: <name>\ndata: <one line of JSON>\n" whose data is an object naming the event in
// "type" (the Anthropic and Responses framing).
std::pair<std::string_view, rapidjson::Document> named_frame(std::string_view frame) {
    constexpr std::string_view kEvent = "event: ";
    constexpr std::string_view kData = "\ndata: ";
    FUZZ_CHECK(frame.starts_with(kEvent) && frame.ends_with('\n'));
    std::size_t data_at = frame.find(kData);
    FUZZ_CHECK(data_at != std::string_view::npos);
    std::string_view name = frame.substr(kEvent.size(), data_at - kEvent.size());
    std::string_view data = frame.substr(data_at + kData.size());
    data.remove_suffix(1);
    FUZZ_CHECK(name.find('\n') == std::string_view::npos);
    FUZZ_CHECK(data.find('\n') == std::string_view::npos);  // one data line
    rapidjson::Document doc = parse_or_die(data);
    FUZZ_CHECK(doc.IsObject() && string_member(&doc, "type") == name);
    return {name, std::move(doc)};
}

// ---- Anthropic ----------------------------------------------------------------------------

// Anthropic's input_tokens leave out the cached part, which may be all of it: the three
// counts together are the whole input, never below 1.
std::int64_t whole_input(const rapidjson::Value* usage) {
    std::int64_t sum = 0;
    for (const char* field :
         {"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}) {
        const rapidjson::Value* v = member(usage, field);
        FUZZ_CHECK(v && v->IsInt64() && v->GetInt64() >= 0);
        sum += v->GetInt64();
    }
    FUZZ_CHECK(sum >= 1);
    return sum;
}

class AnthropicChecker {
public:
    void consume(std::string_view text) {
        for (std::string_view frame : frames(text)) on_frame(frame);
    }

    void at_end(const amq::AnswerStream& stream) {
        FUZZ_CHECK(ended_ && stream.ended());
        FUZZ_CHECK(stream.failure().has_value() == (last_ == "error"));
        if (stream.failure()) {
            const amq::AnswerFailure& failure = *stream.failure();
            FUZZ_CHECK(failure.status >= 400 && !failure.error.message.empty());
            return;
        }
        FUZZ_CHECK(last_ == "message_stop" && !open_);
        rapidjson::Document message = parse_or_die(stream.body());
        FUZZ_CHECK(string_member(&message, "id") == kMessageId);
        FUZZ_CHECK(string_member(&message, "stop_reason") == std::string_view(stop_reason_));
        FUZZ_CHECK(string_member(&message, "stop_reason") ==
                   amq::anthropic_stop_reason(stream.answer().stop_cause()));
        FUZZ_CHECK(whole_input(member(&message, "usage")) == usage_input_);
        const rapidjson::Value* content = member(&message, "content");
        FUZZ_CHECK(content && content->IsArray() && content->Size() == blocks_.size());
        for (rapidjson::SizeType i = 0; i < content->Size(); ++i) {
            const rapidjson::Value* block = &(*content)[i];
            const Block& streamed = blocks_[i];
            FUZZ_CHECK(string_member(block, "type") == std::string_view(streamed.type));
            if (streamed.type == "text") {
                FUZZ_CHECK(string_member(block, "text") == std::string_view(streamed.body));
            } else if (streamed.type == "thinking") {
                FUZZ_CHECK(string_member(block, "thinking") == std::string_view(streamed.body));
                if (streamed.signature.empty())
                    FUZZ_CHECK(!member(block, "signature"));
                else
                    FUZZ_CHECK(string_member(block, "signature") ==
                               std::string_view(streamed.signature));
            } else if (streamed.type == "redacted_thinking") {
                FUZZ_CHECK(string_member(block, "data") == std::string_view(streamed.data));
            } else {
                FUZZ_CHECK(string_member(block, "id") == std::string_view(streamed.tool_id));
                FUZZ_CHECK(string_member(block, "name") == std::string_view(streamed.tool_name));
                // The partial_json deltas, joined, are the input the message holds.
                rapidjson::Document joined = parse_or_die(streamed.body);
                const rapidjson::Value* input_object = member(block, "input");
                FUZZ_CHECK(joined.IsObject() && input_object && *input_object == joined);
            }
        }
    }

private:
    struct Block {
        std::string type;
        std::string body;  // text, thinking or the joined partial_json
        std::string signature;
        std::string data;  // redacted_thinking
        std::string tool_id;
        std::string tool_name;
    };

    void on_frame(std::string_view frame) {
        FUZZ_CHECK(!ended_);  // nothing after message_stop or error
        auto [name, doc] = named_frame(frame);
        FUZZ_CHECK(frames_ > 0 || name == "message_start");
        ++frames_;
        if (name != "ping") last_ = std::string(name);

        if (name == "ping") return;
        if (name == "message_start") {
            FUZZ_CHECK(frames_ == 1);
            const rapidjson::Value* message = member(&doc, "message");
            FUZZ_CHECK(string_member(message, "id") == kMessageId);
            const rapidjson::Value* content = member(message, "content");
            FUZZ_CHECK(content && content->IsArray() && content->Empty());
            const rapidjson::Value* input = member(member(message, "usage"), "input_tokens");
            FUZZ_CHECK(input && input->IsInt64() && input->GetInt64() >= 1);
        } else if (name == "content_block_start") {
            FUZZ_CHECK(!open_ && !delta_seen_);
            const rapidjson::Value* index = member(&doc, "index");
            // Indices strictly increase: 0, 1, 2, … one per block.
            FUZZ_CHECK(index && index->IsUint64() && index->GetUint64() == blocks_.size());
            const rapidjson::Value* block = member(&doc, "content_block");
            Block b;
            b.type = std::string(string_member(block, "type").value_or(""));
            FUZZ_CHECK(b.type == "text" || b.type == "thinking" || b.type == "tool_use" ||
                       b.type == "redacted_thinking");
            if (b.type == "tool_use") {
                b.tool_id = std::string(string_member(block, "id").value_or(""));
                b.tool_name = std::string(string_member(block, "name").value_or(""));
                FUZZ_CHECK(!b.tool_id.empty() && !b.tool_name.empty());
                const rapidjson::Value* input = member(block, "input");
                FUZZ_CHECK(input && input->IsObject() && input->ObjectEmpty());
                for (const Block& earlier : blocks_)
                    FUZZ_CHECK(earlier.type != "tool_use" || earlier.tool_id != b.tool_id);
            } else if (b.type == "redacted_thinking") {
                auto data_field = string_member(block, "data");
                FUZZ_CHECK(data_field && !data_field->empty());
                b.data = std::string(*data_field);
            } else {
                FUZZ_CHECK(string_member(block, b.type.c_str()) == std::string_view());
            }
            blocks_.push_back(std::move(b));
            open_ = true;
        } else if (name == "content_block_delta") {
            FUZZ_CHECK(open_ && open_index(doc));
            Block& b = blocks_.back();
            const rapidjson::Value* delta = member(&doc, "delta");
            auto type = string_member(delta, "type");
            FUZZ_CHECK(type);
            std::string* into = nullptr;
            const char* field = nullptr;
            if (*type == "text_delta" && b.type == "text") {
                into = &b.body, field = "text";
            } else if (*type == "thinking_delta" && b.type == "thinking") {
                into = &b.body, field = "thinking";
            } else if (*type == "signature_delta" && b.type == "thinking") {
                into = &b.signature, field = "signature";
            } else if (*type == "input_json_delta" && b.type == "tool_use") {
                into = &b.body, field = "partial_json";
            }
            FUZZ_CHECK(into != nullptr);  // the delta fits the open block
            auto value = string_member(delta, field);
            FUZZ_CHECK(value && !value->empty());
            into->append(*value);
        } else if (name == "content_block_stop") {
            FUZZ_CHECK(open_ && open_index(doc));
            open_ = false;
        } else if (name == "message_delta") {
            FUZZ_CHECK(!open_ && !delta_seen_);
            delta_seen_ = true;
            auto reason = string_member(member(&doc, "delta"), "stop_reason");
            FUZZ_CHECK(reason &&
                       (*reason == "end_turn" || *reason == "tool_use" || *reason == "max_tokens" ||
                        *reason == "refusal" || *reason == "model_context_window_exceeded"));
            stop_reason_ = std::string(*reason);
            usage_input_ = whole_input(member(&doc, "usage"));
        } else if (name == "message_stop") {
            FUZZ_CHECK(delta_seen_);
            ended_ = true;
        } else if (name == "error") {
            const rapidjson::Value* error = member(&doc, "error");
            FUZZ_CHECK(string_member(error, "type") && string_member(error, "message"));
            ended_ = true;
        } else {
            FUZZ_CHECK(!"unknown Anthropic event");
        }
    }

    bool open_index(const rapidjson::Document& doc) const {
        const rapidjson::Value* index = member(&doc, "index");
        return index && index->IsUint64() && index->GetUint64() + 1 == blocks_.size();
    }

    std::vector<Block> blocks_;
    bool open_ = false;
    bool delta_seen_ = false;
    bool ended_ = false;
    std::size_t frames_ = 0;
    std::string last_;
    std::string stop_reason_;
    std::int64_t usage_input_ = 0;
};

// ---- OpenAI -------------------------------------------------------------------------------

class OpenAiChecker {
public:
    explicit OpenAiChecker(bool include_usage) : include_usage_(include_usage) {}

    void consume(std::string_view text) {
        for (std::string_view frame : frames(text)) on_frame(frame);
    }

    void at_end(const amq::AnswerStream& stream) {
        FUZZ_CHECK(done_ && stream.ended());
        FUZZ_CHECK(stream.failure().has_value() == failed_);
        if (failed_) {
            const amq::AnswerFailure& failure = *stream.failure();
            FUZZ_CHECK(failure.status >= 400 && !failure.error.message.empty());
            return;
        }
        FUZZ_CHECK(!finish_reason_.empty() && usage_seen_ == include_usage_);
        rapidjson::Document completion = parse_or_die(stream.body());
        FUZZ_CHECK(string_member(&completion, "id") == kCompletionId);
        FUZZ_CHECK(string_member(&completion, "object") == std::string_view("chat.completion"));
        const rapidjson::Value* choices = member(&completion, "choices");
        FUZZ_CHECK(choices && choices->IsArray() && choices->Size() == 1);
        const rapidjson::Value* choice = &(*choices)[0];
        FUZZ_CHECK(string_member(choice, "finish_reason") == std::string_view(finish_reason_));
        FUZZ_CHECK(string_member(choice, "finish_reason") ==
                   amq::openai_finish_reason(stream.answer().stop_cause()));
        const rapidjson::Value* message = member(choice, "message");
        const rapidjson::Value* content = member(message, "content");
        FUZZ_CHECK(content);
        if (content->IsNull())
            FUZZ_CHECK(content_.empty() && !calls_.empty());
        else
            FUZZ_CHECK(amq_fuzz::string_at(content) == std::string_view(content_));
        if (reasoning_.empty())
            FUZZ_CHECK(!member(message, "reasoning_content"));
        else
            FUZZ_CHECK(string_member(message, "reasoning_content") == std::string_view(reasoning_));
        const rapidjson::Value* calls = member(message, "tool_calls");
        FUZZ_CHECK(calls_.empty() ? !calls
                                  : (calls && calls->IsArray() && calls->Size() == calls_.size()));
        for (std::size_t i = 0; i < calls_.size(); ++i) {
            const rapidjson::Value* call = &(*calls)[static_cast<rapidjson::SizeType>(i)];
            FUZZ_CHECK(string_member(call, "id") == std::string_view(calls_[i].id));
            const rapidjson::Value* function = member(call, "function");
            FUZZ_CHECK(string_member(function, "name") == std::string_view(calls_[i].name));
            auto arguments = string_member(function, "arguments");
            FUZZ_CHECK(arguments == std::string_view(calls_[i].arguments));
            // A complete call's arguments are a JSON object.
            rapidjson::Document parsed = parse_or_die(*arguments);
            FUZZ_CHECK(parsed.IsObject());
        }
        const rapidjson::Value* prompt = member(member(&completion, "usage"), "prompt_tokens");
        FUZZ_CHECK(prompt && prompt->IsInt64() && prompt->GetInt64() >= 1);
    }

private:
    struct Call {
        std::string id;
        std::string name;
        std::string arguments;
    };

    void on_frame(std::string_view frame) {
        FUZZ_CHECK(!done_);  // nothing after [DONE]
        if (frame == ": ping\n") return;
        constexpr std::string_view kData = "data: ";
        FUZZ_CHECK(frame.starts_with(kData) && frame.ends_with('\n'));
        std::string_view data = frame.substr(kData.size(), frame.size() - kData.size() - 1);
        FUZZ_CHECK(data.find('\n') == std::string_view::npos);  // one data line
        ++frames_;
        if (data == "[DONE]") {
            FUZZ_CHECK(failed_ || !finish_reason_.empty());
            done_ = true;
            return;
        }
        FUZZ_CHECK(!failed_);  // an error chunk is followed by [DONE] alone
        rapidjson::Document doc = parse_or_die(data);
        FUZZ_CHECK(doc.IsObject());
        if (const rapidjson::Value* error = member(&doc, "error")) {
            FUZZ_CHECK(string_member(error, "message"));
            failed_ = true;
            return;
        }
        FUZZ_CHECK(string_member(&doc, "id") == kCompletionId);
        FUZZ_CHECK(string_member(&doc, "object") == std::string_view("chat.completion.chunk"));
        FUZZ_CHECK(string_member(&doc, "model") == kModel);
        const rapidjson::Value* choices = member(&doc, "choices");
        FUZZ_CHECK(choices && choices->IsArray());
        if (choices->Empty()) {  // the usage chunk: last before [DONE]
            FUZZ_CHECK(include_usage_ && !finish_reason_.empty() && !usage_seen_);
            usage_seen_ = true;
            const rapidjson::Value* usage = member(&doc, "usage");
            const rapidjson::Value* prompt = member(usage, "prompt_tokens");
            const rapidjson::Value* completion = member(usage, "completion_tokens");
            const rapidjson::Value* total = member(usage, "total_tokens");
            FUZZ_CHECK(prompt && prompt->IsInt64() && prompt->GetInt64() >= 1);
            FUZZ_CHECK(completion && completion->IsInt64() && total && total->IsInt64());
            return;
        }
        FUZZ_CHECK(finish_reason_.empty());  // nothing but usage after the finish chunk
        FUZZ_CHECK(choices->Size() == 1);
        if (include_usage_) {
            const rapidjson::Value* usage = member(&doc, "usage");
            FUZZ_CHECK(usage && usage->IsNull());
        }
        const rapidjson::Value* choice = &(*choices)[0];
        const rapidjson::Value* delta = member(choice, "delta");
        FUZZ_CHECK(delta && delta->IsObject());
        FUZZ_CHECK((frames_ == 1) == (member(delta, "role") != nullptr));
        if (auto content = string_member(delta, "content")) content_.append(*content);
        if (auto reasoning = string_member(delta, "reasoning_content"))
            reasoning_.append(*reasoning);
        if (const rapidjson::Value* calls = member(delta, "tool_calls")) {
            FUZZ_CHECK(calls->IsArray() && calls->Size() == 1);
            const rapidjson::Value* call = &(*calls)[0];
            const rapidjson::Value* index = member(call, "index");
            FUZZ_CHECK(index && index->IsUint64());
            const rapidjson::Value* function = member(call, "function");
            auto arguments = string_member(function, "arguments");
            FUZZ_CHECK(arguments);
            if (auto id = string_member(call, "id")) {  // a new call: the next index
                FUZZ_CHECK(index->GetUint64() == calls_.size());
                auto name = string_member(function, "name");
                FUZZ_CHECK(!id->empty() && name && !name->empty() && arguments->empty());
                for (const Call& earlier : calls_) FUZZ_CHECK(earlier.id != *id);
                calls_.push_back(Call{std::string(*id), std::string(*name), {}});
            } else {  // more arguments for the latest call
                FUZZ_CHECK(!calls_.empty() && index->GetUint64() + 1 == calls_.size());
                FUZZ_CHECK(!member(function, "name") && !arguments->empty());
                calls_.back().arguments.append(*arguments);
            }
        }
        const rapidjson::Value* finish = member(choice, "finish_reason");
        FUZZ_CHECK(finish);
        if (!finish->IsNull()) {
            auto reason = amq_fuzz::string_at(finish);
            FUZZ_CHECK(reason && (*reason == "stop" || *reason == "tool_calls" ||
                                  *reason == "length" || *reason == "content_filter"));
            FUZZ_CHECK(delta->ObjectEmpty());
            finish_reason_ = std::string(*reason);
        }
    }

    bool include_usage_;
    std::vector<Call> calls_;
    std::string content_;
    std::string reasoning_;
    std::string finish_reason_;
    bool usage_seen_ = false;
    bool failed_ = false;
    bool done_ = false;
    std::size_t frames_ = 0;
};

}  // namespace

// A call without an upstream id gets one made up in each API's own form, which failure
// messages name: compared without it.
constexpr std::string_view kAnthropicIdPrefix = "toolu_msg_fuzz_";
constexpr std::string_view kOpenAiIdPrefix = "call_chatcmpl-fuzz_";

std::string without_made_up_ids(std::string text) {
    for (std::string_view prefix : {kAnthropicIdPrefix, kOpenAiIdPrefix})
        for (std::size_t at; (at = text.find(prefix)) != std::string::npos;)
            text.replace(at, prefix.size(), "<made-up id>");
    return text;
}

// ---- Responses ------------------------------------------------------------------------------

// Every frame "event: <type>" with data whose "type" is the same and whose sequence_number
// counts from 0; output items are announced at output_index 0, 1, … and each is done at its
// own index before the next is added; exactly one ending (completed, incomplete or failed), a
// failure exactly when the stream failed; the final and the non-streamed response hold the
// items the done events carried.
class ResponsesChecker {
public:
    void consume(std::string_view text) {
        for (std::string_view frame : frames(text)) on_frame(frame);
    }

    void at_end(const amq::AnswerStream& stream) {
        FUZZ_CHECK(!ending_.empty() && stream.ended());
        FUZZ_CHECK(stream.failure().has_value() == (ending_ == "response.failed"));
        if (stream.failure()) return;  // an item may be cut off: no done for it
        FUZZ_CHECK(!open_);
        rapidjson::Document body = parse_or_die(stream.body());
        const rapidjson::Value* output = member(&body, "output");
        FUZZ_CHECK(output && output->IsArray() && output->Size() == done_items_.size());
        for (rapidjson::SizeType i = 0; i < output->Size(); ++i)
            FUZZ_CHECK(amq::to_json((*output)[i]) == done_items_[i]);
    }

private:
    void on_frame(std::string_view frame) {
        if (frame.starts_with(":")) return;  // a ping
        FUZZ_CHECK(ending_.empty());         // nothing after the end
        auto [name, doc] = named_frame(frame);
        const rapidjson::Value* sequence = member(&doc, "sequence_number");
        FUZZ_CHECK(sequence && sequence->IsInt64() && sequence->GetInt64() == next_sequence_++);
        const rapidjson::Value* index = member(&doc, "output_index");
        if (name == "response.output_item.added") {
            FUZZ_CHECK(!open_ && index && index->IsUint64() && index->GetUint64() == items_);
            open_ = true;
        } else if (name == "response.output_item.done") {
            FUZZ_CHECK(open_ && index && index->IsUint64() && index->GetUint64() == items_);
            open_ = false;
            ++items_;
            done_items_.push_back(amq::to_json(*member(&doc, "item")));
        } else if (index) {
            FUZZ_CHECK(open_ && index->IsUint64() && index->GetUint64() == items_);
        }
        if (name == "response.completed" || name == "response.incomplete" ||
            name == "response.failed")
            ending_ = std::string(name);
    }

    std::int64_t next_sequence_ = 0;
    std::uint64_t items_ = 0;
    bool open_ = false;
    std::string ending_;
    std::vector<std::string> done_items_;
};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(std::string_view(reinterpret_cast<const char*>(data), size));
    std::uint8_t flags = in.byte();
    amq::AnswerOptions options;
    if (flags & 4)
        options.tool_names.emplace("mapped_tool", "a_client_tool_name_longer_than_the_limit");
    options.estimated_input_tokens = flags >> 3;
    options.thinking = (flags & 1) != 0;
    bool include_usage = (flags & 2) != 0;
    amq::AnswerStream anthropic =
        amq::make_anthropic_answer({std::string(kMessageId), std::string(kModel)}, options);
    amq::AnswerStream openai = amq::make_openai_answer(
        {std::string(kCompletionId), kCreated, std::string(kModel), include_usage}, options);
    amq::ResponsesOptions tools;
    tools.tools.emplace("custom_tool",
                        amq::ResponsesTool{amq::ResponsesTool::Kind::custom, "", "custom_tool"});
    tools.tools.emplace("ns__f", amq::ResponsesTool{amq::ResponsesTool::Kind::function, "ns", "f"});
    amq::AnswerStream responses = amq::make_responses_answer(
        {"resp_fuzz", kCreated, std::string(kModel), std::move(tools)}, options);
    AnthropicChecker a_check;
    OpenAiChecker o_check(include_usage);
    ResponsesChecker r_check;
    a_check.consume(anthropic.start());
    o_check.consume(openai.start());
    r_check.consume(responses.start());
    a_check.consume(anthropic.ping());
    o_check.consume(openai.ping());
    r_check.consume(responses.ping());
    while (!in.empty()) {
        QEvent event = next_event(in);
        a_check.consume(anthropic.on_event(event));
        o_check.consume(openai.on_event(event));
        r_check.consume(responses.on_event(event));
    }
    a_check.consume(anthropic.finish());
    o_check.consume(openai.finish());
    r_check.consume(responses.finish());
    a_check.at_end(anthropic);
    o_check.at_end(openai);
    r_check.at_end(responses);
    FUZZ_CHECK(responses.failure().has_value() == openai.failure().has_value());
    // One assembler: both APIs judge the answer alike.
    FUZZ_CHECK(anthropic.failure().has_value() == openai.failure().has_value());
    if (anthropic.failure())
        FUZZ_CHECK(anthropic.failure()->status == openai.failure()->status &&
                   without_made_up_ids(anthropic.failure()->error.message) ==
                       without_made_up_ids(openai.failure()->error.message));
    FUZZ_CHECK(anthropic.answer().stop_cause() == openai.answer().stop_cause());
    // Ended streams stay silent.
    FUZZ_CHECK(anthropic.finish().empty() && openai.finish().empty());
    FUZZ_CHECK(anthropic.error_event(500, "late").empty());
    FUZZ_CHECK(openai.error_event(500, "late").empty());
    return 0;
}
