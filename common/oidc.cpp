#include "common/oidc.hpp"

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

std::string oidc_refresh_body(std::string_view client_id, std::string_view client_secret,
                              std::string_view refresh_token) {
    return json_object([&](JsonWriter& w) {
        w.Key("clientId");
        write_string(w, client_id);
        w.Key("clientSecret");
        write_string(w, client_secret);
        w.Key("refreshToken");
        write_string(w, refresh_token);
        w.Key("grantType");
        w.String("refresh_token");
    });
}

namespace {

Error refusal(int status, std::string_view body) {
    std::string error, description;
    if (auto doc = parse_json(body); doc && doc->IsObject()) {
        FieldReader f(*doc);
        error = f.string("error").value_or("");
        description = f.string("error_description").value_or(f.string("message").value_or(""));
    }
    std::string what = error.empty() ? str_cat("HTTP ", status) : error;
    if (!description.empty()) what = str_cat(what, ": ", description);
    bool dead = error == "invalid_grant" || error == "invalid_client" ||
                error == "unauthorized_client" || status == 401 || status == 403;
    if (dead)
        return make_error(Errc::permission_denied, str_cat("token refresh refused (", what, ")"));
    return make_error(Errc::unavailable, str_cat("token refresh failed (", what, ")"));
}

}  // namespace

std::string kiro_refresh_body(std::string_view refresh_token) {
    return json_object([&](JsonWriter& w) {
        w.Key("refreshToken");
        write_string(w, refresh_token);
    });
}

Result<TokenGrant> parse_kiro_response(int status, std::string_view body) {
    auto grant = parse_oidc_response(status, body);
    if (!grant) return grant;
    if (auto doc = parse_json(body); doc && doc->IsObject())
        grant->profile_arn = std::string(find_string(*doc, "profileArn").value_or(""));
    return grant;
}

namespace {

struct GrantFields {
    const char* access_token;
    const char* expires_in;
    const char* refresh_token;
};

Result<TokenGrant> parse_grant(int status, std::string_view body, const GrantFields& names) {
    if (status != 200) return refusal(status, body);
    auto doc = parse_json(body);
    if (!doc)
        return make_error(Errc::unavailable,
                          str_cat("token endpoint answered malformed JSON: ", doc.error().message));
    FieldReader f(*doc);
    TokenGrant grant;
    grant.access_token = f.string(names.access_token, true).value_or("");
    grant.expires_in = f.integer(names.expires_in, true, 1, 366 * 86400).value_or(0);
    grant.refresh_token = f.string(names.refresh_token).value_or("");
    if (!f.ok())
        return make_error(Errc::unavailable,
                          str_cat("token endpoint answer: ", f.status().error().message));
    if (grant.access_token.empty())
        return make_error(Errc::unavailable,
                          str_cat("token endpoint answered an empty ", names.access_token));
    return grant;
}

}  // namespace

Result<TokenGrant> parse_oidc_response(int status, std::string_view body) {
    return parse_grant(status, body, {"accessToken", "expiresIn", "refreshToken"});
}

std::string oauth2_refresh_body(std::string_view client_id, std::string_view refresh_token) {
    return str_cat("grant_type=refresh_token&client_id=", url_encode(client_id),
                   "&refresh_token=", url_encode(refresh_token));
}

Result<TokenGrant> parse_oauth2_response(int status, std::string_view body) {
    return parse_grant(status, body, {"access_token", "expires_in", "refresh_token"});
}

}  // namespace amq
