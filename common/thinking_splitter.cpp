// The <thinking> tag parser; the rules are in the header.
#include "common/thinking_splitter.hpp"

#include <algorithm>
#include <utility>

#include "common/strings.hpp"

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

}  // namespace

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

}  // namespace amq
