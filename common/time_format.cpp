#include "common/time_format.hpp"

#include <ctime>

#include "common/strings.hpp"

namespace amq {

std::string iso8601(std::int64_t unix_seconds) {
    if (unix_seconds == 0) return {};
    time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string iso8601_millis(std::int64_t unix_millis) {
    time_t t = static_cast<time_t>(unix_millis / 1000);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return str_cat(buf, ".", static_cast<char>('0' + unix_millis / 100 % 10),
                   static_cast<char>('0' + unix_millis / 10 % 10),
                   static_cast<char>('0' + unix_millis % 10), "Z");
}

namespace {

// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view s, size_t pos, size_t width) {
    if (pos + width > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

}  // namespace

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
    bool date_only = s.size() == 10;
    bool date_time =
        (s.size() == 19 || (s.size() == 20 && s.back() == 'Z')) && (s[10] == 'T' || s[10] == ' ');
    if (!date_only && !date_time) return std::nullopt;
    if (s[4] != '-' || s[7] != '-') return std::nullopt;
    auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    std::optional<int> h = 0, mi = 0, sec = 0;
    if (date_time) {
        if (s[13] != ':' || s[16] != ':') return std::nullopt;
        h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
    }
    if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
    if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo) || *h > 23 || *mi > 59 ||
        *sec > 59)
        return std::nullopt;
    struct tm tm {};
    tm.tm_year = *y - 1900;
    tm.tm_mon = *mo - 1;
    tm.tm_mday = *d;
    tm.tm_hour = *h;
    tm.tm_min = *mi;
    tm.tm_sec = *sec;
    return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace amq
