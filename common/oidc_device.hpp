// AWS SSO OIDC device authorization (docs/upstream.md §1, Logging an account in), as pure
// functions over bytes: register a public client, start a device authorization for a start
// URL, and read the answers to the token polls. The master drives the flow
// (daemon/master/account_logins.cpp); the endpoints derive from the configured token endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/oidc.hpp"
#include "common/result.hpp"

namespace amq {

inline constexpr std::string_view kDeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
// AWS Builder ID: the start URL of personal (free and Pro) Amazon Q accounts.
inline constexpr std::string_view kBuilderIdStartUrl = "https://view.awsapps.com/start";

// An endpoint of the same OIDC service: ".../token" → ".../client/register" for
// "client/register". A token endpoint that does not end in "/token" is used as the base.
std::string oidc_endpoint(std::string_view token_endpoint, std::string_view name);

struct ClientRegistration {
    std::string client_id;
    std::string client_secret;
    std::int64_t expires_at = 0;  // Unix seconds: a refresh needs the secret, so does a login
};

std::string oidc_register_body(std::string_view client_name, std::string_view start_url);
Result<ClientRegistration> parse_registration(int status, std::string_view body);

struct DeviceAuthorization {
    std::string device_code;
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;
    std::int64_t expires_in = 0;  // seconds the user has to approve
    std::int64_t interval = 5;    // seconds between polls
};

std::string oidc_device_authorization_body(std::string_view client_id,
                                           std::string_view client_secret,
                                           std::string_view start_url);
Result<DeviceAuthorization> parse_device_authorization(int status, std::string_view body);

std::string oidc_device_token_body(std::string_view client_id, std::string_view client_secret,
                                   std::string_view device_code);

// One poll's answer. `failed` carries why (an unreadable answer, a refused client): the
// login ends; a transient failure (5xx, no answer) is `retry`.
struct DevicePoll {
    enum class State { granted, pending, slow_down, expired, denied, retry, failed };
    State state = State::failed;
    TokenGrant grant;     // granted: with its refresh token
    std::string message;  // retry, failed
};
DevicePoll parse_device_token(int status, std::string_view body);

}  // namespace amq
