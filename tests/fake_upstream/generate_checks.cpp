#include "tests/fake_upstream/generate_checks.hpp"

#include <set>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace fake {

namespace {

using rapidjson::Value;

const std::set<std::string, std::less<>> kNativeModels = {"claude-opus-4.6", "claude-sonnet-4.6"};
const std::set<std::string, std::less<>> kEfforts = {"low", "medium", "high", "max"};

std::string_view model_of(const Value& body) {
    const Value* state = amq::find_member(body, "conversationState");
    const Value* current = state ? amq::find_member(*state, "currentMessage") : nullptr;
    const Value* user = current ? amq::find_member(*current, "userInputMessage") : nullptr;
    return user ? amq::find_string(*user, "modelId").value_or("") : "";
}

std::optional<Refusal> check_reasoning_request(const Value& body) {
    const Value* fields = amq::find_member(body, "additionalModelRequestFields");
    if (!fields) return std::nullopt;
    if (!kNativeModels.contains(model_of(body)))
        return Refusal{"additionalModelRequestFields is not supported for this model", ""};
    const Refusal invalid{"Invalid additionalModelRequestFields", ""};
    if (!fields->IsObject() || fields->MemberCount() != 1) return invalid;
    const Value* config = amq::find_member(*fields, "output_config");
    if (!config || !config->IsObject() || config->MemberCount() != 1) return invalid;
    auto effort = amq::find_string(*config, "effort");
    if (!effort || !kEfforts.contains(*effort)) return invalid;
    return std::nullopt;
}

std::optional<Refusal> check_reasoning_content(const Value& reasoning) {
    const Refusal invalid{"Improperly formed request.", "REQUEST_BODY_INVALID"};
    if (!reasoning.IsObject() || reasoning.MemberCount() != 1) return invalid;
    if (amq::find_string(reasoning, "redactedContent")) return std::nullopt;
    const Value* text_block = amq::find_member(reasoning, "reasoningText");
    auto text = text_block ? amq::find_string(*text_block, "text") : std::nullopt;
    auto signature = text_block ? amq::find_string(*text_block, "signature") : std::nullopt;
    if (!text || !signature) return invalid;
    if (*signature != fake_signature(*text))
        return Refusal{"The thinking signature is invalid.", "THINKING_SIGNATURE_INVALID"};
    return std::nullopt;
}

std::optional<Refusal> check_history(const Value& body) {
    const Value* state = amq::find_member(body, "conversationState");
    const Value* history = state ? amq::find_member(*state, "history") : nullptr;
    if (!history || !history->IsArray()) return std::nullopt;
    for (const Value& entry : history->GetArray()) {
        const Value* assistant = amq::find_member(entry, "assistantResponseMessage");
        const Value* reasoning =
            assistant ? amq::find_member(*assistant, "reasoningContent") : nullptr;
        if (!reasoning) continue;
        if (auto refusal = check_reasoning_content(*reasoning)) return refusal;
    }
    return std::nullopt;
}

}  // namespace

std::optional<Refusal> check_generate_body(const Value& body) {
    if (auto refusal = check_reasoning_request(body)) return refusal;
    return check_history(body);
}

std::string fake_signature(std::string_view text) {
    return amq::str_cat("fake-sig:", amq::hex(amq::sha256(text)).substr(0, 32));
}

}  // namespace fake
