#define BOOST_TEST_MODULE off_loop
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "daemon/off_loop.hpp"

using namespace amq;

BOOST_AUTO_TEST_CASE(a_job_runs_off_the_loop_and_its_result_comes_back_on_it) {
    EventBasePtr base = make_event_base();
    OffLoop jobs(base.get());
    std::thread::id loop = std::this_thread::get_id();
    std::thread::id worked_on;
    Result<int> got = make_error(Errc::internal, "not yet");
    jobs.run_for<int>(
        [&]() -> Result<int> {
            worked_on = std::this_thread::get_id();
            return 42;
        },
        [&](Result<int> r) {
            got = std::move(r);
            BOOST_CHECK(std::this_thread::get_id() == loop);
            event_base_loopbreak(base.get());
        });
    event_base_dispatch(base.get());
    BOOST_REQUIRE(got.ok());
    BOOST_CHECK_EQUAL(*got, 42);
    BOOST_CHECK(worked_on != loop);
    BOOST_CHECK_EQUAL(jobs.stop(), 0u);  // nothing left running
}

BOOST_AUTO_TEST_CASE(stop_raises_the_flag_and_waits_for_the_jobs) {
    EventBasePtr base = make_event_base();
    OffLoop jobs(base.get());
    std::atomic<bool> started{false};
    std::atomic<bool> saw_stop{false};
    bool then_ran = false;
    Status run = jobs.run(
        [&] {
            started = true;
            while (!jobs.stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            saw_stop = true;
        },
        [&] { then_ran = true; });
    BOOST_REQUIRE(run.ok());
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_CHECK_EQUAL(jobs.stop(), 1u);
    BOOST_CHECK(saw_stop);
    event_base_loop(base.get(), EVLOOP_NONBLOCK);
    BOOST_CHECK(!then_ran);
}
