#define BOOST_TEST_MODULE ctl_qr_text
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/strings.hpp"
#include "ctl/qr_text.hpp"

namespace amq::ctl {
namespace {

// A line's cells without the colour escapes, one string per cell.
std::vector<std::string> cells(std::string_view line) {
    std::string_view body = line.substr(line.find('m') + 1);
    body = body.substr(0, body.rfind("\x1b[0m"));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < body.size();) {
        std::size_t n = static_cast<unsigned char>(body[i]) < 0x80 ? 1 : 3;  // ' ' or a block
        out.emplace_back(body.substr(i, n));
        i += n;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_url_becomes_a_framed_code_with_its_finder_patterns) {
    auto qr = qr_text("https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH");
    BOOST_REQUIRE(qr.has_value());
    std::vector<std::string_view> lines = split(qr->lines, '\n');
    lines.pop_back();  // after the last "\n"
    // Version v is 17 + 4v modules wide, plus 4 of quiet zone each side, two rows per line.
    BOOST_TEST((qr->columns - 8 - 17) % 4 == 0u);
    BOOST_TEST(lines.size() == (qr->columns + 1) / 2);
    for (std::string_view line : lines) {
        BOOST_TEST(line.starts_with("\x1b[97;40m"));
        BOOST_TEST(cells(line).size() == qr->columns);
    }
    // Rows 0-3: quiet zone, light. Row 4 is the top of the finder pattern (dark, x 4-10) and
    // row 5 its second row (dark at x 4 and 10 only).
    BOOST_TEST(cells(lines[0])[20] == "█");
    auto row45 = cells(lines[2]);
    BOOST_TEST(row45[3] == "█");
    BOOST_TEST(row45[4] == " ");
    BOOST_TEST(row45[5] == "▄");
    BOOST_TEST(row45[9] == "▄");
    BOOST_TEST(row45[10] == " ");
    BOOST_TEST(row45[11] == "█");  // the separator beside the finder is light
}

BOOST_AUTO_TEST_CASE(data_too_long_for_any_version_is_no_code) {
    BOOST_TEST(!qr_text(std::string(8000, 'x')).has_value());
}

}  // namespace amq::ctl
