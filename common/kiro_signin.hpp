// Kiro sign-in from the portal (docs/upstream.md §1, Signing a Kiro account in): the OAuth 2.0
// authorization code flow with PKCE (RFC 7636) the Kiro CLI runs, for a daemon that cannot
// receive the redirect itself. The administrator opens the sign-in URL, signs in with Google,
// GitHub, Builder ID or IAM Identity Center, and pastes back the URL the browser ended on;
// its code is exchanged, with the verifier, for a Kiro social account's tokens. Pure: the
// caller brings the random bytes and does the HTTP.
#pragma once

#include <string>
#include <string_view>

#include "common/oidc.hpp"
#include "common/result.hpp"

namespace amq {

inline constexpr std::string_view kKiroSigninUrl = "https://app.kiro.dev/signin";

// base64url(SHA-256(verifier)), unpadded: the S256 code challenge.
std::string pkce_challenge(std::string_view verifier);

// "<portal>?state=…&code_challenge=…&code_challenge_method=S256&redirect_uri=…
// &redirect_from=kirocli".
std::string kiro_signin_url(std::string_view portal, std::string_view state,
                            std::string_view challenge, std::string_view redirect_uri);

// The code in the URL the browser ended on. Refused: a URL without a code (the sign-in URL
// itself, say), a state other than `expected_state` (another sign-in's URL, or a forged one;
// compared in constant time) and the portal's own error (error=access_denied…).
Result<std::string> signin_code(std::string_view callback_url, std::string_view expected_state);

// The code exchange: POST <kiro auth>/oauth/token (the kiro-token-endpoint's sibling) {code,
// code_verifier, redirect_uri} → {accessToken, refreshToken, profileArn, expiresIn}, read by
// parse_kiro_response.
std::string kiro_code_exchange_body(std::string_view code, std::string_view verifier,
                                    std::string_view redirect_uri);

}  // namespace amq
