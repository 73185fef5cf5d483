#include "common/request_params.hpp"

#include <cmath>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

using rapidjson::Value;

bool is_string_list(const Value& v) {
    if (v.IsString()) return true;
    if (!v.IsArray()) return false;
    for (const Value& item : v.GetArray())
        if (!item.IsString()) return false;
    return true;
}

std::string bounds_text(const ParamRule& rule) {
    bool low = std::isfinite(rule.min), high = std::isfinite(rule.max);
    if (low && high) return str_cat(" between ", rule.min, " and ", rule.max);
    if (low) return str_cat(" of at least ", rule.min);
    if (high) return str_cat(" of at most ", rule.max);
    return "";
}

// What the value should have been, or "" when it is fine.
std::string violation(const Value& v, const ParamRule& rule) {
    switch (rule.kind) {
        case ParamKind::number:
        case ParamKind::integer: {
            bool integer = rule.kind == ParamKind::integer;
            bool typed = integer ? v.IsInt64() : v.IsNumber();
            double x = typed ? v.GetDouble() : 0;
            if (typed && x >= rule.min && x <= rule.max) return "";
            return str_cat("must be ", integer ? "an integer" : "a number", bounds_text(rule));
        }
        case ParamKind::boolean: return v.IsBool() ? "" : "must be true or false";
        case ParamKind::string: return v.IsString() ? "" : "must be a string";
        case ParamKind::string_list:
            return is_string_list(v) ? "" : "must be a string or an array of strings";
        case ParamKind::object: return v.IsObject() ? "" : "must be an object";
    }
    return "";
}

}  // namespace

Status check_params(const Value& request, std::span<const ParamRule> rules) {
    for (const ParamRule& rule : rules) {
        const Value* v = find_member(request, rule.name);
        if (!v) {
            if (rule.required) return field_error(rule.name, "Field required");
            continue;
        }
        if (std::string why = violation(*v, rule); !why.empty()) return field_error(rule.name, why);
    }
    return {};
}

Status check_model_name(std::string_view name) {
    if (name.empty()) return field_error("model", "must not be empty");
    if (name.size() > kMaxModelName)
        return field_error("model", str_cat("must be at most ", kMaxModelName, " bytes"));
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f)
            return field_error("model", "must not contain control characters");
    return {};
}

}  // namespace amq
