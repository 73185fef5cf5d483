#include "common/available_models.hpp"

#include "common/json.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"

namespace amq {

std::string available_models_path(std::string_view profile_arn) {
    std::string path = "ListAvailableModels?origin=AI_EDITOR";
    if (!profile_arn.empty()) path += str_cat("&profileArn=", url_encode(profile_arn));
    return path;
}

namespace {

// The array `member` of a 200 answer of `call`.
Result<rapidjson::Document> answer_list(std::string_view call, int status, std::string_view body,
                                        const char* member) {
    if (status != 200)
        return make_error(Errc::unavailable, str_cat(call, " answered ", status, ": ",
                                                     valid_utf8(body.substr(0, 300))));
    auto doc = parse_json(body);
    if (!doc) return make_error(Errc::unavailable, str_cat(call, ": ", doc.error().message));
    const rapidjson::Value* list = doc->IsObject() ? find_member(*doc, member) : nullptr;
    if (!list || !list->IsArray())
        return make_error(Errc::unavailable,
                          str_cat(call, ": no '", member, "' list in the answer"));
    return doc;
}

}  // namespace

Result<std::vector<std::string>> parse_available_models(int status, std::string_view body) {
    auto doc = answer_list("ListAvailableModels", status, body, "models");
    if (!doc) return doc.error();
    std::vector<std::string> ids;
    for (const rapidjson::Value& model : (*doc)["models"].GetArray()) {
        // Ids end up in routing tables and in admin output: the same bounds as client names.
        auto id = model.IsObject() ? find_string(model, "modelId") : std::nullopt;
        if (id && check_model_name(*id)) ids.emplace_back(*id);
    }
    return ids;
}

Result<std::vector<std::string>> parse_available_profiles(int status, std::string_view body) {
    auto doc = answer_list("ListAvailableProfiles", status, body, "profiles");
    if (!doc) return doc.error();
    std::vector<std::string> arns;
    for (const rapidjson::Value& profile : (*doc)["profiles"].GetArray()) {
        if (!profile.IsObject()) continue;
        auto arn = find_string(profile, "arn");
        if (!arn) arn = find_string(profile, "profileArn");
        // An ARN goes into every call of the account: only one that names a profile.
        if (arn && arn->starts_with("arn:") && arn->size() <= 256 &&
            arn->find_first_of(" \t\r\n") == std::string_view::npos)
            arns.emplace_back(*arn);
    }
    return arns;
}

}  // namespace amq
