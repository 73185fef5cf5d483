#include "common/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace amq {
namespace {

struct LogState {
    std::string role = "amq2api";
    LogLevel level = LogLevel::info;
    bool journal = false;
};

LogState& state() {
    static LogState s;
    return s;
}

// JOURNAL_STREAM is "device:inode" of the stream journald gave us; it only applies while
// stderr still is that stream (not after a redirect by a wrapper script).
bool stderr_is_journal() {
    const char* js = std::getenv("JOURNAL_STREAM");
    if (!js) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    return dev == static_cast<unsigned long long>(st.st_dev) &&
           ino == static_cast<unsigned long long>(st.st_ino);
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "debug") return LogLevel::debug;
    if (name == "info") return LogLevel::info;
    if (name == "notice") return LogLevel::notice;
    if (name == "warning" || name == "warn") return LogLevel::warning;
    if (name == "error") return LogLevel::error;
    return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::notice: return "notice";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
    }
    return "info";
}

void log_init(std::string role, LogLevel level) {
    state().role = std::move(role);
    state().level = level;
    state().journal = stderr_is_journal();
}

void log_set_level(LogLevel level) { state().level = level; }
LogLevel log_level() { return state().level; }
bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= static_cast<int>(state().level);
}

void log_line(LogLevel level, std::string_view message) {
    const LogState& s = state();
    std::string line;
    line.reserve(message.size() + 64);
    if (s.journal) {
        line = str_cat("<", static_cast<int>(level), ">");
    } else {
        struct timespec ts {};
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm {};
        gmtime_r(&ts.tv_sec, &tm);
        char stamp[64];
        std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000);
        line = stamp;
    }
    line.append(s.role).append(" ").append(log_level_name(level)).append(": ");
    for (char c : message) line.push_back(c == '\n' ? ' ' : c);  // one event, one line
    line.push_back('\n');
    // One write() per line so that lines of concurrent processes never interleave.
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

}  // namespace amq
