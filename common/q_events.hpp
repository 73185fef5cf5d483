// Amazon Q's streamed events (docs/upstream.md §2) as plain values, interpreted from decoded
// event-stream messages. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/eventstream.hpp"
#include "common/result.hpp"

namespace amq {

inline constexpr std::int64_t kMaxTokenCount = 1'000'000'000'000;
inline constexpr double kMaxContextPercentage = 1000;

struct QEvent {
    enum class Kind {
        text,           // assistantResponseEvent {content}
        tool_use,       // toolUseEvent {toolUseId, name, input fragment, stop}
        reasoning,      // reasoningContentEvent {text, signature?, redactedContent?}
        metadata,       // metadataEvent {tokenUsage{...}, stopReason}
        context_usage,  // contextUsageEvent {contextUsagePercentage}
        metering,       // meteringEvent {unit, usage}
        invalid_state,  // invalidStateEvent {reason, message}
        exception,      // :message-type exception / error
        ignored,        // initial-response, followupPromptEvent, citations, ...
    };
    Kind kind = Kind::ignored;
    std::string event_type;  // the :event-type or :exception-type as received

    std::string text;       // text, reasoning
    std::string signature;  // reasoning
    std::string redacted;   // reasoning redactedContent

    std::string tool_use_id;
    std::string tool_name;
    // The JSON fragment as received ("" when absent). A call's first "{}" is a placeholder
    // only the stream, which sees the whole call, can tell from real input.
    std::string tool_input;
    bool tool_stop = false;

    // Counts lie in [0, kMaxTokenCount] (input_tokens, a sum of three, in three times that)
    // and percentages in [0, kMaxContextPercentage]: consumers add and scale them freely.
    std::optional<std::int64_t> input_tokens;  // metadata: uncached + cache read + cache write
    std::optional<std::int64_t> output_tokens;
    std::optional<std::int64_t> cache_read_tokens;
    std::optional<std::int64_t> cache_write_tokens;
    std::string stop_reason;                   // metadata: END_TURN, TOOL_USE, MAX_TOKENS, ...
    std::optional<double> context_percentage;  // metadata or context_usage
    std::optional<double> metering_usage;      // credits

    std::string message;  // exception / invalid_state: the human text
    std::string reason;   // invalid_state reason, or a ValidationException's reason field
};

// An error only when the message is unusable (event payload that is not JSON, an event
// without :event-type); unknown event types are Kind::ignored.
Result<QEvent> interpret_event(const eventstream::Message& message);

}  // namespace amq
