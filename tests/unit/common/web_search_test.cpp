// The MCP web search call, what its answers mean, and what the model reads back.
#define BOOST_TEST_MODULE common_web_search
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/web_search.hpp"
#include "tests/unit/support/json_check.hpp"

using namespace amq::test;

namespace {

std::string mcp_answer(std::string_view results_json, bool is_error = false) {
    std::string text =
        amq::json_value([&](amq::JsonWriter& w) { amq::write_string(w, results_json); });
    return std::string(R"({"id":"1","jsonrpc":"2.0","result":{"content":[{"type":"text","text":)") +
           text + R"(}],"isError":)" + (is_error ? "true" : "false") + "}}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_call_goes_to_the_endpoints_origin_with_the_accounts_marks) {
    amq::GenerateCall call =
        amq::mcp_search_call("https://q.us-east-1.amazonaws.com/", "tok", "API_KEY", "arn:p");
    BOOST_TEST(call.url == "https://q.us-east-1.amazonaws.com/mcp");
    BOOST_TEST(call.headers[0] == "Authorization: Bearer tok");
    BOOST_TEST(call.headers[3] == "TokenType: API_KEY");
    BOOST_TEST(call.headers[4] == "X-Amzn-Kiro-Profile-Arn: arn:p");
    BOOST_TEST(
        amq::mcp_search_call("http://127.0.0.1:9/generateAssistantResponse", "t", "", "").url ==
        "http://127.0.0.1:9/mcp");
    check_json(parsed(amq::mcp_search_body("r1", "a \"b\"")),
               R"({"id":"r1","jsonrpc":"2.0","method":"tools/call",
                   "params":{"name":"web_search","arguments":{"query":"a \"b\""}}})");
}

BOOST_AUTO_TEST_CASE(results_are_read_and_bounded) {
    auto outcome = amq::read_mcp_search(
        "q", 200, mcp_answer(R"({"results":[{"title":"T","url":"https://a/","snippet":"S",
                       "publishedDate":1767225600000},{"title":"no url"},{"url":"https://b/"}]})"));
    BOOST_TEST(outcome.error.empty());
    BOOST_REQUIRE(outcome.hits.size() == 2u);
    BOOST_TEST(outcome.hits[0].title == "T");
    BOOST_TEST(outcome.hits[0].published_ms.value_or(0) == 1767225600000);
    BOOST_TEST(outcome.hits[1].title == "https://b/");  // a hit without a title shows its URL
    std::string many = R"({"results":[)";
    for (int i = 0; i < 30; ++i) many += std::string(i ? "," : "") + R"({"url":"https://x/"})";
    BOOST_TEST(amq::read_mcp_search("q", 200, mcp_answer(many + "]}")).hits.size() ==
               amq::kMaxHits);
}

BOOST_AUTO_TEST_CASE(every_kind_of_failure_is_unavailable) {
    for (auto [status, body] : std::initializer_list<std::pair<int, std::string>>{
             {500, mcp_answer(R"({"results":[]})")},
             {200, "not json"},
             {200, R"({"error":{"code":-32600,"message":"bad"}})"},
             {200, mcp_answer(R"({"results":[]})", true)},
             {200, mcp_answer("not json either")},
             {200, R"({"result":{"content":[]}})"}}) {
        BOOST_TEST_CONTEXT(status << " " << body) {
            auto outcome = amq::read_mcp_search("q", status, body);
            BOOST_TEST(outcome.error == "unavailable");
            BOOST_TEST(outcome.query == "q");
        }
    }
}

BOOST_AUTO_TEST_CASE(the_model_reads_results_or_the_failure) {
    amq::WebSearchOutcome found{"amq", {{"T", "https://a/", "S", 1767225600000}}, {}};
    BOOST_TEST(amq::search_result_text(found) ==
               "Web results for \"amq\":\n\n[1] T\nURL: https://a/\nPublished: 2026-01-01\nS");
    BOOST_TEST(amq::search_result_text({"amq", {}, {}}) == "No web results for \"amq\".");
    BOOST_TEST(amq::search_result_text({"amq", {}, "unavailable"}).find("failed (unavailable)") !=
               std::string::npos);
    BOOST_TEST(amq::search_query(R"({"query":" x "})") == "x");
    BOOST_TEST(amq::search_query(R"({"q":"x"})") == "");
}
