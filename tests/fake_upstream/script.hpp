// What a test scripts into the fake upstream: queues of steps that override the default
// answers. Frames are encoded when the script arrives, so a bad script is rejected at once
// (naming the field) instead of surfacing as an odd answer later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace fake {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One event-stream frame (or arbitrary bytes) and the pause before it goes out.
struct Frame {
    std::string bytes;
    int delay_ms = 0;
};
using Frames = std::vector<Frame>;

struct GenerateStep {
    std::string match_token;  // empty: any bearer token
    bool repeat = false;      // a repeating step is never consumed
    int status = 200;
    HeaderList headers;                    // extra response headers
    std::optional<std::string> body;       // a plain (non-stream) answer
    std::shared_ptr<const Frames> frames;  // null: the default answer's frames
    int delay_ms = 0;                      // before the status line
    bool split_frames = false;
    std::optional<std::size_t> close_after;
    std::optional<std::size_t> hang_after;
};

// For both OIDC /token and Kiro /refreshToken.
struct TokenStep {
    std::string match_refresh_token;  // empty: any refresh token
    bool repeat = false;
    int status = 200;
    std::optional<std::string> body;  // answered verbatim
    std::optional<std::string> access_token;
    std::optional<std::string> refresh_token;  // present: the refresh token rotates
    std::optional<std::string> profile_arn;
    std::optional<std::int64_t> expires_in;
    int delay_ms = 0;
};

struct Script {
    std::vector<GenerateStep> generate;
    std::vector<TokenStep> token;
    std::vector<TokenStep> kiro;
};

amq::Result<Script> parse_script(std::string_view json);

// Frames of the default answer: initial-response, three text chunks, metadata.
Frames default_frames();

std::string encode_event(std::string_view event_type, std::string_view payload);
std::string encode_exception(std::string_view exception_type, std::string_view payload);

// A FIFO of steps. The first step whose match key is empty or equal to `key` applies.
template <class Step>
class StepQueue {
public:
    void append(std::vector<Step> steps) {
        for (Step& s : steps) steps_.push_back(std::move(s));
    }
    void clear() { steps_.clear(); }
    std::size_t size() const { return steps_.size(); }

    // The index of the step that would apply, or nullopt.
    std::optional<std::size_t> find(std::string_view key) const {
        for (std::size_t i = 0; i < steps_.size(); ++i) {
            const std::string& match = match_key(steps_[i]);
            if (match.empty() || match == key) return i;
        }
        return std::nullopt;
    }

    // Takes the step found by find(): consumed unless it repeats.
    Step take(std::size_t index) {
        if (steps_[index].repeat) return steps_[index];
        Step step = std::move(steps_[index]);
        steps_.erase(steps_.begin() + static_cast<std::ptrdiff_t>(index));
        return step;
    }

    std::optional<Step> take_match(std::string_view key) {
        auto index = find(key);
        if (!index) return std::nullopt;
        return take(*index);
    }

private:
    static const std::string& match_key(const GenerateStep& s) { return s.match_token; }
    static const std::string& match_key(const TokenStep& s) { return s.match_refresh_token; }

    std::deque<Step> steps_;
};

}  // namespace fake
