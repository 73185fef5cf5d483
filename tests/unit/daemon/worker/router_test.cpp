#define BOOST_TEST_MODULE daemon_worker_router
#include <boost/test/unit_test.hpp>

#include <span>
#include <string>

#include "daemon/worker/router.hpp"

using amq::match_route;
using amq::method_name;
using amq::Route;
using amq::RouteMatch;

namespace {

void handle_a(amq::Worker&, amq::HttpRequest&) {}
void handle_b(amq::Worker&, amq::HttpRequest&) {}
void handle_c(amq::Worker&, amq::HttpRequest&) {}
void handle_d(amq::Worker&, amq::HttpRequest&) {}

const Route kTable[] = {
    {"/health", htp_method_GET, handle_a},
    {"/v1/messages", htp_method_POST, handle_b},
    {"/v1/models", htp_method_GET, handle_c},
    {"/v1/models", htp_method_DELETE, handle_d},
};

RouteMatch match(std::string_view path, htp_method method) {
    return match_route(std::span<const Route>(kTable), path, method);
}

}  // namespace

BOOST_AUTO_TEST_CASE(exact_path_and_method_select_the_route) {
    RouteMatch m = match("/v1/messages", htp_method_POST);
    BOOST_REQUIRE(m.route != nullptr);
    BOOST_TEST(m.route == &kTable[1]);
    BOOST_TEST(m.route->handler == &handle_b);
    BOOST_TEST(m.allow.empty());
}

BOOST_AUTO_TEST_CASE(each_method_of_a_shared_path_selects_its_own_route) {
    RouteMatch get = match("/v1/models", htp_method_GET);
    RouteMatch del = match("/v1/models", htp_method_DELETE);
    BOOST_REQUIRE(get.route != nullptr);
    BOOST_REQUIRE(del.route != nullptr);
    BOOST_TEST(get.route->handler == &handle_c);
    BOOST_TEST(del.route->handler == &handle_d);
}

BOOST_AUTO_TEST_CASE(other_method_on_a_known_path_lists_the_allowed_methods) {
    RouteMatch m = match("/v1/messages", htp_method_GET);
    BOOST_TEST(m.route == nullptr);
    BOOST_TEST(m.allow == "POST");
}

BOOST_AUTO_TEST_CASE(allow_list_names_every_method_of_the_path_in_table_order) {
    RouteMatch m = match("/v1/models", htp_method_POST);
    BOOST_TEST(m.route == nullptr);
    BOOST_TEST(m.allow == "GET, HEAD, DELETE");
}

BOOST_AUTO_TEST_CASE(head_is_implied_by_get) {
    RouteMatch m = match("/health", htp_method_HEAD);
    BOOST_REQUIRE(m.route != nullptr);
    BOOST_TEST(m.route->method == htp_method_GET);
    BOOST_TEST(match("/health", htp_method_POST).allow == "GET, HEAD");
}

BOOST_AUTO_TEST_CASE(unknown_path_matches_nothing_and_allows_nothing) {
    for (std::string_view path : {"/nope", "/", "", "/health/", "/HEALTH", "/v1/messages/x",
                                  "/v1/message", "/health?x=1"}) {
        BOOST_TEST_CONTEXT("path '" << path << "'") {
            RouteMatch m = match(path, htp_method_GET);
            BOOST_TEST(m.route == nullptr);
            BOOST_TEST(m.allow.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(empty_table_matches_nothing) {
    RouteMatch m = match_route(std::span<const Route>(), "/health", htp_method_GET);
    BOOST_TEST(m.route == nullptr);
    BOOST_TEST(m.allow.empty());
}

BOOST_AUTO_TEST_CASE(method_names_are_the_http_tokens) {
    BOOST_TEST(method_name(htp_method_GET) == "GET");
    BOOST_TEST(method_name(htp_method_HEAD) == "HEAD");
    BOOST_TEST(method_name(htp_method_POST) == "POST");
    BOOST_TEST(method_name(htp_method_PUT) == "PUT");
    BOOST_TEST(method_name(htp_method_DELETE) == "DELETE");
    BOOST_TEST(method_name(htp_method_OPTIONS) == "OPTIONS");
    BOOST_TEST(method_name(htp_method_PATCH) == "PATCH");
    BOOST_TEST(method_name(htp_method_TRACE) == "OTHER");
}

BOOST_AUTO_TEST_CASE(parameter_segments_match_one_segment_each) {
    static constexpr Route routes[] = {
        {"/v1/models/{}", htp_method_GET, nullptr},
        {"/admin/accounts/{}/refresh-token", htp_method_POST, nullptr},
    };
    auto m = match_route(routes, "/v1/models/claude-sonnet-4-5", htp_method_GET);
    BOOST_REQUIRE(m.route == &routes[0]);
    BOOST_REQUIRE_EQUAL(m.params.size(), 1u);
    BOOST_CHECK_EQUAL(m.params[0], "claude-sonnet-4-5");
    m = match_route(routes, "/admin/accounts/7/refresh-token", htp_method_POST);
    BOOST_REQUIRE(m.route == &routes[1]);
    BOOST_CHECK_EQUAL(m.params[0], "7");
    BOOST_CHECK(!match_route(routes, "/v1/models/", htp_method_GET).route);
    BOOST_CHECK(!match_route(routes, "/v1/models", htp_method_GET).route);
    BOOST_CHECK(!match_route(routes, "/v1/models/a/b", htp_method_GET).route);
    m = match_route(routes, "/admin/accounts/7/refresh-token", htp_method_GET);
    BOOST_CHECK(!m.route);
    BOOST_CHECK_EQUAL(m.allow, "POST");
}
