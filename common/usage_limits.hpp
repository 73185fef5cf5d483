// Amazon Q's getUsageLimits answer (docs/upstream.md §1, Account information): what is left of
// an account's monthly quota. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace amq {

struct UsageLimits {
    std::int64_t limit = 0;
    std::int64_t used = 0;
    std::int64_t next_reset = 0;  // unix seconds; 0 = unknown
    std::string subscription;     // subscriptionInfo.type
    std::string email;            // userInfo.email
    std::int64_t remaining() const { return limit > used ? limit - used : 0; }
};

// "/getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST[&profileArn=…]"
std::string usage_limits_path(std::string_view profile_arn);

Result<UsageLimits> parse_usage_limits(int status, std::string_view body);

}  // namespace amq
