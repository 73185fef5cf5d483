// Worker ⇄ master messages, each defined once: a struct and its field table, from which the
// encoder and the decoder are derived, so that the two sides cannot drift apart. The frames
// carrying them and the protocol version are described in docs/worker-master.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/field_table.hpp"
#include "common/result.hpp"
#include "common/usage_record.hpp"

namespace amq {

// ---- lifecycle frames ----

// A worker introduces itself; a worker of another protocol version is refused.
struct Hello {
    std::int64_t proto = 0;
    std::int64_t pid = 0;
    std::uint64_t index = 0;
    std::uint64_t generation = 0;
    bool operator==(const Hello&) const = default;
};

// A worker is alive, every second.
struct Heartbeat {
    std::uint64_t requests = 0;
    std::uint64_t inflight = 0;
    bool operator==(const Heartbeat&) const = default;
};

// What a worker must know of the pool (the welcome, and every state frame after a change).
struct PoolSummary {
    std::uint64_t accounts_usable = 0;
    std::uint64_t keys_usable = 0;
    std::vector<std::string> models;  // what some account serves: /v1/models lists these
    // Why the shared store (store = postgresql) is not in step with its database; "" when it
    // is, or there is none. The host still serves from its copy.
    std::string store_trouble;
    bool operator==(const PoolSummary&) const = default;
};

// The master will not have this worker (a protocol version mismatch): it exits.
struct WorkerRefused {
    std::string reason;
    bool operator==(const WorkerRefused&) const = default;
};

struct LogLevelChange {
    std::string level;
    bool operator==(const LogLevelChange&) const = default;
};

// ---- calls ----

// A key for a route that needs no account (model lists, token counts): the master counts
// the request toward the key's limits and, for a non-empty model, checks the key may use it.
struct AuthRequest {
    std::string key_hash;
    std::string model;
    bool operator==(const AuthRequest&) const = default;
};

// The master's answer to an auth call.
struct KeyGrant {
    std::uint64_t key_id = 0;
    std::vector<std::string> allowed_models;  // empty: every model
    // The key's budget for x-ratelimit-*-requests; rate_limit 0: unlimited, no headers.
    std::int64_t rate_limit = 0;
    std::int64_t rate_remaining = 0;
    std::int64_t rate_reset_ms = 0;
    bool operator==(const KeyGrant&) const = default;
};

// /metrics: the key presented, when the metrics are for admin keys only.
struct MetricsRequest {
    std::string key_hash;
    bool operator==(const MetricsRequest&) const = default;
};

// An HTTP admin API call: the admin command and its arguments, for the key behind the hash.
struct AdminCall {
    std::string key_hash;
    std::string command;
    JsonText args;
    bool operator==(const AdminCall&) const = default;
};

// A worker asks for an account for one request (and again, after a failed attempt, for
// another): the master checks the key, counts the request, queues it if need be.
struct AdmitRequest {
    std::string key_hash;
    std::uint64_t request = 0;  // the worker's request id: a second admit is a failover
    std::string model;          // the client's name
    std::string upstream_model;
    std::string endpoint;  // the client's route
    std::string session;   // "" = no stickiness
    bool stream = false;
    std::vector<std::uint64_t> exclude;  // accounts this request already failed on
    // The first admit's prompt prefixes (prompt_prefix.hpp), for the estimated prompt cache;
    // empty when the estimate is off.
    std::vector<std::uint64_t> prefix_hashes;
    std::vector<std::uint64_t> prefix_tokens;

    bool operator==(const AdmitRequest&) const = default;
};

// The upstream refused an access token: the worker asks for a fresh one for the same account
// (answered with an AccountGrant).
struct RefreshRequest {
    std::uint64_t account_id = 0;
    std::uint64_t serial = 0;  // of the refused token: one that is already newer is handed out
    std::uint64_t key_id = 0;

    bool operator==(const RefreshRequest&) const = default;
};

// The master's answer to an admit (and to a token refresh): the account a request may use,
// with its access token. Accounts may carry their own endpoint, flavour, origin and proxy;
// "" means the worker's configuration.
// AccountGrant::token_type: how Kiro tells an API key and an external IdP's token from its
// own tokens (the TokenType header; "" for its own).
inline constexpr std::string_view kApiKeyTokenType = "API_KEY";
inline constexpr std::string_view kExternalIdpTokenType = "EXTERNAL_IDP";

struct AccountGrant {
    std::uint64_t key_id = 0;
    std::uint64_t account_id = 0;
    std::string account_name;
    std::string profile_arn;
    std::string api_endpoint;
    std::string api_flavour;
    std::string origin;
    std::string proxy;
    std::string access_token;
    std::string token_type;    // kApiKeyTokenType, kExternalIdpTokenType or ""
    std::uint64_t serial = 0;  // of the token: a refresh names the one that failed
    bool holds_slot = false;   // the key caps concurrent requests: report without delay
    // The key's budget for x-ratelimit-*-requests; rate_limit 0: unlimited, no headers.
    std::int64_t rate_limit = 0;
    std::int64_t rate_remaining = 0;
    std::int64_t rate_reset_ms = 0;
    // The estimated prompt cache's split of the input (docs/translation.md §9), on the first
    // grant of a request whose admit carried prompt prefixes.
    std::optional<std::int64_t> cache_read_estimate;
    std::optional<std::int64_t> cache_write_estimate;

    bool operator==(const AccountGrant&) const = default;
};

// The end of one upstream attempt, sent once per attempt as soon as its fate is known (before
// any next admit, on the same ordered channel): what it says about the account and endpoint.
struct AttemptOutcome {
    std::uint64_t request = 0;  // the worker's request id
    std::uint64_t account_id = 0;
    std::string api_endpoint;    // the upstream endpoint called
    std::string upstream_model;  // an account refused the model: it leaves its list
    // False: no evidence about the account (the client left before the upstream answered, or
    // the body was refused locally) — the account is only released.
    bool reached_upstream = false;
    std::string error_class;  // upstream_error.hpp's class name; "" the account served
    std::optional<std::int64_t> retry_after;  // seconds the upstream asked for
    std::string message;                      // the upstream's words, for the account's events
    // The request tries this account again (a fresh token, another endpoint): its health waits
    // for that attempt, and the account stays taken.
    bool retries_account = false;

    bool operator==(const AttemptOutcome&) const = default;
};

// The worker's account of one finished request: its usage record (time_ms is the master's
// to stamp). It ends the request's admission (and frees its concurrency slot); what it says
// about accounts went in outcomes.
struct UsageReport : UsageRecord {
    std::uint64_t request = 0;  // the worker's request id (admission, queue)

    bool operator==(const UsageReport&) const = default;
};

// A request the worker answered without an exchange: refused before admission, or served
// without an account (token counts, model lists, health). The master counts it and records
// it against the key the hash names.
struct AnsweredRequest {
    std::string endpoint;  // the route's pattern; "none" when no route matched
    std::int64_t status = 0;
    std::string key_hash;  // "" when no key was presented
    std::string client_address;
    std::string user_agent;
    std::int64_t duration_ms = 0;
    std::string request_id;

    bool operator==(const AnsweredRequest&) const = default;
};

// The frame of a one-way message or lifecycle frame: {"t": type, "args": args_json}.
std::string message_frame(std::string_view type, std::string_view args_json);
// Such a frame's args; an empty object when it has none (a frame without fields).
const rapidjson::Value& message_args(const rapidjson::Value& frame);

// Each message above as a JSON object text, and back. Decoding ignores members it does not
// know (a newer peer may add some) and refuses a known member of the wrong type, naming it.
template <class M>
std::string encode_message(const M& message);
template <class M>
Result<M> decode_message(const rapidjson::Value& object);

}  // namespace amq
