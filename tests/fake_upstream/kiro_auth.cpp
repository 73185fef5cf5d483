#include "tests/fake_upstream/kiro_auth.hpp"

#include "common/json.hpp"
#include "common/kiro_signin.hpp"
#include "common/strings.hpp"

namespace fake {
namespace {

using amq::JsonWriter;
using amq::str_cat;

constexpr std::int64_t kExpiresIn = 3600;
constexpr std::string_view kSocialProfileArn =
    "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
constexpr std::string_view kIdpRefreshPrefix = "rt-idp-";

bool is_pkce_text(std::string_view s) {
    if (s.size() != 43) return false;  // base64url of 32 bytes, as SHA-256 gives
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    return true;
}

// The Kiro CLI redirects to a loopback port of its own; a daemon must send the same shape.
bool is_loopback_redirect(std::string_view uri) {
    constexpr std::string_view kPrefix = "http://localhost:";
    if (!uri.starts_with(kPrefix)) return false;
    auto port = uri.substr(kPrefix.size());
    port = port.substr(0, port.find('/'));
    auto n = amq::parse_uint(port);
    return n && *n > 0 && *n < 65536;
}

std::string param(std::string_view uri, std::string_view name) {
    return amq::query_param(uri, name).value_or("");
}

}  // namespace

std::pair<int, std::string> KiroAuth::signin(std::string_view uri) {
    std::string state = param(uri, "state"), challenge = param(uri, "code_challenge");
    std::string redirect = param(uri, "redirect_uri");
    if (state.empty()) return {400, "state is required"};
    if (!is_pkce_text(challenge)) return {400, "code_challenge must be 43 base64url characters"};
    if (param(uri, "code_challenge_method") != "S256") return {400, "code_challenge_method S256"};
    if (param(uri, "redirect_from") != "kirocli") return {400, "redirect_from must be kirocli"};
    if (!is_loopback_redirect(redirect)) return {400, "redirect_uri must be http://localhost:PORT"};
    std::string sep = redirect.find('?') == std::string::npos ? "?" : "&";
    if (deny_)
        return {302, str_cat(redirect, sep, "error=access_denied&error_description=",
                             amq::url_encode("The user denied the request"),
                             "&state=", amq::url_encode(state))};
    std::string code = str_cat("code-", ++serial_);
    codes_[code] = Code{challenge, redirect, false};
    return {302, str_cat(redirect, sep, "code=", code, "&state=", amq::url_encode(state))};
}

Reply KiroAuth::exchange(const rapidjson::Value& body, const MintFn& mint) {
    ++exchanges_;
    amq::FieldReader r(body);
    std::string code = r.string("code", true).value_or("");
    std::string verifier = r.string("code_verifier", true).value_or("");
    std::string redirect = r.string("redirect_uri", true).value_or("");
    if (!r.ok()) return {400, oauth_error("invalid_request", r.status().error().message)};
    auto it = codes_.find(code);
    if (it == codes_.end() || it->second.used)
        return {400, oauth_error("invalid_grant", "unknown or used authorization code")};
    it->second.used = true;  // one try: a wrong verifier spends the code too
    if (amq::pkce_challenge(verifier) != it->second.challenge)
        return {400, oauth_error("invalid_grant", "code_verifier does not match the challenge")};
    if (redirect != it->second.redirect_uri)
        return {400, oauth_error("invalid_grant", "redirect_uri differs from the sign-in's")};
    std::string access = mint();
    return {200, amq::json_object([&](JsonWriter& w) {
                amq::write_field(w, "accessToken", access);
                amq::write_field(w, "refreshToken", str_cat("rt-kiro-", code));
                amq::write_field(w, "profileArn", kSocialProfileArn);
                w.Key("expiresIn");
                w.Int64(kExpiresIn);
            })};
}

Reply KiroAuth::idp_refresh(std::string_view content_type, std::string_view body,
                            const MintFn& mint) {
    ++idp_refreshes_;
    if (!content_type.starts_with("application/x-www-form-urlencoded"))
        return {400, oauth_error("invalid_request", "expected a form-encoded body")};
    std::string query = str_cat("?", body);
    if (param(query, "grant_type") != "refresh_token")
        return {400, oauth_error("unsupported_grant_type", "grant_type must be refresh_token")};
    if (param(query, "client_id").empty())
        return {400, oauth_error("invalid_client", "client_id is required")};
    std::string refresh = param(query, "refresh_token");
    if (!refresh.starts_with(kIdpRefreshPrefix) || !spent_idp_refresh_.insert(refresh).second)
        return {400, oauth_error("invalid_grant", "refresh token unknown, expired or used")};
    std::string access = mint();
    idp_tokens_.insert(access);
    return {200, amq::json_object([&](JsonWriter& w) {
                amq::write_field(w, "access_token", access);
                amq::write_field(w, "token_type", "Bearer");
                w.Key("expires_in");
                w.Int64(kExpiresIn);
                amq::write_field(w, "refresh_token", str_cat(kIdpRefreshPrefix, "r", ++serial_));
            })};
}

std::pair<int, std::string> KiroAuth::control(const rapidjson::Value& body) {
    amq::FieldReader r(body);
    auto deny = r.boolean("deny");
    if (!r.ok()) return {400, r.status().error().message};
    if (deny) deny_ = *deny;
    return {200, ""};
}

std::string KiroAuth::listing() const {
    return amq::json_object([&](JsonWriter& w) {
        w.Key("exchanges");
        w.Uint64(exchanges_);
        w.Key("idp_refreshes");
        w.Uint64(idp_refreshes_);
        w.Key("codes");
        w.StartArray();
        for (const auto& [code, c] : codes_) {
            w.StartObject();
            amq::write_field(w, "code", code);
            amq::write_field(w, "redirect_uri", c.redirect_uri);
            w.Key("used");
            w.Bool(c.used);
            w.EndObject();
        }
        w.EndArray();
    });
}

void KiroAuth::reset() {
    deny_ = false;
    codes_.clear();
    spent_idp_refresh_.clear();
    exchanges_ = idp_refreshes_ = 0;
}

}  // namespace fake
