// The one assembler of an answer from Amazon Q's events (q_events.hpp), whatever the client's
// API (docs/translation.md §3-5): the answer is a list of blocks (text, thinking, redacted
// thinking, tool calls), and every rule about their order lives here — the <thinking> tags,
// when a tool call opens, continues and ends, its "{}" placeholder, which broken calls and
// upstream exceptions fail the answer, usage and stop cause. A renderer (anthropic_answer,
// openai_answer) only writes each step in its API's words. Pure: no clocks, no sockets; the
// caller owns pings on idle and the HTTP status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/answer_state.hpp"
#include "common/api_error.hpp"
#include "common/q_events.hpp"
#include "common/q_request.hpp"
#include "common/result.hpp"
#include "common/thinking_splitter.hpp"
#include "common/tool_names.hpp"
#include "common/web_search.hpp"

namespace amq {

// server_tool_use is a call of a tool the daemon runs itself (web search), search_result its
// outcome: the client sees both, as its API shows server tools, and never has to answer them.
enum class BlockKind {
    text,
    thinking,
    redacted_thinking,
    tool_use,
    server_tool_use,
    search_result
};

struct AnswerBlock {
    BlockKind kind = BlockKind::text;
    std::string content;    // text, thinking or redacted data; a tool's input is in `input`
    std::string signature;  // thinking
    std::string tool_id;
    std::string tool_name;         // the client's name
    std::size_t tool_ordinal = 0;  // among the answer's tool calls, from 0
    ToolCallInput input;
    std::shared_ptr<const WebSearchOutcome> search;  // search_result
    bool is_call() const {
        return kind == BlockKind::tool_use || kind == BlockKind::server_tool_use;
    }
    const std::string& body() const { return is_call() ? input.text() : content; }
};

// Why the answer cannot be delivered: an upstream exception, a broken tool call, or the
// caller's own error_event. The client's error type follows the status.
struct AnswerFailure {
    int status = 0;
    Error error;
};

// The estimated prompt cache's split of a request's input (docs/translation.md §9), in the
// units of the local input estimate.
struct CacheTokens {
    std::int64_t read = 0;
    std::int64_t written = 0;
};

// The answer so far, as renderers read it.
class Answer {
public:
    const std::vector<AnswerBlock>& blocks() const { return blocks_; }
    std::size_t tool_calls() const { return tool_calls_; }  // the client's, not server tools
    std::size_t searches() const;                           // search results given
    bool ended() const { return ended_; }  // finished, or failed: nothing more to send
    const std::optional<AnswerFailure>& failure() const { return failure_; }
    StopCause stop_cause() const { return meter_.stop_cause(tool_calls_ > 0); }
    // The local estimate (never below 1), in whose units the estimated cache split is given.
    std::int64_t input_estimate() const;
    std::int64_t input_tokens() const;
    // The part of input_tokens the prompt cache read or wrote: the upstream's numbers when it
    // sent any, else the estimated cache's split when there is one, else 0.
    std::int64_t cache_read_tokens() const;
    std::int64_t cache_write_tokens() const;
    std::int64_t credits_micros() const { return meter_.credits_micros(); }
    // The upstream's count, else the estimate of every block but redacted ones, in order.
    std::int64_t output_tokens() const;

private:
    friend class AnswerStream;
    Answer(std::int64_t input_estimate, std::int64_t context_window)
        : input_estimate_(input_estimate), context_window_(context_window) {}

    std::int64_t input_estimate_;
    std::int64_t context_window_;
    std::vector<AnswerBlock> blocks_;
    // A share of the local estimate in the units of input_tokens(), which may be the
    // upstream's own count.
    std::int64_t share_of_input(std::int64_t estimated) const;

    std::optional<CacheTokens> cache_estimate_;
    std::size_t tool_calls_ = 0;
    std::size_t searches_called_ = 0;
    bool block_open_ = false;  // the last block still takes content
    bool ended_ = false;
    std::optional<AnswerFailure> failure_;
    AnswerMeter meter_;
};

enum class DeltaKind { text, thinking, signature, tool_input };

// One client API's words for the assembler's steps, appended to `out`. Blocks open and close
// one at a time, indices count from 0 (an API without blocks ignores their bounds); a
// redacted_thinking block arrives whole at block_start and takes no deltas. After finish or
// failure nothing more comes. Stateful renderers are allowed: one serves one answer.
class AnswerRenderer {
public:
    virtual ~AnswerRenderer() = default;
    virtual Dialect dialect() const = 0;
    virtual void start(std::string& out, const Answer& answer) = 0;
    virtual void block_start(std::string& out, std::size_t index, const AnswerBlock& block) = 0;
    virtual void delta(std::string& out, std::size_t index, const AnswerBlock& block,
                       DeltaKind kind, std::string_view text) = 0;
    virtual void block_stop(std::string& out, std::size_t index, const AnswerBlock& block) = 0;
    virtual void finish(std::string& out, const Answer& answer) = 0;
    virtual void failure(std::string& out, int status, std::string_view message) = 0;
    virtual void ping(std::string& out) = 0;
    // The non-streaming answer; meaningful after finish when the answer has not failed.
    virtual std::string body(const Answer& answer) const = 0;
};

struct AnswerOptions {
    std::int64_t estimated_input_tokens = 1;  // local estimate
    std::int64_t context_window = 200000;     // for contextUsagePercentage
    bool thinking = false;                    // parse <thinking>…</thinking> out of the text
    ToolNameMap tool_names;                   // upstream tool names back to the client's
    std::string tool_id_prefix;               // a call without an id gets this + its ordinal
    bool web_search = false;  // calls of kWebSearchTool are the daemon's (server_tool_use)
};

// The assembler driving one renderer: what an exchange needs of an answer. Each call returns
// the bytes to stream (maybe none); a non-streaming caller ignores them and takes body().
class AnswerStream {
public:
    AnswerStream(AnswerOptions options, std::unique_ptr<AnswerRenderer> renderer);

    Dialect dialect() const { return renderer_->dialect(); }
    // Before start(): usage reports this split when the upstream reports no cache tokens.
    void estimate_cache(CacheTokens split) { answer_.cache_estimate_ = split; }
    std::string start();
    std::string on_event(const QEvent& event);
    // Ends the open block, then the API's ending; or, when a tool call was cut off by the
    // upstream, the failure instead.
    std::string finish();
    // A failure that ends the stream, for the caller's own errors (e.g. timeouts).
    std::string error_event(int status, std::string_view message);
    std::string ping();
    std::string body() const { return renderer_->body(answer_); }

    // Server tool rounds (docs/translation.md §8). After an upstream answer ends: the searches
    // it asked for, when that is all it asked for (a round with a call of the client's own
    // tools goes to the client). Each gets its result, which the client sees; then the
    // continuation is asked upstream and its events extend this answer.
    struct Search {
        std::string tool_id;
        std::string query;
    };
    std::vector<Search> pending_searches() const;
    std::string add_search_result(std::string_view tool_id, WebSearchOutcome outcome);
    // The blocks since the last round, as the turns the continuation adds to the conversation:
    // the assistant's (text, reasoning, its search calls) and the user's (their results).
    std::pair<QTurn, QTurn> close_round();

    const Answer& answer() const { return answer_; }
    const std::optional<AnswerFailure>& failure() const { return answer_.failure(); }
    bool ended() const { return answer_.ended(); }
    std::int64_t input_tokens() const { return answer_.input_tokens(); }
    std::int64_t output_tokens() const { return answer_.output_tokens(); }

private:
    void on_text(std::string_view text);
    void on_tool(const QEvent& event);
    void on_reasoning(const QEvent& event);
    void on_exception(const QEvent& event);
    void add_pieces(const std::vector<ThinkingSplitter::Piece>& pieces);
    void flush_splitter();

    void append(BlockKind kind, std::string_view text);
    void append_signature(std::string_view signature);
    void add_redacted(std::string_view data);
    bool seen_tool(std::string_view id) const;
    void open_tool(const std::string& id, std::string_view upstream_name);
    void append_tool_input(std::string_view fragment);
    void open_block(AnswerBlock block);
    bool tool_open() const;
    // Ends the open block. A tool call's input must then be a JSON object (none at all is
    // {}), else the call is reported as broken.
    void close_block();
    void fail(int status, Error error);
    void render_delta(DeltaKind kind, std::string_view text);

    AnswerOptions options_;
    std::unique_ptr<AnswerRenderer> renderer_;
    ThinkingSplitter splitter_;
    Answer answer_;
    std::string out_;
    std::size_t round_start_ = 0;  // the first block of the current server tool round
};

}  // namespace amq
