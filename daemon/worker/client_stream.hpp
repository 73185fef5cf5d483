// What a client API (Anthropic Messages, OpenAI Chat Completions) makes of the upstream's
// events: streamed text to flush, or one body at the end. The exchange that drives it knows
// nothing of either API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/api_error.hpp"
#include "common/q_events.hpp"
#include "common/result.hpp"

namespace amq {

class ClientStream {
public:
    virtual ~ClientStream() = default;

    virtual Dialect dialect() const = 0;
    virtual std::string start() = 0;                        // first bytes of a stream
    virtual std::string on_event(const QEvent& event) = 0;  // stream bytes for one event
    virtual std::string finish() = 0;                       // last bytes of a stream
    virtual std::string error_event(int status, std::string_view message) = 0;  // mid-stream error
    virtual std::string ping() = 0;
    virtual std::string body() const = 0;  // non-streaming: the whole answer, after finish()

    // Set when the answer cannot be delivered as a success (a tool call the upstream cut off).
    virtual std::optional<Error> failure() const = 0;
    virtual std::int64_t input_tokens() const = 0;
    virtual std::int64_t output_tokens() const = 0;
};

}  // namespace amq
