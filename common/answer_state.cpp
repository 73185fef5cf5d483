#include "common/answer_state.hpp"

#include <algorithm>
#include <cmath>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

std::optional<StopCause> map_stop_reason(std::string_view upstream) {
    if (upstream == "END_TURN") return StopCause::end_turn;
    if (upstream == "TOOL_USE") return StopCause::tool_use;
    if (upstream == "MAX_TOKENS") return StopCause::max_tokens;
    if (upstream == "MODEL_CONTEXT_WINDOW_EXCEEDED") return StopCause::context_window_exceeded;
    if (upstream == "CONTENT_FILTERED") return StopCause::content_filtered;
    return std::nullopt;  // unknown: as good as none, the inference decides
}

}  // namespace

// ---- AnswerMeter ----

bool AnswerMeter::absorb(const QEvent& event) {
    switch (event.kind) {
        case QEvent::Kind::metadata:
            if (event.input_tokens && *event.input_tokens > 0) input_ = event.input_tokens;
            if (event.output_tokens) output_ = event.output_tokens;
            if (event.cache_read_tokens) cache_read_ = event.cache_read_tokens;
            if (event.cache_write_tokens) cache_write_ = event.cache_write_tokens;
            if (event.context_percentage) context_percentage_ = event.context_percentage;
            if (auto cause = map_stop_reason(event.stop_reason)) reported_stop_ = cause;
            return true;
        case QEvent::Kind::context_usage:
            if (event.context_percentage) context_percentage_ = event.context_percentage;
            return true;
        // Each upstream call of a request (server tool rounds make several) meters its own.
        case QEvent::Kind::metering:
            if (event.metering_usage && *event.metering_usage >= 0 &&
                *event.metering_usage <= kMaxCredits)
                credits_micros_ += std::llround(*event.metering_usage * 1e6);
            return true;
        case QEvent::Kind::exception:
            if (event.event_type != "ContentLengthExceededException") return false;
            output_limit_ = true;
            return true;
        default: return false;
    }
}

std::int64_t AnswerMeter::input_tokens(std::int64_t estimate, std::int64_t context_window) const {
    if (input_) return std::max<std::int64_t>(1, *input_);
    if (context_percentage_ && *context_percentage_ > 0) {
        double tokens = *context_percentage_ * static_cast<double>(context_window) / 100;
        return std::max<std::int64_t>(1, std::llround(tokens));
    }
    return std::max<std::int64_t>(1, estimate);
}

StopCause AnswerMeter::stop_cause(bool any_tool_call) const {
    if (reported_stop_) return *reported_stop_;
    if (any_tool_call) return StopCause::tool_use;
    if (output_limit_) return StopCause::max_tokens;
    return StopCause::end_turn;
}

// ---- ToolCallInput ----

std::string_view ToolCallInput::append(std::string_view fragment) {
    if (fragment.empty()) return {};
    bool placeholder = !saw_fragment_ && fragment == "{}";
    saw_fragment_ = true;
    if (placeholder) return {};
    text_.append(fragment);
    return fragment;
}

std::string_view ToolCallInput::complete() {
    if (!trim(text_).empty()) return {};
    text_.append("{}");
    return "{}";
}

bool ToolCallInput::is_object() const {
    auto doc = parse_json(text_);
    return doc.ok() && doc->IsObject();
}

// ---- broken tool calls ----

Error tool_call_cut_off_error(std::string_view name, std::string_view id, std::size_t bytes) {
    return make_error(
        Errc::protocol,
        str_cat("the upstream cut off tool call '", name, "' (", id, ") after ", bytes,
                " bytes of input, before it was complete; retrying may help, or "
                "asking for smaller tool inputs"));
}

Error tool_input_not_object_error(std::string_view name, std::string_view id) {
    return make_error(Errc::protocol,
                      str_cat("the upstream sent tool call '", name, "' (", id,
                              ") with input that is not a JSON object; it was probably cut off"));
}

Error tool_calls_interleaved_error(std::string_view id) {
    return make_error(Errc::protocol,
                      str_cat("the upstream interleaved the input of tool calls (", id, ")"));
}

Error tool_call_without_name_error() {
    return make_error(Errc::protocol, "the upstream sent a tool call without a name");
}

Errc errc_for_status(int status) {
    switch (status) {
        case 400: return Errc::invalid_argument;
        case 401: return Errc::unauthenticated;
        case 403: return Errc::permission_denied;
        case 404: return Errc::not_found;
        case 413: return Errc::too_large;
        case 429: return Errc::rate_limited;
        default: return status >= 500 ? Errc::unavailable : Errc::internal;
    }
}

}  // namespace amq
