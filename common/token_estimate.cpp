#include "common/token_estimate.hpp"

#include <algorithm>
#include <utility>

namespace amq {

namespace {

std::unique_ptr<BpeTokenizer>& installed() {
    static std::unique_ptr<BpeTokenizer> tokenizer;
    return tokenizer;
}

}  // namespace

std::int64_t estimate_tokens(std::string_view text) {
    if (text.empty()) return 0;
    if (const BpeTokenizer* tokenizer = installed().get())
        return std::max<std::int64_t>(tokenizer->count(text), 1);
    // About four bytes a token for English and code; CJK runs denser, so this undercounts it.
    return static_cast<std::int64_t>((text.size() + 3) / 4);
}

void install_tokenizer(std::unique_ptr<BpeTokenizer> tokenizer) {
    installed() = std::move(tokenizer);
}

Status load_tokenizer(const std::string& path) {
    Result<std::unique_ptr<BpeTokenizer>> tokenizer = BpeTokenizer::load(path);
    if (!tokenizer) return tokenizer.error();
    install_tokenizer(std::move(tokenizer).value());
    return {};
}

bool tokenizer_installed() { return installed() != nullptr; }

}  // namespace amq
