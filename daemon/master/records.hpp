// What the store keeps, as plain values. Times are Unix seconds (0 = never / not set).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/usage_record.hpp"
#include "common/worker_messages.hpp"

namespace amq {

struct Account {
    std::uint64_t id = 0;
    std::string name;
    // idc: AWS SSO OIDC refresh; social: Kiro's refreshToken endpoint; api_key: a Kiro API key
    // (ksk_…), kept as the access token and never refreshed; external_idp: an organisation's
    // identity provider (RFC 6749 refresh at token_endpoint, as a public client).
    std::string kind = "idc";
    std::string client_id;       // idc, external_idp
    std::string token_endpoint;  // external_idp: the IdP's token URL
    std::string profile_arn;
    // Where and how to call; "" = derived from the region, else the configuration's.
    std::string region;
    std::string api_endpoint;
    std::string api_flavour;
    std::string origin;
    std::string proxy;
    bool enabled = true;
    std::int64_t requests_per_minute = 0;  // a pace (requests wait), not a refusal; 0 = no cap
    std::string notes;
    // Logged in here (account login): the start URL, and when its client registration's
    // secret expires — a later login for the same start URL and region reuses it until then.
    std::string start_url;
    std::int64_t registration_expires_at = 0;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

// How the account's bearer token is marked upstream: Kiro tells API keys and external IdP
// tokens from its own by this header.
inline std::string account_token_type(const Account& account) {
    if (account.kind == "api_key") return std::string(kApiKeyTokenType);
    if (account.kind == "external_idp") return std::string(kExternalIdpTokenType);
    return "";
}

// A Kiro API key is never refreshed: its "access token" never expires.
inline constexpr std::int64_t kNeverExpires = 253402300799;  // 9999-12-31T23:59:59Z

// The secrets of one account live apart from the account (tokens database) so that listing
// accounts never reads them.
struct AccountCredentials {
    std::string refresh_token;
    std::string client_secret;
    std::string access_token;
    std::int64_t access_expires_at = 0;
};

struct ApiKey {
    std::uint64_t id = 0;
    std::string name;
    std::string description;
    std::string secret_hash;  // hex SHA-256 of the secret; the secret itself is never stored
    std::string display;      // amq-abcd…wxyz
    bool is_admin = false;
    bool enabled = true;
    std::int64_t requests_per_minute = 60;
    std::int64_t requests_per_day = 10000;
    std::int64_t max_concurrent = 0;          // 0 = no cap on requests in flight
    std::vector<std::string> allowed_models;  // empty = every model
    std::int64_t expires_at = 0;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t last_used_at = 0;
};

// The error class of a request the worker refused itself (malformed, unknown route, a bad
// parameter): it never counted toward its key's limits.
inline constexpr std::string_view kRejectedClass = "rejected";

// The usage of one day × key × account × model, summed as records arrive, so that reports
// and quotas never rescan raw records (which retention drops after a while).
struct Rollup {
    std::int32_t day = 0;  // days since the epoch (UTC) of the records' time_ms
    std::uint64_t key_id = 0;
    std::uint64_t account_id = 0;
    std::string model;  // the records' client_model
    std::int64_t requests = 0;
    std::int64_t errors = 0;  // status >= 400, status 0 (no answer) or an error_class
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t credits_micros = 0;
    std::int64_t ttfb_ms_sum = 0;
    std::int64_t duration_ms_sum = 0;
};

// When keys were last used: key id → Unix seconds.
using KeyUses = std::map<std::uint64_t, std::int64_t>;

inline void note_key_use(KeyUses& uses, std::uint64_t key_id, std::int64_t time_ms) {
    if (key_id) uses[key_id] = std::max(uses[key_id], time_ms / 1000);
}

inline KeyUses key_uses(const std::vector<UsageRecord>& batch) {
    KeyUses uses;
    for (const UsageRecord& u : batch) note_key_use(uses, u.key_id, u.time_ms);
    return uses;
}

// One administrative change: who ran which command, and the state around it. The JSON
// fields are kept as text, exactly as the command handler wrote them.
struct AuditEntry {
    std::int64_t at_ms = 0;
    std::string actor;
    std::string command;
    std::string args_json;
    std::string before_json;
    std::string after_json;
};

}  // namespace amq
