// libFuzzer entry point for multipart/form-data bodies. Input: the body, parsed with the fixed
// boundary kBoundary. On success every part's data is a piece of the body, no part holds the
// delimiter, and writing the parts out again canonically (one Content-Disposition with quoted
// name and filename, Content-Type when set) parses back to the same parts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/multipart.hpp"
#include "common/result.hpp"
#include "common/strings.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

constexpr std::string_view kBoundary = "XyZzy42";
constexpr std::string_view kContentType = "multipart/form-data; boundary=XyZzy42";

std::string encode(const std::vector<amq::MultipartPart>& parts) {
    std::string out = "preamble\r\n";
    for (const amq::MultipartPart& part : parts) {
        out += amq::str_cat("--", kBoundary, "\r\nContent-Disposition: form-data; name=\"",
                            part.name, "\"");
        if (!part.filename.empty()) out += amq::str_cat("; filename=\"", part.filename, "\"");
        out += "\r\n";
        if (!part.content_type.empty())
            out += amq::str_cat("Content-Type: ", part.content_type, "\r\n");
        out += amq::str_cat("\r\n", part.data, "\r\n");
    }
    out += amq::str_cat("--", kBoundary, "--\r\nepilogue");
    return out;
}

bool same(const amq::MultipartPart& a, const amq::MultipartPart& b) {
    return a.name == b.name && a.filename == b.filename && a.content_type == b.content_type &&
           a.data == b.data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parts = amq::parse_multipart(body, kContentType);
    if (!parts.ok()) {
        FUZZ_CHECK(parts.error().code == amq::Errc::invalid_argument);
        return 0;
    }
    std::string delimiter = amq::str_cat("\r\n--", kBoundary);
    for (const amq::MultipartPart& part : *parts) {
        FUZZ_CHECK(body.find(part.data) != std::string_view::npos);
        FUZZ_CHECK(part.data.find(delimiter) == std::string::npos);
        // Header values are single lines; an unquoted content type is trimmed.
        for (const std::string* value : {&part.name, &part.filename, &part.content_type})
            FUZZ_CHECK(value->find('\n') == std::string::npos);
        FUZZ_CHECK(amq::trim(part.content_type) == part.content_type);
        FUZZ_CHECK(part.name.find(';') == std::string::npos);
        FUZZ_CHECK(part.filename.find(';') == std::string::npos);
    }
    std::string again_body = encode(*parts);
    auto again = amq::parse_multipart(again_body, kContentType);
    FUZZ_CHECK(again.ok() && again->size() == parts->size());
    for (std::size_t i = 0; i < parts->size(); ++i) FUZZ_CHECK(same((*again)[i], (*parts)[i]));
    return 0;
}
