// Which reasoning efforts each upstream model takes natively, and how a client's request for
// reasoning becomes one of them (docs/translation.md §1, rule 11). Models that take none
// reason through the prompt-tag mechanism instead. The table is data: the built-in one, or the
// model-efforts setting. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace amq {

// Upstream id → the efforts its additionalModelRequestFields.output_config.effort accepts,
// weakest first.
using ModelEfforts = std::vector<std::pair<std::string, std::vector<std::string>>>;

// The efforts in order of strength; a client's effort outside this list is an error.
inline constexpr std::string_view kEfforts[] = {"low", "medium", "high", "xhigh", "max"};

// The built-in table, the default of model-efforts.
inline constexpr std::string_view kDefaultModelEfforts =
    "claude-opus-4.6=low/medium/high/max, claude-sonnet-4.6=low/medium/high/max";
ModelEfforts default_model_efforts();

// The setting model-efforts: "upstream-id=effort/effort/…, …", replacing the built-in table
// ("none" alone, or an empty setting value, leaves every model to prompt tags). Errors name
// the bad entry.
Result<ModelEfforts> parse_model_efforts(std::string_view spec);

// The efforts `upstream_id` accepts; empty when it takes none.
std::vector<std::string> efforts_for(const ModelEfforts& table, std::string_view upstream_id);

// The effort to send for a wanted one: the strongest accepted that is not stronger, else the
// weakest accepted. "" when `accepted` is empty.
std::string nearest_effort(std::string_view wanted, const std::vector<std::string>& accepted);

// A thinking budget as an effort: up to 4 000 low, 16 000 medium, 32 000 high, beyond max.
std::string effort_for_budget(std::int64_t budget);

}  // namespace amq
