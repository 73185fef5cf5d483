// Which URLs an account talks to. Configured URLs may hold "{region}": the token endpoint takes
// the account's region (from its SSO cache file), the API endpoint the region of its profile
// ARN; both default to us-east-1. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace amq {

inline constexpr std::string_view kDefaultRegion = "us-east-1";

inline bool is_http_url(std::string_view s) {
    return s.starts_with("https://") || s.starts_with("http://");
}

std::string expand_region(std::string_view url_template, std::string_view region);
// A region is written into host names: only "eu-west-1"-like names (lower-case letters,
// digits and dashes, at most 32) may be, so that none can point a URL elsewhere.
bool is_region_name(std::string_view region);
// "arn:aws:codewhisperer:eu-central-1:123:profile/X" → "eu-central-1"; "" if not an ARN.
std::string profile_region(std::string_view profile_arn);

// Another endpoint of the same service: ("…/token", "token", "client/register") →
// "…/client/register". An endpoint that does not end in "/<last>" is used as the base.
std::string sibling_endpoint(std::string_view endpoint, std::string_view last,
                             std::string_view name);

// The API endpoints an account calls, in order of preference: its own list when it has one,
// else the configured one. A list is comma-separated URLs that may hold {region}, which
// becomes the region of the profile ARN.
std::vector<std::string> api_endpoints(std::string_view account_list,
                                       std::string_view configured_list,
                                       std::string_view profile_arn);

}  // namespace amq
