// Whole files read into memory (configuration, the tokenizer vocabulary) and private files
// written whole (the first admin key, the secrets key).
#pragma once

#include <string>

#include "common/result.hpp"

namespace amq {

// Errors name the path: Errc::not_found when it does not exist, Errc::io otherwise.
Result<std::string> read_whole_file(const std::string& path);

// `content` as the file at `path`, mode 0600, replaced atomically (a temporary file renamed
// over it) and durable (file and directory synced) when this returns.
Status write_private_file(const std::string& path, const std::string& content);

}  // namespace amq
