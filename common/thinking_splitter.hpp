// Splitting assistant text at <thinking>…</thinking> when thinking was requested (request rule
// 11 in docs/translation.md): the model then writes its reasoning into the text, in tags that
// may arrive cut at any byte. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace amq {

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

}  // namespace amq
