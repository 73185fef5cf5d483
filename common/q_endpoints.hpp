// Which URLs an account talks to. Configured URLs may hold "{region}": the token endpoint takes
// the account's region (from its SSO cache file), the API endpoint the region of its profile
// ARN; both default to us-east-1. Pure.
#pragma once

#include <string>
#include <string_view>

namespace amq {

inline constexpr std::string_view kDefaultRegion = "us-east-1";

std::string expand_region(std::string_view url_template, std::string_view region);
// "arn:aws:codewhisperer:eu-central-1:123:profile/X" → "eu-central-1"; "" if not an ARN.
std::string profile_region(std::string_view profile_arn);

}  // namespace amq
