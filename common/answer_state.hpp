// What the answer assembler (answer.hpp) infers from the upstream's events besides the
// content itself: the usage numbers, why the answer stopped, whether a streamed tool call's
// input is complete, and how a broken call is reported. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/q_events.hpp"
#include "common/result.hpp"

namespace amq {

// Why the answer ended, in neither client's vocabulary.
enum class StopCause { end_turn, tool_use, max_tokens, context_window_exceeded, content_filtered };

// Usage and stop reason (docs/translation.md §5).
class AnswerMeter {
public:
    // Takes what it tracks: metadataEvent, contextUsageEvent, and the upstream's output limit
    // (ContentLengthExceededException: what came so far is the answer, cut at max tokens; no
    // failure). False for every other event, which the caller handles.
    bool absorb(const QEvent& event);

    // metadata (a 0 is no number), else contextUsagePercentage × window, else the estimate;
    // never below 1, as clients decide when to compact from it.
    std::int64_t input_tokens(std::int64_t estimate, std::int64_t context_window) const;
    // The part of the input the upstream's prompt cache served (read) or stored (write), as
    // its metadata said; 0 when it said nothing. input_tokens counts them too.
    std::int64_t cache_read_tokens() const { return cache_read_.value_or(0); }
    std::int64_t cache_write_tokens() const { return cache_write_.value_or(0); }
    // Zeros for both are no report: a prompt cache that is in use reads or writes something,
    // and an upstream that does not meter its cache sends zeros (docs/translation.md §9).
    bool reports_cache() const { return cache_read_tokens() > 0 || cache_write_tokens() > 0; }
    // The upstream's own output count, when it sent one; else the caller estimates.
    std::optional<std::int64_t> reported_output_tokens() const { return output_; }
    // The credits the upstream's meteringEvents charged, in millionths; 0 when it sent none.
    std::int64_t credits_micros() const { return credits_micros_; }
    // metadata's stopReason when known; else tool_use when the answer called a tool; else
    // max_tokens when the output limit was hit; else end_turn.
    StopCause stop_cause(bool any_tool_call) const;

private:
    std::optional<std::int64_t> input_;
    std::optional<std::int64_t> output_;
    std::optional<std::int64_t> cache_read_;
    std::optional<std::int64_t> cache_write_;
    std::optional<double> context_percentage_;
    std::optional<StopCause> reported_stop_;
    bool output_limit_ = false;
    std::int64_t credits_micros_ = 0;
    static constexpr double kMaxCredits = 1e6;  // a larger charge is no number
};

// The input of one streamed tool call (docs/upstream.md §2, toolUseEvent). The upstream's first
// fragment may be a "{}" placeholder that real fragments then follow: it is held back, and
// comes back at complete() when nothing else arrives. Any later "{}" is data.
class ToolCallInput {
public:
    // Records a fragment; returns what to forward to the client now ("" for nothing).
    std::string_view append(std::string_view fragment);
    // The call ended (stop, or another call began): returns "{}" to forward when the call had
    // no input at all (which makes it its input), else "".
    std::string_view complete();
    // The input is a JSON object: only such a call may reach the client as complete.
    bool is_object() const;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    bool saw_fragment_ = false;
};

// Broken tool calls end the stream with a 502; these are their errors (Errc::protocol).
inline constexpr int kBrokenToolCallStatus = 502;
Error tool_call_cut_off_error(std::string_view name, std::string_view id, std::size_t bytes);
Error tool_input_not_object_error(std::string_view name, std::string_view id);
Error tool_calls_interleaved_error(std::string_view id);
Error tool_call_without_name_error();

// The Errc that stands for a client-facing HTTP status.
Errc errc_for_status(int status);

}  // namespace amq
