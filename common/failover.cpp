#include "common/failover.hpp"

namespace amq {
namespace {

// No answer at all, or one that says this is not the place: the endpoint's fault, not the
// account's.
bool endpoint_failed(const UpstreamError& error, int upstream_status) {
    return upstream_status == 0 || upstream_status == 404 ||
           error.error_class == UpstreamError::Class::config;
}

}  // namespace

FailoverDecision decide_failover(const UpstreamError& error, const AttemptState& s) {
    using Step = FailoverDecision::Step;
    if (s.committed) return {Step::stream_error, false};
    bool may_retry = s.attempts < kMaxUpstreamAttempts && s.time_left;
    FailoverDecision d;
    d.rest_endpoint = may_retry && endpoint_failed(error, s.upstream_status);
    if (d.rest_endpoint && s.other_endpoint) {
        d.step = Step::next_endpoint;
    } else if (error.error_class == UpstreamError::Class::token && !s.token_refreshed &&
               s.time_left) {
        // A fresh token is the cure, not another account: it does not count as an attempt.
        d.step = Step::refresh_token;
    } else if (error.retry_elsewhere && may_retry) {
        d.step = Step::next_account;
    }
    return d;
}

}  // namespace amq
