// The model-efforts table and how a wanted effort meets what a model takes.
#define BOOST_TEST_MODULE common_reasoning_effort
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/model_map.hpp"
#include "common/reasoning_effort.hpp"

using Efforts = std::vector<std::string>;

BOOST_AUTO_TEST_CASE(the_built_in_table_covers_the_4_6_models) {
    amq::ModelEfforts table = amq::default_model_efforts();
    BOOST_TEST(
        (amq::efforts_for(table, "claude-opus-4.6") == Efforts{"low", "medium", "high", "max"}));
    BOOST_TEST(amq::efforts_for(table, "claude-sonnet-4.5").empty());
    BOOST_TEST((amq::resolve_model(amq::default_model_map(), "claude-sonnet-4-6").efforts ==
                Efforts{"low", "medium", "high", "max"}));
    BOOST_TEST(amq::resolve_model(amq::default_model_map(), "gpt-4o").efforts.empty());
}

BOOST_AUTO_TEST_CASE(the_setting_replaces_the_table_and_sorts_efforts) {
    auto table = amq::parse_model_efforts(" claude-opus-4.8 = max/xhigh/low , x=high");
    BOOST_REQUIRE(table.ok());
    BOOST_TEST(table->size() == 2u);
    BOOST_TEST((amq::efforts_for(*table, "claude-opus-4.8") == Efforts{"low", "xhigh", "max"}));
    BOOST_TEST(amq::efforts_for(*table, "claude-opus-4.6").empty());
    BOOST_TEST(amq::parse_model_efforts("none")->empty());
    BOOST_TEST(amq::parse_model_efforts("")->empty());
}

BOOST_AUTO_TEST_CASE(bad_entries_are_named) {
    BOOST_TEST(amq::parse_model_efforts("m=huge").error().message ==
               "model-efforts entry 'm=huge': 'huge' is not one of low, medium, high, xhigh, max");
    BOOST_TEST(amq::parse_model_efforts("=low").error().message ==
               "model-efforts entry '=low': expected upstream-id=effort/effort/…");
    BOOST_TEST(amq::parse_model_efforts("m=low,m=high").error().message ==
               "model-efforts entry 'm=high': the model is listed twice");
}

BOOST_AUTO_TEST_CASE(the_nearest_effort_never_exceeds_the_wanted_one) {
    const Efforts standard{"low", "medium", "high", "max"};
    BOOST_TEST(amq::nearest_effort("xhigh", standard) == "high");
    BOOST_TEST(amq::nearest_effort("max", standard) == "max");
    BOOST_TEST(amq::nearest_effort("low", Efforts{"high", "max"}) == "high");
    BOOST_TEST(amq::nearest_effort("medium", Efforts{}) == "");
}

BOOST_AUTO_TEST_CASE(budgets_map_to_efforts) {
    BOOST_TEST(amq::effort_for_budget(1024) == "low");
    BOOST_TEST(amq::effort_for_budget(4001) == "medium");
    BOOST_TEST(amq::effort_for_budget(32000) == "high");
    BOOST_TEST(amq::effort_for_budget(32001) == "max");
}
