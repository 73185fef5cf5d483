// The syntax of amq2api.conf (amq2api.conf(5), SYNTAX): one "key = value" a line, comment
// lines, double-quoted values. Pure: text in, entries or the first error out; which keys exist
// and what their values mean is config.cpp's business.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

struct ConfigEntry {
    std::string key;
    std::string value;  // unquoted, comment removed; may be empty
    unsigned line;      // 1-based
};

// Errors read "FILE:LINE: what", FILE being `file_name` (only used in messages).
Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text,
                                                   std::string_view file_name);

// `value` written so that parse_config_text reads it back unchanged: quoted only when needed.
std::string quote_config_value(std::string_view value);

}  // namespace amq
