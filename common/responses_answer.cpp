// The Responses renderer: an output item per block, the response object around them.
#include "common/responses_answer.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/json.hpp"
#include "common/json_string_stream.hpp"
#include "common/sse.hpp"
#include "common/strings.hpp"
#include "common/token_estimate.hpp"

namespace amq {

namespace {

using Kind = ResponsesTool::Kind;

enum class ItemState { in_progress, completed, incomplete, failed };

std::string_view status_name(ItemState s) {
    switch (s) {
        case ItemState::in_progress: return "in_progress";
        case ItemState::completed: return "completed";
        case ItemState::incomplete: return "incomplete";
        case ItemState::failed: return "failed";
    }
    return "completed";
}

// The reason an answer is incomplete, or "" when it is complete.
std::string_view incomplete_reason(StopCause cause) {
    switch (cause) {
        case StopCause::max_tokens:
        case StopCause::context_window_exceeded: return "max_output_tokens";
        case StopCause::content_filtered: return "content_filter";
        case StopCause::end_turn:
        case StopCause::tool_use: return "";
    }
    return "";
}

void write_int(JsonWriter& w, std::string_view key, std::int64_t value) {
    write_key(w, key);
    w.Int64(value);
}

std::int64_t reasoning_tokens(const Answer& answer) {
    std::string thinking;
    for (const AnswerBlock& block : answer.blocks())
        if (block.kind == BlockKind::thinking) thinking += block.content;
    return thinking.empty() ? 0 : std::min(estimate_tokens(thinking), answer.output_tokens());
}

// Responses' input_tokens include the cached ones, which the details count apart.
void write_usage(JsonWriter& w, const Answer& answer) {
    std::int64_t input = answer.input_tokens(), output = answer.output_tokens();
    w.StartObject();
    write_int(w, "input_tokens", input);
    w.Key("input_tokens_details");
    w.StartObject();
    write_int(w, "cached_tokens", answer.cache_read_tokens());
    w.EndObject();
    write_int(w, "output_tokens", output);
    w.Key("output_tokens_details");
    w.StartObject();
    write_int(w, "reasoning_tokens", reasoning_tokens(answer));
    w.EndObject();
    write_int(w, "total_tokens", input + output);
    w.EndObject();
}

void write_output_text(JsonWriter& w, std::string_view text) {
    w.StartObject();
    write_field(w, "type", "output_text");
    w.Key("annotations");
    w.StartArray();
    w.EndArray();
    w.Key("logprobs");
    w.StartArray();
    w.EndArray();
    write_field(w, "text", text);
    w.EndObject();
}

void write_summary_text(JsonWriter& w, std::string_view text) {
    w.StartObject();
    write_field(w, "type", "summary_text");
    write_field(w, "text", text);
    w.EndObject();
}

class ResponsesRenderer final : public AnswerRenderer {
public:
    explicit ResponsesRenderer(ResponsesAnswerOptions options) : options_(std::move(options)) {}

    Dialect dialect() const override { return Dialect::openai; }

    void start(std::string& out, const Answer&) override {
        for (std::string_view type : {"response.created", "response.in_progress"})
            event(out, type, [&](JsonWriter& w) {
                w.Key("response");
                write_response(w, ItemState::in_progress, nullptr);
            });
    }

    // Search results are no output item: blocks map to output indices without them.
    void block_start(std::string& out, std::size_t block_index, const AnswerBlock& block) override {
        if (block.kind == BlockKind::search_result) return;
        out_index_.resize(block_index + 1);
        out_index_[block_index] = items_++;
        std::size_t index = out_index_[block_index];
        if (block.kind == BlockKind::tool_use && tool_kind(block) == Kind::custom) {
            custom_input_.emplace("input");
            custom_streamed_.clear();
        }
        event(out, "response.output_item.added", [&](JsonWriter& w) {
            write_int(w, "output_index", static_cast<std::int64_t>(index));
            w.Key("item");
            write_item(w, index, block, ItemState::in_progress);
        });
        if (block.kind == BlockKind::text)
            event(out, "response.content_part.added", [&](JsonWriter& w) {
                write_position(w, index, block, "content_index");
                w.Key("part");
                write_output_text(w, "");
            });
        if (block.kind == BlockKind::thinking)
            event(out, "response.reasoning_summary_part.added", [&](JsonWriter& w) {
                write_position(w, index, block, "summary_index");
                w.Key("part");
                write_summary_text(w, "");
            });
    }

    void delta(std::string& out, std::size_t block_index, const AnswerBlock& block, DeltaKind kind,
               std::string_view text) override {
        if (block.kind == BlockKind::server_tool_use) return;  // the query shows when done
        std::size_t index = out_index_.at(block_index);
        std::string_view type;
        const char* part_index = nullptr;
        switch (kind) {
            case DeltaKind::text:
                type = "response.output_text.delta";
                part_index = "content_index";
                break;
            case DeltaKind::thinking:
                type = "response.reasoning_summary_text.delta";
                part_index = "summary_index";
                break;
            case DeltaKind::tool_input:
                if (tool_kind(block) == Kind::custom)
                    return custom_delta(out, index, block, custom_input_->feed(text));
                type = "response.function_call_arguments.delta";
                break;
            case DeltaKind::signature: return;  // carried by the item at its end
        }
        event(out, type, [&](JsonWriter& w) {
            write_position(w, index, block, part_index);
            write_field(w, "delta", text);
            if (kind == DeltaKind::text) {
                w.Key("logprobs");
                w.StartArray();
                w.EndArray();
            }
        });
    }

    void block_stop(std::string& out, std::size_t block_index, const AnswerBlock& block) override {
        if (block.kind == BlockKind::search_result) return;
        std::size_t index = out_index_.at(block_index);
        switch (block.kind) {
            case BlockKind::text: end_text(out, index, block); break;
            case BlockKind::thinking: end_thinking(out, index, block); break;
            case BlockKind::tool_use: end_call(out, index, block); break;
            case BlockKind::redacted_thinking:
            case BlockKind::server_tool_use:
            case BlockKind::search_result: break;
        }
        event(out, "response.output_item.done", [&](JsonWriter& w) {
            write_int(w, "output_index", static_cast<std::int64_t>(index));
            w.Key("item");
            write_item(w, index, block, ItemState::completed);
        });
    }

    void finish(std::string& out, const Answer& answer) override {
        ItemState status = final_status(answer);
        event(out, status == ItemState::completed ? "response.completed" : "response.incomplete",
              [&](JsonWriter& w) {
                  w.Key("response");
                  write_response(w, status, &answer);
              });
    }

    void failure(std::string& out, int status, std::string_view message) override {
        event(out, "response.failed", [&](JsonWriter& w) {
            w.Key("response");
            write_response(w, ItemState::failed, nullptr, [&] {
                w.StartObject();
                std::string_view code = openai_error_code(status, message);
                write_field(w, "code", code.empty() ? openai_error_type(status) : code);
                write_field(w, "message", message);
                w.EndObject();
            });
        });
    }

    void ping(std::string& out) override { out += ": ping\n\n"; }  // a comment: clients skip it

    std::string body(const Answer& answer) const override {
        return json_value([&](JsonWriter& w) { write_response(w, final_status(answer), &answer); });
    }

private:
    static ItemState final_status(const Answer& answer) {
        return incomplete_reason(answer.stop_cause()).empty() ? ItemState::completed
                                                              : ItemState::incomplete;
    }

    // `body` writes the event's members after type and sequence_number.
    template <class Body>
    void event(std::string& out, std::string_view type, Body&& body) {
        append_sse_event(out, type, json_object([&](JsonWriter& w) {
                             write_field(w, "type", type);
                             write_int(w, "sequence_number", sequence_++);
                             body(w);
                         }));
    }

    std::string item_id(std::size_t index, const AnswerBlock& block) const {
        std::string_view prefix = "msg";
        if (block.kind == BlockKind::thinking || block.kind == BlockKind::redacted_thinking)
            prefix = "rs";
        if (block.kind == BlockKind::tool_use)
            prefix = tool_kind(block) == Kind::custom ? "ctc" : "fc";
        if (block.kind == BlockKind::server_tool_use) prefix = "ws";
        return str_cat(prefix, "_", std::string_view(options_.response_id).substr(5), "_", index);
    }

    // item_id and output_index, and the part's index when the event names one.
    void write_position(JsonWriter& w, std::size_t index, const AnswerBlock& block,
                        const char* part_index) const {
        write_field(w, "item_id", item_id(index, block));
        write_int(w, "output_index", static_cast<std::int64_t>(index));
        if (part_index) write_int(w, part_index, 0);
    }

    const ResponsesTool* tool_of(const AnswerBlock& block) const {
        auto it = options_.request.tools.find(block.tool_name);
        return it == options_.request.tools.end() ? nullptr : &it->second;
    }

    Kind tool_kind(const AnswerBlock& block) const {
        const ResponsesTool* tool = tool_of(block);
        return tool ? tool->kind : Kind::function;
    }

    void end_text(std::string& out, std::size_t index, const AnswerBlock& block) {
        event(out, "response.output_text.done", [&](JsonWriter& w) {
            write_position(w, index, block, "content_index");
            write_field(w, "text", block.content);
            w.Key("logprobs");
            w.StartArray();
            w.EndArray();
        });
        event(out, "response.content_part.done", [&](JsonWriter& w) {
            write_position(w, index, block, "content_index");
            w.Key("part");
            write_output_text(w, block.content);
        });
    }

    void end_thinking(std::string& out, std::size_t index, const AnswerBlock& block) {
        event(out, "response.reasoning_summary_text.done", [&](JsonWriter& w) {
            write_position(w, index, block, "summary_index");
            write_field(w, "text", block.content);
        });
        event(out, "response.reasoning_summary_part.done", [&](JsonWriter& w) {
            write_position(w, index, block, "summary_index");
            w.Key("part");
            write_summary_text(w, block.content);
        });
    }

    void end_call(std::string& out, std::size_t index, const AnswerBlock& block) {
        if (tool_kind(block) == Kind::function) {
            event(out, "response.function_call_arguments.done", [&](JsonWriter& w) {
                write_position(w, index, block, nullptr);
                write_field(w, "name", call_name(block));
                write_field(w, "arguments", block.input.text());
            });
            return;
        }
        // What the streamed deltas could not decode (a call not shaped {"input": "…"}) goes
        // out now; the done event and the item carry the input as finally read.
        std::string input = custom_tool_input(block.input.text());
        if (input.starts_with(custom_streamed_))
            custom_delta(out, index, block,
                         std::string_view(input).substr(custom_streamed_.size()));
        event(out, "response.custom_tool_call_input.done", [&](JsonWriter& w) {
            write_position(w, index, block, nullptr);
            write_field(w, "input", input);
        });
    }

    void custom_delta(std::string& out, std::size_t index, const AnswerBlock& block,
                      std::string_view text) {
        if (text.empty()) return;
        custom_streamed_.append(text);
        event(out, "response.custom_tool_call_input.delta", [&](JsonWriter& w) {
            write_position(w, index, block, nullptr);
            write_field(w, "delta", text);
        });
    }

    std::string_view call_name(const AnswerBlock& block) const {
        const ResponsesTool* tool = tool_of(block);
        return tool ? std::string_view(tool->name) : std::string_view(block.tool_name);
    }

    // One output item; in progress, its content is what the deltas will fill.
    void write_item(JsonWriter& w, std::size_t index, const AnswerBlock& block,
                    ItemState status) const {
        bool done = status != ItemState::in_progress;
        w.StartObject();
        write_field(w, "id", item_id(index, block));
        switch (block.kind) {
            case BlockKind::text:
                write_field(w, "type", "message");
                write_field(w, "status", status_name(status));
                write_field(w, "role", "assistant");
                w.Key("content");
                w.StartArray();
                if (done) write_output_text(w, block.content);
                w.EndArray();
                break;
            case BlockKind::thinking:
            case BlockKind::redacted_thinking:
                write_field(w, "type", "reasoning");
                w.Key("summary");
                w.StartArray();
                if (done && block.kind == BlockKind::thinking) write_summary_text(w, block.content);
                w.EndArray();
                if (block.kind == BlockKind::redacted_thinking)
                    write_field(w, "encrypted_content",
                                str_cat(kRedactedReasoningPrefix, block.content));
                else if (done && !block.signature.empty())
                    write_field(w, "encrypted_content", block.signature);
                break;
            case BlockKind::tool_use: write_call(w, block, done); break;
            case BlockKind::server_tool_use:
                write_field(w, "type", "web_search_call");
                write_field(w, "status", status_name(status));
                w.Key("action");
                w.StartObject();
                write_field(w, "type", "search");
                write_field(w, "query", done ? search_query(block.input.text()) : "");
                w.EndObject();
                break;
            case BlockKind::search_result: break;
        }
        w.EndObject();
    }

    void write_call(JsonWriter& w, const AnswerBlock& block, bool done) const {
        const ResponsesTool* tool = tool_of(block);
        bool custom = tool && tool->kind == Kind::custom;
        write_field(w, "type", custom ? "custom_tool_call" : "function_call");
        write_field(w, "status", done ? "completed" : "in_progress");
        write_field(w, "call_id", block.tool_id);
        write_field(w, "name", call_name(block));
        if (tool && !tool->name_space.empty()) write_field(w, "namespace", tool->name_space);
        if (custom)
            write_field(w, "input", done ? custom_tool_input(block.input.text()) : "");
        else
            write_field(w, "arguments", done ? std::string_view(block.input.text()) : "");
    }

    // The response object; `answer` null while nothing is final (its output then empty).
    template <class Error = std::nullptr_t>
    void write_response(JsonWriter& w, ItemState status, const Answer* answer,
                        Error&& error = nullptr) const {
        w.StartObject();
        write_field(w, "id", options_.response_id);
        write_field(w, "object", "response");
        write_int(w, "created_at", options_.created_at);
        write_field(w, "status", status_name(status));
        w.Key("error");
        if constexpr (std::is_same_v<std::decay_t<Error>, std::nullptr_t>)
            w.Null();
        else
            error();
        w.Key("incomplete_details");
        std::string_view reason = answer ? incomplete_reason(answer->stop_cause()) : "";
        if (reason.empty()) {
            w.Null();
        } else {
            w.StartObject();
            write_field(w, "reason", reason);
            w.EndObject();
        }
        write_field(w, "model", options_.client_model);
        w.Key("output");
        w.StartArray();
        if (answer) {
            std::size_t index = 0;
            for (const AnswerBlock& block : answer->blocks())
                if (block.kind != BlockKind::search_result)
                    write_item(w, index++, block, ItemState::completed);
        }
        w.EndArray();
        write_echoes(w);
        w.Key("usage");
        if (answer)
            write_usage(w, *answer);
        else
            w.Null();
        w.EndObject();
    }

    void write_echoes(JsonWriter& w) const {
        const ResponsesOptions& r = options_.request;
        w.Key("max_output_tokens");
        if (r.max_output_tokens)
            w.Int64(*r.max_output_tokens);
        else
            w.Null();
        w.Key("parallel_tool_calls");
        w.Bool(r.parallel_tool_calls);
        w.Key("previous_response_id");
        w.Null();
        w.Key("reasoning");
        w.StartObject();
        w.Key("effort");
        if (r.reasoning_effort.empty())
            w.Null();
        else
            write_string(w, r.reasoning_effort);
        w.EndObject();
        w.Key("store");
        w.Bool(r.store);
        write_field(w, "tool_choice", "auto");
        w.Key("tools");
        w.StartArray();
        w.EndArray();
        write_field(w, "truncation", "disabled");
    }

    ResponsesAnswerOptions options_;
    std::int64_t sequence_ = 0;
    std::vector<std::size_t> out_index_;  // by block index
    std::size_t items_ = 0;
    // The open custom call's input, decoded from the upstream's {"input": "…"} as it streams.
    std::optional<JsonStringStream> custom_input_;
    std::string custom_streamed_;
};

}  // namespace

std::string custom_tool_input(std::string_view arguments) {
    auto doc = parse_json(arguments);
    if (!doc || !doc->IsObject()) return std::string(arguments);
    if (auto input = find_string(*doc, "input")) return std::string(*input);
    const rapidjson::Value* only = nullptr;
    for (const auto& member : doc->GetObject()) {
        if (only || !member.value.IsString()) return std::string(arguments);
        only = &member.value;
    }
    return only ? std::string(only->GetString(), only->GetStringLength()) : std::string(arguments);
}

AnswerStream make_responses_answer(const ResponsesAnswerOptions& options, AnswerOptions answer) {
    answer.tool_id_prefix = str_cat("call_", options.response_id, "_");
    return AnswerStream(std::move(answer), std::make_unique<ResponsesRenderer>(options));
}

}  // namespace amq
