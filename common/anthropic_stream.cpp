#include "common/anthropic_stream.hpp"

#include <algorithm>
#include <utility>

#include "common/json.hpp"
#include "common/sse.hpp"
#include "common/strings.hpp"
#include "common/token_estimate.hpp"
#include "common/upstream_error.hpp"

namespace amq {

namespace {

constexpr std::string_view kOpenTag = "<thinking>";
constexpr std::string_view kCloseTag = "</thinking>";
constexpr std::string_view kSpace = " \t\r\n";

// The length of the longest end of `text` that begins `tag` (and is shorter than it).
std::size_t partial_tag_suffix(std::string_view text, std::string_view tag) {
    for (std::size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n) {
        if (text.ends_with(tag.substr(0, n))) return n;
    }
    return 0;
}

std::string_view stop_reason_name(StopCause cause) {
    switch (cause) {
        case StopCause::end_turn: return "end_turn";
        case StopCause::tool_use: return "tool_use";
        case StopCause::max_tokens: return "max_tokens";
        case StopCause::context_window_exceeded: return "model_context_window_exceeded";
        case StopCause::content_filtered: return "refusal";
    }
    return "end_turn";
}

int status_for_type(std::string_view type) {
    if (type == "invalid_request_error") return 400;
    if (type == "authentication_error") return 401;
    if (type == "permission_error") return 403;
    if (type == "not_found_error") return 404;
    if (type == "request_too_large") return 413;
    if (type == "rate_limit_error") return 429;
    if (type == "overloaded_error") return 529;
    return 500;
}

// Every Anthropic stream event carries its own name as "type".
template <class Body>
std::string frame(std::string_view event, Body&& body) {
    return sse_event(event, json_object([&](JsonWriter& w) {
                         w.Key("type");
                         write_string(w, event);
                         body(w);
                     }));
}

void write_usage(JsonWriter& w, std::int64_t input, std::int64_t output) {
    w.Key("usage");
    w.StartObject();
    w.Key("input_tokens");
    w.Int64(input);
    w.Key("output_tokens");
    w.Int64(output);
    w.EndObject();
}

void write_field(JsonWriter& w, std::string_view key, std::string_view value) {
    write_key(w, key);
    write_string(w, value);
}

std::string delta_frame(std::size_t index, std::string_view type, std::string_view field,
                        std::string_view value) {
    return frame("content_block_delta", [&](JsonWriter& w) {
        w.Key("index");
        w.Uint64(index);
        w.Key("delta");
        w.StartObject();
        write_field(w, "type", type);
        write_field(w, field, value);
        w.EndObject();
    });
}

std::string stop_frame(std::size_t index) {
    return frame("content_block_stop", [&](JsonWriter& w) {
        w.Key("index");
        w.Uint64(index);
    });
}

std::string error_frame(std::string_view type, std::string_view message) {
    return frame("error", [&](JsonWriter& w) {
        w.Key("error");
        w.StartObject();
        write_field(w, "type", type);
        write_field(w, "message", message);
        w.EndObject();
    });
}

// The tool input as the object it is; callers only get here for validated input.
void write_tool_input(JsonWriter& w, std::string_view input) {
    auto doc = parse_json(input);
    if (doc.ok() && doc->IsObject()) {
        doc->Accept(w);
        return;
    }
    w.StartObject();
    w.EndObject();
}

}  // namespace

// ---- ThinkingSplitter ----

void ThinkingSplitter::emit(std::vector<Piece>& out, bool thinking, std::string_view text) {
    if (text.empty()) return;
    if (!out.empty() && out.back().thinking == thinking) {
        out.back().text.append(text);
        return;
    }
    out.push_back(Piece{thinking, std::string(text)});
}

std::vector<ThinkingSplitter::Piece> ThinkingSplitter::feed(std::string_view chunk) {
    std::string all = std::move(held_);
    held_.clear();
    all.append(chunk);
    std::string_view rest = all;
    std::vector<Piece> out;
    while (!rest.empty()) {
        switch (state_) {
            case State::before_open: {
                std::size_t start = rest.find_first_not_of(kSpace);
                std::string_view tail = rest.substr(std::min(start, rest.size()));
                if (tail.starts_with(kOpenTag)) {
                    rest = tail.substr(kOpenTag.size());
                    state_ = State::thinking;
                } else if (kOpenTag.starts_with(tail)) {  // all blank, or a tag still arriving
                    held_ = rest;
                    return out;
                } else {
                    state_ = State::text;
                }
                break;
            }
            case State::thinking: {
                std::size_t close = rest.find(kCloseTag);
                if (close != std::string_view::npos) {
                    emit(out, true, rest.substr(0, close));
                    rest.remove_prefix(close + kCloseTag.size());
                    state_ = State::after_close;
                    break;
                }
                std::size_t keep = partial_tag_suffix(rest, kCloseTag);
                emit(out, true, rest.substr(0, rest.size() - keep));
                held_ = rest.substr(rest.size() - keep);
                return out;
            }
            case State::after_close: {
                std::size_t start = rest.find_first_not_of(kSpace);
                if (start == std::string_view::npos) return out;
                rest.remove_prefix(start);
                state_ = State::text;
                break;
            }
            case State::text: emit(out, false, rest); return out;
        }
    }
    return out;
}

std::vector<ThinkingSplitter::Piece> ThinkingSplitter::flush() {
    std::vector<Piece> out;
    if (state_ == State::before_open && !trim(held_).empty()) emit(out, false, held_);
    if (state_ == State::thinking) emit(out, true, held_);  // a cut-off closing tag
    held_.clear();
    state_ = State::text;
    return out;
}

// ---- AnthropicStream ----

AnthropicStream::AnthropicStream(AnthropicStreamOptions options) : options_(std::move(options)) {}

std::string AnthropicStream::ping() { return sse_event("ping", R"({"type":"ping"})"); }

std::string AnthropicStream::start() {
    std::string text = frame("message_start", [&](JsonWriter& w) {
        w.Key("message");
        w.StartObject();
        write_field(w, "id", options_.message_id);
        write_field(w, "type", "message");
        write_field(w, "role", "assistant");
        write_field(w, "model", options_.client_model);
        w.Key("content");
        w.StartArray();
        w.EndArray();
        w.Key("stop_reason");
        w.Null();
        w.Key("stop_sequence");
        w.Null();
        write_usage(w, std::max<std::int64_t>(1, options_.estimated_input_tokens), 0);
        w.EndObject();
    });
    return text + ping();
}

std::string AnthropicStream::on_event(const QEvent& event) {
    if (ended_ || meter_.absorb(event)) return {};
    switch (event.kind) {
        case QEvent::Kind::text: on_text(event.text); break;
        case QEvent::Kind::tool_use: on_tool(event); break;
        case QEvent::Kind::reasoning: on_reasoning(event); break;
        case QEvent::Kind::invalid_state:
        case QEvent::Kind::exception: on_exception(event); break;
        case QEvent::Kind::metadata:
        case QEvent::Kind::context_usage:
        case QEvent::Kind::metering:
        case QEvent::Kind::ignored: break;
    }
    return std::exchange(out_, {});
}

void AnthropicStream::on_text(std::string_view text) {
    if (!options_.thinking) {
        append(BlockType::text, text);
        return;
    }
    for (const ThinkingSplitter::Piece& piece : splitter_.feed(text))
        append(piece.thinking ? BlockType::thinking : BlockType::text, piece.text);
}

void AnthropicStream::flush_splitter() {
    if (!options_.thinking) return;
    for (const ThinkingSplitter::Piece& piece : splitter_.flush())
        append(piece.thinking ? BlockType::thinking : BlockType::text, piece.text);
}

void AnthropicStream::on_tool(const QEvent& event) {
    flush_splitter();  // text held back came before the call; and after it, text is plain
    if (ended_) return;
    const std::string& id = event.tool_use_id;
    bool continues = tool_open() && (id.empty() || id == blocks_.back().tool_id);
    if (!continues) {
        bool seen = !id.empty() && std::any_of(blocks_.begin(), blocks_.end(), [&](const Block& b) {
            return b.type == BlockType::tool_use && b.tool_id == id;
        });
        if (seen) {
            // A late stop for a call already closed is harmless; more input for it cannot be
            // placed, as its block index has passed.
            if (!event.tool_input.empty())
                fail(kBrokenToolCallStatus, "api_error", tool_calls_interleaved_error(id));
            return;
        }
        if (event.tool_name.empty()) {
            fail(kBrokenToolCallStatus, "api_error", tool_call_without_name_error());
            return;
        }
        close_block();
        if (ended_) return;
        open_tool(id.empty() ? str_cat("toolu_", options_.message_id, "_", blocks_.size()) : id,
                  event.tool_name);
    }
    append_tool_input(event.tool_input);
    if (event.tool_stop) close_block();
}

void AnthropicStream::open_tool(std::string id, std::string_view upstream_name) {
    Block block{BlockType::tool_use};
    block.tool_id = std::move(id);
    block.tool_name = client_tool_name(options_.tool_names, upstream_name);
    open_block(std::move(block));
}

// The "{}" placeholder rule lives in ToolCallInput.
void AnthropicStream::append_tool_input(std::string_view fragment) {
    std::string_view forward = blocks_.back().input.append(fragment);
    if (!forward.empty())
        out_ += delta_frame(blocks_.size() - 1, "input_json_delta", "partial_json", forward);
}

void AnthropicStream::on_reasoning(const QEvent& event) {
    if (splitter_.holding()) flush_splitter();  // keep the order of what came before
    append(BlockType::thinking, event.text);
    if (!event.signature.empty()) append_signature(event.signature);
    if (!event.redacted.empty()) add_redacted(event.redacted);
}

// The upstream's output limit (ContentLengthExceededException) never gets here: the meter
// takes it, as it ends the answer without failing it.
void AnthropicStream::on_exception(const QEvent& event) {
    UpstreamError error = classify_exception(event);
    fail(error.client_status, error.client_error_type,
         make_error(errc_for_status(error.client_status), error.message));
}

void AnthropicStream::append(BlockType type, std::string_view text) {
    if (ended_ || text.empty()) return;
    if (!block_open_ || blocks_.back().type != type) {
        close_block();
        if (ended_) return;
        open_block(Block{type});
    }
    blocks_.back().content.append(text);
    bool thinking = type == BlockType::thinking;
    out_ += delta_frame(blocks_.size() - 1, thinking ? "thinking_delta" : "text_delta",
                        thinking ? "thinking" : "text", text);
}

void AnthropicStream::append_signature(std::string_view signature) {
    if (ended_) return;
    if (!block_open_ || blocks_.back().type != BlockType::thinking) {
        close_block();
        if (ended_) return;
        open_block(Block{BlockType::thinking});
    }
    blocks_.back().signature.append(signature);
    out_ += delta_frame(blocks_.size() - 1, "signature_delta", "signature", signature);
}

void AnthropicStream::add_redacted(std::string_view data) {
    close_block();
    if (ended_) return;
    Block block{BlockType::redacted_thinking};
    block.content = std::string(data);
    open_block(std::move(block));
    close_block();
}

// A content block as content_block_start announces it (complete = false: empty, input {}) or
// as the non-streaming message holds it.
void AnthropicStream::write_block(JsonWriter& w, const Block& block, bool complete) {
    std::string_view content = complete ? std::string_view(block.body()) : std::string_view();
    w.StartObject();
    switch (block.type) {
        case BlockType::text:
            write_field(w, "type", "text");
            write_field(w, "text", content);
            break;
        case BlockType::thinking:
            write_field(w, "type", "thinking");
            write_field(w, "thinking", content);
            if (complete && !block.signature.empty()) write_field(w, "signature", block.signature);
            break;
        case BlockType::redacted_thinking:  // announced whole: it has no deltas
            write_field(w, "type", "redacted_thinking");
            write_field(w, "data", block.content);
            break;
        case BlockType::tool_use:
            write_field(w, "type", "tool_use");
            write_field(w, "id", block.tool_id);
            write_field(w, "name", block.tool_name);
            w.Key("input");
            write_tool_input(w, complete ? content : std::string_view("{}"));
            break;
    }
    w.EndObject();
}

bool AnthropicStream::tool_open() const {
    return block_open_ && blocks_.back().type == BlockType::tool_use;
}

void AnthropicStream::open_block(Block block) {
    std::size_t index = blocks_.size();
    blocks_.push_back(std::move(block));
    block_open_ = true;
    out_ += frame("content_block_start", [&](JsonWriter& w) {
        w.Key("index");
        w.Uint64(index);
        w.Key("content_block");
        write_block(w, blocks_.back(), false);
    });
}

void AnthropicStream::close_block() {
    if (!block_open_ || ended_) return;
    Block& block = blocks_.back();
    std::size_t index = blocks_.size() - 1;
    if (block.type == BlockType::tool_use) {
        std::string_view forward = block.input.complete();  // "{}" for a call without input
        if (!forward.empty())
            out_ += delta_frame(index, "input_json_delta", "partial_json", forward);
        if (!block.input.is_object()) {
            fail(kBrokenToolCallStatus, "api_error",
                 tool_input_not_object_error(block.tool_name, block.tool_id));
            return;
        }
    }
    block_open_ = false;
    out_ += stop_frame(index);
}

void AnthropicStream::fail(int status, std::string_view type, Error error) {
    if (ended_) return;
    out_ += error_frame(type, error.message);
    failure_ = std::move(error);
    failure_status_ = status;
    failure_type_ = std::string(type);
    ended_ = true;
}

std::string AnthropicStream::error_event(std::string_view type, std::string_view message) {
    if (ended_) return {};
    int status = status_for_type(type);
    fail(status, type, make_error(errc_for_status(status), std::string(message)));
    return std::exchange(out_, {});
}

std::string AnthropicStream::finish() {
    if (ended_) return {};
    flush_splitter();
    if (!ended_ && tool_open()) {
        const Block& block = blocks_.back();
        fail(kBrokenToolCallStatus, "api_error",
             tool_call_cut_off_error(block.tool_name, block.tool_id, block.input.text().size()));
    }
    close_block();
    if (ended_) return std::exchange(out_, {});
    out_ += frame("message_delta", [&](JsonWriter& w) {
        w.Key("delta");
        w.StartObject();
        write_field(w, "stop_reason", stop_reason());
        w.Key("stop_sequence");
        w.Null();
        w.EndObject();
        write_usage(w, input_tokens(), output_tokens());
    });
    out_ += frame("message_stop", [](JsonWriter&) {});
    ended_ = true;
    return std::exchange(out_, {});
}

std::string_view AnthropicStream::stop_reason() const {
    bool any_tool = std::any_of(blocks_.begin(), blocks_.end(),
                                [](const Block& b) { return b.type == BlockType::tool_use; });
    return stop_reason_name(meter_.stop_cause(any_tool));
}

std::int64_t AnthropicStream::input_tokens() const {
    return meter_.input_tokens(options_.estimated_input_tokens, options_.context_window);
}

std::int64_t AnthropicStream::output_tokens() const {
    if (auto reported = meter_.reported_output_tokens()) return *reported;
    std::string emitted;
    for (const Block& block : blocks_) {
        if (block.type != BlockType::redacted_thinking) emitted.append(block.body());
    }
    return estimate_tokens(emitted);
}

std::string AnthropicStream::message_json() const {
    return json_object([&](JsonWriter& w) {
        write_field(w, "id", options_.message_id);
        write_field(w, "type", "message");
        write_field(w, "role", "assistant");
        write_field(w, "model", options_.client_model);
        w.Key("content");
        w.StartArray();
        for (const Block& block : blocks_) write_block(w, block, true);
        w.EndArray();
        write_field(w, "stop_reason", stop_reason());
        w.Key("stop_sequence");
        w.Null();
        write_usage(w, input_tokens(), output_tokens());
    });
}

}  // namespace amq
