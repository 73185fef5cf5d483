// The Anthropic renderer: one frame per assembler step, the message object at the end.
#include "common/anthropic_answer.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "common/json.hpp"
#include "common/sse.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"

namespace amq {

namespace {

// Every Anthropic stream event carries its own name as "type".
template <class Body>
void frame(std::string& out, std::string_view event, Body&& body) {
    append_sse_event(out, event, json_object([&](JsonWriter& w) {
                         write_field(w, "type", event);
                         body(w);
                     }));
}

void write_usage(JsonWriter& w, std::int64_t input, std::int64_t cache_written,
                 std::int64_t cache_read, std::int64_t output, std::size_t searches = 0) {
    w.Key("usage");
    w.StartObject();
    w.Key("input_tokens");
    w.Int64(input);
    w.Key("cache_creation_input_tokens");
    w.Int64(cache_written);
    w.Key("cache_read_input_tokens");
    w.Int64(cache_read);
    w.Key("output_tokens");
    w.Int64(output);
    if (searches > 0) {
        w.Key("server_tool_use");
        w.StartObject();
        w.Key("web_search_requests");
        w.Uint64(searches);
        w.EndObject();
    }
    w.EndObject();
}

// Anthropic's input_tokens leave out what the prompt cache read or wrote: clients (Claude Code
// deciding when to compact) add the three up to know how full the context is.
void write_usage(JsonWriter& w, const Answer& answer) {
    std::int64_t read = answer.cache_read_tokens(), written = answer.cache_write_tokens();
    write_usage(w, std::max<std::int64_t>(0, answer.input_tokens() - read - written), written, read,
                answer.output_tokens(), answer.searches());
}

// The tool input as the object it is; the assembler lets only validated input finish.
void write_tool_input(JsonWriter& w, std::string_view input) {
    auto doc = parse_json(input);
    if (doc.ok() && doc->IsObject()) {
        doc->Accept(w);
        return;
    }
    w.StartObject();
    w.EndObject();
}

// Anthropic's web_search_tool_result content: the results, or an error object. The excerpt
// goes in encrypted_content, which clients pass back without reading.
void write_search_content(JsonWriter& w, const WebSearchOutcome& outcome) {
    if (!outcome.error.empty()) {
        w.StartObject();
        write_field(w, "type", "web_search_tool_result_error");
        write_field(w, "error_code", outcome.error);
        w.EndObject();
        return;
    }
    w.StartArray();
    for (const WebSearchHit& hit : outcome.hits) {
        w.StartObject();
        write_field(w, "type", "web_search_result");
        write_field(w, "title", hit.title);
        write_field(w, "url", hit.url);
        write_field(w, "encrypted_content", hit.snippet);
        w.Key("page_age");
        if (hit.published_ms)
            write_string(w, iso8601(*hit.published_ms / 1000).substr(0, 10));
        else
            w.Null();
        w.EndObject();
    }
    w.EndArray();
}

// A content block as content_block_start announces it (complete = false: empty, input {}) or
// as the non-streaming message holds it.
void write_block(JsonWriter& w, const AnswerBlock& block, bool complete) {
    std::string_view content = complete ? std::string_view(block.body()) : std::string_view();
    w.StartObject();
    switch (block.kind) {
        case BlockKind::text:
            write_field(w, "type", "text");
            write_field(w, "text", content);
            break;
        case BlockKind::thinking:
            write_field(w, "type", "thinking");
            write_field(w, "thinking", content);
            if (complete && !block.signature.empty()) write_field(w, "signature", block.signature);
            break;
        case BlockKind::redacted_thinking:  // announced whole: it has no deltas
            write_field(w, "type", "redacted_thinking");
            write_field(w, "data", block.content);
            break;
        case BlockKind::tool_use:
        case BlockKind::server_tool_use:
            write_field(w, "type",
                        block.kind == BlockKind::tool_use ? "tool_use" : "server_tool_use");
            write_field(w, "id", block.tool_id);
            write_field(w, "name", block.tool_name);
            w.Key("input");
            write_tool_input(w, complete ? content : std::string_view("{}"));
            break;
        case BlockKind::search_result:  // announced whole: it has no deltas
            write_field(w, "type", "web_search_tool_result");
            write_field(w, "tool_use_id", block.tool_id);
            w.Key("content");
            write_search_content(w, *block.search);
            break;
    }
    w.EndObject();
}

// The delta's type and the member that carries its text.
std::pair<std::string_view, std::string_view> delta_names(DeltaKind kind) {
    switch (kind) {
        case DeltaKind::text: return {"text_delta", "text"};
        case DeltaKind::thinking: return {"thinking_delta", "thinking"};
        case DeltaKind::signature: return {"signature_delta", "signature"};
        case DeltaKind::tool_input: return {"input_json_delta", "partial_json"};
    }
    return {"text_delta", "text"};
}

class AnthropicRenderer final : public AnswerRenderer {
public:
    explicit AnthropicRenderer(AnthropicAnswerOptions options) : options_(std::move(options)) {}

    Dialect dialect() const override { return Dialect::anthropic; }

    void start(std::string& out, const Answer& answer) override {
        frame(out, "message_start", [&](JsonWriter& w) {
            w.Key("message");
            w.StartObject();
            write_head(w);
            w.Key("content");
            w.StartArray();
            w.EndArray();
            w.Key("stop_reason");
            w.Null();
            w.Key("stop_sequence");
            w.Null();
            write_usage(w, answer);  // nothing is reported yet: the local estimates
            w.EndObject();
        });
        ping(out);
    }

    void block_start(std::string& out, std::size_t index, const AnswerBlock& block) override {
        frame(out, "content_block_start", [&](JsonWriter& w) {
            w.Key("index");
            w.Uint64(index);
            w.Key("content_block");
            write_block(w, block, false);
        });
    }

    void delta(std::string& out, std::size_t index, const AnswerBlock&, DeltaKind kind,
               std::string_view text) override {
        // Not a structured binding: clang (the fuzz build) cannot capture one.
        const std::pair<std::string_view, std::string_view> names = delta_names(kind);
        frame(out, "content_block_delta", [&](JsonWriter& w) {
            w.Key("index");
            w.Uint64(index);
            w.Key("delta");
            w.StartObject();
            write_field(w, "type", names.first);
            write_field(w, names.second, text);
            w.EndObject();
        });
    }

    void block_stop(std::string& out, std::size_t index, const AnswerBlock&) override {
        frame(out, "content_block_stop", [&](JsonWriter& w) {
            w.Key("index");
            w.Uint64(index);
        });
    }

    void finish(std::string& out, const Answer& answer) override {
        frame(out, "message_delta", [&](JsonWriter& w) {
            w.Key("delta");
            w.StartObject();
            write_field(w, "stop_reason", anthropic_stop_reason(answer.stop_cause()));
            w.Key("stop_sequence");
            w.Null();
            w.EndObject();
            write_usage(w, answer);
        });
        frame(out, "message_stop", [](JsonWriter&) {});
    }

    // The body of an error frame is the API's error body.
    void failure(std::string& out, int status, std::string_view message) override {
        append_sse_event(out, "error", error_body(Dialect::anthropic, status, message));
    }

    void ping(std::string& out) override { append_sse_event(out, "ping", R"({"type":"ping"})"); }

    std::string body(const Answer& answer) const override {
        return json_object([&](JsonWriter& w) {
            write_head(w);
            w.Key("content");
            w.StartArray();
            for (const AnswerBlock& block : answer.blocks()) write_block(w, block, true);
            w.EndArray();
            write_field(w, "stop_reason", anthropic_stop_reason(answer.stop_cause()));
            w.Key("stop_sequence");
            w.Null();
            write_usage(w, answer);
        });
    }

private:
    // The members message_start's message and the whole message open with.
    void write_head(JsonWriter& w) const {
        write_field(w, "id", options_.message_id);
        write_field(w, "type", "message");
        write_field(w, "role", "assistant");
        write_field(w, "model", options_.client_model);
    }

    AnthropicAnswerOptions options_;
};

}  // namespace

AnswerStream make_anthropic_answer(const AnthropicAnswerOptions& options, AnswerOptions answer) {
    answer.tool_id_prefix = str_cat("toolu_", options.message_id, "_");
    return AnswerStream(std::move(answer), std::make_unique<AnthropicRenderer>(options));
}

std::string_view anthropic_stop_reason(StopCause cause) {
    switch (cause) {
        case StopCause::end_turn: return "end_turn";
        case StopCause::tool_use: return "tool_use";
        case StopCause::max_tokens: return "max_tokens";
        case StopCause::context_window_exceeded: return "model_context_window_exceeded";
        case StopCause::content_filtered: return "refusal";
    }
    return "end_turn";
}

}  // namespace amq
