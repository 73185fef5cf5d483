// Worker ⇄ master messages, each defined once: a struct and its field table, from which the
// encoder and the decoder are derived, so that the two sides cannot drift apart. The frames
// carrying them and the protocol version are described in docs/worker-master.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "common/result.hpp"

namespace amq {

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
    // What the previous attempt's account did, so that its health changes before the next
    // pick; failed_account_id 0: nothing to tell.
    std::uint64_t failed_account_id = 0;
    std::string failed_class;
    std::optional<std::int64_t> failed_retry_after;  // seconds
    std::string failed_message;

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
    std::uint64_t serial = 0;  // of the token: a refresh names the one that failed
    bool holds_slot = false;   // the key caps concurrent requests: report without delay
    // The key's budget for x-ratelimit-*-requests; rate_limit 0: unlimited, no headers.
    std::int64_t rate_limit = 0;
    std::int64_t rate_remaining = 0;
    std::int64_t rate_reset_ms = 0;

    bool operator==(const AccountGrant&) const = default;
};

// The worker's account of one finished request: its usage record and what it says about the
// account that served (or last failed) it.
struct UsageReport {
    std::uint64_t request = 0;  // the worker's request id (admission, queue)
    std::uint64_t key_id = 0;
    std::uint64_t account_id = 0;  // 0: never reached an account
    std::string api_endpoint;      // the upstream endpoint of the last attempt
    std::string endpoint;          // the client's route
    std::string client_model;
    std::string upstream_model;
    bool stream = false;
    std::int64_t status = 0;
    std::string error_class;  // "" on success
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t ttfb_ms = 0;
    std::int64_t duration_ms = 0;
    std::int64_t attempts = 0;
    std::string client_address;
    std::string user_agent;
    bool reached_upstream = false;
    std::string account_class;  // the upstream error class held against the account; "" none
    std::optional<std::int64_t> retry_after;  // seconds the upstream asked for

    bool operator==(const UsageReport&) const = default;
};

// JSON object text. Decoding ignores members it does not know (a newer peer may add some)
// and refuses a known member of the wrong type, naming it.
std::string encode_message(const AdmitRequest& admit);
std::string encode_message(const RefreshRequest& refresh);
std::string encode_message(const AccountGrant& grant);
std::string encode_message(const UsageReport& report);
Result<AdmitRequest> decode_admit_request(const rapidjson::Value& object);
Result<RefreshRequest> decode_refresh_request(const rapidjson::Value& object);
Result<AccountGrant> decode_account_grant(const rapidjson::Value& object);
Result<UsageReport> decode_usage_report(const rapidjson::Value& object);

}  // namespace amq
