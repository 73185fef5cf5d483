#include "common/model_map.hpp"

#include <algorithm>
#include <cctype>

#include "common/strings.hpp"

namespace amq {

namespace {

struct NormalisedName {
    std::string name;
    bool thinking = false;
};

bool strip_suffix(std::string& s, std::string_view suffix) {
    if (s.size() < suffix.size() || s.compare(s.size() - suffix.size(), suffix.size(), suffix))
        return false;
    s.resize(s.size() - suffix.size());
    return true;
}

// "-20250929" (Anthropic) or "@20250929" (Vertex): a separator and exactly eight digits.
bool strip_date(std::string& s) {
    constexpr std::size_t kDigits = 8;
    if (s.size() <= kDigits) return false;
    std::size_t start = s.size() - kDigits;
    if (s[start - 1] != '-' && s[start - 1] != '@') return false;
    for (std::size_t i = start; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    s.resize(start - 1);
    return true;
}

// Suffixes come in any order ("…-20250929-thinking", "…-latest-thinking"), so strip until
// none is left.
NormalisedName normalise(std::string_view raw) {
    NormalisedName out;
    out.name.reserve(raw.size());
    for (char c : trim(raw))
        out.name.push_back(
            c == '.' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (;;) {
        if (strip_suffix(out.name, "-thinking")) {
            out.thinking = true;
            continue;
        }
        if (strip_suffix(out.name, "-latest") || strip_date(out.name)) continue;
        return out;
    }
}

const std::string* family_model(const ModelMapConfig& config, std::string_view name) {
    if (name.find("opus") != std::string_view::npos) return &config.opus;
    if (name.find("sonnet") != std::string_view::npos) return &config.sonnet;
    if (name.find("haiku") != std::string_view::npos) return &config.haiku;
    return nullptr;
}

// The reserved names of the model-map key that set a fallback id rather than a table entry.
std::string* fallback_slot(ModelMapConfig& config, std::string_view name) {
    if (name == "default") return &config.default_model;
    if (name == "opus") return &config.opus;
    if (name == "sonnet") return &config.sonnet;
    if (name == "haiku") return &config.haiku;
    return nullptr;
}

// Upstream ids travel inside JSON and log lines: keep them to the characters real ids use.
bool valid_upstream_id(std::string_view id) {
    if (id.empty()) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
               c == ':';
    });
}

}  // namespace

ModelMapConfig default_model_map() {
    ModelMapConfig config;
    config.table = {
        {"claude-sonnet-4", "claude-sonnet-4"},
        {"claude-sonnet-4-5", "claude-sonnet-4.5"},
        {"claude-sonnet-4-6", "claude-sonnet-4.6"},
        {"claude-haiku-4-5", "claude-haiku-4.5"},
        {"claude-opus-4-5", "claude-opus-4.5"},
        {"claude-opus-4-6", "claude-opus-4.6"},
        {"auto", "auto"},
    };
    return config;
}

Result<ModelMapConfig> parse_model_table(std::string_view spec) {
    ModelMapConfig config = default_model_map();
    std::vector<std::pair<std::string, std::string>> entries;
    std::vector<std::string> seen;
    for (std::string_view piece : split(spec, ',')) {
        std::string_view entry = trim(piece);
        if (entry.empty()) continue;  // tolerate "a=b," and "a=b,,c=d"
        std::size_t eq = entry.find('=');
        std::string_view name = eq == std::string_view::npos ? "" : trim(entry.substr(0, eq));
        std::string_view upstream = eq == std::string_view::npos ? "" : trim(entry.substr(eq + 1));
        if (name.empty() || upstream.empty())
            return make_error(Errc::invalid_argument,
                              str_cat("model-map entry '", entry, "': expected name=upstream-id"));
        if (!valid_upstream_id(upstream))
            return make_error(Errc::invalid_argument,
                              str_cat("model-map entry '", entry, "': upstream id '", upstream,
                                      "' may hold only letters, digits, '.', '-', '_' and ':'"));
        std::string key = normalise(name).name;
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            return make_error(
                Errc::invalid_argument,
                str_cat("model-map entry '", entry, "': model '", name, "' is mapped twice"));
        seen.push_back(key);
        if (std::string* slot = fallback_slot(config, key))
            *slot = std::string(upstream);
        else
            entries.emplace_back(std::string(name), std::string(upstream));
    }
    config.table.insert(config.table.begin(), entries.begin(), entries.end());
    return config;
}

std::int64_t context_window_for(std::string_view upstream_id) {
    return upstream_id.find("4.6") != std::string_view::npos ? 1000000 : 200000;
}

ResolvedModel resolve_model(const ModelMapConfig& config, std::string_view client_name) {
    NormalisedName wanted = normalise(client_name);
    ResolvedModel out;
    out.client = std::string(client_name);
    out.thinking = wanted.thinking;
    for (const auto& [name, upstream] : config.table) {
        if (normalise(name).name == wanted.name) {
            out.upstream = upstream;
            out.listed = true;
            break;
        }
    }
    if (out.upstream.empty()) {
        const std::string* family = family_model(config, wanted.name);
        out.upstream = family ? *family : config.default_model;
    }
    out.context_window = context_window_for(out.upstream);
    out.efforts = efforts_for(config.efforts, out.upstream);
    return out;
}

bool model_allowed(const std::vector<std::string>& allowed, std::string_view model,
                   const ModelMapConfig& config) {
    if (allowed.empty()) return true;
    std::string upstream = resolve_model(config, model).upstream;
    for (const std::string& name : allowed)
        if (iequals(name, model) || resolve_model(config, name).upstream == upstream) return true;
    return false;
}

std::vector<std::string> client_model_names(const ModelMapConfig& config) {
    std::vector<std::string> names;
    for (const auto& entry : config.table)
        if (std::find(names.begin(), names.end(), entry.first) == names.end())
            names.push_back(entry.first);
    return names;
}

}  // namespace amq
