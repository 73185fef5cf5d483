// The access log: one line per request a worker answered, refused or lost, written into the
// daemon's own log (level info), appended to a file, or not at all (the access-log key).
// A file is opened by each worker when it starts, so a reload (new workers) reopens it after
// rotation. Each line is one write(): lines of several workers never interleave.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "daemon/worker/client_connection.hpp"

namespace amq {

// `client "METHOD /target" status bytes 12ms request-id "user agent"`, then ` refused: why`
// when the connection layer answered; quotes and control characters in the user agent
// escaped, the target cut at 1000 bytes.
std::string access_log_line(const ResponseRecord& record);

class AccessLog {
public:
    AccessLog() = default;  // off
    AccessLog(AccessLog&& other) noexcept;
    AccessLog& operator=(AccessLog&& other) noexcept;
    ~AccessLog();

    static Result<AccessLog> open(std::string_view destination);
    void write(const ResponseRecord& record);

private:
    enum class Kind { off, log, file };
    Kind kind_ = Kind::off;
    int fd_ = -1;
};

}  // namespace amq
