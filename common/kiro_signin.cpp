#include "common/kiro_signin.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

std::string pkce_challenge(std::string_view verifier) {
    Sha256 digest = sha256(verifier);
    return base64url(digest.data(), digest.size());
}

std::string kiro_signin_url(std::string_view portal, std::string_view state,
                            std::string_view challenge, std::string_view redirect_uri) {
    return str_cat(portal, portal.find('?') == std::string_view::npos ? "?" : "&",
                   "state=", url_encode(state), "&code_challenge=", url_encode(challenge),
                   "&code_challenge_method=S256&redirect_uri=", url_encode(redirect_uri),
                   "&redirect_from=kirocli");
}

Result<std::string> signin_code(std::string_view callback_url, std::string_view expected_state) {
    std::string_view url = trim(callback_url);
    if (auto error = query_param(url, "error"); error && !error->empty()) {
        std::string why = query_param(url, "error_description").value_or("");
        return make_error(Errc::permission_denied,
                          str_cat("the sign-in was refused: ", *error, why.empty() ? "" : " (", why,
                                  why.empty() ? "" : ")"));
    }
    auto code = query_param(url, "code");
    if (!code || code->empty())
        return make_error(Errc::invalid_argument,
                          "that URL carries no code: paste the address the browser shows after "
                          "signing in (it starts with the redirect URI and holds code=…)");
    auto state = query_param(url, "state");
    if (!state || !constant_time_equal(*state, expected_state))
        return make_error(Errc::invalid_argument,
                          "that URL belongs to another sign-in (its state does not match this "
                          "one): start again and paste the URL of this sign-in");
    return std::move(*code);
}

std::string kiro_code_exchange_body(std::string_view code, std::string_view verifier,
                                    std::string_view redirect_uri) {
    return json_object([&](JsonWriter& w) {
        write_field(w, "code", code);
        write_field(w, "code_verifier", verifier);
        write_field(w, "redirect_uri", redirect_uri);
    });
}

}  // namespace amq
