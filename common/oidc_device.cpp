#include "common/oidc_device.hpp"

#include "common/json.hpp"
#include "common/q_endpoints.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

// What Amazon Q needs of a client; AWS grants those a start URL allows.
constexpr std::string_view kScopes[] = {
    "codewhisperer:completions",     "codewhisperer:analysis",   "codewhisperer:conversations",
    "codewhisperer:transformations", "codewhisperer:taskassist",
};

// {"error","error_description"} of an OAuth refusal, as "error: description".
std::string oauth_error(int status, std::string_view body, std::string* code) {
    std::string error, description;
    if (auto doc = parse_json(body); doc && doc->IsObject()) {
        FieldReader f(*doc);
        error = f.string("error").value_or("");
        description = f.string("error_description").value_or(f.string("message").value_or(""));
    }
    if (code) *code = error;
    std::string what = error.empty() ? str_cat("HTTP ", status) : error;
    return description.empty() ? what : str_cat(what, ": ", description);
}

Result<rapidjson::Document> answer_object(int status, std::string_view body,
                                          std::string_view what) {
    if (status != 200)
        return make_error(
            status >= 500 || status == 0 ? Errc::unavailable : Errc::permission_denied,
            str_cat(what, " refused (", oauth_error(status, body, nullptr), ")"));
    auto doc = parse_json(body);
    if (!doc || !doc->IsObject())
        return make_error(Errc::unavailable, str_cat(what, " answered malformed JSON"));
    return doc;
}

}  // namespace

std::string oidc_endpoint(std::string_view token_endpoint, std::string_view name) {
    return sibling_endpoint(token_endpoint, "token", name);
}

std::string oidc_register_body(std::string_view client_name, std::string_view start_url) {
    return json_object([&](JsonWriter& w) {
        write_field(w, "clientName", client_name);
        write_field(w, "clientType", "public");
        write_key(w, "scopes");
        w.StartArray();
        for (std::string_view scope : kScopes) write_string(w, scope);
        w.EndArray();
        write_key(w, "grantTypes");
        w.StartArray();
        write_string(w, kDeviceCodeGrant);
        write_string(w, "refresh_token");
        w.EndArray();
        write_field(w, "issuerUrl", start_url);
    });
}

Result<ClientRegistration> parse_registration(int status, std::string_view body) {
    auto doc = answer_object(status, body, "client registration");
    if (!doc) return doc.error();
    FieldReader f(*doc);
    ClientRegistration r;
    r.client_id = f.string("clientId", true).value_or("");
    r.client_secret = f.string("clientSecret", true).value_or("");
    r.expires_at = f.integer("clientSecretExpiresAt", true, 0).value_or(0);
    if (!f.ok() || r.client_id.empty() || r.client_secret.empty())
        return make_error(Errc::unavailable, str_cat("client registration answer: ",
                                                     f.ok() ? "empty clientId or clientSecret"
                                                            : f.status().error().message));
    return r;
}

std::string oidc_device_authorization_body(std::string_view client_id,
                                           std::string_view client_secret,
                                           std::string_view start_url) {
    return json_object([&](JsonWriter& w) {
        write_field(w, "clientId", client_id);
        write_field(w, "clientSecret", client_secret);
        write_field(w, "startUrl", start_url);
    });
}

Result<DeviceAuthorization> parse_device_authorization(int status, std::string_view body) {
    auto doc = answer_object(status, body, "device authorization");
    if (!doc) return doc.error();
    FieldReader f(*doc);
    DeviceAuthorization d;
    d.device_code = f.string("deviceCode", true).value_or("");
    d.user_code = f.string("userCode", true).value_or("");
    d.verification_uri = f.string("verificationUri", true).value_or("");
    d.verification_uri_complete = f.string("verificationUriComplete").value_or(d.verification_uri);
    d.expires_in = f.integer("expiresIn", true, 1, 86400).value_or(0);
    d.interval = f.integer("interval", false, 1, 600).value_or(5);
    if (!f.ok())
        return make_error(Errc::unavailable,
                          str_cat("device authorization answer: ", f.status().error().message));
    return d;
}

std::string oidc_device_token_body(std::string_view client_id, std::string_view client_secret,
                                   std::string_view device_code) {
    return json_object([&](JsonWriter& w) {
        write_field(w, "clientId", client_id);
        write_field(w, "clientSecret", client_secret);
        write_field(w, "grantType", kDeviceCodeGrant);
        write_field(w, "deviceCode", device_code);
    });
}

DevicePoll parse_device_token(int status, std::string_view body) {
    using State = DevicePoll::State;
    if (status == 200) {
        auto grant = parse_oidc_response(status, body);
        if (!grant) return {State::failed, {}, grant.error().message};
        if (grant->refresh_token.empty())
            return {State::failed, {}, "the token endpoint granted no refresh token"};
        return {State::granted, std::move(*grant), {}};
    }
    std::string code;
    std::string what = oauth_error(status, body, &code);
    if (code == "authorization_pending") return {State::pending, {}, {}};
    if (code == "slow_down") return {State::slow_down, {}, {}};
    if (code == "expired_token") return {State::expired, {}, what};
    if (code == "access_denied") return {State::denied, {}, what};
    if (status == 0 || status >= 500 || status == 429) return {State::retry, {}, what};
    return {State::failed, {}, str_cat("the token endpoint refused the login (", what, ")")};
}

}  // namespace amq
