#define BOOST_TEST_MODULE daemon_worker_endpoint_book
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/q_endpoints.hpp"
#include "daemon/worker/endpoint_book.hpp"

using amq::EndpointBook;

BOOST_AUTO_TEST_CASE(the_first_endpoint_not_resting_is_chosen) {
    EndpointBook book;
    std::vector<std::string> list{"https://a/", "https://b/"};
    BOOST_TEST(book.choose(list, 0) == "https://a/");
    book.rest("https://a/", 0);
    BOOST_TEST(book.choose(list, 1) == "https://b/");
    BOOST_TEST(book.has_alternative(list, "https://a/", 1));
    BOOST_TEST(book.choose(list, EndpointBook::kRestSeconds) == "https://a/");  // rested
}

BOOST_AUTO_TEST_CASE(when_all_rest_the_one_rested_longest_is_chosen) {
    EndpointBook book;
    std::vector<std::string> list{"https://a/", "https://b/"};
    book.rest("https://b/", 0);
    book.rest("https://a/", 5);
    BOOST_TEST(book.choose(list, 6) == "https://b/");
    BOOST_TEST(!book.has_alternative(list, "https://b/", 6));
}

BOOST_AUTO_TEST_CASE(an_accounts_list_replaces_the_configured_one_and_regions_expand) {
    std::string arn = "arn:aws:codewhisperer:eu-central-1:123:profile/X";
    auto urls =
        amq::api_endpoints("", "https://q.{region}.amazonaws.com/, https://r.{region}/", arn);
    BOOST_TEST(urls == (std::vector<std::string>{"https://q.eu-central-1.amazonaws.com/",
                                                 "https://r.eu-central-1/"}),
               boost::test_tools::per_element());
    urls = amq::api_endpoints(" https://own/ ", "https://q/", "");
    BOOST_TEST(urls == std::vector<std::string>{"https://own/"}, boost::test_tools::per_element());
    urls = amq::api_endpoints("", "https://q.{region}/,", "");
    BOOST_TEST(urls == std::vector<std::string>{"https://q.us-east-1/"},
               boost::test_tools::per_element());
}
