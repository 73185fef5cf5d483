// ISO 8601 UTC timestamps as the APIs show them ("2026-11-28T18:50:29Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace amq {

std::string iso8601(std::int64_t unix_seconds);        // "" for 0 (never)
std::string iso8601_millis(std::int64_t unix_millis);  // "2026-11-28T18:50:29.042Z"
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" and "YYYY-MM-DD HH:MM:SS" (UTC).
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace amq
