// Decodes, fragment by fragment, the string value of a JSON object's first member when that
// member is the one named — the {"input": "…"} a custom tool's call arrives as — so that the
// decoded text can stream to the client while the upstream is still writing it. Anything
// else (another first member, a value that is not a string) stops the decoding: the caller
// then has the whole JSON at the end to fall back on. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace amq {

class JsonStringStream {
public:
    explicit JsonStringStream(std::string_view member);

    // Takes the next fragment of the JSON text; returns the characters of the value it
    // completes (UTF-8; an escape split across fragments waits for its end).
    std::string feed(std::string_view fragment);
    // The value's closing quote has been read.
    bool complete() const { return state_ == State::done; }
    // The text is not {"<member>": "…": nothing more will be decoded.
    bool stopped() const { return state_ == State::stopped; }

private:
    enum class State { before, value, escape, unicode, done, stopped };

    void take_prefix_char(char c);
    void take_value_char(char c, std::string& out);
    void take_escape_char(char c, std::string& out);
    void take_unicode_char(char c, std::string& out);

    std::string tokens_[4];  // the opening: {  "member"  :  "  — blanks allowed between
    std::size_t token_ = 0;
    std::size_t matched_ = 0;  // characters of that token read so far
    State state_ = State::before;
    std::uint32_t unit_ = 0;  // the \u escape being read
    int unit_digits_ = 0;
    std::uint32_t high_surrogate_ = 0;  // waiting for its low half
};

}  // namespace amq
