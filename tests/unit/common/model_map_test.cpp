#define BOOST_TEST_MODULE common_model_map
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/model_map.hpp"

using amq::client_model_names;
using amq::default_model_map;
using amq::Errc;
using amq::ModelMapConfig;
using amq::parse_model_table;
using amq::resolve_model;

namespace {

std::string upstream(std::string_view name, const ModelMapConfig& config = default_model_map()) {
    return resolve_model(config, name).upstream;
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(table_names_map_to_their_upstream_ids) {
    BOOST_TEST(upstream("claude-sonnet-4") == "claude-sonnet-4");
    BOOST_TEST(upstream("claude-sonnet-4-5") == "claude-sonnet-4.5");
    BOOST_TEST(upstream("claude-sonnet-4-6") == "claude-sonnet-4.6");
    BOOST_TEST(upstream("claude-haiku-4-5") == "claude-haiku-4.5");
    BOOST_TEST(upstream("claude-opus-4-5") == "claude-opus-4.5");
    BOOST_TEST(upstream("claude-opus-4-6") == "claude-opus-4.6");
    BOOST_TEST(upstream("auto") == "auto");
}

BOOST_AUTO_TEST_CASE(dated_and_latest_suffixes_are_stripped) {
    BOOST_TEST(upstream("claude-sonnet-4-5-20250929") == "claude-sonnet-4.5");
    BOOST_TEST(upstream("claude-sonnet-4-20250514") == "claude-sonnet-4");
    BOOST_TEST(upstream("claude-haiku-4-5-20251001") == "claude-haiku-4.5");
    BOOST_TEST(upstream("claude-opus-4-5@20251101") == "claude-opus-4.5");
    BOOST_TEST(upstream("claude-sonnet-4-6-latest") == "claude-sonnet-4.6");
}

BOOST_AUTO_TEST_CASE(dots_equal_dashes_and_case_is_ignored) {
    BOOST_TEST(upstream("claude-sonnet-4.5") == "claude-sonnet-4.5");
    BOOST_TEST(upstream("claude-opus-4.6") == "claude-opus-4.6");
    BOOST_TEST(upstream("Claude-Haiku-4.5") == "claude-haiku-4.5");
    BOOST_TEST(upstream("CLAUDE-SONNET-4-5-20250929") == "claude-sonnet-4.5");
}

BOOST_AUTO_TEST_CASE(unknown_names_fall_back_by_family) {
    BOOST_TEST(upstream("claude-opus-5-5") == "claude-opus-4.6");
    BOOST_TEST(upstream("claude-sonnet-9") == "claude-sonnet-4.5");
    BOOST_TEST(upstream("claude-3-5-haiku-20241022") == "claude-haiku-4.5");
    BOOST_TEST(upstream("claude-3-opus-latest") == "claude-opus-4.6");
}

BOOST_AUTO_TEST_CASE(names_of_no_family_get_the_default) {
    BOOST_TEST(upstream("gpt-4o") == "claude-sonnet-4.5");
    BOOST_TEST(upstream("o3-mini") == "claude-sonnet-4.5");
    BOOST_TEST(upstream("") == "claude-sonnet-4.5");
}

BOOST_AUTO_TEST_CASE(thinking_suffix_turns_thinking_on_and_is_stripped) {
    auto plain = resolve_model(default_model_map(), "claude-sonnet-4-5");
    BOOST_TEST(!plain.thinking);
    for (std::string_view name : {"claude-sonnet-4-5-thinking", "claude-sonnet-4.5-THINKING",
                                  "claude-sonnet-4-5-20250929-thinking"}) {
        BOOST_TEST_CONTEXT(name) {
            auto m = resolve_model(default_model_map(), name);
            BOOST_TEST(m.thinking);
            BOOST_TEST(m.upstream == "claude-sonnet-4.5");
        }
    }
    BOOST_TEST(resolve_model(default_model_map(), "claude-opus-5-5-thinking").upstream ==
               "claude-opus-4.6");
}

BOOST_AUTO_TEST_CASE(client_name_is_kept_exactly_as_sent) {
    auto m = resolve_model(default_model_map(), "Claude-Sonnet-4.5-20250929-thinking");
    BOOST_TEST(m.client == "Claude-Sonnet-4.5-20250929-thinking");
}

BOOST_AUTO_TEST_CASE(context_window_is_a_million_for_the_4_6_models) {
    BOOST_TEST(resolve_model(default_model_map(), "claude-opus-4-6").context_window == 1000000);
    BOOST_TEST(resolve_model(default_model_map(), "claude-sonnet-4-6").context_window == 1000000);
    BOOST_TEST(resolve_model(default_model_map(), "claude-opus-5-5").context_window == 1000000);
    BOOST_TEST(resolve_model(default_model_map(), "claude-sonnet-4-5").context_window == 200000);
    BOOST_TEST(resolve_model(default_model_map(), "gpt-4o").context_window == 200000);
}

BOOST_AUTO_TEST_CASE(parsed_entries_override_and_extend_the_built_in_table) {
    auto config = parse_model_table(" my-model = claude-sonnet-4.6 , claude-sonnet-4-5=auto ");
    BOOST_REQUIRE(config.ok());
    BOOST_TEST(upstream("my-model", *config) == "claude-sonnet-4.6");
    BOOST_TEST(upstream("claude-sonnet-4-5-20250929", *config) == "auto");
    BOOST_TEST(upstream("claude-haiku-4-5", *config) == "claude-haiku-4.5");
}

BOOST_AUTO_TEST_CASE(reserved_names_set_the_fallbacks) {
    auto config = parse_model_table(
        "default=claude-sonnet-4,opus=claude-opus-4.5,"
        "sonnet=claude-sonnet-4.6,haiku=claude-sonnet-4");
    BOOST_REQUIRE(config.ok());
    BOOST_TEST(upstream("gpt-4o", *config) == "claude-sonnet-4");
    BOOST_TEST(upstream("claude-opus-5-5", *config) == "claude-opus-4.5");
    BOOST_TEST(upstream("claude-sonnet-9", *config) == "claude-sonnet-4.6");
    BOOST_TEST(upstream("claude-haiku-9", *config) == "claude-sonnet-4");
    BOOST_TEST(upstream("claude-opus-4-6", *config) == "claude-opus-4.6");  // table first
}

BOOST_AUTO_TEST_CASE(empty_spec_and_empty_entries_are_tolerated) {
    auto empty = parse_model_table("  ");
    BOOST_REQUIRE(empty.ok());
    BOOST_TEST(empty->table.size() == default_model_map().table.size());
    auto trailing = parse_model_table("a=auto,,b=auto,");
    BOOST_REQUIRE(trailing.ok());
    BOOST_TEST(upstream("b", *trailing) == "auto");
}

BOOST_AUTO_TEST_CASE(bad_entries_are_errors_naming_the_entry) {
    struct Case {
        std::string_view spec;
        std::string_view names;
    };
    for (const Case& c : {Case{"a=auto,broken", "'broken'"}, Case{"=auto", "'=auto'"},
                          Case{"x=", "'x='"}, Case{"x=claude sonnet", "'x=claude sonnet'"},
                          Case{"x=auto,X=auto", "'X=auto'"}, Case{"m=a\"b", "'m=a\"b'"}}) {
        BOOST_TEST_CONTEXT(c.spec) {
            auto config = parse_model_table(c.spec);
            BOOST_REQUIRE(!config.ok());
            BOOST_TEST((config.error().code == Errc::invalid_argument));
            BOOST_TEST(contains(config.error().message, c.names), config.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(duplicates_compare_normalised) {
    auto config = parse_model_table("claude-x-4.5=auto,claude-x-4-5-20250101=auto");
    BOOST_REQUIRE(!config.ok());
    BOOST_TEST(contains(config.error().message, "mapped twice"));
}

BOOST_AUTO_TEST_CASE(client_model_names_lists_the_table_once_each) {
    std::vector<std::string> expected{"claude-sonnet-4",
                                      "claude-sonnet-4-5",
                                      "claude-sonnet-4-6",
                                      "claude-haiku-4-5",
                                      "claude-opus-4-5",
                                      "claude-opus-4-6",
                                      "auto"};
    auto names = client_model_names(default_model_map());
    BOOST_TEST(names == expected, boost::test_tools::per_element());

    auto config = parse_model_table("auto=claude-sonnet-4.6,mine=auto");
    BOOST_REQUIRE(config.ok());
    auto extended = client_model_names(*config);
    BOOST_TEST(extended.size() == expected.size() + 1);
    BOOST_TEST(extended.front() == "auto");
    BOOST_TEST(extended[1] == "mine");
}

BOOST_AUTO_TEST_CASE(listed_means_a_table_entry_matched) {
    auto config = amq::default_model_map();
    BOOST_TEST(amq::resolve_model(config, "claude-sonnet-4-5").listed);
    BOOST_TEST(amq::resolve_model(config, "claude-sonnet-4-5-20250929").listed);
    BOOST_TEST(!amq::resolve_model(config, "claude-sonnet-9").listed);  // family fallback
    BOOST_TEST(!amq::resolve_model(config, "gpt-4o").listed);           // default fallback
}

BOOST_AUTO_TEST_CASE(an_allowlist_admits_other_names_of_the_same_model) {
    auto config = amq::default_model_map();
    std::vector<std::string> allowed{"claude-sonnet-4-5"};
    BOOST_TEST(amq::model_allowed({}, "anything", config));
    BOOST_TEST(amq::model_allowed(allowed, "CLAUDE-SONNET-4-5", config));
    BOOST_TEST(amq::model_allowed(allowed, "claude-sonnet-4.5-20250929", config));
    BOOST_TEST(!amq::model_allowed(allowed, "claude-opus-4-6", config));
}
