#include "common/reasoning_effort.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace amq {

namespace {

// The position of an effort in kEfforts, or -1.
int strength(std::string_view effort) {
    for (std::size_t i = 0; i < std::size(kEfforts); ++i)
        if (kEfforts[i] == effort) return static_cast<int>(i);
    return -1;
}

Error entry_error(std::string_view entry, std::string_view what) {
    return make_error(Errc::invalid_argument, str_cat("model-efforts entry '", entry, "': ", what));
}

}  // namespace

ModelEfforts default_model_efforts() { return parse_model_efforts(kDefaultModelEfforts).value(); }

Result<ModelEfforts> parse_model_efforts(std::string_view spec) {
    ModelEfforts table;
    if (trim(spec) == "none") return table;
    for (std::string_view piece : split(spec, ',')) {
        std::string_view entry = trim(piece);
        if (entry.empty()) continue;
        std::size_t eq = entry.find('=');
        std::string_view model = eq == std::string_view::npos ? "" : trim(entry.substr(0, eq));
        if (model.empty()) return entry_error(entry, "expected upstream-id=effort/effort/…");
        if (!efforts_for(table, model).empty())
            return entry_error(entry, "the model is listed twice");
        std::vector<std::string> efforts;
        for (std::string_view effort : split(entry.substr(eq + 1), '/')) {
            effort = trim(effort);
            if (strength(effort) < 0)
                return entry_error(
                    entry, str_cat("'", effort, "' is not one of low, medium, high, xhigh, max"));
            efforts.emplace_back(effort);
        }
        std::sort(efforts.begin(), efforts.end(), [](const std::string& a, const std::string& b) {
            return strength(a) < strength(b);
        });
        efforts.erase(std::unique(efforts.begin(), efforts.end()), efforts.end());
        table.emplace_back(std::string(model), std::move(efforts));
    }
    return table;
}

std::vector<std::string> efforts_for(const ModelEfforts& table, std::string_view upstream_id) {
    for (const auto& [model, efforts] : table)
        if (model == upstream_id) return efforts;
    return {};
}

std::string nearest_effort(std::string_view wanted, const std::vector<std::string>& accepted) {
    if (accepted.empty()) return {};
    int want = strength(wanted);
    std::string best = accepted.front();
    for (const std::string& effort : accepted)
        if (strength(effort) <= want) best = effort;
    return best;
}

std::string effort_for_budget(std::int64_t budget) {
    if (budget <= 4000) return "low";
    if (budget <= 16000) return "medium";
    if (budget <= 32000) return "high";
    return "max";
}

}  // namespace amq
