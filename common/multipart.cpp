#include "common/multipart.hpp"

#include "common/strings.hpp"

namespace amq {
namespace {

// The value of `key` in a header's parameters: boundary=…, name="…", filename="…".
std::string parameter(std::string_view header, std::string_view key) {
    for (std::string_view part : split(header, ';')) {
        part = trim(part);
        size_t eq = part.find('=');
        if (eq == std::string_view::npos || !iequals(trim(part.substr(0, eq)), key)) continue;
        std::string_view value = trim(part.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return std::string(value);
    }
    return {};
}

Result<MultipartPart> parse_part(std::string_view raw) {
    size_t end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return make_error(Errc::invalid_argument, "multipart part without headers");
    MultipartPart part;
    for (std::string_view line : split(raw.substr(0, end), '\n')) {
        line = trim(line);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = trim(line.substr(0, colon));
        std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "content-disposition")) {
            part.name = parameter(value, "name");
            part.filename = parameter(value, "filename");
        } else if (iequals(name, "content-type")) {
            part.content_type = std::string(value);
        }
    }
    part.data = std::string(raw.substr(end + 4));
    return part;
}

}  // namespace

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body,
                                                   std::string_view content_type) {
    std::string boundary = parameter(content_type, "boundary");
    if (boundary.empty() || boundary.size() > 200)
        return make_error(Errc::invalid_argument, "multipart/form-data without a usable boundary");
    std::string delimiter = "--" + boundary;
    size_t pos = body.find(delimiter);
    if (pos == std::string_view::npos)
        return make_error(Errc::invalid_argument, "multipart body without its boundary");
    std::vector<MultipartPart> parts;
    for (;;) {
        pos += delimiter.size();
        if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
        if (body.substr(pos, 2) != "\r\n")
            return make_error(Errc::invalid_argument, "malformed multipart delimiter");
        pos += 2;
        size_t next = body.find("\r\n" + delimiter, pos);
        if (next == std::string_view::npos)
            return make_error(Errc::invalid_argument, "multipart body ends inside a part");
        auto part = parse_part(body.substr(pos, next - pos));
        if (!part) return part.error();
        parts.push_back(std::move(*part));
        pos = next + 2;
    }
}

}  // namespace amq
