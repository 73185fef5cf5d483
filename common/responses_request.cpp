// Reading the OpenAI Responses format into a QConversation (docs/translation.md §7).
//
// - instructions, and system and developer messages wherever they stand, join the system
//   prompt in order.
// - Items become turns as they come: message (user, assistant), function_call and
//   custom_tool_call (assistant tool uses), function_call_output and custom_tool_call_output
//   (tool results), reasoning (earlier reasoning, as the assistant's thinking). q_request
//   merges neighbours of one role (rule 1), so a run of calls is one assistant turn.
// - web_search_call items and web_search tools are dropped: the upstream has no search tool.
//   item_reference and the other hosted-tool items need state or tools this server has not.
// - text.format, tool_choice and reasoning.effort map as in Chat Completions
//   (openai_request_parts).
#include "common/responses_request.hpp"

#include <utility>

#include "common/json.hpp"
#include "common/openai_request_parts.hpp"
#include "common/q_request.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

using rapidjson::Value;

// A custom tool's one member upstream; the model's value of it is the call's input.
constexpr std::string_view kCustomInputSchema =
    R"({"type":"object","properties":{"input":{"type":"string","description":)"
    R"("The tool's whole input as raw text, exactly as the tool description specifies."}},)"
    R"("required":["input"],"additionalProperties":false})";

std::string_view view(const Value& string) {
    return std::string_view(string.GetString(), string.GetStringLength());
}

std::string_view type_of(const Value& v) { return find_string(v, "type").value_or(""); }

// ---- content --------------------------------------------------------------------------------

Result<QImage> read_input_image(const Value& part, std::string_view path) {
    if (find_member(part, "file_id"))
        return field_error(path, "input_image by file_id is not supported; send a data: URL");
    auto url = find_string(part, "image_url");
    if (!url) return field_error(path, "an input_image part needs a string 'image_url'");
    return image_from_url(*url, path);
}

// A message's content: a string, or parts. Text parts append to `text`; images (user only)
// go to `images`.
Status read_content(const Value& content, std::string_view path, std::string& text,
                    std::vector<QImage>* images) {
    if (content.IsString()) {
        append_text(text, view(content));
        return {};
    }
    if (!content.IsArray()) return field_error(path, "must be a string or an array of parts");
    for (rapidjson::SizeType i = 0; i < content.Size(); ++i) {
        const Value& part = content[i];
        std::string p = path_index(path, i);
        std::string_view type = type_of(part);
        if (type == "input_text" || type == "output_text" || type == "text") {
            auto t = find_string(part, "text");
            if (!t) return field_error(p, str_cat("a ", type, " part needs a string 'text'"));
            append_text(text, *t);
        } else if (type == "refusal") {
            append_text(text, find_string(part, "refusal").value_or(""));
        } else if (type == "input_image" && images) {
            auto image = read_input_image(part, p);
            if (!image) return image.error();
            images->push_back(std::move(image).value());
        } else if (type == "input_file") {
            return field_error(p, "input_file is not supported upstream; send the text");
        } else {
            return field_error(p, str_cat("part type '", type, "' is not allowed here"));
        }
    }
    return {};
}

// A tool's output: a string, or input_text / input_image parts (images move to the turn).
Status read_output(const Value* output, std::string_view path, QTurn& turn, std::string& text) {
    if (!output) return {};
    if (output->IsString()) {
        text.assign(view(*output));
        return {};
    }
    if (!output->IsArray()) return field_error(path, "must be a string or an array of parts");
    return read_output_parts(*output, path, "input_image", read_input_image, turn, text);
}

// ---- items ----------------------------------------------------------------------------------

Status read_message(const Value& item, std::string_view path, QConversation& c) {
    std::string_view role = find_string(item, "role").value_or("");
    const Value* content = find_member(item, "content");
    std::string content_path = str_cat(path, ".content");
    if (!content) return field_error(content_path, "is required");
    if (role == "system" || role == "developer")
        return read_content(*content, content_path, c.system, nullptr);
    QTurn turn;
    if (role == "assistant") {
        turn.role = QTurn::Role::assistant;
        if (Status s = read_content(*content, content_path, turn.text, nullptr); !s) return s;
    } else if (role == "user") {
        if (Status s = read_content(*content, content_path, turn.text, &turn.images); !s) return s;
    } else {
        return field_error(
            str_cat(path, ".role"),
            str_cat("'", role, "' is not one of user, assistant, system, developer"));
    }
    c.turns.push_back(std::move(turn));
    return {};
}

Result<std::string> call_id_of(const Value& item, std::string_view path) {
    auto id = find_string(item, "call_id");
    if (!id || id->empty()) return field_error(path, "needs a non-empty string 'call_id'");
    return std::string(*id);
}

// function_call {call_id, name, namespace?, arguments} and custom_tool_call {…, input}.
Status read_call(const Value& item, std::string_view path, bool custom, QConversation& c) {
    auto id = call_id_of(item, path);
    if (!id) return id.error();
    auto name = find_string(item, "name");
    if (!name || name->empty()) return field_error(path, "needs a non-empty string 'name'");
    std::string flat = flat_tool_name(find_string(item, "namespace").value_or(""), *name);
    std::string input;
    if (custom) {
        auto text = find_string(item, "input");
        if (!text) return field_error(path, "a custom_tool_call needs a string 'input'");
        input = json_object([&](JsonWriter& w) { write_field(w, "input", *text); });
    } else {
        auto arguments = find_string(item, "arguments");
        if (!arguments) return field_error(path, "a function_call needs a string 'arguments'");
        input = std::string(*arguments);
    }
    QTurn turn;
    turn.role = QTurn::Role::assistant;
    turn.tool_uses.push_back(QToolUse{std::move(id).value(), std::move(flat), std::move(input)});
    c.turns.push_back(std::move(turn));
    return {};
}

Status read_call_output(const Value& item, std::string_view path, QConversation& c) {
    auto id = call_id_of(item, path);
    if (!id) return id.error();
    QTurn turn;
    QToolResult result{std::move(id).value(), {}, false};
    if (Status s =
            read_output(find_member(item, "output"), str_cat(path, ".output"), turn, result.text);
        !s)
        return s;
    turn.tool_results.push_back(std::move(result));
    c.turns.push_back(std::move(turn));
    return {};
}

// Earlier reasoning: its summary and content texts, signed when encrypted_content carries the
// upstream's signature, or the redacted reasoning it carries.
void read_reasoning_item(const Value& item, QConversation& c) {
    QTurn turn;
    turn.role = QTurn::Role::assistant;
    std::string text;
    for (const char* member : {"summary", "content"}) {
        const Value* parts = find_member(item, member);
        if (!parts || !parts->IsArray()) continue;
        for (const Value& part : parts->GetArray())
            append_text(text, find_string(part, "text").value_or(""));
    }
    std::string_view sealed = find_string(item, "encrypted_content").value_or("");
    if (sealed.starts_with(kRedactedReasoningPrefix)) {
        turn.redacted_thinking = std::string(sealed.substr(kRedactedReasoningPrefix.size()));
        turn.thinking = std::move(text);
    } else if (!sealed.empty() && !text.empty()) {
        turn.signed_thinking = std::move(text);
        turn.thinking_signature = std::string(sealed);
    } else {
        turn.thinking = std::move(text);
    }
    c.turns.push_back(std::move(turn));
}

Status read_item(const Value& item, std::string_view path, QConversation& c) {
    if (!item.IsObject()) return field_error(path, "an input item must be an object");
    std::string_view type = type_of(item);
    if (type == "message" || (type.empty() && find_member(item, "role")))
        return read_message(item, path, c);
    if (type == "function_call") return read_call(item, path, false, c);
    if (type == "custom_tool_call") return read_call(item, path, true, c);
    if (type == "function_call_output" || type == "custom_tool_call_output")
        return read_call_output(item, path, c);
    if (type == "reasoning") {
        read_reasoning_item(item, c);
        return {};
    }
    if (type == "web_search_call") return {};
    if (type == "item_reference")
        return field_error(path,
                           "item_reference is not supported: this server keeps no responses; "
                           "send the items themselves");
    if (type.empty()) return field_error(path, "an input item needs a string 'type'");
    return field_error(path, str_cat("input item type '", type, "' is not supported"));
}

Status read_input(const Value& request, QConversation& c) {
    const Value* input = find_member(request, "input");
    if (!input) return field_error("input", "is required: a string or an array of items");
    if (input->IsString()) {
        QTurn turn;
        turn.text.assign(view(*input));
        c.turns.push_back(std::move(turn));
        return {};
    }
    if (!input->IsArray() || input->Empty())
        return field_error("input", "must be a string or a non-empty array of items");
    for (rapidjson::SizeType i = 0; i < input->Size(); ++i)
        if (Status s = read_item((*input)[i], path_index("input", i), c); !s) return s;
    return {};
}

// ---- tools ----------------------------------------------------------------------------------

struct ToolReader {
    QConversation& c;
    ResponsesToolBook& book;
};

// A custom tool's format, as the model learns it: free text, or text in a grammar.
std::string custom_description(const Value& tool, std::string_view description) {
    std::string out(description);
    const Value* format = find_member(tool, "format");
    if (!format || type_of(*format) != "grammar") return out;
    append_text(
        out, str_cat("The input must follow this ", find_string(*format, "syntax").value_or("lark"),
                     " grammar:\n", find_string(*format, "definition").value_or("")));
    return out;
}

Status read_tool(const Value& tool, std::string_view path, std::string_view name_space,
                 std::string_view namespace_description, ToolReader& r) {
    std::string_view type = type_of(tool);
    auto name = find_string(tool, "name");
    if (!name || name->empty()) return field_error(path, "a tool needs a non-empty string 'name'");
    std::string description(find_string(tool, "description").value_or(""));
    append_text(description, namespace_description);
    std::string flat = flat_tool_name(name_space, *name);
    ResponsesTool entry{ResponsesTool::Kind::function, std::string(name_space), std::string(*name)};
    if (type == "function") {
        const Value* parameters = find_member(tool, "parameters");
        r.c.tools.push_back(
            QTool{flat, std::move(description), parameters ? to_json(*parameters) : std::string()});
    } else if (type == "custom") {
        entry.kind = ResponsesTool::Kind::custom;
        r.c.tools.push_back(
            QTool{flat, custom_description(tool, description), std::string(kCustomInputSchema)});
    } else {
        return field_error(path, str_cat("tool type '", type,
                                         "' is not supported; only function, custom, namespace"));
    }
    if (!r.book.emplace(std::move(flat), std::move(entry)).second)
        return field_error(path, str_cat("a second tool named '", *name, "'"));
    return {};
}

Status read_namespace(const Value& tool, std::string_view path, ToolReader& r) {
    auto name = find_string(tool, "name");
    const Value* inner = find_member(tool, "tools");
    if (!name || name->empty() || !inner || !inner->IsArray())
        return field_error(path,
                           "a namespace needs a non-empty string 'name' and an array 'tools'");
    std::string description;
    if (auto d = find_string(tool, "description"); d && !d->empty())
        description = str_cat("(Part of ", *name, ": ", *d, ")");
    for (rapidjson::SizeType i = 0; i < inner->Size(); ++i) {
        std::string p = path_index(str_cat(path, ".tools"), i);
        if (!(*inner)[i].IsObject()) return field_error(p, "a tool must be an object");
        if (Status s = read_tool((*inner)[i], p, *name, description, r); !s) return s;
    }
    return {};
}

bool is_web_search(std::string_view type) { return type.starts_with("web_search"); }

Status read_tools(const Value& request, ToolReader& r) {
    const Value* tools = find_member(request, "tools");
    if (!tools) return {};
    if (!tools->IsArray()) return field_error("tools", "must be an array");
    for (rapidjson::SizeType i = 0; i < tools->Size(); ++i) {
        const Value& tool = (*tools)[i];
        std::string p = path_index("tools", i);
        if (!tool.IsObject()) return field_error(p, "a tool must be an object");
        std::string_view type = type_of(tool);
        Status s = type == "namespace"   ? read_namespace(tool, p, r)
                   : is_web_search(type) ? offer_web_search(tool, p, r.c)
                                         : read_tool(tool, p, "", "", r);
        if (!s) return s;
    }
    return {};
}

// ---- parameters -----------------------------------------------------------------------------

constexpr ParamRule kParams[] = {
    {"instructions", ParamKind::string},
    {"temperature", ParamKind::number, false, 0, 2},
    {"top_p", ParamKind::number, false, 0, 1},
    {"max_output_tokens", ParamKind::integer, false, 1},
    {"max_tool_calls", ParamKind::integer, false, 1},
    {"top_logprobs", ParamKind::integer, false, 0, 20},
    {"parallel_tool_calls", ParamKind::boolean},
    {"store", ParamKind::boolean},
    {"stream", ParamKind::boolean},
    {"background", ParamKind::boolean},
    {"metadata", ParamKind::object},
    {"user", ParamKind::string},
    {"prompt_cache_key", ParamKind::string},
    {"safety_identifier", ParamKind::string},
    {"service_tier", ParamKind::string},
    {"truncation", ParamKind::string},
    {"include", ParamKind::string_list},
    {"text", ParamKind::object},
    {"reasoning", ParamKind::object},
    {"stream_options", ParamKind::object},
};

// Fields that need responses kept on the server, which this one does not keep.
Status refuse_stored_state(const Value& request) {
    for (const char* field : {"previous_response_id", "conversation", "prompt"})
        if (find_member(request, field))
            return field_error(field,
                               "is not supported: this server keeps no responses; send the whole "
                               "conversation in input (store: false)");
    if (const Value* background = find_member(request, "background");
        background && background->GetBool())
        return field_error("background", "background responses are not supported");
    return {};
}

Status read_reasoning(const Value& request, const ResolvedModel& model,
                      const TranslateOptions& options, QConversation& c, ResponsesOptions& out) {
    if (model.thinking) c.thinking_budget = options.default_thinking_budget;
    const Value* reasoning = find_member(request, "reasoning");
    const Value* effort = reasoning ? find_member(*reasoning, "effort") : nullptr;
    if (!effort) return {};
    if (Status s = apply_reasoning_effort(*effort, "reasoning.effort", c); !s) return s;
    out.reasoning_effort = std::string(view(*effort));
    return {};
}

Status read_options(const Value& request, QConversation& c) {
    if (const Value* text = find_member(request, "text"))
        if (const Value* format = find_member(*text, "format"))
            if (Status s = apply_output_format(*format, "text.format", false, c); !s) return s;
    if (const Value* choice = find_member(request, "tool_choice"))
        return apply_tool_choice(*choice, "tool_choice", c);
    return {};
}

std::string session_of(const Value& request) {
    if (auto key = find_string(request, "prompt_cache_key"); key && !key->empty())
        return std::string(*key);
    return std::string(find_string(request, "user").value_or(""));
}

void read_echoes(const Value& request, ResponsesOptions& out) {
    if (const Value* max = find_member(request, "max_output_tokens"))
        out.max_output_tokens = max->GetInt64();
    if (const Value* parallel = find_member(request, "parallel_tool_calls"))
        out.parallel_tool_calls = parallel->GetBool();
    if (const Value* store = find_member(request, "store")) out.store = store->GetBool();
}

}  // namespace

std::string flat_tool_name(std::string_view name_space, std::string_view name) {
    return name_space.empty() ? std::string(name) : str_cat(name_space, "__", name);
}

Result<ResponsesRequest> translate_responses_request(const rapidjson::Value& request,
                                                     const TranslateOptions& options) {
    if (!request.IsObject()) return field_error("request", "the body must be a JSON object");
    auto model = find_string(request, "model");
    if (!model) return field_error("model", "a non-empty string is required");
    if (Status s = check_model_name(*model); !s) return s.error();
    if (Status s = check_params(request, kParams); !s) return s.error();
    if (Status s = refuse_stored_state(request); !s) return s.error();

    ResponsesRequest out;
    UpstreamRequest& up = out.upstream;
    up.model = resolve_model(options.models, *model);
    if (const Value* stream = find_member(request, "stream")) up.stream = stream->GetBool();
    QConversation c;
    append_text(c.system, find_string(request, "instructions").value_or(""));
    if (Status s = read_input(request, c); !s) return s.error();
    ToolReader tools{c, out.responses.tools};
    if (Status s = read_tools(request, tools); !s) return s.error();
    if (Status s = read_options(request, c); !s) return s.error();
    if (Status s = read_reasoning(request, up.model, options, c, out.responses); !s)
        return s.error();
    read_echoes(request, out.responses);
    up.thinking = c.thinking_budget.has_value();

    up.session_id = session_of(request);
    if (Status written = write_upstream_body(up, std::move(c), options); !written)
        return written.error();
    return out;
}

}  // namespace amq
