// One line per event on stderr, tagged with the process role ("master", "worker[2]", "ctl").
// Under systemd-journald (JOURNAL_STREAM names our stderr) lines carry <N> priority prefixes
// instead of timestamps, which the journal adds itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/strings.hpp"

namespace amq {

enum class LogLevel { debug = 7, info = 6, notice = 5, warning = 4, error = 3 };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

void log_init(std::string role, LogLevel level);
void log_set_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message);

template <class... Args>
void log_debug(const Args&... args) {
    if (log_enabled(LogLevel::debug)) log_line(LogLevel::debug, str_cat(args...));
}
template <class... Args>
void log_info(const Args&... args) {
    if (log_enabled(LogLevel::info)) log_line(LogLevel::info, str_cat(args...));
}
template <class... Args>
void log_notice(const Args&... args) {
    if (log_enabled(LogLevel::notice)) log_line(LogLevel::notice, str_cat(args...));
}
template <class... Args>
void log_warning(const Args&... args) {
    if (log_enabled(LogLevel::warning)) log_line(LogLevel::warning, str_cat(args...));
}
template <class... Args>
void log_error(const Args&... args) {
    log_line(LogLevel::error, str_cat(args...));
}

}  // namespace amq
