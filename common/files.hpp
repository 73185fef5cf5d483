// Whole files read into memory (configuration, the tokenizer vocabulary).
#pragma once

#include <string>

#include "common/result.hpp"

namespace amq {

// Errors name the path: Errc::not_found when it does not exist, Errc::io otherwise.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace amq
