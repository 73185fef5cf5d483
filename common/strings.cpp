#include "common/strings.hpp"

#include <cctype>

namespace amq {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

template <class T>
static std::optional<T> parse_whole(std::string_view s) {
    T value{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> parse_int(std::string_view s) { return parse_whole<std::int64_t>(s); }
std::optional<std::uint64_t> parse_uint(std::string_view s) {
    return parse_whole<std::uint64_t>(s);
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k)
            ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (ok && len == 2) ok = c >= 0xC2;  // no overlong encodings
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out.append("\xEF\xBF\xBD");
            ++i;
        }
    }
    return out;
}

std::string redact_url_password(std::string_view url) {
    size_t scheme = url.find("://");
    size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    // The userinfo ends at the last '@': a password may hold '@', and people paste '/', '#'
    // or '?' unescaped too, so no delimiter before it ends the search. An '@' in a path then
    // masks a little too much, never too little.
    size_t at = url.rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    size_t colon = url.find(':', start);
    if (colon == std::string_view::npos || colon > at) return std::string(url);
    return str_cat(url.substr(0, colon + 1), "***", url.substr(at));
}

std::optional<HostPort> parse_host_port(std::string_view s) {
    std::string_view host;
    std::string_view port;
    if (s.starts_with('[')) {
        size_t close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
            return std::nullopt;
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
    } else {
        size_t colon = s.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;
    }
    auto number = parse_uint(port);
    if (host.empty() || !number || *number > 65535) return std::nullopt;
    return HostPort{std::string(host), static_cast<std::uint16_t>(*number)};
}

std::string url_encode(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] != '%') {
            out.push_back(s[i]);
        } else {
            if (i + 2 >= s.size()) return std::nullopt;
            int high = hex_digit(s[i + 1]), low = hex_digit(s[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out.push_back(static_cast<char>(high << 4 | low));
            i += 2;
        }
    }
    return out;
}

std::optional<std::string> query_param(std::string_view url, std::string_view name) {
    auto question = url.find('?');
    if (question == std::string_view::npos) return std::nullopt;
    std::string_view query = url.substr(question + 1);
    query = query.substr(0, query.find('#'));
    for (std::string_view pair : split(query, '&')) {
        auto eq = pair.find('=');
        auto key = url_decode(pair.substr(0, eq));
        if (!key || *key != name) continue;
        return eq == std::string_view::npos ? std::optional<std::string>("")
                                            : url_decode(pair.substr(eq + 1));
    }
    return std::nullopt;
}

}  // namespace amq
