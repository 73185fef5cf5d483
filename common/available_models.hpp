// Amazon Q's ListAvailableModels answer: the model ids an account may use. Pure.
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

}  // namespace amq
