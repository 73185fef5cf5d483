#include "common/q_http.hpp"

#include "common/strings.hpp"

namespace amq {
namespace {

constexpr std::string_view kUserAgent =
    "aws-sdk-rust/1.3.9 ua/2.1 api/codewhispererstreaming/0.1.11582 os/macos lang/rust/1.87.0 "
    "md/appVersion-1.19.3 app/AmazonQ-For-CLI";
constexpr std::string_view kAmzUserAgent =
    "aws-sdk-rust/1.3.9 ua/2.1 api/codewhispererstreaming/0.1.11582 os/macos lang/rust/1.87.0 m/F "
    "app/AmazonQ-For-CLI";

}  // namespace

GenerateCall generate_call(std::string_view endpoint, std::string_view flavour,
                           std::string_view access_token, std::string_view invocation_id,
                           std::string_view token_type) {
    GenerateCall call;
    bool rest = flavour == "rest";
    if (rest) {
        std::string base(endpoint);
        while (!base.empty() && base.back() == '/') base.pop_back();
        call.url = base + "/generateAssistantResponse";
    } else {
        call.url = std::string(endpoint);
    }
    call.headers = {
        str_cat("Authorization: Bearer ", access_token),
        rest ? "Content-Type: application/json" : "Content-Type: application/x-amz-json-1.0",
        str_cat("User-Agent: ", kUserAgent),
        str_cat("X-Amz-User-Agent: ", kAmzUserAgent),
        "X-Amzn-Codewhisperer-Optout: true",
        "Amz-Sdk-Request: attempt=1; max=3",
        str_cat("Amz-Sdk-Invocation-Id: ", invocation_id),
        "Accept: */*",
    };
    if (!token_type.empty()) call.headers.push_back(str_cat("TokenType: ", token_type));
    if (!rest)
        call.headers.push_back(
            "X-Amz-Target: AmazonCodeWhispererStreamingService.GenerateAssistantResponse");
    return call;
}

}  // namespace amq
