#include "common/openai_stream.hpp"

#include <algorithm>
#include <utility>

#include "common/api_error.hpp"
#include "common/sse.hpp"
#include "common/strings.hpp"
#include "common/token_estimate.hpp"
#include "common/upstream_error.hpp"

namespace amq {

namespace {

std::string_view finish_reason_name(StopCause cause) {
    switch (cause) {
        case StopCause::end_turn: return "stop";
        case StopCause::tool_use: return "tool_calls";
        case StopCause::max_tokens:
        case StopCause::context_window_exceeded: return "length";
        case StopCause::content_filtered: return "content_filter";
    }
    return "stop";
}

void write_field(JsonWriter& w, std::string_view key, std::string_view value) {
    write_key(w, key);
    write_string(w, value);
}

void write_usage(JsonWriter& w, std::int64_t input, std::int64_t output) {
    w.Key("usage");
    w.StartObject();
    w.Key("prompt_tokens");
    w.Int64(input);
    w.Key("completion_tokens");
    w.Int64(output);
    w.Key("total_tokens");
    w.Int64(input + output);
    w.EndObject();
}

// The members every chunk and the completion open with.
void write_head(JsonWriter& w, const OpenAiStreamOptions& o, std::string_view object) {
    write_field(w, "id", o.completion_id);
    write_field(w, "object", object);
    w.Key("created");
    w.Int64(o.created);
    write_field(w, "model", o.client_model);
}

// {"tool_calls":[{"index":i, …}]} inside a delta. Only a call's first delta carries its id and
// name (pass null for the others): clients concatenate what follows into the arguments.
void write_call_delta(JsonWriter& w, std::size_t index, const std::string* id,
                      const std::string* name, std::string_view arguments) {
    w.Key("tool_calls");
    w.StartArray();
    w.StartObject();
    w.Key("index");
    w.Uint64(index);
    if (id) {
        write_field(w, "id", *id);
        write_field(w, "type", "function");
    }
    w.Key("function");
    w.StartObject();
    if (name) write_field(w, "name", *name);
    write_field(w, "arguments", arguments);
    w.EndObject();
    w.EndObject();
    w.EndArray();
}

}  // namespace

OpenAiStream::OpenAiStream(OpenAiStreamOptions options) : options_(std::move(options)) {}

std::string OpenAiStream::ping() { return ": ping\n\n"; }

template <class Delta>
std::string OpenAiStream::chunk(Delta&& delta, std::string_view finish_reason) const {
    return sse_data(json_object([&](JsonWriter& w) {
        write_head(w, options_, "chat.completion.chunk");
        w.Key("choices");
        w.StartArray();
        w.StartObject();
        w.Key("index");
        w.Int(0);
        w.Key("delta");
        w.StartObject();
        delta(w);
        w.EndObject();
        w.Key("logprobs");
        w.Null();
        w.Key("finish_reason");
        if (finish_reason.empty())
            w.Null();
        else
            write_string(w, finish_reason);
        w.EndObject();
        w.EndArray();
        // With include_usage OpenAI marks every chunk but the last with "usage": null.
        if (options_.include_usage) {
            w.Key("usage");
            w.Null();
        }
    }));
}

std::string OpenAiStream::start() {
    return chunk([](JsonWriter& w) {
        write_field(w, "role", "assistant");
        write_field(w, "content", "");
    });
}

std::string OpenAiStream::on_event(const QEvent& event) {
    if (ended_ || meter_.absorb(event)) return {};
    switch (event.kind) {
        case QEvent::Kind::text: on_text(event.text); break;
        case QEvent::Kind::tool_use: on_tool(event); break;
        case QEvent::Kind::reasoning: on_reasoning(event); break;
        case QEvent::Kind::invalid_state:
        case QEvent::Kind::exception: {
            // The output limit (ContentLengthExceededException) never gets here: the meter takes
            // it, as it ends the answer without failing it.
            UpstreamError error = classify_exception(event);
            int status = error.client_status;
            fail(status, make_error(errc_for_status(status), std::move(error.message)));
            break;
        }
        case QEvent::Kind::metadata:
        case QEvent::Kind::context_usage:
        case QEvent::Kind::metering:
        case QEvent::Kind::ignored: break;
    }
    return std::exchange(out_, {});
}

void OpenAiStream::on_text(std::string_view text) {
    if (!options_.thinking) {
        add_content(false, text);
        return;
    }
    for (const ThinkingSplitter::Piece& piece : splitter_.feed(text))
        add_content(piece.thinking, piece.text);
}

void OpenAiStream::flush_splitter() {
    if (!options_.thinking) return;
    for (const ThinkingSplitter::Piece& piece : splitter_.flush())
        add_content(piece.thinking, piece.text);
}

// Signatures and redacted reasoning have no place in this API: only the text goes out. They
// still end an open tool call, as they do in the Anthropic stream.
void OpenAiStream::on_reasoning(const QEvent& event) {
    if (splitter_.holding()) flush_splitter();  // keep the order of what came before
    if (!event.signature.empty() || !event.redacted.empty()) close_call();
    add_content(true, event.text);
}

// Text ends an open tool call, as it does in the Anthropic stream, so that both APIs judge
// the same upstream answer alike.
void OpenAiStream::add_content(bool reasoning, std::string_view text) {
    if (ended_ || text.empty()) return;
    if (call_open_) {
        close_call();
        if (ended_) return;
    }
    (reasoning ? reasoning_ : content_).append(text);
    out_ += chunk(
        [&](JsonWriter& w) { write_field(w, reasoning ? "reasoning_content" : "content", text); });
}

void OpenAiStream::on_tool(const QEvent& event) {
    flush_splitter();  // text held back came before the call; and after it, text is plain
    if (ended_) return;
    const std::string& id = event.tool_use_id;
    bool continues = call_open_ && (id.empty() || id == calls_.back().id);
    if (!continues) {
        bool seen = !id.empty() && std::any_of(calls_.begin(), calls_.end(),
                                               [&](const ToolCall& c) { return c.id == id; });
        if (seen) {
            // A late stop for a call already closed is harmless; more input for it cannot be
            // placed once another call has begun.
            if (!event.tool_input.empty())
                fail(kBrokenToolCallStatus, tool_calls_interleaved_error(id));
            return;
        }
        if (event.tool_name.empty()) {
            fail(kBrokenToolCallStatus, tool_call_without_name_error());
            return;
        }
        close_call();
        if (ended_) return;
        open_call(id.empty() ? str_cat("call_", options_.completion_id, "_", calls_.size()) : id,
                  event.tool_name);
    }
    append_arguments(event.tool_input);
    if (event.tool_stop) close_call();
}

void OpenAiStream::open_call(std::string id, std::string_view upstream_name) {
    calls_.push_back(ToolCall{std::move(id), client_tool_name(options_.tool_names, upstream_name),
                              ToolCallInput{}});
    call_open_ = true;
    const ToolCall& call = calls_.back();
    out_ += chunk(
        [&](JsonWriter& w) { write_call_delta(w, calls_.size() - 1, &call.id, &call.name, ""); });
}

void OpenAiStream::append_arguments(std::string_view fragment) {
    std::string_view forward = calls_.back().input.append(fragment);  // "{}" rule inside
    if (forward.empty()) return;
    out_ += chunk(
        [&](JsonWriter& w) { write_call_delta(w, calls_.size() - 1, nullptr, nullptr, forward); });
}

void OpenAiStream::close_call() {
    if (!call_open_ || ended_) return;
    ToolCall& call = calls_.back();
    std::string_view forward = call.input.complete();  // "{}" for a call without arguments
    if (!forward.empty())
        out_ += chunk([&](JsonWriter& w) {
            write_call_delta(w, calls_.size() - 1, nullptr, nullptr, forward);
        });
    if (!call.input.is_object()) {
        fail(kBrokenToolCallStatus, tool_input_not_object_error(call.name, call.id));
        return;
    }
    call_open_ = false;
}

void OpenAiStream::fail(int status, Error error) {
    if (ended_) return;
    out_ += sse_data(error_body(Dialect::openai, status, error.message));
    out_ += sse_data("[DONE]");
    failure_ = std::move(error);
    failure_status_ = status;
    ended_ = true;
}

std::string OpenAiStream::error_event(int status, std::string_view message) {
    if (ended_) return {};
    fail(status, make_error(errc_for_status(status), std::string(message)));
    return std::exchange(out_, {});
}

std::string OpenAiStream::finish() {
    if (ended_) return {};
    flush_splitter();
    if (!ended_ && call_open_) {
        const ToolCall& call = calls_.back();
        fail(kBrokenToolCallStatus,
             tool_call_cut_off_error(call.name, call.id, call.input.text().size()));
    }
    if (ended_) return std::exchange(out_, {});
    out_ += chunk([](JsonWriter&) {}, finish_reason());
    if (options_.include_usage)
        out_ += sse_data(json_object([&](JsonWriter& w) {
            write_head(w, options_, "chat.completion.chunk");
            w.Key("choices");
            w.StartArray();
            w.EndArray();
            write_usage(w, input_tokens(), output_tokens());
        }));
    out_ += sse_data("[DONE]");
    ended_ = true;
    return std::exchange(out_, {});
}

std::string_view OpenAiStream::finish_reason() const {
    return finish_reason_name(meter_.stop_cause(!calls_.empty()));
}

std::int64_t OpenAiStream::input_tokens() const {
    return meter_.input_tokens(options_.estimated_input_tokens, options_.context_window);
}

std::int64_t OpenAiStream::output_tokens() const {
    if (auto reported = meter_.reported_output_tokens()) return *reported;
    std::string emitted = reasoning_ + content_;
    for (const ToolCall& call : calls_) emitted.append(call.input.text());
    return estimate_tokens(emitted);
}

std::string OpenAiStream::completion_json() const {
    return json_object([&](JsonWriter& w) {
        write_head(w, options_, "chat.completion");
        w.Key("choices");
        w.StartArray();
        w.StartObject();
        w.Key("index");
        w.Int(0);
        w.Key("message");
        w.StartObject();
        write_field(w, "role", "assistant");
        w.Key("content");
        if (content_.empty() && !calls_.empty())
            w.Null();  // OpenAI's shape for an answer that is only tool calls
        else
            write_string(w, content_);
        w.Key("refusal");
        w.Null();
        if (!reasoning_.empty()) write_field(w, "reasoning_content", reasoning_);
        if (!calls_.empty()) {
            w.Key("tool_calls");
            w.StartArray();
            for (const ToolCall& call : calls_) {
                w.StartObject();
                write_field(w, "id", call.id);
                write_field(w, "type", "function");
                w.Key("function");
                w.StartObject();
                write_field(w, "name", call.name);
                write_field(w, "arguments", call.input.text());
                w.EndObject();
                w.EndObject();
            }
            w.EndArray();
        }
        w.EndObject();
        w.Key("logprobs");
        w.Null();
        write_field(w, "finish_reason", finish_reason());
        w.EndObject();
        w.EndArray();
        write_usage(w, input_tokens(), output_tokens());
    });
}

}  // namespace amq
