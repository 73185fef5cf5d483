// AWS SSO OIDC token refresh (docs/upstream.md §1, Token refresh) as pure functions over bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace amq {

struct TokenGrant {
    std::string access_token;
    std::int64_t expires_in = 0;  // seconds
    std::string refresh_token;    // non-empty when the endpoint rotated it
    std::string profile_arn;      // Kiro social answers carry it
};

std::string oidc_refresh_body(std::string_view client_id, std::string_view client_secret,
                              std::string_view refresh_token);

// Errc::permission_denied when the credential itself is dead (invalid_grant, 400/401/403 that
// name the client or grant) — the account needs an admin; Errc::unavailable for everything
// that may pass (5xx, 429, garbage).
Result<TokenGrant> parse_oidc_response(int status, std::string_view body);

// Kiro "social" accounts: POST {"refreshToken"} → {accessToken, refreshToken?, profileArn?,
// expiresIn}.
std::string kiro_refresh_body(std::string_view refresh_token);
Result<TokenGrant> parse_kiro_response(int status, std::string_view body);

// External identity provider accounts (Kiro with an organisation's IdP): RFC 6749 §6, a
// public client — form-encoded grant_type=refresh_token, answered in snake_case
// {access_token, expires_in, refresh_token?}.
std::string oauth2_refresh_body(std::string_view client_id, std::string_view refresh_token);
Result<TokenGrant> parse_oauth2_response(int status, std::string_view body);

}  // namespace amq
