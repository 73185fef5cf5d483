#include "common/q_endpoints.hpp"

#include "common/strings.hpp"

namespace amq {

bool is_region_name(std::string_view region) {
    if (region.empty() || region.size() > 32) return false;
    for (char c : region)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

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

std::vector<std::string> api_endpoints(std::string_view account_list,
                                       std::string_view configured_list,
                                       std::string_view profile_arn) {
    std::string_view list = trim(account_list).empty() ? configured_list : account_list;
    std::string region = profile_region(profile_arn);
    std::vector<std::string> urls;
    for (std::string_view url : split(list, ','))
        if (!trim(url).empty()) urls.push_back(expand_region(trim(url), region));
    return urls;
}

std::string sibling_endpoint(std::string_view endpoint, std::string_view last,
                             std::string_view name) {
    std::string_view base = endpoint;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    if (base.size() > last.size() && base.ends_with(last) &&
        base[base.size() - last.size() - 1] == '/')
        base.remove_suffix(last.size() + 1);
    return str_cat(base, "/", name);
}

}  // namespace amq
