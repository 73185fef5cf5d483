// Amazon Q refuses tool names over 64 bytes. Longer names are shortened
// deterministically (a prefix plus a hash) on the way up and mapped back in responses.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace amq {

inline constexpr std::size_t kMaxToolName = 64;

// upstream (shortened) name → the client's original name; only shortened names appear.
using ToolNameMap = std::map<std::string, std::string, std::less<>>;

// The name itself when it fits, else the same ≤ 64-character name for the same input.
std::string upstream_tool_name(std::string_view client_name);

// The client's name for a name the upstream used.
std::string client_tool_name(const ToolNameMap& names, std::string_view upstream_name);

}  // namespace amq
