// Reading the Anthropic format into a QConversation. What the upstream cannot use is checked
// for its shape and dropped: max_tokens, temperature, top_p, top_k, stop_sequences,
// tool_choice, context_management, output_config, cache_control, citations, tool signatures,
// defer_loading. What it cannot represent and the client would miss is an error naming the
// field (URL images, PDF documents, unknown block types).
#include "common/anthropic_request.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "common/json.hpp"
#include "common/q_request.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

using rapidjson::Value;

std::string_view block_type(const Value& block) { return find_string(block, "type").value_or(""); }

// ---- text, system ---------------------------------------------------------------------------

Status read_text_block(const Value& block, std::string_view path, std::string& out) {
    auto text = find_string(block, "text");
    if (!text) return field_error(path, "a text block needs a string 'text'");
    append_text(out, *text);
    return {};
}

// A string, or an array of text blocks (the form that carries cache_control).
Status read_text_content(const Value& content, std::string_view path, std::string& out) {
    if (content.IsString()) {
        append_text(out, std::string_view(content.GetString(), content.GetStringLength()));
        return {};
    }
    if (!content.IsArray()) return field_error(path, "must be a string or an array of text blocks");
    for (rapidjson::SizeType i = 0; i < content.Size(); ++i) {
        std::string p = path_index(path, i);
        std::string_view type = block_type(content[i]);
        if (type != "text")
            return field_error(p,
                               str_cat("block type '", type, "' is not allowed here; only text"));
        if (Status s = read_text_block(content[i], p, out); !s) return s;
    }
    return {};
}

// ---- user blocks ---------------------------------------------------------------------------

Result<QImage> read_image(const Value& block, std::string_view path) {
    const Value* source = find_member(block, "source");
    if (!source || !source->IsObject())
        return field_error(path, "an image block needs a 'source' object");
    std::string_view type = find_string(*source, "type").value_or("");
    if (type != "base64")
        return field_error(
            path, str_cat("image source type '", type, "' is not supported; send base64 data"));
    auto data = find_string(*source, "data");
    if (!data) return field_error(path, "an image source needs a string 'data'");
    auto image = make_q_image(find_string(*source, "media_type").value_or(""), *data);
    if (!image) return field_error(path, image.error().message);
    return image;
}

Status read_tool_result(const Value& block, std::string_view path, QTurn& turn) {
    auto id = find_string(block, "tool_use_id");
    if (!id) return field_error(path, "a tool_result block needs a string 'tool_use_id'");
    QToolResult result{std::string(*id), {}, false};
    const Value* is_error = find_member(block, "is_error");
    result.is_error = is_error && is_error->IsBool() && is_error->GetBool();
    const Value* content = find_member(block, "content");
    if (content && content->IsString()) {
        result.text.assign(content->GetString(), content->GetStringLength());
    } else if (content && content->IsArray()) {
        Status s = read_output_parts(*content, str_cat(path, ".content"), "image", read_image, turn,
                                     result.text);
        if (!s) return s;
    } else if (content) {
        result.text = to_json(*content);
    }
    turn.tool_results.push_back(std::move(result));
    return {};
}

// Text documents are plain text to the model; PDFs cannot be sent upstream.
Status read_document(const Value& block, std::string_view path, std::string& text) {
    const Value* source = find_member(block, "source");
    std::string_view type = source ? find_string(*source, "type").value_or("") : "";
    std::string doc;
    if (auto title = find_string(block, "title")) append_text(doc, *title);
    if (type == "text" && find_string(*source, "data")) {
        append_text(doc, *find_string(*source, "data"));
    } else if (type == "content" && find_member(*source, "content")) {
        Status s = read_text_content(*find_member(*source, "content"),
                                     str_cat(path, ".source.content"), doc);
        if (!s) return s;
    } else {
        return field_error(path, str_cat("document source type '", type,
                                         "' is not supported upstream; send the document as text"));
    }
    append_text(text, doc);
    return {};
}

Status read_user_block(const Value& block, std::string_view path, QTurn& turn) {
    std::string_view type = block_type(block);
    if (type == "text") return read_text_block(block, path, turn.text);
    if (type == "tool_result") return read_tool_result(block, path, turn);
    if (type == "document") return read_document(block, path, turn.text);
    if (type == "image") {
        auto image = read_image(block, path);
        if (!image) return image.error();
        turn.images.push_back(std::move(image).value());
        return {};
    }
    if (type.empty()) return field_error(path, "a content block needs a string 'type'");
    return field_error(
        path, str_cat("content block type '", type, "' is not supported in a user message"));
}

// ---- assistant blocks ----------------------------------------------------------------------

Status read_tool_use(const Value& block, std::string_view path, QTurn& turn) {
    auto id = find_string(block, "id");
    auto name = find_string(block, "name");
    if (!id || !name || name->empty())
        return field_error(path, "a tool_use block needs a string 'id' and a non-empty 'name'");
    QToolUse use{std::string(*id), std::string(*name), "{}"};
    // A string input is taken as JSON text (some clients double-encode); q_request makes
    // sure the upstream gets an object either way.
    if (const Value* input = find_member(block, "input"))
        use.input_json = input->IsString()
                             ? std::string(input->GetString(), input->GetStringLength())
                             : to_json(*input);
    turn.tool_uses.push_back(std::move(use));
    return {};
}

// The titles and URLs of a web_search_tool_result block, one per line.
std::string search_result_summary(const Value& block) {
    std::string out = "[Web results]";
    const Value* content = find_member(block, "content");
    if (!content || !content->IsArray()) return out + " none";
    for (const Value& hit : content->GetArray())
        out += str_cat("\n- ", find_string(hit, "title").value_or(""), " (",
                       find_string(hit, "url").value_or(""), ")");
    return out;
}

Status read_assistant_block(const Value& block, std::string_view path, QTurn& turn) {
    std::string_view type = block_type(block);
    if (type == "text") return read_text_block(block, path, turn.text);
    if (type == "tool_use") return read_tool_use(block, path, turn);
    // The upstream's own signature lets reasoning go back natively (q_request decides);
    // unsigned reasoning only ever goes back as text.
    if (type == "thinking") {
        std::string_view text = find_string(block, "thinking").value_or("");
        std::string_view signature = find_string(block, "signature").value_or("");
        if (!signature.empty() && turn.thinking_signature.empty()) {
            turn.signed_thinking = std::string(text);
            turn.thinking_signature = std::string(signature);
        } else {
            append_text(turn.thinking, text);
        }
        return {};
    }
    // A web search the daemon ran in an earlier answer (the client sends its blocks back):
    // the model reads what was searched and found, as the assistant's text.
    if (type == "server_tool_use") {
        const Value* input = find_member(block, "input");
        std::string query = input ? search_query(to_json(*input)) : std::string();
        append_text(turn.text, str_cat("[Searched the web for \"", query, "\"]"));
        return {};
    }
    if (type == "web_search_tool_result") {
        append_text(turn.text, search_result_summary(block));
        return {};
    }
    if (type == "redacted_thinking") {
        if (turn.redacted_thinking.empty())
            turn.redacted_thinking = std::string(find_string(block, "data").value_or(""));
        return {};
    }
    if (type.empty()) return field_error(path, "a content block needs a string 'type'");
    return field_error(
        path, str_cat("content block type '", type, "' is not supported in an assistant message"));
}

// ---- messages ------------------------------------------------------------------------------

Status read_turn_content(const Value& content, std::string_view path, QTurn& turn) {
    if (content.IsString()) {
        turn.text.assign(content.GetString(), content.GetStringLength());
        return {};
    }
    if (!content.IsArray())
        return field_error(path, "must be a string or an array of content blocks");
    for (rapidjson::SizeType i = 0; i < content.Size(); ++i) {
        const Value& block = content[i];
        std::string p = path_index(path, i);
        if (!block.IsObject()) return field_error(p, "a content block must be an object");
        Status s = turn.role == QTurn::Role::user ? read_user_block(block, p, turn)
                                                  : read_assistant_block(block, p, turn);
        if (!s) return s;
    }
    return {};
}

// Rule 14: a system entry among the messages (Claude Code 2.1 ends its first request with one)
// joins the system prompt wherever it stands, so it never becomes the current message nor
// splits two turns.
Status read_message(const Value& message, std::string_view path, QConversation& c) {
    if (!message.IsObject()) return field_error(path, "a message must be an object");
    std::string_view role = find_string(message, "role").value_or("");
    const Value* content = find_member(message, "content");
    if (!content) return field_error(path, "a message needs 'content'");
    std::string content_path = str_cat(path, ".content");
    if (role == "system") return read_text_content(*content, content_path, c.system);
    QTurn turn;
    if (role == "assistant")
        turn.role = QTurn::Role::assistant;
    else if (role != "user")
        return field_error(path,
                           str_cat("role '", role, "' is not one of user, assistant, system"));
    if (Status s = read_turn_content(*content, content_path, turn); !s) return s;
    c.turns.push_back(std::move(turn));
    return {};
}

Status read_messages(const Value& request, QConversation& c) {
    const Value* messages = find_member(request, "messages");
    if (!messages || !messages->IsArray() || messages->Empty())
        return field_error("messages", "a non-empty array of messages is required");
    for (rapidjson::SizeType i = 0; i < messages->Size(); ++i)
        if (Status s = read_message((*messages)[i], path_index("messages", i), c); !s) return s;
    return {};
}

// ---- tools, thinking, session --------------------------------------------------------------

// Web search, a server tool, is run by the daemon (q_request's offer_web_search). The other
// server tools (code_execution, tool search, …) have no upstream equivalent: they are dropped
// without an error so the rest of the request works.
Status read_tools(const Value& request, QConversation& c) {
    const Value* tools = find_member(request, "tools");
    if (!tools) return {};
    if (!tools->IsArray()) return field_error("tools", "must be an array");
    for (rapidjson::SizeType i = 0; i < tools->Size(); ++i) {
        const Value& tool = (*tools)[i];
        std::string p = path_index("tools", i);
        if (!tool.IsObject()) return field_error(p, "a tool must be an object");
        std::string_view type = block_type(tool);
        if (type.starts_with("web_search_")) {
            if (Status s = offer_web_search(tool, p, c); !s) return s;
            continue;
        }
        if (!type.empty() && type != "custom") continue;
        auto name = find_string(tool, "name");
        if (!name || name->empty()) return field_error(p, "a tool needs a non-empty string 'name'");
        const Value* schema = find_member(tool, "input_schema");
        c.tools.push_back(QTool{std::string(*name),
                                std::string(find_string(tool, "description").value_or("")),
                                schema ? to_json(*schema) : std::string()});
    }
    return {};
}

// {type:"enabled", budget_tokens} and {type:"adaptive"} turn thinking on, as does a -thinking
// model suffix; "disabled" and unknown types leave it to the suffix. output_config.effort is
// the effort a natively reasoning model gets (else one follows from the budget).
Status read_thinking(const Value& request, const ResolvedModel& model,
                     const TranslateOptions& options, QConversation& c) {
    if (model.thinking) c.thinking_budget = options.default_thinking_budget;
    if (const Value* config = find_member(request, "output_config")) {
        if (const Value* effort = find_member(*config, "effort")) {
            std::string_view e = effort->IsString() ? std::string_view(effort->GetString()) : "";
            if (std::find(std::begin(kEfforts), std::end(kEfforts), e) == std::end(kEfforts))
                return field_error("output_config.effort",
                                   "must be one of low, medium, high, xhigh, max");
            c.effort = std::string(e);
        }
    }
    const Value* thinking = find_member(request, "thinking");
    if (!thinking || !thinking->IsObject()) return {};
    std::string_view type = block_type(*thinking);
    if (type != "enabled" && type != "adaptive") return {};
    c.thinking_budget = options.default_thinking_budget;
    if (type == "adaptive" && c.effort.empty()) c.effort = "high";  // the model decides
    if (const Value* budget = find_member(*thinking, "budget_tokens")) {
        if (!budget->IsInt64() || budget->GetInt64() < 1)
            return field_error("thinking.budget_tokens", "must be a positive integer");
        c.thinking_budget = budget->GetInt64();
    }
    return {};
}

// As the Messages API checks them; max_tokens is not part of a count_tokens request.
constexpr ParamRule kParams[] = {
    {"max_tokens", ParamKind::integer, true, 1}, {"temperature", ParamKind::number, false, 0, 1},
    {"top_p", ParamKind::number, false, 0, 1},   {"top_k", ParamKind::integer, false, 0},
    {"stop_sequences", ParamKind::string_list},  {"metadata", ParamKind::object},
    {"tool_choice", ParamKind::object},          {"thinking", ParamKind::object},
};

Status check_tool_choice(const Value& request) {
    const Value* choice = find_member(request, "tool_choice");
    if (!choice) return {};
    std::string_view type = block_type(*choice);
    if (type == "tool" && find_string(*choice, "name").value_or("").empty())
        return field_error("tool_choice.name", "Field required for type 'tool'");
    if (type != "auto" && type != "any" && type != "tool" && type != "none")
        return field_error("tool_choice.type", "must be one of auto, any, tool, none");
    return {};
}

Status check_parameters(const Value& request, const TranslateOptions& options) {
    std::span<const ParamRule> rules = kParams;
    if (!options.require_max_tokens) rules = rules.subspan(1);
    if (Status s = check_params(request, rules); !s) return s;
    if (const Value* metadata = find_member(request, "metadata")) {
        const Value* user_id = find_member(*metadata, "user_id");
        if (user_id && !user_id->IsString())
            return field_error("metadata.user_id", "must be a string");
    }
    return check_tool_choice(request);
}

std::string session_of(const Value& request) {
    const Value* metadata = find_member(request, "metadata");
    if (!metadata) return {};
    auto user_id = find_string(*metadata, "user_id");
    return user_id ? session_id_from_user_id(*user_id) : std::string();
}

}  // namespace

std::string session_id_from_user_id(std::string_view user_id) {
    if (trim(user_id).starts_with("{")) {
        auto doc = parse_json(user_id);
        if (!doc.ok()) return {};
        return std::string(find_string(*doc, "session_id").value_or(""));
    }
    constexpr std::string_view kMarker = "_session_";
    std::size_t pos = user_id.rfind(kMarker);
    if (pos == std::string_view::npos) return {};
    return std::string(user_id.substr(pos + kMarker.size()));
}

Result<UpstreamRequest> translate_anthropic_request(const rapidjson::Value& request,
                                                    const TranslateOptions& options) {
    if (!request.IsObject()) return field_error("request", "the body must be a JSON object");
    FieldReader fields(request);
    auto model_name = fields.string("model", true);
    auto stream = fields.boolean("stream");
    if (Status s = fields.status(); !s) return s.error();
    if (Status s = check_model_name(*model_name); !s) return s.error();
    if (Status s = check_parameters(request, options); !s) return s.error();

    UpstreamRequest out;
    out.model = resolve_model(options.models, *model_name);
    out.stream = stream.value_or(false);
    QConversation c;
    if (const Value* system = find_member(request, "system"))
        if (Status s = read_text_content(*system, "system", c.system); !s) return s.error();
    if (Status s = read_messages(request, c); !s) return s.error();
    if (Status s = read_tools(request, c); !s) return s.error();
    if (Status s = read_thinking(request, out.model, options, c); !s) return s.error();
    out.thinking = c.thinking_budget.has_value();

    out.session_id = session_of(request);
    if (Status written = write_upstream_body(out, std::move(c), options); !written)
        return written.error();
    return out;
}

Status write_upstream_body(UpstreamRequest& out, QConversation conversation,
                           const TranslateOptions& options) {
    if (out.session_id.empty()) out.session_id = options.header_session;
    out.conversation_id = out.session_id.empty() ? options.fallback_conversation_id
                                                 : conversation_id_for_session(out.session_id);
    QBodyOptions body_options{out.model.upstream,  options.origin,      options.profile_arn,
                              out.conversation_id, options.max_payload, options.max_input_tokens,
                              out.model.efforts};
    out.search_limit = conversation.search_limit;
    auto body = build_q_body(std::move(conversation), body_options);
    if (!body) return body.error();
    out.body = std::move(body->body);
    out.plan = std::move(body->plan);
    out.body_options = std::move(body_options);
    out.tool_names = std::move(body->tool_names);
    out.estimated_input_tokens = body->estimated_input_tokens;
    return {};
}

}  // namespace amq
