// Files of daemon/web/ compiled into the binary (see embed.cmake), looked up by file name.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace amq::web {

struct EmbeddedAsset {
    std::string_view name;  // the file name in daemon/web/
    std::string_view data;  // its bytes, exactly
};

// Defined in the source file the build generates.
std::span<const EmbeddedAsset> embedded_assets();

inline std::optional<std::string_view> find_asset(std::string_view name) {
    for (const EmbeddedAsset& asset : embedded_assets())
        if (asset.name == name) return asset.data;
    return std::nullopt;
}

}  // namespace amq::web
