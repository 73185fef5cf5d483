// Steps, in order: normalise turns (rules 1, 2) → pair tool calls (rule 4) → prepare tool specs
// (rules 5, 6) → place the system prompt and thinking prefix (rules 3, 11) → write the body
// (rules 7, 8, 10) → cap it (rule 12). Rule numbers are the request rules of
// docs/translation.md §1.
#include "common/q_request.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include <rapidjson/document.h>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/q_plan.hpp"
#include "common/reasoning_effort.hpp"
#include "common/strings.hpp"
#include "common/token_estimate.hpp"

namespace amq {

namespace {

// Placeholders: the upstream rejects empty content, so every empty message gets neutral text
// that gives the model nothing to act on.
constexpr std::string_view kContinue = "Continue";
constexpr std::string_view kToolResultsOnly = "Here are the tool results.";
constexpr std::string_view kAssistantEmpty = "OK";
constexpr std::string_view kSystemAck = "OK";
constexpr std::string_view kEmptyToolResult = "(no output)";
constexpr std::string_view kNoDescription = "No description provided.";
constexpr std::string_view kSynthesisedDescription =
    "A tool used earlier in this conversation. It is not offered for this turn: do not call it.";
constexpr std::string_view kTruncatedNote =
    "\n\n[Description truncated; the full text is in the system prompt under "
    "\"Tool documentation\".]";
constexpr std::size_t kMaxToolDescription = 10000;
// Anthropic bills an image at most ~1 600 tokens once scaled to fit; the base64 length says
// little about that, so every image counts as the maximum (too high beats too low here).
constexpr std::int64_t kImageTokens = 1600;

using Role = QTurn::Role;

std::size_t utf8_cut(std::string_view s, std::size_t limit) {
    if (limit >= s.size()) return s.size();
    while (limit > 0 && (static_cast<unsigned char>(s[limit]) & 0xC0) == 0x80) --limit;
    return limit;
}

// ---- rules 1 and 2: alternation ------------------------------------------------------------

bool turn_empty(const QTurn& t) {
    if (t.role == Role::user) return t.text.empty() && t.images.empty() && t.tool_results.empty();
    return t.text.empty() && t.thinking.empty() && t.signed_thinking.empty() &&
           t.redacted_thinking.empty() && t.tool_uses.empty();
}

template <class T>
void move_append(std::vector<T>& to, std::vector<T>& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// Keeps everything of both turns: dropping the second turn's tool results makes agents loop.
void merge_into(QTurn& into, QTurn& from) {
    append_text(into.text, from.text);
    append_text(into.thinking, from.thinking);
    // One signed block per message goes back natively; a second one's text stays as text.
    if (into.thinking_signature.empty()) {
        into.signed_thinking = std::move(from.signed_thinking);
        into.thinking_signature = std::move(from.thinking_signature);
    } else {
        append_text(into.thinking, from.signed_thinking);
    }
    if (into.redacted_thinking.empty()) into.redacted_thinking = std::move(from.redacted_thinking);
    move_append(into.images, from.images);
    move_append(into.tool_results, from.tool_results);
    move_append(into.tool_uses, from.tool_uses);
}

QTurn placeholder_user() {
    QTurn t;
    t.role = Role::user;
    t.text = std::string(kContinue);
    return t;
}

// Strict user/assistant alternation, starting and ending with a user turn. An empty turn is
// dropped before merging so that it cannot split two turns of the other role. A trailing
// assistant turn (prefill) stays in history and a "Continue" user turn follows it.
std::vector<QTurn> normalise_turns(std::vector<QTurn> turns) {
    std::vector<QTurn> out;
    for (QTurn& t : turns) {
        if (turn_empty(t)) continue;
        if (!out.empty() && out.back().role == t.role)
            merge_into(out.back(), t);
        else
            out.push_back(std::move(t));
    }
    if (out.empty() || out.front().role != Role::user) out.insert(out.begin(), placeholder_user());
    if (out.back().role != Role::user) out.push_back(placeholder_user());
    return out;
}

// ---- rule 4: tool pairing ------------------------------------------------------------------

void dedupe_tool_uses(std::vector<QTurn>& turns) {
    std::set<std::string, std::less<>> seen;
    for (QTurn& t : turns) {
        if (t.role != Role::assistant) continue;
        std::erase_if(t.tool_uses,
                      [&](const QToolUse& u) { return u.id.empty() || !seen.insert(u.id).second; });
    }
}

std::string orphan_result_text(const QToolResult& r) {
    return str_cat("[Result of tool call ", r.tool_use_id, r.is_error ? " (error)" : "", "]\n",
                   r.text.empty() ? kEmptyToolResult : std::string_view(r.text));
}

// Keeps the results that answer a tool use of the preceding assistant turn (the first one per
// id); the others become text at the start of the turn. Returns the ids answered.
std::set<std::string, std::less<>> pair_results(QTurn& user, const QTurn* previous) {
    std::set<std::string, std::less<>> offered;
    if (previous)
        for (const QToolUse& u : previous->tool_uses) offered.insert(u.id);
    std::set<std::string, std::less<>> answered;
    std::vector<QToolResult> kept;
    std::string orphans;
    for (QToolResult& r : user.tool_results) {
        if (!offered.contains(r.tool_use_id))
            append_text(orphans, orphan_result_text(r));
        else if (answered.insert(r.tool_use_id).second)
            kept.push_back(std::move(r));
    }
    user.tool_results = std::move(kept);
    if (!orphans.empty()) {
        append_text(orphans, user.text);
        user.text = std::move(orphans);
    }
    return answered;
}

void pair_tool_calls(std::vector<QTurn>& turns) {
    dedupe_tool_uses(turns);
    for (std::size_t i = 0; i < turns.size(); ++i) {
        if (turns[i].role != Role::user) continue;
        QTurn* previous = i > 0 ? &turns[i - 1] : nullptr;
        auto answered = pair_results(turns[i], previous);
        if (previous)
            std::erase_if(previous->tool_uses,
                          [&](const QToolUse& u) { return !answered.contains(u.id); });
    }
}

// ---- rules 5, 6 and 8: tool specs and tool inputs ------------------------------------------

void clean_schema(rapidjson::Value& schema);

void clean_each(rapidjson::Value& v) {
    if (v.IsArray())
        for (auto& item : v.GetArray()) clean_schema(item);
}

// Walks only schema positions, so a property that happens to be named "required" or
// "$schema" is left alone.
void clean_schema(rapidjson::Value& schema) {
    if (!schema.IsObject()) return;
    schema.RemoveMember("$schema");  // metadata only; the upstream has no use for it
    auto req = schema.FindMember("required");
    if (req != schema.MemberEnd()) {
        if (!req->value.IsArray())
            schema.RemoveMember(req);
        else
            for (auto it = req->value.Begin(); it != req->value.End();)
                it = it->IsString() ? it + 1 : req->value.Erase(it);
    }
    auto props = schema.FindMember("properties");
    if (props != schema.MemberEnd() && !props->value.IsObject()) schema.RemoveMember(props);
    for (const char* key :
         {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}) {
        auto m = schema.FindMember(key);
        if (m != schema.MemberEnd() && m->value.IsObject())
            for (auto& sub : m->value.GetObject()) clean_schema(sub.value);
    }
    for (const char* key : {"items", "additionalProperties", "not", "contains", "if", "then",
                            "else", "propertyNames", "unevaluatedProperties", "additionalItems"}) {
        auto m = schema.FindMember(key);
        if (m == schema.MemberEnd()) continue;
        clean_schema(m->value);  // a schema, or (items, old style) an array of them
        clean_each(m->value);
    }
    for (const char* key : {"anyOf", "oneOf", "allOf", "prefixItems"}) {
        auto m = schema.FindMember(key);
        if (m != schema.MemberEnd()) clean_each(m->value);
    }
}

// No null required/properties anywhere, a string "type" at the top ("object" when missing or
// not a string, e.g. ["object","null"]), and properties on an object schema.
std::string sanitize_schema(std::string_view text) {
    constexpr std::string_view kEmptySchema = R"({"type":"object","properties":{}})";
    auto parsed = parse_json(text);
    if (!parsed.ok() || !parsed->IsObject()) return std::string(kEmptySchema);
    rapidjson::Document& doc = *parsed;
    auto& alloc = doc.GetAllocator();
    clean_schema(doc);
    auto type = doc.FindMember("type");
    if (type == doc.MemberEnd())
        doc.AddMember("type", "object", alloc);
    else if (!type->value.IsString())
        type->value.SetString("object", alloc);
    if (std::string_view(doc["type"].GetString()) == "object" && !doc.HasMember("properties"))
        doc.AddMember("properties", rapidjson::Value(rapidjson::kObjectType), alloc);
    return to_json(doc);
}

// Rule 8: the upstream takes only an object. A JSON string holding an object (OpenAI
// arguments, double-encoded inputs) is parsed; anything else is kept under "value".
std::string object_input(std::string_view text) {
    if (trim(text).empty()) return "{}";
    auto parsed = parse_json(text);
    if (parsed.ok() && parsed->IsObject()) return to_json(*parsed);
    return json_object([&](JsonWriter& w) {
        write_key(w, "value");
        if (parsed.ok())
            parsed->Accept(w);
        else
            write_string(w, text);
    });
}

// Over-long descriptions keep their head in the spec; the whole text goes into the system
// prompt so that nothing the client wrote is lost.
std::string tool_description(const QTool& tool, std::string_view name, std::string& docs) {
    if (trim(tool.description).empty()) return std::string(kNoDescription);
    if (tool.description.size() <= kMaxToolDescription) return tool.description;
    append_text(docs, str_cat("## ", name, "\n\n", tool.description));
    std::string_view d = tool.description;
    std::string out(d.substr(0, utf8_cut(d, kMaxToolDescription - kTruncatedNote.size())));
    out.append(kTruncatedNote);
    return out;
}

PreparedTool prepare_tool(const QTool& tool, ToolNameMap& names, std::string& docs) {
    PreparedTool p;
    p.name = upstream_tool_name(tool.name);
    if (p.name != tool.name) names.emplace(p.name, tool.name);
    p.description = tool_description(tool, p.name, docs);
    p.schema_json = sanitize_schema(tool.schema_json);
    return p;
}

// Declared tools (first of each name), then a minimal spec for every tool the history uses
// but the request does not declare: the upstream rejects tool history without tool specs
// (Claude Code's compaction request sends no tools).
std::vector<PreparedTool> prepare_tools(const std::vector<QTool>& tools,
                                        const std::vector<QTurn>& turns, ToolNameMap& names,
                                        std::string& docs) {
    std::vector<PreparedTool> out;
    std::set<std::string, std::less<>> declared;
    for (const QTool& tool : tools) {
        if (tool.name.empty() || !declared.insert(tool.name).second) continue;
        out.push_back(prepare_tool(tool, names, docs));
    }
    for (const QTurn& t : turns) {
        for (const QToolUse& u : t.tool_uses) {
            if (u.name.empty() || !declared.insert(u.name).second) continue;
            QTool synthesised{u.name, std::string(kSynthesisedDescription), ""};
            out.push_back(prepare_tool(synthesised, names, docs));
        }
    }
    return out;
}

void finish_tool_uses(std::vector<QTurn>& turns) {
    for (QTurn& t : turns) {
        for (QToolUse& u : t.tool_uses) {
            u.name = upstream_tool_name(u.name);
            u.input_json = object_input(u.input_json);
        }
    }
}

// ---- rules 3, 10, 11: message contents -----------------------------------------------------

std::string user_content(const QTurn& t) {
    if (!t.text.empty()) return t.text;
    return std::string(t.tool_results.empty() ? kContinue : kToolResultsOnly);
}

// Signed reasoning travels natively to a model that reasons natively (write_reasoning);
// to any other it is text like unsigned reasoning, never a signature the model did not make.
bool native_reasoning(const QBodyOptions& o) { return !o.efforts.empty(); }

std::string assistant_content(const QTurn& t, bool native) {
    std::string thinking = t.thinking;
    if (!native) append_text(thinking, t.signed_thinking);
    std::string out;
    if (!thinking.empty()) out = str_cat("<thinking>", thinking, "</thinking>");
    append_text(out, t.text);
    return out.empty() ? std::string(kAssistantEmpty) : out;
}

// The system prompt and the documentation of long tool descriptions travel together as one
// block (see write_history); the thinking switch joins them when written (system_with_switch).
std::string system_block(const QConversation& c, std::string_view docs) {
    std::string out = c.system;
    if (!docs.empty()) append_text(out, str_cat("# Tool documentation\n\n", docs));
    return out;
}

// Rule 11: reasoning asked of a model that takes no native effort is asked in the prompt.
std::string system_with_switch(const QPlan& plan, const QBodyOptions& o) {
    if (!plan.thinking_budget || native_reasoning(o)) return plan.system;
    std::string out = str_cat("<thinking_mode>enabled</thinking_mode><max_thinking_length>",
                              *plan.thinking_budget, "</max_thinking_length>");
    append_text(out, plan.system);
    return out;
}

// ---- the body ------------------------------------------------------------------------------

void write_images(JsonWriter& w, const std::vector<QImage>& images) {
    if (images.empty()) return;
    write_key(w, "images");
    w.StartArray();
    for (const QImage& image : images) {
        w.StartObject();
        write_key(w, "format");
        write_string(w, image.format);
        write_key(w, "source");
        w.StartObject();
        write_key(w, "bytes");
        write_string(w, image.bytes);
        w.EndObject();
        w.EndObject();
    }
    w.EndArray();
}

void write_tool_results(JsonWriter& w, const std::vector<QToolResult>& results) {
    write_key(w, "toolResults");
    w.StartArray();
    for (const QToolResult& r : results) {
        w.StartObject();
        write_key(w, "toolUseId");
        write_string(w, r.tool_use_id);
        write_key(w, "content");
        w.StartArray();
        w.StartObject();
        write_key(w, "text");
        write_string(w, r.text.empty() ? kEmptyToolResult : std::string_view(r.text));
        w.EndObject();
        w.EndArray();
        write_key(w, "status");
        write_string(w, r.is_error ? "error" : "success");
        w.EndObject();
    }
    w.EndArray();
}

void write_tool_specs(JsonWriter& w, const std::vector<PreparedTool>& tools) {
    write_key(w, "tools");
    w.StartArray();
    for (const PreparedTool& t : tools) {
        w.StartObject();
        write_key(w, "toolSpecification");
        w.StartObject();
        write_key(w, "name");
        write_string(w, t.name);
        write_key(w, "description");
        write_string(w, t.description);
        write_key(w, "inputSchema");
        w.StartObject();
        write_key(w, "json");
        w.RawValue(t.schema_json.data(), t.schema_json.size(), rapidjson::kObjectType);
        w.EndObject();
        w.EndObject();
        w.EndObject();
    }
    w.EndArray();
}

// `tools` is non-null only for the current message: envState and tool specs go there alone.
void write_user(JsonWriter& w, std::string_view content, const QTurn& turn, const QBodyOptions& o,
                const std::vector<PreparedTool>* tools) {
    w.StartObject();
    write_key(w, "userInputMessage");
    w.StartObject();
    write_key(w, "content");
    write_string(w, content);
    write_key(w, "modelId");
    write_string(w, o.model_id);
    write_key(w, "origin");
    write_string(w, o.origin);
    write_images(w, turn.images);
    if (tools || !turn.tool_results.empty()) {
        write_key(w, "userInputMessageContext");
        w.StartObject();
        if (tools) {
            write_key(w, "envState");
            w.StartObject();
            write_key(w, "operatingSystem");
            write_string(w, "linux");
            write_key(w, "currentWorkingDirectory");
            write_string(w, "/");
            w.EndObject();
            if (!tools->empty()) write_tool_specs(w, *tools);
        }
        if (!turn.tool_results.empty()) write_tool_results(w, turn.tool_results);
        w.EndObject();
    }
    w.EndObject();
    w.EndObject();
}

// reasoningContent {reasoningText {text, signature}} or {redactedContent}: the nested shape
// the upstream takes (a flat one is REQUEST_BODY_INVALID).
void write_reasoning(JsonWriter& w, const QTurn& turn) {
    if (turn.thinking_signature.empty() && turn.redacted_thinking.empty()) return;
    write_key(w, "reasoningContent");
    w.StartObject();
    if (!turn.thinking_signature.empty()) {
        write_key(w, "reasoningText");
        w.StartObject();
        write_key(w, "text");
        write_string(w, turn.signed_thinking);
        write_key(w, "signature");
        write_string(w, turn.thinking_signature);
        w.EndObject();
    } else {
        write_key(w, "redactedContent");
        write_string(w, turn.redacted_thinking);
    }
    w.EndObject();
}

void write_assistant(JsonWriter& w, const QTurn& turn, const QBodyOptions& o) {
    w.StartObject();
    write_key(w, "assistantResponseMessage");
    w.StartObject();
    write_key(w, "content");
    write_string(w, assistant_content(turn, native_reasoning(o)));
    if (native_reasoning(o)) write_reasoning(w, turn);
    if (!turn.tool_uses.empty()) {
        write_key(w, "toolUses");
        w.StartArray();
        for (const QToolUse& u : turn.tool_uses) {
            w.StartObject();
            write_key(w, "toolUseId");
            write_string(w, u.id);
            write_key(w, "name");
            write_string(w, u.name);
            write_key(w, "input");
            w.RawValue(u.input_json.data(), u.input_json.size(), rapidjson::kObjectType);
            w.EndObject();
        }
        w.EndArray();
    }
    w.EndObject();
    w.EndObject();
}

// For the estimate: every reasoning text counts, however it travels.
std::string turn_content(const QTurn& t) {
    return t.role == Role::user ? user_content(t) : assistant_content(t, false);
}

// Rule 3: the system block reaches the model on every request. With history it is the first
// pair (user: block, assistant: "OK"): the same place every turn, tool-result turns included,
// and never inside a message carrying toolResults (rule 11). Without history it prefixes the
// only message, which then cannot carry toolResults (there is no tool use to answer).
void write_history(JsonWriter& w, const QPlan& plan, std::string_view system,
                   const QBodyOptions& o) {
    write_key(w, "history");
    w.StartArray();
    if (!system.empty()) {
        QTurn system_turn;
        write_user(w, system, system_turn, o, nullptr);
        QTurn ack;
        ack.role = Role::assistant;
        ack.text = std::string(kSystemAck);
        write_assistant(w, ack, o);
    }
    for (std::size_t i = 0; i + 1 < plan.turns.size(); ++i) {
        const QTurn& t = plan.turns[i];
        if (t.role == Role::user)
            write_user(w, user_content(t), t, o, nullptr);
        else
            write_assistant(w, t, o);
    }
    w.EndArray();
}

// {"output_config": {"effort"}}: the effort the client asked, else its budget's, as near as
// the model takes.
void write_reasoning_request(JsonWriter& w, const QPlan& plan, const QBodyOptions& o) {
    if (!plan.thinking_budget || !native_reasoning(o)) return;
    std::string wanted =
        plan.effort.empty() ? effort_for_budget(*plan.thinking_budget) : plan.effort;
    write_key(w, "additionalModelRequestFields");
    w.StartObject();
    write_key(w, "output_config");
    w.StartObject();
    write_key(w, "effort");
    write_string(w, nearest_effort(wanted, o.efforts));
    w.EndObject();
    w.EndObject();
}

std::string write_body(const QPlan& plan, const QBodyOptions& o) {
    const QTurn& current = plan.turns.back();
    std::string content = user_content(current);
    bool has_history = plan.turns.size() > 1;
    std::string system = system_with_switch(plan, o);
    if (!has_history && !system.empty()) content = str_cat(system, "\n\n", content);
    return json_object([&](JsonWriter& w) {
        write_key(w, "conversationState");
        w.StartObject();
        write_key(w, "conversationId");
        write_string(w, o.conversation_id);
        write_key(w, "chatTriggerType");
        write_string(w, "MANUAL");
        if (has_history) write_history(w, plan, system, o);
        write_key(w, "currentMessage");
        write_user(w, content, current, o, &plan.tools);
        w.EndObject();
        if (!o.profile_arn.empty()) {
            write_key(w, "profileArn");
            write_string(w, o.profile_arn);
        }
        write_reasoning_request(w, plan, o);
    });
}

std::int64_t estimate_input(const QPlan& plan) {
    std::int64_t n = system_tokens(plan);
    for (const QTurn& t : plan.turns) n += turn_tokens(t);
    for (const PreparedTool& tool : plan.tools) n += tool_tokens(tool);
    return std::max<std::int64_t>(n, 1);
}

}  // namespace

// Counts what the model reads: text, tool inputs and results, tool specs; images at a flat
// rate (their base64 size says nothing about their token cost).
std::int64_t system_tokens(const QPlan& plan) { return estimate_tokens(plan.system); }

std::int64_t turn_tokens(const QTurn& t) {
    std::int64_t n = estimate_tokens(turn_content(t));
    n += kImageTokens * static_cast<std::int64_t>(t.images.size());
    for (const QToolResult& r : t.tool_results) n += estimate_tokens(r.text);
    for (const QToolUse& u : t.tool_uses)
        n += estimate_tokens(u.name) + estimate_tokens(u.input_json);
    return n;
}

std::int64_t tool_tokens(const PreparedTool& tool) {
    return estimate_tokens(tool.name) + estimate_tokens(tool.description) +
           estimate_tokens(tool.schema_json);
}

void append_text(std::string& to, std::string_view text) {
    if (text.empty()) return;
    if (!to.empty()) to.append("\n\n");
    to.append(text);
}

Result<std::string> write_q_body(const QPlan& plan, const QBodyOptions& options) {
    std::string body = write_body(plan, options);
    if (body.size() > options.max_payload)
        return make_error(
            Errc::too_large,
            str_cat("prompt is too long: the request is ", body.size(),
                    " bytes once translated and the upstream accepts at most ", options.max_payload,
                    " bytes; compact or shorten the conversation, or send fewer "
                    "or smaller images and tool results"));
    return body;
}

Result<QBody> build_q_body(QConversation conversation, const QBodyOptions& options) {
    // The daemon answers web_search calls itself: a client tool of that name could never run.
    if (conversation.search_limit > 0 &&
        std::count_if(conversation.tools.begin(), conversation.tools.end(),
                      [](const QTool& t) { return t.name == kWebSearchTool; }) > 1)
        return field_error("tools", str_cat("a tool named '", kWebSearchTool,
                                            "' beside the web search server tool"));
    QBody out;
    auto plan = std::make_shared<QPlan>();
    plan->turns = normalise_turns(std::move(conversation.turns));
    pair_tool_calls(plan->turns);
    std::string docs;
    plan->tools = prepare_tools(conversation.tools, plan->turns, out.tool_names, docs);
    finish_tool_uses(plan->turns);
    plan->system = system_block(conversation, docs);
    plan->thinking_budget = conversation.thinking_budget;
    plan->effort = std::move(conversation.effort);
    auto body = write_q_body(*plan, options);
    if (!body) return body.error();
    out.body = std::move(*body);
    out.estimated_input_tokens = estimate_input(*plan);
    if (options.max_input_tokens > 0 && out.estimated_input_tokens > options.max_input_tokens)
        return make_error(
            Errc::too_large,
            str_cat("prompt is too long: about ", out.estimated_input_tokens,
                    " input tokens once translated, over the limit of ", options.max_input_tokens,
                    "; compact or shorten the conversation"));
    out.plan = std::move(plan);
    return out;
}

Status offer_web_search(const rapidjson::Value& tool, std::string_view path, QConversation& c) {
    c.search_limit = kDefaultSearchLimit;
    if (const rapidjson::Value* max_uses = find_member(tool, "max_uses")) {
        if (!max_uses->IsInt() || max_uses->GetInt() < 1)
            return field_error(str_cat(path, ".max_uses"), "must be a positive integer");
        c.search_limit = max_uses->GetInt();
    }
    c.tools.push_back(QTool{std::string(kWebSearchTool), std::string(kWebSearchDescription),
                            std::string(kWebSearchSchema)});
    return {};
}

std::shared_ptr<const QPlan> extend_plan(const QPlan& plan, QTurn assistant, QTurn user,
                                         std::string_view retire_tool) {
    auto out = std::make_shared<QPlan>(plan);
    std::vector<QTurn> added{std::move(assistant), std::move(user)};
    finish_tool_uses(added);  // the plan's own turns are finished already
    move_append(out->turns, added);
    for (PreparedTool& tool : out->tools)
        if (tool.name == retire_tool) tool.description = std::string(kSynthesisedDescription);
    return out;
}

Status read_output_parts(const rapidjson::Value& parts, std::string_view path,
                         std::string_view image_type, ImageReader read_image, QTurn& turn,
                         std::string& text) {
    for (rapidjson::SizeType i = 0; i < parts.Size(); ++i) {
        const rapidjson::Value& part = parts[i];
        if (find_string(part, "type") == image_type) {
            auto image = read_image(part, path_index(path, i));
            if (!image) return image.error();
            turn.images.push_back(std::move(image).value());
            append_text(text, "[image attached to this message]");
        } else if (auto t = find_string(part, "text")) {
            append_text(text, *t);
        } else {
            append_text(text, to_json(part));
        }
    }
    return {};
}

Result<QImage> make_q_image(std::string_view media_type, std::string_view data) {
    std::string_view type = trim(media_type);
    std::string_view payload = trim(data);
    if (payload.starts_with("data:")) {
        std::size_t comma = payload.find(',');
        if (comma == std::string_view::npos)
            return make_error(Errc::invalid_argument, "malformed data: URL (no comma)");
        std::string_view header = payload.substr(5, comma - 5);
        if (!header.ends_with(";base64"))
            return make_error(Errc::invalid_argument, "a data: URL image must be base64-encoded");
        if (type.empty()) type = header.substr(0, header.find(';'));
        payload = payload.substr(comma + 1);
    }
    std::string lower;
    for (char c : type)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    QImage image;
    if (lower == "image/jpeg" || lower == "image/jpg")
        image.format = "jpeg";
    else if (lower == "image/png" || lower == "image/gif" || lower == "image/webp")
        image.format = lower.substr(6);
    else
        return make_error(Errc::invalid_argument,
                          str_cat("image media type '", type,
                                  "' is not supported; use "
                                  "image/jpeg, image/png, image/gif or image/webp"));
    // Line-wrapped base64 (MIME style) is common; the upstream wants one unbroken string.
    for (char c : payload) {
        if (std::isspace(static_cast<unsigned char>(c))) continue;
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
            return make_error(Errc::invalid_argument, "image data is not base64");
        image.bytes.push_back(c);
    }
    if (image.bytes.empty()) return make_error(Errc::invalid_argument, "image data is empty");
    return image;
}

std::string conversation_id_for_session(std::string_view session_id) {
    Sha256 h = sha256(str_cat("amq2api conversation\n", session_id));
    // Shaped as a version-4 UUID so that any validator upstream accepts it.
    h[6] = static_cast<std::uint8_t>((h[6] & 0x0F) | 0x40);
    h[8] = static_cast<std::uint8_t>((h[8] & 0x3F) | 0x80);
    std::string x = hex(h.data(), 16);
    return str_cat(x.substr(0, 8), "-", x.substr(8, 4), "-", x.substr(12, 4), "-", x.substr(16, 4),
                   "-", x.substr(20, 12));
}

}  // namespace amq
