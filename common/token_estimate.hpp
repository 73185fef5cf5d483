// A local token count for when the upstream gives none. Never 0 for non-empty text: clients
// use input token counts to decide when to compact.
#pragma once

#include <cstdint>
#include <string_view>

namespace amq {

std::int64_t estimate_tokens(std::string_view text);

}  // namespace amq
