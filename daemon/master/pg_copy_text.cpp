#include "daemon/master/pg_copy_text.hpp"

#include <optional>

#include "common/strings.hpp"

namespace amq {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The escapes COPY … TO writes; \N (NULL) is told apart by the caller.
std::optional<char> unescaped(char c) {
    switch (c) {
        case '\\': return '\\';
        case 'b': return '\b';
        case 'f': return '\f';
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case 'v': return '\v';
        default: return std::nullopt;
    }
}

Error malformed(std::string_view why) {
    return make_error(Errc::protocol, str_cat("a malformed COPY row from PostgreSQL: ", why));
}

}  // namespace

std::string copy_text(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
    return out;
}

std::string bytea_text(std::string_view bytes) {
    std::string out = "\\x";
    out.reserve(out.size() + 2 * bytes.size());
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
    return out;
}

std::string copy_bytes(std::string_view bytes) { return "\\" + bytea_text(bytes); }

void append_copy_row(std::string& out, std::initializer_list<std::string_view> fields) {
    bool first = true;
    for (std::string_view f : fields) {
        if (!first) out += '\t';
        out.append(f);
        first = false;
    }
    out += '\n';
}

Result<std::vector<std::string>> parse_copy_row(std::string_view line) {
    std::vector<std::string> fields(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '\t') {
            fields.emplace_back();
            continue;
        }
        if (c != '\\') {
            fields.back() += c;
            continue;
        }
        if (++i == line.size()) return malformed("a backslash ends the row");
        if (line[i] == 'N') return malformed("a NULL in a NOT NULL column");
        std::optional<char> plain = unescaped(line[i]);
        if (!plain) return malformed(str_cat("an unknown escape \\", line.substr(i, 1)));
        fields.back() += *plain;
    }
    return fields;
}

Result<std::string> bytes_of(std::string_view field) {
    if (!field.starts_with("\\x") || field.size() % 2 != 0)
        return malformed("a bytea field not in hex");
    std::string out;
    out.reserve(field.size() / 2 - 1);
    for (std::size_t i = 2; i < field.size(); i += 2) {
        int hi = hex_value(field[i]);
        int lo = hex_value(field[i + 1]);
        if (hi < 0 || lo < 0) return malformed("a bytea field not in hex");
        out += static_cast<char>(hi << 4 | lo);
    }
    return out;
}

}  // namespace amq
