#include "common/json_string_stream.hpp"

#include "common/strings.hpp"

namespace amq {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace

JsonStringStream::JsonStringStream(std::string_view member)
    : tokens_{"{", str_cat("\"", member, "\""), ":", "\""} {}

std::string JsonStringStream::feed(std::string_view fragment) {
    std::string out;
    for (char c : fragment) {
        switch (state_) {
            case State::before: take_prefix_char(c); break;
            case State::value: take_value_char(c, out); break;
            case State::escape: take_escape_char(c, out); break;
            case State::unicode: take_unicode_char(c, out); break;
            case State::done:
            case State::stopped: return out;
        }
    }
    return out;
}

// Whitespace may stand before each token of the opening, never inside one.
void JsonStringStream::take_prefix_char(char c) {
    const std::string& token = tokens_[token_];
    if (matched_ == 0 && is_space(c)) return;
    if (c != token[matched_]) {
        state_ = State::stopped;
        return;
    }
    if (++matched_ < token.size()) return;
    matched_ = 0;
    if (++token_ == std::size(tokens_)) state_ = State::value;
}

void JsonStringStream::take_value_char(char c, std::string& out) {
    if (c == '"') {
        state_ = high_surrogate_ ? State::stopped : State::done;
    } else if (c == '\\') {
        state_ = State::escape;
    } else if (high_surrogate_) {
        state_ = State::stopped;  // a high surrogate escape must be followed by its low half
    } else {
        out.push_back(c);
    }
}

void JsonStringStream::take_escape_char(char c, std::string& out) {
    state_ = State::value;
    if (c == 'u') {
        state_ = State::unicode;
        unit_ = 0;
        unit_digits_ = 0;
        return;
    }
    if (high_surrogate_) {
        state_ = State::stopped;
        return;
    }
    switch (c) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        default: state_ = State::stopped;
    }
}

void JsonStringStream::take_unicode_char(char c, std::string& out) {
    int digit = hex_digit(c);
    if (digit < 0) {
        state_ = State::stopped;
        return;
    }
    unit_ = unit_ * 16 + static_cast<std::uint32_t>(digit);
    if (++unit_digits_ < 4) return;
    state_ = State::value;
    bool high = unit_ >= 0xD800 && unit_ < 0xDC00;
    bool low = unit_ >= 0xDC00 && unit_ < 0xE000;
    if (high_surrogate_) {
        if (!low) {
            state_ = State::stopped;
            return;
        }
        append_utf8(out, 0x10000 + ((high_surrogate_ - 0xD800) << 10) + (unit_ - 0xDC00));
        high_surrogate_ = 0;
    } else if (high) {
        high_surrogate_ = unit_;
    } else if (low) {
        state_ = State::stopped;
    } else {
        append_utf8(out, unit_);
    }
}

}  // namespace amq
