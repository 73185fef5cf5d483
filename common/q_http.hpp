// The HTTP envelope of Amazon Q's generateAssistantResponse call (docs/upstream.md §1,
// Generate): URL and headers for each flavour. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace amq {

struct GenerateCall {
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
};

// flavour "rpc": AWS JSON 1.0 POST to the endpoint with X-Amz-Target (what the Q CLI does);
// "rest": POST <endpoint>/generateAssistantResponse with application/json (Kiro IDE).
// `token_type`: "" for OIDC and Kiro access tokens, "API_KEY" for a Kiro API key (ksk_…),
// which Kiro tells apart by a TokenType header.
GenerateCall generate_call(std::string_view endpoint, std::string_view flavour,
                           std::string_view access_token, std::string_view invocation_id,
                           std::string_view token_type);

}  // namespace amq
