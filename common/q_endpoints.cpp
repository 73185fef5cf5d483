#include "common/q_endpoints.hpp"

#include "common/strings.hpp"

namespace amq {

std::string expand_region(std::string_view url_template, std::string_view region) {
    std::string out(url_template);
    std::string_view use = region.empty() ? kDefaultRegion : region;
    for (size_t pos = out.find("{region}"); pos != std::string::npos;
         pos = out.find("{region}", pos))
        out.replace(pos, 8, use);
    return out;
}

std::string profile_region(std::string_view profile_arn) {
    auto parts = split(profile_arn, ':');
    if (parts.size() < 6 || parts[0] != "arn") return {};
    return std::string(parts[3]);
}

}  // namespace amq
