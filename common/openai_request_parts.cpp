#include "common/openai_request_parts.hpp"

#include <set>
#include <utility>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

using rapidjson::Value;

constexpr std::string_view kJsonObject =
    "Respond with a single valid JSON object and nothing else.";

std::string_view view(const Value& string) {
    return std::string_view(string.GetString(), string.GetStringLength());
}

std::string_view type_of(const Value& v) { return find_string(v, "type").value_or(""); }

// A named tool in either format: {function:{name}} (Chat) or {name} (Responses, legacy).
std::optional<std::string_view> tool_name_of(const Value& v) {
    const Value* function = find_member(v, "function");
    return find_string(function ? *function : v, "name");
}

bool offers(const QConversation& c, std::string_view name) {
    for (const QTool& t : c.tools)
        if (t.name == name) return true;
    return false;
}

Status require_tool(const QConversation& c, std::string_view path, std::string_view name) {
    if (c.tools.empty()) return field_error(path, "requires tools: the request offers none");
    if (!offers(c, name)) return field_error(path, str_cat("no tool named '", name, "' in tools"));
    return {};
}

Status require_some_tool(QConversation& c, std::string_view path) {
    if (c.tools.empty()) return field_error(path, "requires tools: the request offers none");
    append_text(c.system, kRequiredToolInstruction);
    return {};
}

// Chat nests the list: {allowed_tools:{mode, tools}}; Responses flattens it: {mode, tools}.
Status apply_allowed_tools(const Value& choice, std::string_view path, QConversation& c) {
    const Value* nested = find_member(choice, "allowed_tools");
    const Value& allowed = nested ? *nested : choice;
    std::string list_path = nested ? str_cat(path, ".allowed_tools") : std::string(path);
    const Value* list = find_member(allowed, "tools");
    if (!list || !list->IsArray()) return field_error(path, "needs an array 'tools'");
    std::set<std::string, std::less<>> names;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        auto name = tool_name_of((*list)[i]);
        if (!name)
            return field_error(path_index(str_cat(list_path, ".tools"), i), "needs a tool name");
        names.emplace(*name);
    }
    std::erase_if(c.tools, [&](const QTool& t) { return !names.contains(t.name); });
    std::string_view mode = find_string(allowed, "mode").value_or("auto");
    if (mode == "auto") return {};
    if (mode != "required")
        return field_error(str_cat(list_path, ".mode"), "must be auto or required");
    if (c.tools.empty())
        return field_error(path, "requires tools: none of the allowed tools is offered");
    append_text(c.system, kRequiredToolInstruction);
    return {};
}

std::string schema_instruction(const Value& spec) {
    std::string out =
        "Respond with a single valid JSON value that conforms to the JSON Schema "
        "below, and nothing else: no prose, no Markdown code fences.";
    if (auto name = find_string(spec, "name")) append_text(out, str_cat("Schema name: ", *name));
    if (auto description = find_string(spec, "description")) append_text(out, *description);
    append_text(out, to_json(*find_member(spec, "schema")));
    return out;
}

}  // namespace

Result<QImage> image_from_url(std::string_view url, std::string_view path) {
    std::string_view u = trim(url);
    if (u.starts_with("http://") || u.starts_with("https://"))
        return field_error(
            path, "image_url must be a data: URL; fetching http(s) images is not supported");
    if (!u.starts_with("data:"))
        return field_error(path, "image_url must be a data: URL (data:image/png;base64,…)");
    auto image = make_q_image("", u);
    if (!image) return field_error(path, image.error().message);
    return image;
}

Status apply_tool_choice(const Value& choice, std::string_view path, QConversation& c) {
    if (choice.IsString()) {
        std::string_view mode = view(choice);
        if (mode == "auto") return {};
        if (mode == "none") {
            c.tools.clear();
            return {};
        }
        if (mode != "required")
            return field_error(path, "must be auto, none, required or an object");
        return require_some_tool(c, path);
    }
    if (!choice.IsObject()) return field_error(path, "must be a string or an object");
    if (type_of(choice) == "allowed_tools") return apply_allowed_tools(choice, path, c);
    auto name = tool_name_of(choice);
    if (!name)
        return field_error(path,
                           "must name a tool: {type:\"function\",function:{name}} or {type,name}");
    if (Status s = require_tool(c, path, *name); !s) return s;
    append_text(c.system, str_cat("You must call the tool \"", *name, "\" in this response."));
    return {};
}

Status apply_output_format(const Value& format, std::string_view path, bool schema_nested,
                           QConversation& c) {
    if (!format.IsObject()) return field_error(path, "must be an object");
    std::string_view type = type_of(format);
    if (type == "text") return {};
    if (type == "json_object") {
        append_text(c.system, kJsonObject);
        return {};
    }
    if (type != "json_schema")
        return field_error(str_cat(path, ".type"),
                           str_cat("'", type, "' is not one of text, json_object, json_schema"));
    const Value* spec = &format;
    std::string spec_path(path);
    if (schema_nested) {
        spec = find_member(format, "json_schema");
        spec_path = str_cat(path, ".json_schema");
        if (!spec || !spec->IsObject()) return field_error(spec_path, "an object is required");
    }
    const Value* schema = find_member(*spec, "schema");
    if (schema ? !schema->IsObject() : !schema_nested)
        return field_error(str_cat(spec_path, ".schema"),
                           schema ? "must be an object" : "an object is required");
    append_text(c.system, schema ? schema_instruction(*spec) : std::string(kJsonObject));
    return {};
}

Status apply_reasoning_effort(const Value& effort, std::string_view path, QConversation& c) {
    struct Level {
        std::string_view name;
        std::int64_t budget;
        std::string_view native;
    };
    constexpr Level kLevels[] = {{"minimal", 1024, "low"},
                                 {"low", 4000, "low"},
                                 {"medium", 16000, "medium"},
                                 {"high", 32000, "high"},
                                 {"xhigh", 32000, "xhigh"}};
    std::string_view e = effort.IsString() ? view(effort) : "";
    if (e == "none") return {};
    for (const Level& level : kLevels) {
        if (level.name != e) continue;
        c.thinking_budget = level.budget;
        c.effort = std::string(level.native);
        return {};
    }
    return field_error(path, "must be one of none, minimal, low, medium, high, xhigh");
}

}  // namespace amq
