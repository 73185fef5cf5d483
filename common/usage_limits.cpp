#include "common/usage_limits.hpp"

#include <cctype>
#include <cmath>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

// Numbers arrive as integers or as doubles (epoch seconds with a fraction).
std::int64_t number(const rapidjson::Value* v) {
    if (!v) return 0;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsNumber()) return static_cast<std::int64_t>(std::llround(v->GetDouble()));
    return 0;
}

}  // namespace

std::string usage_limits_path(std::string_view profile_arn) {
    std::string path = "getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST";
    if (!profile_arn.empty()) path += str_cat("&profileArn=", url_encode(profile_arn));
    return path;
}

Result<UsageLimits> parse_usage_limits(int status, std::string_view body) {
    if (status != 200) {
        std::string message(body.substr(0, 300));
        if (auto doc = parse_json(body); doc && doc->IsObject())
            message = std::string(find_string(*doc, "message").value_or(message));
        return make_error(Errc::unavailable,
                          str_cat("getUsageLimits answered ", status, ": ", message));
    }
    auto doc = parse_json(body);
    if (!doc)
        return make_error(Errc::unavailable, str_cat("getUsageLimits: ", doc.error().message));
    UsageLimits limits;
    const rapidjson::Value* list = find_member(*doc, "usageBreakdownList");
    if (!list || !list->IsArray() || list->Empty())
        return make_error(Errc::unavailable, "getUsageLimits: no usageBreakdownList in the answer");
    const rapidjson::Value& first = (*list)[0];
    limits.limit = number(find_member(first, "usageLimit"));
    limits.used = number(find_member(first, "currentUsage"));
    limits.next_reset = number(find_member(first, "nextDateReset"));
    if (const rapidjson::Value* sub = find_member(*doc, "subscriptionInfo"))
        limits.subscription = std::string(find_string(*sub, "type").value_or(""));
    if (const rapidjson::Value* user = find_member(*doc, "userInfo"))
        limits.email = std::string(find_string(*user, "email").value_or(""));
    return limits;
}

}  // namespace amq
