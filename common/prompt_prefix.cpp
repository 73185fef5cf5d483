#include "common/prompt_prefix.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/q_plan.hpp"

namespace amq {
namespace {

// A part's bytes in a form where no two different sequences of fields read the same:
// every field carries its length.
class PartWriter {
public:
    explicit PartWriter(std::uint64_t previous) { add_number(previous); }
    void add(std::string_view field) {
        add_number(field.size());
        bytes_.append(field);
    }
    void add_number(std::uint64_t n) {
        char raw[sizeof n];
        std::memcpy(raw, &n, sizeof n);
        bytes_.append(raw, sizeof n);
    }
    std::uint64_t hash() const {
        Sha256 digest = sha256(bytes_);
        std::uint64_t h = 0;
        std::memcpy(&h, digest.data(), sizeof h);
        return h;
    }

private:
    std::string bytes_;
};

std::uint64_t head_hash(const QPlan& plan) {
    PartWriter w(0);
    w.add(plan.system);
    w.add_number(plan.tools.size());
    for (const PreparedTool& tool : plan.tools) {
        w.add(tool.name);
        w.add(tool.description);
        w.add(tool.schema_json);
    }
    return w.hash();
}

std::uint64_t turn_hash(std::uint64_t previous, const QTurn& t) {
    PartWriter w(previous);
    w.add_number(static_cast<std::uint64_t>(t.role));
    for (std::string_view field :
         {std::string_view(t.text), std::string_view(t.thinking),
          std::string_view(t.signed_thinking), std::string_view(t.thinking_signature),
          std::string_view(t.redacted_thinking)})
        w.add(field);
    w.add_number(t.images.size());
    for (const QImage& image : t.images) {
        w.add(image.format);
        w.add(image.bytes);
    }
    w.add_number(t.tool_results.size());
    for (const QToolResult& r : t.tool_results) {
        w.add(r.tool_use_id);
        w.add(r.text);
        w.add_number(r.is_error);
    }
    w.add_number(t.tool_uses.size());
    for (const QToolUse& u : t.tool_uses) {
        w.add(u.id);
        w.add(u.name);
        w.add(u.input_json);
    }
    return w.hash();
}

}  // namespace

std::vector<PromptPrefix> prompt_prefixes(const QPlan& plan, std::size_t max) {
    max = std::max<std::size_t>(max, 2);
    std::int64_t tokens = system_tokens(plan);
    for (const PreparedTool& tool : plan.tools) tokens += tool_tokens(tool);
    std::vector<PromptPrefix> out{{head_hash(plan), tokens}};
    // The turns before the deepest max - 1 are chained into the hashes, not listed.
    std::size_t listed_from = plan.turns.size() > max - 1 ? plan.turns.size() - (max - 1) : 0;
    std::uint64_t hash = out.front().hash;
    for (std::size_t i = 0; i < plan.turns.size(); ++i) {
        hash = turn_hash(hash, plan.turns[i]);
        tokens += turn_tokens(plan.turns[i]);
        if (i >= listed_from) out.push_back({hash, tokens});
    }
    out.back().tokens = std::max<std::int64_t>(out.back().tokens, 1);
    return out;
}

}  // namespace amq
