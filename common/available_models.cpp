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

Result<std::vector<std::string>> parse_available_models(int status, std::string_view body) {
    if (status != 200)
        return make_error(Errc::unavailable, str_cat("ListAvailableModels answered ", status, ": ",
                                                     valid_utf8(body.substr(0, 300))));
    auto doc = parse_json(body);
    if (!doc)
        return make_error(Errc::unavailable, str_cat("ListAvailableModels: ", doc.error().message));
    const rapidjson::Value* list = doc->IsObject() ? find_member(*doc, "models") : nullptr;
    if (!list || !list->IsArray())
        return make_error(Errc::unavailable, "ListAvailableModels: no 'models' list in the answer");
    std::vector<std::string> ids;
    for (const rapidjson::Value& model : list->GetArray()) {
        // Ids end up in routing tables and in admin output: the same bounds as client names.
        auto id = model.IsObject() ? find_string(model, "modelId") : std::nullopt;
        if (id && check_model_name(*id)) ids.emplace_back(*id);
    }
    return ids;
}

}  // namespace amq
