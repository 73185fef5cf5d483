#include "daemon/worker/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/log.hpp"
#include "common/time_format.hpp"
#include "daemon/event.hpp"

namespace amq {
namespace {

std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : valid_utf8(text)) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\')
            out += str_cat('\\', c);
        else if (u < 0x20 || u == 0x7f)
            out += "?";
        else
            out += c;
    }
    return out + "\"";
}

// Only a request that waited for an account says how long (whole milliseconds).
std::string queued_text(double seconds) {
    auto ms = static_cast<std::int64_t>(seconds * 1000);
    return ms > 0 ? str_cat(" queued=", ms, "ms") : std::string();
}

}  // namespace

std::string access_log_line(const ResponseRecord& r) {
    std::string request = r.method == "-" && r.target.empty()
                              ? "-"
                              : str_cat(r.method, " ", r.target.substr(0, 1000));
    return str_cat(r.client.empty() ? "-" : r.client, " ", quoted(request), " ", r.status, " ",
                   r.bytes_sent, " ", static_cast<std::int64_t>(r.seconds * 1000), "ms ",
                   r.request_id.empty() ? "-" : r.request_id, " ", quoted(r.user_agent),
                   queued_text(r.queued), r.refusal.empty() ? "" : " refused: ", r.refusal);
}

AccessLog::AccessLog(AccessLog&& other) noexcept
    : kind_(std::exchange(other.kind_, Kind::off)), fd_(std::exchange(other.fd_, -1)) {}

AccessLog& AccessLog::operator=(AccessLog&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        kind_ = std::exchange(other.kind_, Kind::off);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

AccessLog::~AccessLog() {
    if (fd_ >= 0) ::close(fd_);
}

Result<AccessLog> AccessLog::open(std::string_view destination) {
    AccessLog log;
    if (destination == "off") return log;
    if (destination == "log") {
        log.kind_ = Kind::log;
        return log;
    }
    std::string path(destination);
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return make_error(Errc::io, str_cat("access-log ", path, ": ", std::strerror(errno)));
    log.kind_ = Kind::file;
    log.fd_ = fd;
    return log;
}

// A local file append is a page-cache copy; like nginx, the loop writes it directly.
void AccessLog::write(const ResponseRecord& record) {
    if (kind_ == Kind::off) return;
    std::string line = access_log_line(record);
    if (kind_ == Kind::log) return log_info("access ", line);
    std::string stamped = str_cat(iso8601_millis(unix_millis()), " ", line, "\n");
    if (::write(fd_, stamped.data(), stamped.size()) < 0 && errno != EINTR)
        log_debug("access log write failed: ", std::strerror(errno));
}

}  // namespace amq
