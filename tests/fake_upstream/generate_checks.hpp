// What the real upstream refuses in a generateAssistantResponse body beyond malformed JSON,
// as far as the daemon's translation can get it wrong (docs/upstream.md §3):
// - additionalModelRequestFields: only {"output_config": {"effort": low|medium|high|max}},
//   and only for the models that reason natively (claude-opus-4.6, claude-sonnet-4.6);
//   any other model answers "additionalModelRequestFields is not supported for this model".
// - reasoning in history: assistantResponseMessage.reasoningContent must be the nested
//   {reasoningText: {text, signature}} or {redactedContent} (REQUEST_BODY_INVALID otherwise),
//   and a signature must be the fake's own for that text (THINKING_SIGNATURE_INVALID):
//   "fake-sig:" + the first 32 hex digits of SHA-256(text), which tests script into their
//   reasoningContentEvents (fake_signature below) so that only text the fake "reasoned" can
//   come back signed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace fake {

struct Refusal {
    std::string message;
    std::string reason;  // "" for none
};

std::optional<Refusal> check_generate_body(const rapidjson::Value& body);

std::string fake_signature(std::string_view text);

}  // namespace fake
