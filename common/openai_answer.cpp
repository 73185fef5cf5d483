// The OpenAI renderer: a chunk per piece of content, the completion object at the end.
#include "common/openai_answer.hpp"

#include <memory>
#include <utility>

#include "common/json.hpp"
#include "common/sse.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

// OpenAI's prompt_tokens include the cached ones, which the details count apart.
void write_usage(JsonWriter& w, const Answer& answer) {
    std::int64_t input = answer.input_tokens(), output = answer.output_tokens();
    w.Key("usage");
    w.StartObject();
    w.Key("prompt_tokens");
    w.Int64(input);
    w.Key("completion_tokens");
    w.Int64(output);
    w.Key("total_tokens");
    w.Int64(input + output);
    w.Key("prompt_tokens_details");
    w.StartObject();
    w.Key("cached_tokens");
    w.Int64(answer.cache_read_tokens());
    w.EndObject();
    w.EndObject();
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

// The message of a completion: text and reasoning each joined across their blocks.
void write_message(JsonWriter& w, const Answer& answer) {
    std::string content;
    std::string reasoning;
    for (const AnswerBlock& block : answer.blocks()) {
        if (block.kind == BlockKind::text) content += block.content;
        if (block.kind == BlockKind::thinking) reasoning += block.content;
    }
    w.StartObject();
    write_field(w, "role", "assistant");
    w.Key("content");
    if (content.empty() && answer.tool_calls() > 0)
        w.Null();  // OpenAI's shape for an answer that is only tool calls
    else
        write_string(w, content);
    w.Key("refusal");
    w.Null();
    if (!reasoning.empty()) write_field(w, "reasoning_content", reasoning);
    if (answer.tool_calls() > 0) {
        w.Key("tool_calls");
        w.StartArray();
        for (const AnswerBlock& block : answer.blocks()) {
            if (block.kind != BlockKind::tool_use) continue;
            w.StartObject();
            write_field(w, "id", block.tool_id);
            write_field(w, "type", "function");
            w.Key("function");
            w.StartObject();
            write_field(w, "name", block.tool_name);
            write_field(w, "arguments", block.input.text());
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
    }
    w.EndObject();
}

class OpenAiRenderer final : public AnswerRenderer {
public:
    explicit OpenAiRenderer(OpenAiAnswerOptions options) : options_(std::move(options)) {}

    Dialect dialect() const override { return Dialect::openai; }

    void start(std::string& out, const Answer&) override {
        chunk(out, [](JsonWriter& w) {
            write_field(w, "role", "assistant");
            write_field(w, "content", "");
        });
    }

    void block_start(std::string& out, std::size_t, const AnswerBlock& block) override {
        if (block.kind != BlockKind::tool_use) return;
        chunk(out, [&](JsonWriter& w) {
            write_call_delta(w, block.tool_ordinal, &block.tool_id, &block.tool_name, "");
        });
    }

    void delta(std::string& out, std::size_t, const AnswerBlock& block, DeltaKind kind,
               std::string_view text) override {
        switch (kind) {
            case DeltaKind::text:
            case DeltaKind::thinking:
                chunk(out, [&](JsonWriter& w) {
                    write_field(w, kind == DeltaKind::text ? "content" : "reasoning_content", text);
                });
                break;
            case DeltaKind::tool_input:
                if (block.kind != BlockKind::tool_use) return;  // server tools are not shown
                chunk(out, [&](JsonWriter& w) {
                    write_call_delta(w, block.tool_ordinal, nullptr, nullptr, text);
                });
                break;
            case DeltaKind::signature: break;  // no place for it in this API
        }
    }

    void block_stop(std::string&, std::size_t, const AnswerBlock&) override {}

    void finish(std::string& out, const Answer& answer) override {
        auto empty_delta = [](JsonWriter&) {};
        chunk(out, empty_delta, openai_finish_reason(answer.stop_cause()));
        if (options_.include_usage)
            append_sse_data(out, json_object([&](JsonWriter& w) {
                                write_head(w, "chat.completion.chunk");
                                w.Key("choices");
                                w.StartArray();
                                w.EndArray();
                                write_usage(w, answer);
                            }));
        append_sse_data(out, "[DONE]");
    }

    void failure(std::string& out, int status, std::string_view message) override {
        append_sse_data(out, error_body(Dialect::openai, status, message));
        append_sse_data(out, "[DONE]");
    }

    void ping(std::string& out) override { out += ": ping\n\n"; }  // a comment: clients skip it

    std::string body(const Answer& answer) const override {
        return json_object([&](JsonWriter& w) {
            write_head(w, "chat.completion");
            w.Key("choices");
            w.StartArray();
            w.StartObject();
            w.Key("index");
            w.Int(0);
            w.Key("message");
            write_message(w, answer);
            w.Key("logprobs");
            w.Null();
            write_field(w, "finish_reason", openai_finish_reason(answer.stop_cause()));
            w.EndObject();
            w.EndArray();
            write_usage(w, answer);
        });
    }

private:
    // The members every chunk and the completion open with.
    void write_head(JsonWriter& w, std::string_view object) const {
        write_field(w, "id", options_.completion_id);
        write_field(w, "object", object);
        w.Key("created");
        w.Int64(options_.created);
        write_field(w, "model", options_.client_model);
    }

    // One chunk; `delta` writes the delta object's members; finish_reason "" is null.
    template <class Delta>
    void chunk(std::string& out, Delta&& delta, std::string_view finish_reason = {}) const {
        append_sse_data(out, json_object([&](JsonWriter& w) {
                            write_head(w, "chat.completion.chunk");
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
                            // With include_usage OpenAI marks every chunk but the last with
                            // "usage": null.
                            if (options_.include_usage) {
                                w.Key("usage");
                                w.Null();
                            }
                        }));
    }

    OpenAiAnswerOptions options_;
};

}  // namespace

AnswerStream make_openai_answer(const OpenAiAnswerOptions& options, AnswerOptions answer) {
    answer.tool_id_prefix = str_cat("call_", options.completion_id, "_");
    return AnswerStream(std::move(answer), std::make_unique<OpenAiRenderer>(options));
}

std::string_view openai_finish_reason(StopCause cause) {
    switch (cause) {
        case StopCause::end_turn: return "stop";
        case StopCause::tool_use: return "tool_calls";
        case StopCause::max_tokens:
        case StopCause::context_window_exceeded: return "length";
        case StopCause::content_filtered: return "content_filter";
    }
    return "stop";
}

}  // namespace amq
