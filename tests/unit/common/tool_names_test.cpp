#define BOOST_TEST_MODULE common_tool_names
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/tool_names.hpp"

using amq::client_tool_name;
using amq::kMaxToolName;
using amq::ToolNameMap;
using amq::upstream_tool_name;

BOOST_AUTO_TEST_CASE(names_that_fit_are_unchanged) {
    BOOST_TEST(upstream_tool_name("Bash") == "Bash");
    BOOST_TEST(upstream_tool_name("") == "");
    std::string exactly(kMaxToolName, 'a');
    BOOST_TEST(upstream_tool_name(exactly) == exactly);
}

BOOST_AUTO_TEST_CASE(long_names_become_prefix_underscore_hash) {
    std::string name = "mcp__some-very-long-server-name__a_tool_with_an_equally_long_name_x";
    BOOST_REQUIRE(name.size() > kMaxToolName);
    std::string shortened = upstream_tool_name(name);
    BOOST_TEST(shortened.size() == kMaxToolName);
    BOOST_TEST(shortened.substr(0, 47) == name.substr(0, 47));
    BOOST_TEST(shortened[47] == '_');
    BOOST_TEST(shortened.substr(48) == amq::hex(amq::sha256(name)).substr(0, 16));
}

BOOST_AUTO_TEST_CASE(shortening_is_deterministic_and_keeps_names_apart) {
    std::string a = std::string(70, 'x') + "_read";
    std::string b = std::string(70, 'x') + "_write";
    BOOST_TEST(upstream_tool_name(a) == upstream_tool_name(a));
    BOOST_TEST(upstream_tool_name(a) != upstream_tool_name(b));
}

BOOST_AUTO_TEST_CASE(shortening_never_splits_a_utf8_character) {
    // 46 ASCII bytes, then two-byte characters: byte 47 falls inside the first of them.
    std::string name = std::string(46, 'a');
    for (int i = 0; i < 20; ++i) name += "\xc3\xa9";  // é
    std::string shortened = upstream_tool_name(name);
    BOOST_TEST(shortened == std::string(46, 'a') + "_" + amq::hex(amq::sha256(name)).substr(0, 16));
}

BOOST_AUTO_TEST_CASE(client_tool_name_maps_back_and_passes_others_through) {
    std::string original(80, 'n');
    ToolNameMap names{{upstream_tool_name(original), original}};
    BOOST_TEST(client_tool_name(names, upstream_tool_name(original)) == original);
    BOOST_TEST(client_tool_name(names, "Bash") == "Bash");
    BOOST_TEST(client_tool_name(ToolNameMap{}, "Read") == "Read");
}
