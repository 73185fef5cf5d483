#define BOOST_TEST_MODULE common_failover
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "common/failover.hpp"

using namespace amq;
using Step = FailoverDecision::Step;

namespace amq {
std::ostream& operator<<(std::ostream& os, Step step) {
    static const char* const names[] = {"stream_error", "next_endpoint", "refresh_token",
                                        "next_account", "give_up"};
    return os << names[static_cast<int>(step)];
}
}  // namespace amq

namespace {

UpstreamError error_of(UpstreamError::Class c, bool retry_elsewhere) {
    UpstreamError e;
    e.error_class = c;
    e.retry_elsewhere = retry_elsewhere;
    return e;
}

struct Case {
    const char* what;
    UpstreamError error;
    AttemptState state;
    Step step;
    bool rest_endpoint;
};

}  // namespace

// docs/pool.md, "Failover before the first byte", one row per rule and per limit.
BOOST_AUTO_TEST_CASE(the_failover_table) {
    using C = UpstreamError::Class;
    const UpstreamError transient = error_of(C::transient, true);
    const UpstreamError throttle = error_of(C::throttle, true);
    const UpstreamError token = error_of(C::token, true);
    const UpstreamError request = error_of(C::request, false);
    const UpstreamError config = error_of(C::config, true);
    const std::vector<Case> cases = {
        {"after the first byte: an error event, whatever the error", transient,
         {true, 1, true, 500, true, false}, Step::stream_error, false},
        {"a refused connection with another endpoint: that endpoint", transient,
         {false, 1, true, 0, true, false}, Step::next_endpoint, true},
        {"a 404 with another endpoint: that endpoint", transient,
         {false, 1, true, 404, true, false}, Step::next_endpoint, true},
        {"a wrong-endpoint error: that endpoint", config, {false, 1, true, 400, true, false},
         Step::next_endpoint, true},
        {"a refused connection, no other endpoint: another account, the endpoint rests",
         transient, {false, 1, true, 0, false, false}, Step::next_account, true},
        {"a 5xx is the account's, not the endpoint's", transient,
         {false, 1, true, 503, true, false}, Step::next_account, false},
        {"a rejected token: refresh once", token, {false, 1, true, 403, true, false},
         Step::refresh_token, false},
        {"a rejected token again: another account", token, {false, 2, true, 403, true, true},
         Step::next_account, false},
        {"a rejected token on the last attempt: refreshing costs no attempt", token,
         {false, 3, true, 403, false, false}, Step::refresh_token, false},
        {"a throttle: another account", throttle, {false, 1, true, 429, true, false},
         Step::next_account, false},
        {"the third attempt failed: the client gets it", throttle,
         {false, 3, true, 429, true, false}, Step::give_up, false},
        {"first-byte-timeout passed: the client gets it", transient,
         {false, 1, false, 0, true, false}, Step::give_up, false},
        {"no time left for a refresh either", token, {false, 1, false, 403, true, false},
         Step::give_up, false},
        {"a bad request goes back to the client at once", request,
         {false, 1, true, 400, true, false}, Step::give_up, false},
    };
    for (const Case& c : cases) {
        FailoverDecision d = decide_failover(c.error, c.state);
        BOOST_TEST(d.step == c.step, c.what);
        BOOST_TEST(d.rest_endpoint == c.rest_endpoint, c.what);
    }
}
