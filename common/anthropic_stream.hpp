// Amazon Q's events (q_events.hpp) turned into the Anthropic Messages API
// (docs/translation.md §3): SSE text for streaming clients, one message object for the
// others. Pure: ids come in, no clocks; the caller owns pings on idle, sockets and the HTTP
// status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/answer_state.hpp"
#include "common/json.hpp"
#include "common/q_events.hpp"
#include "common/result.hpp"
#include "common/tool_names.hpp"

namespace amq {

// Splits assistant text at <thinking>…</thinking> when the tags may arrive cut at any byte.
// Only text that could still be the start of a tag is held back. An opening tag counts only
// at the start of the text (after whitespace), where the model puts its thinking: an answer
// that merely talks about "<thinking>" later on stays text. Whitespace right after the
// closing tag is dropped, as the answer proper starts after it.
class ThinkingSplitter {
public:
    struct Piece {
        bool thinking = false;
        std::string text;
    };
    std::vector<Piece> feed(std::string_view chunk);
    // The text ended (or a tool call interrupts it): release what was held back, and treat
    // everything after as plain text. Leading whitespace alone is dropped.
    std::vector<Piece> flush();
    bool holding() const { return !held_.empty(); }

private:
    enum class State { before_open, thinking, after_close, text };
    void emit(std::vector<Piece>& out, bool thinking, std::string_view text);
    State state_ = State::before_open;
    std::string held_;
};

struct AnthropicStreamOptions {
    std::string message_id;                   // "msg_…", chosen by the caller
    std::string client_model;                 // echoed in message.model
    std::int64_t estimated_input_tokens = 1;  // local estimate
    std::int64_t context_window = 200000;     // for contextUsagePercentage
    bool thinking = false;                    // parse <thinking>…</thinking> out of the text
    ToolNameMap tool_names;                   // upstream tool names back to the client's
};

class AnthropicStream {
public:
    explicit AnthropicStream(AnthropicStreamOptions options);

    std::string start();                        // message_start + ping
    std::string on_event(const QEvent& event);  // SSE text for this event, maybe empty
    // Closes the open block, then message_delta (stop_reason, usage) + message_stop; or, when
    // a tool call was cut off by the upstream, an error event instead (see failure()).
    std::string finish();
    // An error frame that ends the stream (for the caller's own failures, e.g. timeouts).
    std::string error_event(std::string_view type, std::string_view message);
    static std::string ping();

    // The non-streaming answer assembled from the same events; meaningful after finish()
    // when failure() is empty.
    std::string message_json() const;

    bool content_started() const { return !blocks_.empty(); }
    bool ended() const { return ended_; }  // finished, or failed: nothing more to send
    std::int64_t input_tokens() const;
    std::int64_t output_tokens() const;
    std::string_view stop_reason() const;
    // Why the answer cannot be delivered: an upstream exception, a truncated tool call.
    // The stream has then produced an error frame; a caller that has sent nothing yet
    // answers failure_status() with failure_type() and the message instead.
    std::optional<Error> failure() const { return failure_; }
    int failure_status() const { return failure_status_; }
    std::string_view failure_type() const { return failure_type_; }

private:
    enum class BlockType { text, thinking, redacted_thinking, tool_use };
    struct Block {
        BlockType type;
        std::string content;  // text, thinking or redacted data; a tool's input is in `input`
        std::string signature;
        std::string tool_id;
        std::string tool_name;  // the client's name
        ToolCallInput input;
        const std::string& body() const {
            return type == BlockType::tool_use ? input.text() : content;
        }
    };

    static void write_block(JsonWriter& w, const Block& block, bool complete);
    void on_text(std::string_view text);
    void on_tool(const QEvent& event);
    void on_reasoning(const QEvent& event);
    void on_exception(const QEvent& event);

    void append(BlockType type, std::string_view text);
    void append_signature(std::string_view signature);
    void add_redacted(std::string_view data);
    void open_tool(std::string id, std::string_view upstream_name);
    void append_tool_input(std::string_view fragment);
    void open_block(Block block);
    bool tool_open() const;
    // Closes the open block. A tool block's input must then be a JSON object (none at all
    // is {}), else the call is reported as broken.
    void close_block();
    void flush_splitter();
    void fail(int status, std::string_view type, Error error);

    AnthropicStreamOptions options_;
    ThinkingSplitter splitter_;
    std::vector<Block> blocks_;
    bool block_open_ = false;
    bool ended_ = false;
    std::string out_;

    AnswerMeter meter_;

    std::optional<Error> failure_;
    int failure_status_ = 0;
    std::string failure_type_;
};

}  // namespace amq
