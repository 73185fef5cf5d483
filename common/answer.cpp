// The answer assembler: the sequencing rules of docs/translation.md §3-5, once for every API.
#include "common/answer.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/strings.hpp"
#include "common/token_estimate.hpp"
#include "common/upstream_error.hpp"

namespace amq {

// ---- Answer ----

std::int64_t Answer::input_estimate() const { return std::max<std::int64_t>(1, input_estimate_); }

std::int64_t Answer::input_tokens() const {
    return meter_.input_tokens(input_estimate_, context_window_);
}

std::int64_t Answer::cache_read_tokens() const {
    if (!cache_estimate_ || meter_.reports_cache()) return meter_.cache_read_tokens();
    return share_of_input(cache_estimate_->read);
}

std::int64_t Answer::cache_write_tokens() const {
    if (!cache_estimate_ || meter_.reports_cache()) return meter_.cache_write_tokens();
    return share_of_input(cache_estimate_->read + cache_estimate_->written) -
           share_of_input(cache_estimate_->read);
}

std::int64_t Answer::share_of_input(std::int64_t estimated) const {
    std::int64_t input = input_tokens(), estimate = input_estimate();
    if (input == estimate) return std::clamp<std::int64_t>(estimated, 0, input);
    double scaled =
        static_cast<double>(estimated) * static_cast<double>(input) / static_cast<double>(estimate);
    return std::clamp<std::int64_t>(std::llround(scaled), 0, input);
}

std::size_t Answer::searches() const {
    return static_cast<std::size_t>(
        std::count_if(blocks_.begin(), blocks_.end(),
                      [](const AnswerBlock& b) { return b.kind == BlockKind::search_result; }));
}

std::int64_t Answer::output_tokens() const {
    if (auto reported = meter_.reported_output_tokens()) return *reported;
    std::string emitted;
    for (const AnswerBlock& block : blocks_) {
        if (block.kind != BlockKind::redacted_thinking) emitted.append(block.body());
    }
    return estimate_tokens(emitted);
}

// ---- AnswerStream: events ----

AnswerStream::AnswerStream(AnswerOptions options, std::unique_ptr<AnswerRenderer> renderer)
    : options_(std::move(options)),
      renderer_(std::move(renderer)),
      answer_(options_.estimated_input_tokens, options_.context_window) {}

std::string AnswerStream::start() {
    renderer_->start(out_, answer_);
    return std::exchange(out_, {});
}

std::string AnswerStream::ping() {
    std::string out;
    renderer_->ping(out);
    return out;
}

std::string AnswerStream::on_event(const QEvent& event) {
    if (answer_.ended_ || answer_.meter_.absorb(event)) return {};
    switch (event.kind) {
        case QEvent::Kind::text: on_text(event.text); break;
        case QEvent::Kind::tool_use: on_tool(event); break;
        case QEvent::Kind::reasoning: on_reasoning(event); break;
        case QEvent::Kind::invalid_state:
        case QEvent::Kind::exception: on_exception(event); break;
        case QEvent::Kind::metadata:
        case QEvent::Kind::context_usage:
        case QEvent::Kind::metering:  // the meter's
        case QEvent::Kind::ignored: break;
    }
    return std::exchange(out_, {});
}

void AnswerStream::on_text(std::string_view text) {
    if (options_.thinking)
        add_pieces(splitter_.feed(text));
    else
        append(BlockKind::text, text);
}

void AnswerStream::add_pieces(const std::vector<ThinkingSplitter::Piece>& pieces) {
    for (const ThinkingSplitter::Piece& piece : pieces)
        append(piece.thinking ? BlockKind::thinking : BlockKind::text, piece.text);
}

void AnswerStream::flush_splitter() {
    if (options_.thinking) add_pieces(splitter_.flush());
}

void AnswerStream::on_tool(const QEvent& event) {
    flush_splitter();  // text held back came before the call; and after it, text is plain
    if (answer_.ended_) return;
    const std::string& id = event.tool_use_id;
    bool continues = tool_open() && (id.empty() || id == answer_.blocks_.back().tool_id);
    if (!continues) {
        if (seen_tool(id)) {
            // A late stop for a call already closed is harmless; more input for it cannot be
            // placed, as its block has passed.
            if (!event.tool_input.empty())
                fail(kBrokenToolCallStatus, tool_calls_interleaved_error(id));
            return;
        }
        if (event.tool_name.empty())
            return fail(kBrokenToolCallStatus, tool_call_without_name_error());
        close_block();
        if (answer_.ended_) return;
        open_tool(id, event.tool_name);
    }
    append_tool_input(event.tool_input);
    if (event.tool_stop) close_block();
}

// Signatures and redacted reasoning end an open tool call even in an API that has no place
// for them, so that every API judges the same upstream answer alike.
void AnswerStream::on_reasoning(const QEvent& event) {
    if (splitter_.holding()) flush_splitter();  // keep the order of what came before
    append(BlockKind::thinking, event.text);
    if (!event.signature.empty()) append_signature(event.signature);
    if (!event.redacted.empty()) add_redacted(event.redacted);
}

// The upstream's output limit (ContentLengthExceededException) never gets here: the meter
// takes it, as it ends the answer without failing it.
void AnswerStream::on_exception(const QEvent& event) {
    UpstreamError error = classify_exception(event);
    int status = error.client_status;
    fail(status, make_error(errc_for_status(status), std::move(error.message)));
}

std::string AnswerStream::error_event(int status, std::string_view message) {
    fail(status, make_error(errc_for_status(status), std::string(message)));
    return std::exchange(out_, {});
}

std::string AnswerStream::finish() {
    if (answer_.ended_) return {};
    flush_splitter();
    if (!answer_.ended_ && tool_open()) {
        const AnswerBlock& block = answer_.blocks_.back();
        fail(kBrokenToolCallStatus,
             tool_call_cut_off_error(block.tool_name, block.tool_id, block.input.text().size()));
    }
    close_block();
    if (!answer_.ended_) {
        renderer_->finish(out_, answer_);
        answer_.ended_ = true;
    }
    return std::exchange(out_, {});
}

// ---- AnswerStream: blocks ----

// A signature ends its thinking block: the upstream signs a block's whole text, so reasoning
// after it is another block.
void AnswerStream::append(BlockKind kind, std::string_view text) {
    if (answer_.ended_ || text.empty()) return;
    if (!answer_.block_open_ || answer_.blocks_.back().kind != kind ||
        !answer_.blocks_.back().signature.empty()) {
        close_block();
        if (answer_.ended_) return;
        open_block(AnswerBlock{kind});
    }
    answer_.blocks_.back().content.append(text);
    render_delta(kind == BlockKind::thinking ? DeltaKind::thinking : DeltaKind::text, text);
}

void AnswerStream::append_signature(std::string_view signature) {
    if (answer_.ended_) return;
    if (!answer_.block_open_ || answer_.blocks_.back().kind != BlockKind::thinking) {
        close_block();
        if (answer_.ended_) return;
        open_block(AnswerBlock{BlockKind::thinking});
    }
    answer_.blocks_.back().signature.append(signature);
    render_delta(DeltaKind::signature, signature);
}

void AnswerStream::add_redacted(std::string_view data) {
    close_block();
    if (answer_.ended_) return;
    AnswerBlock block{BlockKind::redacted_thinking};
    block.content = std::string(data);
    open_block(std::move(block));
    close_block();
}

bool AnswerStream::seen_tool(std::string_view id) const {
    return !id.empty() &&
           std::any_of(answer_.blocks_.begin(), answer_.blocks_.end(),
                       [&](const AnswerBlock& b) { return b.is_call() && b.tool_id == id; });
}

// Server tool calls count apart from the client's: ordinals and stop causes are the client's.
void AnswerStream::open_tool(const std::string& id, std::string_view upstream_name) {
    bool server = options_.web_search && upstream_name == kWebSearchTool;
    AnswerBlock block{server ? BlockKind::server_tool_use : BlockKind::tool_use};
    std::size_t ordinal = answer_.tool_calls_ + answer_.searches_called_;
    block.tool_ordinal = server ? answer_.searches_called_++ : answer_.tool_calls_++;
    block.tool_id = id.empty() ? str_cat(options_.tool_id_prefix, ordinal) : id;
    block.tool_name =
        server ? std::string(kWebSearchTool) : client_tool_name(options_.tool_names, upstream_name);
    open_block(std::move(block));
}

// The "{}" placeholder rule lives in ToolCallInput.
void AnswerStream::append_tool_input(std::string_view fragment) {
    std::string_view forward = answer_.blocks_.back().input.append(fragment);
    if (!forward.empty()) render_delta(DeltaKind::tool_input, forward);
}

bool AnswerStream::tool_open() const {
    return answer_.block_open_ && answer_.blocks_.back().is_call();
}

void AnswerStream::open_block(AnswerBlock block) {
    answer_.blocks_.push_back(std::move(block));
    answer_.block_open_ = true;
    renderer_->block_start(out_, answer_.blocks_.size() - 1, answer_.blocks_.back());
}

void AnswerStream::close_block() {
    if (!answer_.block_open_ || answer_.ended_) return;
    AnswerBlock& block = answer_.blocks_.back();
    if (block.is_call()) {
        std::string_view forward = block.input.complete();  // "{}" for a call without input
        if (!forward.empty()) render_delta(DeltaKind::tool_input, forward);
        if (!block.input.is_object())
            return fail(kBrokenToolCallStatus,
                        tool_input_not_object_error(block.tool_name, block.tool_id));
    }
    answer_.block_open_ = false;
    renderer_->block_stop(out_, answer_.blocks_.size() - 1, block);
}

// ---- AnswerStream: server tool rounds ----

std::vector<AnswerStream::Search> AnswerStream::pending_searches() const {
    std::vector<Search> out;
    if (answer_.ended_) return out;
    const auto& blocks = answer_.blocks_;
    for (std::size_t i = round_start_; i < blocks.size(); ++i) {
        if (blocks[i].kind == BlockKind::tool_use) return {};  // the client's turn
        if (blocks[i].kind == BlockKind::server_tool_use)
            out.push_back(Search{blocks[i].tool_id, search_query(blocks[i].input.text())});
    }
    return out;
}

std::string AnswerStream::add_search_result(std::string_view tool_id, WebSearchOutcome outcome) {
    flush_splitter();
    close_block();
    if (answer_.ended_) return std::exchange(out_, {});
    AnswerBlock block{BlockKind::search_result};
    block.tool_id = std::string(tool_id);
    block.search = std::make_shared<const WebSearchOutcome>(std::move(outcome));
    open_block(std::move(block));
    close_block();
    return std::exchange(out_, {});
}

std::pair<QTurn, QTurn> AnswerStream::close_round() {
    QTurn assistant, user;
    assistant.role = QTurn::Role::assistant;
    for (std::size_t i = round_start_; i < answer_.blocks_.size(); ++i) {
        const AnswerBlock& b = answer_.blocks_[i];
        switch (b.kind) {
            case BlockKind::text: append_text(assistant.text, b.content); break;
            case BlockKind::thinking: append_text(assistant.thinking, b.content); break;
            case BlockKind::server_tool_use:
                assistant.tool_uses.push_back(
                    QToolUse{b.tool_id, std::string(kWebSearchTool), b.input.text()});
                break;
            case BlockKind::search_result:
                user.tool_results.push_back(QToolResult{b.tool_id, search_result_text(*b.search),
                                                        !b.search->error.empty()});
                break;
            case BlockKind::redacted_thinking:
            case BlockKind::tool_use: break;
        }
    }
    round_start_ = answer_.blocks_.size();
    return {std::move(assistant), std::move(user)};
}

void AnswerStream::render_delta(DeltaKind kind, std::string_view text) {
    renderer_->delta(out_, answer_.blocks_.size() - 1, answer_.blocks_.back(), kind, text);
}

void AnswerStream::fail(int status, Error error) {
    if (answer_.ended_) return;
    renderer_->failure(out_, status, error.message);
    answer_.failure_ = AnswerFailure{status, std::move(error)};
    answer_.ended_ = true;
}

}  // namespace amq
