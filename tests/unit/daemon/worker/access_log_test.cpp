#define BOOST_TEST_MODULE daemon_worker_access_log
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "daemon/worker/access_log.hpp"

using amq::access_log_line;
using amq::AccessLog;
using amq::ResponseRecord;

namespace {

ResponseRecord record() {
    ResponseRecord r;
    r.method = "POST";
    r.target = "/v1/messages?beta=true";
    r.client = "198.51.100.7";
    r.user_agent = "claude-cli/2.0 (external, cli)";
    r.status = 200;
    r.bytes_sent = 1234;
    r.seconds = 0.5329;
    r.request_id = "req_abc";
    return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_line_names_client_request_status_size_time_and_id) {
    BOOST_TEST(
        access_log_line(record()) ==
        R"x(198.51.100.7 "POST /v1/messages?beta=true" 200 1234 532ms req_abc "claude-cli/2.0 (external, cli)")x");
}

BOOST_AUTO_TEST_CASE(a_request_that_waited_for_an_account_says_how_long) {
    ResponseRecord r = record();
    r.queued = 2.3456;
    BOOST_TEST(access_log_line(r).ends_with(R"x("claude-cli/2.0 (external, cli)" queued=2345ms)x"));
}

BOOST_AUTO_TEST_CASE(a_refused_request_says_why_and_unknown_parts_are_dashes) {
    ResponseRecord r;
    r.method = "-";
    r.status = 400;
    r.refusal = "malformed request line";
    BOOST_TEST(access_log_line(r) == R"(- "-" 400 0 0ms - "" refused: malformed request line)");
}

BOOST_AUTO_TEST_CASE(the_user_agent_cannot_forge_fields_or_drive_a_terminal) {
    ResponseRecord r = record();
    r.user_agent = "a\" 500 \x1b[31mred\n";
    std::string line = access_log_line(r);
    BOOST_TEST(line.find(R"("a\" 500 ?[31mred?")") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_file_gets_one_timestamped_line_per_request) {
    char dir[] = "/tmp/amq-access-XXXXXX";
    BOOST_REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/access.log";
    {
        auto log = AccessLog::open(path);
        BOOST_REQUIRE(log.ok());
        log->write(record());
        log->write(record());
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    BOOST_TEST(std::count(content.begin(), content.end(), '\n') == 2);
    BOOST_TEST(content.find("Z 198.51.100.7 \"POST ") != std::string::npos, content);
    struct stat st {};
    BOOST_REQUIRE(stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0640u);
    unlink(path.c_str());
    rmdir(dir);
}

BOOST_AUTO_TEST_CASE(an_unwritable_file_is_an_error_that_names_it) {
    auto log = AccessLog::open("/nonexistent-dir/access.log");
    BOOST_REQUIRE(!log.ok());
    BOOST_TEST(log.error().message.find("/nonexistent-dir/access.log") != std::string::npos);
}
