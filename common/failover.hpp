// What a request does after one failed upstream attempt: the failover rules of docs/pool.md
// ("Failover before the first byte") as one pure function, so that every case is a row of a
// unit test rather than a path through the exchange's callbacks.
#pragma once

#include "common/upstream_error.hpp"

namespace amq {

inline constexpr int kMaxUpstreamAttempts = 3;

// Where the request stands when an attempt failed.
struct AttemptState {
    bool committed = false;       // the first byte went to the client
    int attempts = 1;             // made so far, the failed one included
    bool time_left = true;        // still within first-byte-timeout
    int upstream_status = 0;      // the failed attempt's HTTP status; 0 = no answer at all
    bool other_endpoint = false;  // the account has another endpoint that is not resting
    bool token_refreshed = false; // this request already refreshed this account's token
};

struct FailoverDecision {
    enum class Step {
        stream_error,   // after the first byte: an error event ends the stream
        next_endpoint,  // the same account through its next endpoint
        refresh_token,  // the same account once its token is refreshed
        next_account,   // another account, this one excluded
        give_up,        // the client gets the error
    };
    Step step = Step::give_up;
    bool rest_endpoint = false;  // the failed endpoint rests (a connection failure or 404)
};

FailoverDecision decide_failover(const UpstreamError& error, const AttemptState& state);

}  // namespace amq
