#include "common/tool_names.hpp"

#include "common/crypto.hpp"

namespace amq {

namespace {

constexpr std::size_t kHashChars = 16;
constexpr std::size_t kPrefixBytes = kMaxToolName - 1 - kHashChars;  // 47, then '_' and hash

// Never cut a multi-byte UTF-8 character in half: back up to the start of the character.
std::size_t utf8_cut(std::string_view s, std::size_t limit) {
    if (limit >= s.size()) return s.size();
    while (limit > 0 && (static_cast<unsigned char>(s[limit]) & 0xC0) == 0x80) --limit;
    return limit;
}

}  // namespace

std::string upstream_tool_name(std::string_view client_name) {
    if (client_name.size() <= kMaxToolName) return std::string(client_name);
    // The hash covers the whole name, so names that share the prefix stay distinct.
    std::string out(client_name.substr(0, utf8_cut(client_name, kPrefixBytes)));
    out.push_back('_');
    out.append(hex(sha256(client_name)).substr(0, kHashChars));
    return out;
}

std::string client_tool_name(const ToolNameMap& names, std::string_view upstream_name) {
    auto it = names.find(upstream_name);
    return it == names.end() ? std::string(upstream_name) : it->second;
}

}  // namespace amq
