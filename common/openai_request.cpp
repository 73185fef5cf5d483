// Reading the OpenAI Chat Completions format into a QConversation (docs/translation.md,
// request rule 13).
//
// Mappings the upstream has no field for:
// - system and developer messages, wherever they stand, join the system prompt in order.
// - tool_choice: "auto" (the default) changes nothing; "none" offers no tools (tool calls in
//   the history keep working: q_request gives them minimal specs, rule 5); "required" and
//   {type:"function", function:{name}} append an instruction to the system prompt
//   (kRequiredTool; 'You must call the tool "X" in this response.'), as the upstream cannot
//   force a call, so the model is told instead; {type:"allowed_tools"}
//   offers only the listed tools, with the "required" instruction when its mode says so.
//   The legacy function_call field maps the same way when tool_choice is absent.
// - response_format: {type:"text"} changes nothing; {type:"json_object"} appends
//   kJsonObject to the system prompt; {type:"json_schema"} appends an instruction holding
//   the schema (and its name and description when given).
// - reasoning_effort turns thinking on with a budget: minimal 1024, low 4000, medium 16000,
//   high and xhigh 32000 (the largest budget we send). "none" or no value leave thinking to
//   the model name (a -thinking suffix turns it on with the default budget).
// - user is the session: the same user gets the same upstream conversation id.
// - n > 1 is refused: the upstream returns one answer per request.
// - max_tokens, max_completion_tokens, temperature, top_p, stop, presence_penalty,
//   frequency_penalty, seed, logprobs, top_logprobs, parallel_tool_calls, store and metadata
//   are checked for their type, then dropped; logit_bias, service_tier and other fields are
//   dropped unchecked: the upstream has no field for them (docs/translation.md §1).
// - Legacy: "functions" are tools; a "function" message answers the latest assistant
//   function_call, whose tool-use id is made up here (the legacy format has none).
// - Images must be data: URLs; http(s) URLs are refused (rule 9), as are audio and files.
#include "common/openai_request.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/json.hpp"
#include "common/openai_request_parts.hpp"
#include "common/q_request.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

using rapidjson::Value;

std::string_view view(const Value& string) {
    return std::string_view(string.GetString(), string.GetStringLength());
}

std::string_view part_type(const Value& part) { return find_string(part, "type").value_or(""); }

// ---- content parts -------------------------------------------------------------------------

// A string, or an array of text parts (system, developer; refusal parts for the assistant).
Status read_text_content(const Value& content, std::string_view path, std::string& out,
                         bool refusals = false) {
    if (content.IsString()) {
        append_text(out, view(content));
        return {};
    }
    if (!content.IsArray()) return field_error(path, "must be a string or an array of text parts");
    for (rapidjson::SizeType i = 0; i < content.Size(); ++i) {
        std::string p = path_index(path, i);
        std::string_view type = part_type(content[i]);
        bool refusal = refusals && type == "refusal";  // an assistant's refusal is its text
        if (type != "text" && !refusal)
            return field_error(p, str_cat("part type '", type, "' is not allowed here; only text"));
        const char* field = refusal ? "refusal" : "text";
        auto text = find_string(content[i], field);
        if (!text) return field_error(p, str_cat("a ", type, " part needs a string '", field, "'"));
        append_text(out, *text);
    }
    return {};
}

Result<QImage> read_image_url(const Value& part, std::string_view path) {
    const Value* image_url = find_member(part, "image_url");
    std::optional<std::string_view> url;
    if (image_url && image_url->IsString()) url = view(*image_url);  // a common shorthand
    if (image_url && image_url->IsObject()) url = find_string(*image_url, "url");
    if (!url)
        return field_error(path,
                           "an image_url part needs an 'image_url' object with a string 'url'");
    return image_from_url(*url, path);
}

Status read_user_part(const Value& part, std::string_view path, QTurn& turn) {
    if (!part.IsObject()) return field_error(path, "a content part must be an object");
    std::string_view type = part_type(part);
    if (type == "text") {
        auto text = find_string(part, "text");
        if (!text) return field_error(path, "a text part needs a string 'text'");
        append_text(turn.text, *text);
        return {};
    }
    if (type == "image_url") {
        auto image = read_image_url(part, path);
        if (!image) return image.error();
        turn.images.push_back(std::move(image).value());
        return {};
    }
    if (type == "input_audio") return field_error(path, "audio input is not supported upstream");
    if (type == "file")
        return field_error(path,
                           "file parts are not supported upstream; send the document as text");
    if (type.empty()) return field_error(path, "a content part needs a string 'type'");
    return field_error(path, str_cat("content part type '", type, "' is not supported"));
}

Status read_user_content(const Value& content, std::string_view path, QTurn& turn) {
    if (content.IsString()) {
        turn.text.assign(view(content));
        return {};
    }
    if (!content.IsArray())
        return field_error(path, "must be a string or an array of content parts");
    for (rapidjson::SizeType i = 0; i < content.Size(); ++i)
        if (Status s = read_user_part(content[i], path_index(path, i), turn); !s) return s;
    return {};
}

// Tool results carry text only (rule 7): images move to the turn, where the upstream takes
// them; other parts become their text or, failing that, their JSON.
Status read_tool_output(const Value& content, std::string_view path, QTurn& turn,
                        std::string& text) {
    if (content.IsString()) {
        text.assign(view(content));
        return {};
    }
    if (!content.IsArray()) {
        text = to_json(content);
        return {};
    }
    return read_output_parts(content, path, "image_url", read_image_url, turn, text);
}

// ---- messages ------------------------------------------------------------------------------

struct Reader {
    QConversation& c;
    std::string legacy_call_id;  // the latest assistant function_call, for "function" messages
};

// Rule 8 is q_request's: arguments that are not a JSON object get wrapped there. An object
// instead of a string (some clients send one) is taken as is.
std::string arguments_of(const Value& function) {
    const Value* arguments = find_member(function, "arguments");
    if (!arguments) return "{}";
    return arguments->IsString() ? std::string(view(*arguments)) : to_json(*arguments);
}

// The legacy format has no call ids: one made of the message's path, in the characters tool
// ids use everywhere ("messages.3" → "call_legacy_messages_3").
std::string legacy_call_id(std::string_view path) {
    std::string id = str_cat("call_legacy_", path);
    std::replace(id.begin(), id.end(), '.', '_');
    return id;
}

Status read_tool_calls(const Value& calls, std::string_view path, QTurn& turn) {
    if (!calls.IsArray()) return field_error(path, "must be an array");
    for (rapidjson::SizeType i = 0; i < calls.Size(); ++i) {
        const Value& call = calls[i];
        std::string p = path_index(path, i);
        std::string_view type = part_type(call);
        if (!type.empty() && type != "function")
            return field_error(
                p, str_cat("tool call type '", type, "' is not supported; only function"));
        auto id = find_string(call, "id");
        const Value* function = find_member(call, "function");
        auto name = function ? find_string(*function, "name") : std::nullopt;
        if (!id || !name || name->empty())
            return field_error(p,
                               "a tool call needs a string 'id' and a 'function' with a non-empty "
                               "'name'");
        turn.tool_uses.push_back(
            QToolUse{std::string(*id), std::string(*name), arguments_of(*function)});
    }
    return {};
}

Status read_assistant(const Value& message, std::string_view path, Reader& r) {
    QTurn turn;
    turn.role = QTurn::Role::assistant;
    if (const Value* content = find_member(message, "content")) {
        Status s = read_text_content(*content, str_cat(path, ".content"), turn.text, true);
        if (!s) return s;
    }
    // Echoed by clients of reasoning models: sent back like Anthropic thinking blocks.
    append_text(turn.thinking, find_string(message, "reasoning_content").value_or(""));
    if (const Value* calls = find_member(message, "tool_calls"))
        if (Status s = read_tool_calls(*calls, str_cat(path, ".tool_calls"), turn); !s) return s;
    if (const Value* call = find_member(message, "function_call")) {
        auto name = find_string(*call, "name");
        if (!name || name->empty())
            return field_error(str_cat(path, ".function_call"), "needs a non-empty string 'name'");
        r.legacy_call_id = legacy_call_id(path);
        turn.tool_uses.push_back(
            QToolUse{r.legacy_call_id, std::string(*name), arguments_of(*call)});
    }
    r.c.turns.push_back(std::move(turn));
    return {};
}

// A tool result travels in a user turn of its own; q_request merges it with the tool results
// and the user message that follow (rule 1), so consecutive tool messages become one
// toolResults list of the next user turn.
Status read_tool_message(const Value& message, std::string_view path, std::string_view role,
                         Reader& r) {
    QTurn turn;
    QToolResult result;
    if (role == "tool") {
        auto id = find_string(message, "tool_call_id");
        if (!id) return field_error(path, "a tool message needs a string 'tool_call_id'");
        result.tool_use_id = std::string(*id);
    } else {
        // No pending call: an id nothing answers, which q_request turns into text (rule 4).
        result.tool_use_id = r.legacy_call_id.empty() ? legacy_call_id(str_cat("unmatched_", path))
                                                      : std::exchange(r.legacy_call_id, {});
    }
    if (const Value* content = find_member(message, "content")) {
        Status s = read_tool_output(*content, str_cat(path, ".content"), turn, result.text);
        if (!s) return s;
    }
    turn.tool_results.push_back(std::move(result));
    r.c.turns.push_back(std::move(turn));
    return {};
}

Status read_message(const Value& message, std::string_view path, Reader& r) {
    if (!message.IsObject()) return field_error(path, "a message must be an object");
    std::string_view role = find_string(message, "role").value_or("");
    std::string content_path = str_cat(path, ".content");
    const Value* content = find_member(message, "content");
    if (role == "system" || role == "developer") {
        if (!content) return field_error(content_path, "is required");
        return read_text_content(*content, content_path, r.c.system);
    }
    if (role == "user") {
        if (!content) return field_error(content_path, "is required");
        QTurn turn;
        if (Status s = read_user_content(*content, content_path, turn); !s) return s;
        r.c.turns.push_back(std::move(turn));
        return {};
    }
    if (role == "assistant") return read_assistant(message, path, r);
    if (role == "tool" || role == "function") return read_tool_message(message, path, role, r);
    return field_error(
        str_cat(path, ".role"),
        str_cat("'", role, "' is not one of system, developer, user, assistant, tool"));
}

Status read_messages(const Value& request, QConversation& c) {
    const Value* messages = find_member(request, "messages");
    if (!messages || !messages->IsArray() || messages->Empty())
        return field_error("messages", "a non-empty array of messages is required");
    Reader r{c, {}};
    for (rapidjson::SizeType i = 0; i < messages->Size(); ++i)
        if (Status s = read_message((*messages)[i], path_index("messages", i), r); !s) return s;
    return {};
}

// ---- tools and tool_choice -----------------------------------------------------------------

Status read_function(const Value& function, std::string_view path, QConversation& c) {
    auto name = find_string(function, "name");
    if (!name || name->empty())
        return field_error(path, "a function needs a non-empty string 'name'");
    const Value* parameters = find_member(function, "parameters");
    c.tools.push_back(QTool{std::string(*name),
                            std::string(find_string(function, "description").value_or("")),
                            parameters ? to_json(*parameters) : std::string()});
    return {};
}

// tools: [{type:"function", function:{name, description, parameters, strict}}]; the legacy
// functions: [{name, description, parameters}].
Status read_tools(const Value& request, QConversation& c) {
    if (const Value* tools = find_member(request, "tools")) {
        if (!tools->IsArray()) return field_error("tools", "must be an array");
        for (rapidjson::SizeType i = 0; i < tools->Size(); ++i) {
            const Value& tool = (*tools)[i];
            std::string p = path_index("tools", i);
            std::string_view type = part_type(tool);
            if (!type.empty() && type != "function")
                return field_error(
                    p, str_cat("tool type '", type, "' is not supported; only function"));
            const Value* function = find_member(tool, "function");
            if (!function || !function->IsObject())
                return field_error(p, "a tool needs a 'function' object");
            if (Status s = read_function(*function, str_cat(p, ".function"), c); !s) return s;
        }
    }
    if (const Value* functions = find_member(request, "functions")) {
        if (!functions->IsArray()) return field_error("functions", "must be an array");
        for (rapidjson::SizeType i = 0; i < functions->Size(); ++i)
            if (Status s = read_function((*functions)[i], path_index("functions", i), c); !s)
                return s;
    }
    return {};
}

// tool_choice, or the legacy function_call when tool_choice is absent.
Status apply_choice(const Value& request, QConversation& c) {
    if (const Value* choice = find_member(request, "tool_choice"))
        return apply_tool_choice(*choice, "tool_choice", c);
    if (const Value* call = find_member(request, "function_call"))
        return apply_tool_choice(*call, "function_call", c);
    return {};
}

// ---- response_format -----------------------------------------------------------------------

Status apply_response_format(const Value& request, QConversation& c) {
    const Value* format = find_member(request, "response_format");
    if (!format) return {};
    return apply_output_format(*format, "response_format", true, c);
}

// ---- thinking ------------------------------------------------------------------------------

Status read_reasoning(const Value& request, const ResolvedModel& model,
                      const TranslateOptions& options, QConversation& c) {
    if (model.thinking) c.thinking_budget = options.default_thinking_budget;
    const Value* effort = find_member(request, "reasoning_effort");
    if (!effort) return {};
    return apply_reasoning_effort(*effort, "reasoning_effort", c);
}

// ---- parameters the upstream cannot use: checked, then dropped -----------------------------

constexpr ParamRule kParams[] = {
    {"temperature", ParamKind::number, false, 0, 2},
    {"top_p", ParamKind::number, false, 0, 1},
    {"presence_penalty", ParamKind::number, false, -2, 2},
    {"frequency_penalty", ParamKind::number, false, -2, 2},
    {"max_tokens", ParamKind::integer, false, 1},
    {"max_completion_tokens", ParamKind::integer, false, 1},
    {"seed", ParamKind::integer},
    {"top_logprobs", ParamKind::integer, false, 0, 20},
    {"logprobs", ParamKind::boolean},
    {"parallel_tool_calls", ParamKind::boolean},
    {"store", ParamKind::boolean},
    {"stop", ParamKind::string_list},
    {"metadata", ParamKind::object},
};

Status check_parameters(const Value& request) {
    if (Status s = check_params(request, kParams); !s) return s;
    if (const Value* n = find_member(request, "n")) {
        if (!n->IsInt64() || n->GetInt64() < 1)
            return field_error("n", "must be a positive integer");
        if (n->GetInt64() > 1)
            return field_error("n",
                               "n > 1 is not supported: the upstream gives one answer per request");
    }
    return {};
}

struct Basics {
    std::string model;
    bool stream = false;
    bool include_usage = false;
    std::string user;
};

Result<Basics> read_basics(const Value& request) {
    Basics b;
    auto model = find_string(request, "model");
    if (!model) return field_error("model", "a non-empty string is required");
    if (Status s = check_model_name(*model); !s) return s.error();
    b.model = std::string(*model);
    if (const Value* stream = find_member(request, "stream")) {
        if (!stream->IsBool()) return field_error("stream", "must be true or false");
        b.stream = stream->GetBool();
    }
    if (const Value* so = find_member(request, "stream_options")) {
        if (!so->IsObject()) return field_error("stream_options", "must be an object");
        const Value* usage = find_member(*so, "include_usage");
        if (usage && !usage->IsBool())
            return field_error("stream_options.include_usage", "must be true or false");
        b.include_usage = usage && usage->GetBool();
    }
    if (const Value* user = find_member(request, "user")) {
        if (!user->IsString()) return field_error("user", "must be a string");
        b.user = std::string(view(*user));
    }
    return b;
}

}  // namespace

Result<OpenAiRequest> translate_openai_request(const rapidjson::Value& request,
                                               const TranslateOptions& options) {
    if (!request.IsObject()) return field_error("request", "the body must be a JSON object");
    auto basics = read_basics(request);
    if (!basics) return basics.error();
    if (Status s = check_parameters(request); !s) return s.error();

    OpenAiRequest out;
    UpstreamRequest& up = out.upstream;
    up.model = resolve_model(options.models, basics->model);
    up.stream = basics->stream;
    out.openai.include_usage = basics->include_usage;
    QConversation c;
    if (Status s = read_messages(request, c); !s) return s.error();
    if (Status s = read_tools(request, c); !s) return s.error();
    if (Status s = apply_choice(request, c); !s) return s.error();
    if (Status s = apply_response_format(request, c); !s) return s.error();
    if (Status s = read_reasoning(request, up.model, options, c); !s) return s.error();
    up.thinking = c.thinking_budget.has_value();

    up.session_id = basics->user;
    if (Status written = write_upstream_body(up, std::move(c), options); !written)
        return written.error();
    return out;
}

}  // namespace amq
