// Client model names → Amazon Q model ids (docs/translation.md §2). Clients send Anthropic
// names, names newer than any upstream id, or OpenAI names: an unknown name is never an
// error, it falls back by family and then to a default. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/reasoning_effort.hpp"
#include "common/result.hpp"

namespace amq {

struct ModelMapConfig {
    // Client name → upstream id, checked in order before the family fallback. Names compare
    // normalised (see resolve_model), so one entry covers dots, dashes and dated variants.
    std::vector<std::pair<std::string, std::string>> table;
    std::string default_model = "claude-sonnet-4.5";  // names of no known family (gpt-4o, …)
    std::string opus = "claude-opus-4.6";
    std::string sonnet = "claude-sonnet-4.5";
    std::string haiku = "claude-haiku-4.5";
    ModelEfforts efforts = default_model_efforts();  // which models reason natively
};

// The built-in table: every upstream id of docs/translation.md §2 under its Anthropic name.
ModelMapConfig default_model_map();

// The config key model-map: "name=upstream,name=upstream". The entries go before the built-in
// table (so they override it); the reserved names `default`, `opus`, `sonnet` and `haiku` set
// the fallback ids instead of adding an entry. Errors name the bad entry.
Result<ModelMapConfig> parse_model_table(std::string_view spec);

struct ResolvedModel {
    std::string client;     // exactly as the client sent it: echoed back in responses
    std::string upstream;   // the modelId sent to Amazon Q
    bool thinking = false;  // the name carried a -thinking suffix
    bool listed = false;    // a table entry matched (not a family or default fallback)
    std::int64_t context_window = 200000;
    std::vector<std::string> efforts;  // native reasoning efforts; empty: prompt tags
};

// Case-insensitive; dots ≡ dashes; `-thinking`, `-latest` and dated suffixes (-20250929,
// @20250929) are stripped; then the table, then the family word (opus / sonnet / haiku
// anywhere in the name), then default_model.
ResolvedModel resolve_model(const ModelMapConfig& config, std::string_view client_name);

// Whether a key restricted to `allowed` (empty: unrestricted) may use `model`: a name it lists,
// or another name of the same upstream model (claude-sonnet-4-5-20250929 for
// claude-sonnet-4-5).
bool model_allowed(const std::vector<std::string>& allowed, std::string_view model,
                   const ModelMapConfig& config);

// The table's client names in table order without duplicates (for GET /v1/models).
std::vector<std::string> client_model_names(const ModelMapConfig& config);

// The context window used for usage maths: 1 000 000 for the 4.6 models, else 200 000.
std::int64_t context_window_for(std::string_view upstream_id);

}  // namespace amq
