#define BOOST_TEST_MODULE daemon_master_admission_queue
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/master/admission_queue.hpp"

using amq::AdmissionQueue;
using Kind = AdmissionQueue::Attempt::Kind;

namespace {

// Fake accounts: `free` requests may start at the next pump; `ready_at` is when more can.
struct Fixture {
    AdmissionQueue queue;
    int free = 0;
    std::int64_t ready_at = 5000;
    std::vector<std::string> log;  // "served 1", "refused 2 timeout @5000", …

    Fixture() { queue.set_limits({10000, 3}); }

    AdmissionQueue::Waiter waiter(std::uint64_t id, std::int64_t since, bool constrained = false,
                                  bool servable = true) {
        return AdmissionQueue::Waiter{
            100,
            id,
            since,
            constrained,
            [this, id, servable](std::int64_t) {
                if (servable && free > 0) {
                    --free;
                    log.push_back("served " + std::to_string(id));
                    return AdmissionQueue::Attempt{Kind::served, std::nullopt};
                }
                return AdmissionQueue::Attempt{Kind::wait, ready_at};
            },
            [this, id](AdmissionQueue::Refusal why, std::int64_t at) {
                log.push_back("refused " + std::to_string(id) +
                              (why == AdmissionQueue::Refusal::full ? " full @" : " timeout @") +
                              std::to_string(at));
            }};
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(waiting_requests_are_served_in_arrival_order, Fixture) {
    for (std::uint64_t id = 1; id <= 3; ++id) BOOST_TEST(queue.push(waiter(id, 0), 5000, 0));
    BOOST_TEST(queue.pump(1000).value() == 2000);  // rechecked every second at least
    BOOST_TEST(log.empty());
    free = 2;
    queue.pump(5000);
    BOOST_TEST(log == (std::vector<std::string>{"served 1", "served 2"}));
    BOOST_TEST(queue.depth() == 1u);
    BOOST_TEST(queue.stats().served == 2u);
    BOOST_TEST(queue.stats().wait_ms == 10000u);
}

BOOST_FIXTURE_TEST_CASE(a_start_beyond_the_timeout_is_refused_with_when, Fixture) {
    BOOST_TEST(!queue.push(waiter(1, 0), 20000, 0));
    BOOST_TEST(log == (std::vector<std::string>{"refused 1 timeout @20000"}));
    BOOST_TEST(queue.empty());
    BOOST_TEST(queue.push(waiter(2, 0), 5000, 0));
    ready_at = 30000;  // the account got throttled meanwhile
    queue.pump(6000);
    BOOST_TEST(log.back() == "refused 2 timeout @30000");
    BOOST_TEST(queue.stats().timeouts == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_request_waits_at_most_the_timeout, Fixture) {
    BOOST_TEST(queue.push(waiter(1, 0), std::nullopt, 0));
    ready_at = 9000;  // said to be ready, yet not serving: asked again shortly, not at once
    BOOST_TEST(queue.pump(9500).value() == 9550);
    queue.pump(10000);
    BOOST_TEST(log == (std::vector<std::string>{"refused 1 timeout @9000"}));
}

BOOST_FIXTURE_TEST_CASE(a_full_queue_refuses, Fixture) {
    for (std::uint64_t id = 1; id <= 3; ++id) queue.push(waiter(id, 0), 5000, 0);
    BOOST_TEST(!queue.push(waiter(4, 0), 5000, 0));
    BOOST_TEST(log == (std::vector<std::string>{"refused 4 full @5000"}));
    BOOST_TEST(queue.stats().full == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_constrained_head_does_not_hold_back_the_others, Fixture) {
    queue.push(waiter(1, 0, true, false), 5000, 0);  // only the accounts it excluded are free
    queue.push(waiter(2, 0), 5000, 0);
    queue.push(waiter(3, 0), 5000, 0);
    free = 1;
    queue.pump(100);
    BOOST_TEST(log == (std::vector<std::string>{"served 2"}));
    free = 1;
    queue.push(waiter(4, 0, false, false), 5000, 0);
    queue.pump(200);
    BOOST_TEST(log.back() == "served 3");
}

BOOST_FIXTURE_TEST_CASE(withdrawn_requests_get_no_answer, Fixture) {
    queue.push(waiter(1, 0), 5000, 0);
    queue.push(waiter(2, 0), 5000, 0);
    BOOST_TEST(queue.withdraw(100, 1));
    BOOST_TEST(!queue.withdraw(100, 1));
    BOOST_TEST(queue.withdraw_worker(100) == 1u);
    BOOST_TEST(queue.empty());
    BOOST_TEST(!queue.pump(1000).has_value());
    BOOST_TEST(log.empty());
    BOOST_TEST(queue.stats().withdrawn == 2u);
}
