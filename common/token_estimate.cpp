#include "common/token_estimate.hpp"

namespace amq {

// About four bytes a token for English and code; CJK runs denser, so this undercounts it.
std::int64_t estimate_tokens(std::string_view text) {
    if (text.empty()) return 0;
    return static_cast<std::int64_t>((text.size() + 3) / 4);
}

}  // namespace amq
