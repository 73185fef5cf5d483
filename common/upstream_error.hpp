// What an upstream failure means for the request, the account and the client
// (docs/upstream.md §3, docs/translation.md §6). Pure: the caller applies the account policy
// and the failover.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/q_events.hpp"

namespace amq {

struct UpstreamError {
    enum class Class {
        request,    // the request is wrong: account untouched, no retry
        too_long,   // the prompt exceeds the upstream's limit: account untouched, no retry
        model,      // the account may not use this model: account untouched, another may
        config,     // endpoint / flavour / origin mismatch: flag the account, do not cool it
        token,      // access token rejected: refresh once and retry
        banned,     // account suspended: quarantine until an admin acts
        quota,      // monthly quota exhausted: unusable until the reset date
        throttle,    // rate limited: cool down briefly (Retry-After), fail over
        suspicious,  // limits imposed after "suspicious activity": rest the account long
        transient,  // 5xx, timeouts, connection errors: fail over; cool after repeated ones
    };
    Class error_class = Class::transient;
    int client_status = 502;        // what the client gets when nothing else can serve it
    std::string client_error_type;  // Anthropic's type for client_status
    std::string message;            // for the client; upstream text only where it is safe
    std::optional<double> retry_after_seconds;  // as the upstream asked, uncapped
    bool account_fault = false;    // the outcome counts against the account (see the class)
    bool retry_elsewhere = false;  // another account may serve the same request
    std::string upstream_type;     // "ValidationException", … (for logs)
    std::string upstream_reason;   // "CONTENT_LENGTH_EXCEEDS_THRESHOLD", … (for logs)
    std::string upstream_message;  // the upstream's own words, sanitised (for logs)
};

std::string_view upstream_error_class_name(UpstreamError::Class error_class);

// A non-200 answer to a generate call. http_status 0 means no answer at all (connection
// error, timeout). The body is JSON ({"__type", "message", "reason"}) or plain text.
UpstreamError classify_upstream_error(int http_status, std::string_view body,
                                      std::string_view retry_after_header);

// An exception (or invalidStateEvent) that arrived as a frame of a 200 event stream.
UpstreamError classify_exception(const QEvent& event);

// Retry-After as delta-seconds; an HTTP date (which needs a clock) or garbage is nullopt.
std::optional<double> parse_retry_after(std::string_view header);

}  // namespace amq
