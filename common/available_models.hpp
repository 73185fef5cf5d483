// Amazon Q's ListAvailableModels and ListAvailableProfiles answers: the model ids an account
// may use, and the profiles (ARNs) it may call with. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

// "ListAvailableModels?origin=AI_EDITOR[&profileArn=…]"
std::string available_models_path(std::string_view profile_arn);

// {"models": [{"modelId": "claude-sonnet-4.5", …}, …]} → the ids, in the answer's order.
Result<std::vector<std::string>> parse_available_models(int status, std::string_view body);

// POST …/ListAvailableProfiles with this body; IAM Identity Center accounts must name a
// profile, Builder ID ones have none.
inline constexpr std::string_view kAvailableProfilesBody = R"({"maxResults":10})";

// {"profiles": [{"arn": "arn:aws:codewhisperer:…:profile/…", "profileName"}, …]} → the ARNs,
// in the answer's order (some answers name the member "profileArn").
Result<std::vector<std::string>> parse_available_profiles(int status, std::string_view body);

}  // namespace amq
