// Byte-pair-encoding token counts over a tiktoken vocabulary: the Claude tokenizer's
// claude.json from the npm package @anthropic-ai/tokenizer, which `make deps` installs. It
// feeds the local token estimates (common/token_estimate.hpp) used when the upstream gives
// no numbers.
//
// Counts match the package's countTokens() with two documented differences: the text is not
// NFKC-normalised first (there is no ICU in the build; only compatibility characters such as
// "™" or full-width letters count differently), and special-token strings such as "<EOT>" are
// ordinary text (the reference's encode(text, 'all') makes them one token each).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

class BpeTokenizer {
public:
    // Reads and checks the vocabulary and compiles its pre-tokenizer pattern. Errors name the
    // file: not_found when it is missing, io when unreadable, invalid_argument when malformed.
    static Result<std::unique_ptr<BpeTokenizer>> load(const std::string& json_path);

    ~BpeTokenizer();
    BpeTokenizer(const BpeTokenizer&) = delete;
    BpeTokenizer& operator=(const BpeTokenizer&) = delete;

    // Safe to call from several threads at once (onig_match only reads the compiled
    // pattern; scratch buffers are per call). Bytes that are not valid UTF-8 count one
    // token each (the reference never sees them: JavaScript strings are always Unicode).
    std::int64_t count(std::string_view utf8) const;
    std::vector<int> encode(std::string_view utf8) const;

    std::size_t vocabulary_size() const;

private:
    struct Impl;
    explicit BpeTokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace amq
