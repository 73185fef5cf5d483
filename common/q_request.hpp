// The API-neutral form of one chat request, and the one function that turns it into an Amazon Q
// generateAssistantResponse body (docs/translation.md §1). The Anthropic and OpenAI front ends
// only parse their own format into a QConversation; every request rule of that section that does
// not depend on the client's format (alternation, tool pairing, tool specs, placeholders,
// thinking, the system prompt's placement, the payload cap) is applied here, once. Pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/result.hpp"
#include "common/tool_names.hpp"
#include "common/web_search.hpp"

namespace amq {

struct QImage {
    std::string format;  // jpeg, png, gif or webp
    std::string bytes;   // base64, without any data: prefix
};

struct QToolResult {
    std::string tool_use_id;
    std::string text;  // already flattened to text; "" becomes a placeholder
    bool is_error = false;
};

struct QToolUse {
    std::string id;
    std::string name;        // the client's name; shortened here when it is too long
    std::string input_json;  // JSON text; anything but an object is wrapped (rule 8)
};

struct QTurn {
    enum class Role { user, assistant };
    Role role = Role::user;
    std::string text;
    std::string thinking;  // assistant: earlier reasoning without a signature, sent back as text
    // assistant: one earlier reasoning block as the upstream signed it, and redacted reasoning;
    // sent back natively to a model that reasons natively, else as text (or not at all).
    std::string signed_thinking;
    std::string thinking_signature;
    std::string redacted_thinking;
    std::vector<QImage> images;             // user
    std::vector<QToolResult> tool_results;  // user
    std::vector<QToolUse> tool_uses;        // assistant
};

struct QTool {
    std::string name;         // the client's name
    std::string description;  // "" gets a placeholder; long ones move into the system prompt
    std::string schema_json;  // the client's JSON Schema as text; sanitised here
};

struct QConversation {
    std::string system;  // every system / developer instruction, in order
    std::vector<QTurn> turns;
    std::vector<QTool> tools;
    std::optional<std::int64_t> thinking_budget;  // set = thinking on, with this budget
    std::string effort;    // the client's own effort for native reasoning; "": from the budget
    int search_limit = 0;  // web search offered (the daemon runs it): at most this many searches
};

struct QBodyOptions {
    std::string model_id;
    std::string origin = "CLI";
    std::string profile_arn;  // "" = omit profileArn
    std::string conversation_id;
    std::size_t max_payload = 600 * 1024;
    std::int64_t max_input_tokens = 0;  // cap on the estimated input tokens; 0: none
    // The efforts the model takes natively (ResolvedModel::efforts); empty: reasoning through
    // prompt tags, and signed reasoning in history goes back as text.
    std::vector<std::string> efforts;
};

// A conversation with every rule applied: what a body is serialised from.
struct QPlan;

struct QBody {
    std::string body;
    ToolNameMap tool_names;  // shortened → original, for mapping tool uses back
    std::int64_t estimated_input_tokens = 1;
    std::shared_ptr<const QPlan> plan;  // for write_q_body
};

// Errc::too_large ("prompt is too long: …") when the body would exceed options.max_payload or
// its estimated input tokens options.max_input_tokens.
Result<QBody> build_q_body(QConversation conversation, const QBodyOptions& options);
// The body again under other options — an account's own profile ARN or origin — without
// translating the request again. Errc::too_large as build_q_body's payload cap.
Result<std::string> write_q_body(const QPlan& plan, const QBodyOptions& options);

// Appends `text` to `to`, a blank line between non-empty pieces.
void append_text(std::string& to, std::string_view text);

// An image for the upstream from a media type ("image/png") and base64 data that may carry a
// data: URL prefix (whose media type wins when `media_type` is empty). Errors are
// Errc::invalid_argument without a field path: the caller prefixes its own.
Result<QImage> make_q_image(std::string_view media_type, std::string_view data);

// Rule 7: a tool's output given as parts becomes the text of its result — text parts joined,
// image parts (those of `image_type`, read by `read_image`) moved to the turn, where the
// upstream takes images, with a note in their place, and any other part as its JSON.
using ImageReader = Result<QImage> (*)(const rapidjson::Value& part, std::string_view path);
Status read_output_parts(const rapidjson::Value& parts, std::string_view path,
                         std::string_view image_type, ImageReader read_image, QTurn& turn,
                         std::string& text);

// A client's web-search server tool (Anthropic web_search_20250305, Responses web_search):
// the model is offered kWebSearchTool, which the daemon runs (docs/translation.md §8).
// max_uses, a positive integer, caps the searches; else kDefaultSearchLimit.
Status offer_web_search(const rapidjson::Value& tool, std::string_view path, QConversation& c);

// The plan with one more exchange appended — the assistant's turn and the user's turn that
// answers it (a server tool's results) — for the continuation of an answer. `retire_tool`,
// when given, stays described for the history but is no longer offered.
std::shared_ptr<const QPlan> extend_plan(const QPlan& plan, QTurn assistant, QTurn user,
                                         std::string_view retire_tool = {});

// A stable UUID-formatted conversation id for a client session: the same session always gets
// the same id, so the upstream sees one conversation.
std::string conversation_id_for_session(std::string_view session_id);

}  // namespace amq
