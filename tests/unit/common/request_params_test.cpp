#define BOOST_TEST_MODULE common_request_params
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/request_params.hpp"
#include "tests/unit/support/json_check.hpp"

using amq::ParamKind;
using amq::ParamRule;
using amq::test::parsed;

namespace {

constexpr ParamRule kRules[] = {
    {"max_tokens", ParamKind::integer, true, 1},
    {"temperature", ParamKind::number, false, 0, 1},
    {"penalty", ParamKind::number, false, -2, 2},
    {"top_k", ParamKind::integer, false, 0},
    {"stream", ParamKind::boolean},
    {"user", ParamKind::string},
    {"stop", ParamKind::string_list},
    {"metadata", ParamKind::object},
};

std::string problem(std::string_view body) {
    auto doc = parsed(body);
    amq::Status s = amq::check_params(doc, kRules);
    return s ? std::string() : s.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(well_formed_parameters_pass) {
    BOOST_TEST(problem(R"({"max_tokens":1,"temperature":0.5,"penalty":-2,"top_k":0,
        "stream":true,"user":"u","stop":["a","b"],"metadata":{}})") == "");
    BOOST_TEST(problem(R"({"max_tokens":8192,"temperature":1,"stop":"x"})") == "");
}

BOOST_AUTO_TEST_CASE(null_is_absent_but_a_required_one_must_be_there) {
    BOOST_TEST(problem(R"({"max_tokens":5,"temperature":null})") == "");
    BOOST_TEST(problem(R"({})") == "max_tokens: Field required");
    BOOST_TEST(problem(R"({"max_tokens":null})") == "max_tokens: Field required");
}

BOOST_AUTO_TEST_CASE(each_broken_parameter_is_named_with_what_it_should_be) {
    struct Row {
        const char* body;
        const char* message;
    };
    const Row rows[] = {
        {R"({"max_tokens":"a"})", "max_tokens: must be an integer of at least 1"},
        {R"({"max_tokens":0})", "max_tokens: must be an integer of at least 1"},
        {R"({"max_tokens":1.5})", "max_tokens: must be an integer of at least 1"},
        {R"({"max_tokens":1,"temperature":"hot"})",
         "temperature: must be a number between 0 and 1"},
        {R"({"max_tokens":1,"temperature":1.01})", "temperature: must be a number between 0 and 1"},
        {R"({"max_tokens":1,"penalty":-2.5})", "penalty: must be a number between -2 and 2"},
        {R"({"max_tokens":1,"top_k":-1})", "top_k: must be an integer of at least 0"},
        {R"({"max_tokens":1,"stream":"yes"})", "stream: must be true or false"},
        {R"({"max_tokens":1,"user":5})", "user: must be a string"},
        {R"({"max_tokens":1,"stop":["a",1]})", "stop: must be a string or an array of strings"},
        {R"({"max_tokens":1,"metadata":[]})", "metadata: must be an object"},
    };
    for (const Row& row : rows) BOOST_TEST_CONTEXT(row.body) {
            BOOST_TEST(problem(row.body) == row.message);
        }
}

BOOST_AUTO_TEST_CASE(model_names_are_bounded_and_printable) {
    BOOST_TEST(amq::check_model_name("claude-sonnet-4-5").ok());
    BOOST_TEST(amq::check_model_name(std::string(256, 'm')).ok());
    BOOST_TEST(amq::check_model_name(std::string(257, 'm')).error().message ==
               "model: must be at most 256 bytes");
    BOOST_TEST(amq::check_model_name("").error().message == "model: must not be empty");
    BOOST_TEST(amq::check_model_name("a\nb").error().message ==
               "model: must not contain control characters");
    BOOST_TEST(!amq::check_model_name(std::string("a\x7f", 2)).ok());
    BOOST_TEST(amq::check_model_name("modèle-ü").ok());  // UTF-8 is not control
}
