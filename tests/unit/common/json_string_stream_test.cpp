// Decoding {"input": "…"} as it streams: every split of the text decodes the same, escapes
// included, and anything not shaped so stops the decoding.
#define BOOST_TEST_MODULE common_json_string_stream
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/json_string_stream.hpp"

namespace {

// The text fed in pieces of `step` bytes; returns everything decoded.
std::string decode(std::string_view json, std::size_t step, bool* complete = nullptr) {
    amq::JsonStringStream s("input");
    std::string out;
    for (std::size_t i = 0; i < json.size(); i += step) out += s.feed(json.substr(i, step));
    if (complete) *complete = s.complete();
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_split_decodes_the_whole_value) {
    const std::string value = "*** Begin Patch\n\t\"quoted\" \\ / é 日本 😀\u0001 end";
    const std::string json =
        amq::json_object([&](amq::JsonWriter& w) { amq::write_field(w, "input", value); });
    for (std::size_t step = 1; step <= json.size(); ++step) {
        BOOST_TEST_CONTEXT("step " << step) {
            bool complete = false;
            BOOST_TEST(decode(json, step, &complete) == value);
            BOOST_TEST(complete);
        }
    }
}

BOOST_AUTO_TEST_CASE(unicode_escapes_and_surrogate_pairs_decode) {
    BOOST_TEST(decode(R"({"input":"a\u00e9\ud83d\ude00\/b"})", 1) == "aé😀/b");
    BOOST_TEST(decode(" {\n \"input\" :\t\"x\"}", 3) == "x");
}

BOOST_AUTO_TEST_CASE(other_shapes_stop_the_decoding) {
    for (std::string_view json :
         {R"({"patch":"x"})", R"({"input":1})", R"([{"input":"x"}])", R"({"in put":"x"})",
          R"({"input":"a\ud83dx"})", R"({"input":"a\qb"})", R"({"input":"a\u12G4"})"}) {
        BOOST_TEST_CONTEXT(json) {
            amq::JsonStringStream s("input");
            std::string out = s.feed(json);
            BOOST_TEST(!s.complete());
            BOOST_TEST(s.stopped());
            BOOST_TEST(out.size() <= 1u);  // at most what came before the fault
        }
    }
}

BOOST_AUTO_TEST_CASE(nothing_after_the_closing_quote_is_decoded) {
    amq::JsonStringStream s("input");
    BOOST_TEST(s.feed(R"({"input":"ab","more":"cd"})") == "ab");
    BOOST_TEST(s.complete());
    BOOST_TEST(s.feed("\"zz") == "");
}
