// A local token count for when the upstream gives none (message_start input_tokens, output
// estimates). Never 0 for non-empty text: clients use input token counts to decide when to
// compact.
//
// A worker loads the Claude BPE vocabulary once at start (load_tokenizer); until then, or
// when the file is missing, the estimate is four bytes a token.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/bpe_tokenizer.hpp"
#include "common/result.hpp"

namespace amq {

std::int64_t estimate_tokens(std::string_view text);

// Process-wide and set once before requests are served: estimate_tokens reads it without a
// lock, so replacing it while other threads count is not allowed. nullptr restores the
// four-bytes-a-token fallback.
void install_tokenizer(std::unique_ptr<BpeTokenizer> tokenizer);

// Loads and installs the vocabulary at `path`. On error (missing or unreadable file,
// malformed vocabulary) the current state is kept and the error returned, for the caller to
// log once.
Status load_tokenizer(const std::string& path);

bool tokenizer_installed();

}  // namespace amq
