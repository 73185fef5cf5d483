// Small string helpers shared by every module (there is no std::format in GCC 12).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace amq {

namespace detail {
inline void append_piece(std::string& out, std::string_view s) { out.append(s); }
inline void append_piece(std::string& out, const char* s) { out.append(s ? s : ""); }
inline void append_piece(std::string& out, const std::string& s) { out.append(s); }
inline void append_piece(std::string& out, char c) { out.push_back(c); }
inline void append_piece(std::string& out, bool b) { out.append(b ? "true" : "false"); }
template <class T>
requires std::is_arithmetic_v<T>
void append_piece(std::string& out, T v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc{} ? end : buf);
}
}  // namespace detail

template <class... Args>
std::string str_cat(const Args&... args) {
    std::string out;
    (detail::append_piece(out, args), ...);
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// Whole-string parses: trailing garbage is a failure, not a partial value.
std::optional<std::int64_t> parse_int(std::string_view s);
std::optional<std::uint64_t> parse_uint(std::string_view s);

// 0-15 for a hexadecimal digit of either case, -1 for anything else.
int hex_digit(char c);

// Percent-encoding of everything but RFC 3986's unreserved characters: a query value.
std::string url_encode(std::string_view s);
// The inverse for a query component ('+' is a space); nullopt on a broken %-escape.
std::optional<std::string> url_decode(std::string_view s);
// The decoded value of `name` in a URL's query ("…?a=1&b=2#frag"); nullopt when the query
// has no such parameter or its value does not decode.
std::optional<std::string> query_param(std::string_view url, std::string_view name);

// Invalid UTF-8 sequences replaced by U+FFFD: client-supplied text stored or sent as JSON.
std::string valid_utf8(std::string_view s);

// "http://user:secret@host:3128" → "http://user:***@host:3128": URLs shown to people. The
// password runs from the user's ':' to the last '@', whatever it holds.
std::string redact_url_password(std::string_view url);

// "host:port" or "[v6]:port"; the port is required.
struct HostPort {
    std::string host;
    std::uint16_t port;
};
std::optional<HostPort> parse_host_port(std::string_view s);

}  // namespace amq
