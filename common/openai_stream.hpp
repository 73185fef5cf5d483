// Amazon Q's events (q_events.hpp) turned into the OpenAI Chat Completions API
// (docs/translation.md §4): "data: {chunk}" SSE text for streaming clients, one
// chat.completion object for the others. Pure: the id and the creation time come in, no
// clocks; the caller owns pings on idle, sockets and the HTTP status.
//
// Reasoning (native reasoning events, and <thinking>…</thinking> text when thinking is on)
// goes to delta.reasoning_content / message.reasoning_content: not in OpenAI's own API, but
// the field DeepSeek introduced and most OpenAI clients read or ignore harmlessly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/answer_state.hpp"
#include "common/anthropic_stream.hpp"  // ThinkingSplitter
#include "common/json.hpp"
#include "common/q_events.hpp"
#include "common/result.hpp"
#include "common/tool_names.hpp"

namespace amq {

struct OpenAiStreamOptions {
    std::string completion_id;                // "chatcmpl-…", chosen by the caller
    std::int64_t created = 0;                 // unix seconds, chosen by the caller
    std::string client_model;                 // echoed in every chunk
    std::int64_t estimated_input_tokens = 1;  // local estimate
    std::int64_t context_window = 200000;     // for contextUsagePercentage
    bool thinking = false;                    // parse <thinking>…</thinking> out of the text
    ToolNameMap tool_names;                   // upstream tool names back to the client's
    bool include_usage = false;               // stream_options.include_usage
};

class OpenAiStream {
public:
    explicit OpenAiStream(OpenAiStreamOptions options);

    std::string start();                        // the first chunk: role "assistant", content ""
    std::string on_event(const QEvent& event);  // chunks for this event, maybe empty
    // The finish_reason chunk, the usage chunk (include_usage) and [DONE]; or, when a tool
    // call was cut off by the upstream, an error chunk and [DONE] instead (see failure()).
    std::string finish();
    // An error chunk {"error":{…}} and [DONE] that end the stream (for the caller's own
    // failures, e.g. timeouts).
    std::string error_event(int status, std::string_view message);
    static std::string ping();  // an SSE comment: OpenAI clients skip it

    // The non-streaming answer assembled from the same events; meaningful after finish()
    // when failure() is empty.
    std::string completion_json() const;

    bool ended() const { return ended_; }  // finished, or failed: nothing more to send
    std::int64_t input_tokens() const;
    std::int64_t output_tokens() const;
    std::string_view finish_reason() const;  // stop, tool_calls, length or content_filter
    // Why the answer cannot be delivered: an upstream exception, a truncated tool call. The
    // stream has then produced an error chunk; a caller that has sent nothing yet answers
    // failure_status() with the message instead.
    std::optional<Error> failure() const { return failure_; }
    int failure_status() const { return failure_status_; }

private:
    struct ToolCall {
        std::string id;
        std::string name;  // the client's name
        ToolCallInput input;
    };

    void on_text(std::string_view text);
    void on_tool(const QEvent& event);
    void on_reasoning(const QEvent& event);
    void add_content(bool reasoning, std::string_view text);
    void flush_splitter();
    void open_call(std::string id, std::string_view upstream_name);
    void append_arguments(std::string_view fragment);
    // Ends the open call: its input must then be a JSON object (none at all is {}), else the
    // call is reported as broken.
    void close_call();
    void fail(int status, Error error);

    // One chunk; `delta` writes the delta object's members; finish_reason "" is null.
    template <class Delta>
    std::string chunk(Delta&& delta, std::string_view finish_reason = {}) const;

    OpenAiStreamOptions options_;
    ThinkingSplitter splitter_;
    AnswerMeter meter_;
    std::string content_;
    std::string reasoning_;
    std::vector<ToolCall> calls_;
    bool call_open_ = false;
    bool ended_ = false;
    std::string out_;

    std::optional<Error> failure_;
    int failure_status_ = 0;
};

}  // namespace amq
