#include "common/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/time_format.hpp"

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
        line = iso8601_millis(static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000);
        line += ' ';
    }
    line.append(s.role).append(" ").append(log_level_name(level)).append(": ");
    // One event, one line; control characters from clients (terminal escapes) are shown, not
    // obeyed.
    for (char c : message) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\n')
            line.push_back(' ');
        else if (u < 0x20 || u == 0x7f)
            line += str_cat("\\x", "0123456789abcdef"[u >> 4], "0123456789abcdef"[u & 15]);
        else
            line.push_back(c);
    }
    line.push_back('\n');
    // One write() per line so that lines of concurrent processes never interleave.
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

}  // namespace amq
