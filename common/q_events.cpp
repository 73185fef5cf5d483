#include "common/q_events.hpp"

#include <cmath>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

// Readers for the upstream's payloads are lenient about shapes: a field of an unexpected
// type counts as absent, because one odd field must not cost the client the whole answer.
std::optional<std::string> string_field(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string string_or_empty(const rapidjson::Value& object, const char* name) {
    return string_field(object, name).value_or(std::string());
}

std::optional<double> number_field(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    double value = it->value.GetDouble();
    if (!std::isfinite(value)) return std::nullopt;
    return value;
}

// A count or percentage out of range is none: dropping it keeps every sum and product made of
// them (input = uncached + cache reads + cache writes, total = input + output) far from overflow.
std::optional<double> percentage_field(const rapidjson::Value& object, const char* name) {
    std::optional<double> value = number_field(object, name);
    if (value && (*value < 0 || *value > kMaxContextPercentage)) return std::nullopt;
    return value;
}

std::optional<std::int64_t> count_field(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    if (it->value.IsInt64()) {
        std::int64_t value = it->value.GetInt64();
        if (value < 0 || value > kMaxTokenCount) return std::nullopt;
        return value;
    }
    double value = it->value.GetDouble();
    if (!std::isfinite(value) || value < 0 || value > static_cast<double>(kMaxTokenCount))
        return std::nullopt;
    return static_cast<std::int64_t>(std::llround(value));
}

const rapidjson::Value* object_field(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsObject()) return nullptr;
    return &it->value;
}

// The fragment exactly as received. The Q stream sends a string; an object (seen from other
// flavours) is the complete input, so its JSON text is the one fragment. The "{}" that may
// open a call is NOT dropped here: a stateless reader cannot tell that placeholder from a
// later fragment that happens to read "{}" (as in `{"a":` `{}` `}`). Consumers drop a "{}"
// only when it is the first fragment of its call (see ToolCallInput, answer_state.hpp).
std::string tool_input(const rapidjson::Value& payload) {
    auto it = payload.FindMember("input");
    if (it == payload.MemberEnd() || it->value.IsNull()) return {};
    if (it->value.IsString())
        return std::string(it->value.GetString(), it->value.GetStringLength());
    return to_json(it->value);
}

void read_tool_use(const rapidjson::Value& payload, QEvent& event) {
    event.tool_use_id = string_or_empty(payload, "toolUseId");
    event.tool_name = string_or_empty(payload, "name");
    event.tool_input = tool_input(payload);
    auto stop = payload.FindMember("stop");
    event.tool_stop = stop != payload.MemberEnd() && stop->value.IsBool() && stop->value.GetBool();
}

void read_token_usage(const rapidjson::Value& usage, QEvent& event) {
    auto uncached = count_field(usage, "uncachedInputTokens");
    event.cache_read_tokens = count_field(usage, "cacheReadInputTokens");
    event.cache_write_tokens = count_field(usage, "cacheWriteInputTokens");
    if (uncached || event.cache_read_tokens || event.cache_write_tokens) {
        event.input_tokens = uncached.value_or(0) + event.cache_read_tokens.value_or(0) +
                             event.cache_write_tokens.value_or(0);
    }
    event.output_tokens = count_field(usage, "outputTokens");
    event.context_percentage = percentage_field(usage, "contextUsagePercentage");
}

void read_metadata(const rapidjson::Value& payload, QEvent& event) {
    if (const rapidjson::Value* usage = object_field(payload, "tokenUsage"))
        read_token_usage(*usage, event);
    if (!event.context_percentage)
        event.context_percentage = percentage_field(payload, "contextUsagePercentage");
    event.stop_reason = string_or_empty(payload, "stopReason");
}

struct EventShape {
    std::string_view name;
    QEvent::Kind kind;
};

constexpr EventShape kKnownEvents[] = {
    {"assistantResponseEvent", QEvent::Kind::text},     {"toolUseEvent", QEvent::Kind::tool_use},
    {"reasoningContentEvent", QEvent::Kind::reasoning}, {"metadataEvent", QEvent::Kind::metadata},
    {"contextUsageEvent", QEvent::Kind::context_usage}, {"meteringEvent", QEvent::Kind::metering},
    {"invalidStateEvent", QEvent::Kind::invalid_state},
};

void read_payload(const rapidjson::Value& payload, QEvent& event) {
    switch (event.kind) {
        case QEvent::Kind::text: event.text = string_or_empty(payload, "content"); break;
        case QEvent::Kind::tool_use: read_tool_use(payload, event); break;
        case QEvent::Kind::reasoning:
            event.text = string_or_empty(payload, "text");
            event.signature = string_or_empty(payload, "signature");
            event.redacted = string_or_empty(payload, "redactedContent");
            break;
        case QEvent::Kind::metadata: read_metadata(payload, event); break;
        case QEvent::Kind::context_usage:
            event.context_percentage = percentage_field(payload, "contextUsagePercentage");
            break;
        case QEvent::Kind::metering: event.metering_usage = number_field(payload, "usage"); break;
        case QEvent::Kind::invalid_state:
            event.reason = string_or_empty(payload, "reason");
            event.message = string_or_empty(payload, "message");
            break;
        case QEvent::Kind::exception:
        case QEvent::Kind::ignored: break;
    }
}

Result<QEvent> interpret_plain_event(const eventstream::Message& message) {
    auto type = message.string_header(":event-type");
    if (!type || type->empty())
        return make_error(Errc::protocol, "upstream event without an :event-type header");
    QEvent event;
    event.event_type = std::string(*type);
    for (const EventShape& shape : kKnownEvents) {
        if (shape.name == *type) event.kind = shape.kind;
    }
    // Events we do not use are not even parsed: a change in their shape is none of our business.
    if (event.kind == QEvent::Kind::ignored) return event;
    auto doc = parse_json(message.payload);
    if (!doc.ok()) {
        return make_error(Errc::protocol, str_cat("upstream ", event.event_type,
                                                  " payload: ", doc.error().message));
    }
    if (!doc->IsObject())
        return make_error(Errc::protocol,
                          str_cat("upstream ", event.event_type, " payload is not a JSON object"));
    read_payload(*doc, event);
    return event;
}

// "com.amazon.aws.codewhisperer#ThrottlingException" or "ThrottlingException:http://…"
std::string_view short_type(std::string_view type) {
    if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
    if (auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
    return trim(type);
}

// Exceptions are always delivered, even with a payload that is not JSON: the exception type
// alone (throttling, validation…) decides what happens to the request and the account.
QEvent interpret_exception(const eventstream::Message& message, std::string_view message_type) {
    QEvent event;
    event.kind = QEvent::Kind::exception;
    auto type = message.string_header(":exception-type");
    if (!type || type->empty()) type = message.string_header(":error-code");
    auto doc = parse_json(message.payload);
    if (doc.ok() && doc->IsObject()) {
        event.message = string_field(*doc, "message").value_or(string_or_empty(*doc, "Message"));
        event.reason = string_or_empty(*doc, "reason");
        if ((!type || type->empty()) && doc->HasMember("__type"))
            event.event_type = std::string(short_type(string_or_empty(*doc, "__type")));
    } else {
        event.message = std::string(trim(message.payload));
    }
    if (type && !type->empty()) event.event_type = std::string(short_type(*type));
    if (event.event_type.empty()) event.event_type = std::string(message_type);
    if (event.message.empty()) {
        if (auto text = message.string_header(":error-message")) event.message = std::string(*text);
    }
    return event;
}

}  // namespace

Result<QEvent> interpret_event(const eventstream::Message& message) {
    auto message_type = message.string_header(":message-type");
    if (!message_type)
        return make_error(Errc::protocol, "upstream message without a :message-type header");
    if (*message_type == "event") return interpret_plain_event(message);
    if (*message_type == "exception" || *message_type == "error")
        return interpret_exception(message, *message_type);
    QEvent event;  // a message type newer than this code: nothing we can act on
    event.event_type = std::string(*message_type);
    return event;
}

}  // namespace amq
