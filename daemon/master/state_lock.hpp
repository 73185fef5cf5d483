// One daemon per state directory: an flock on <state dir>/amq2apid.pid held for the master's
// lifetime (released by the kernel however the process ends).
#pragma once

#include <string>

#include "common/result.hpp"

namespace amq {

class StateLock {
public:
    // Creates the directory (0700) when missing.
    static Result<StateLock> acquire(const std::string& dir);
    StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    StateLock& operator=(StateLock&&) = delete;
    ~StateLock();

private:
    explicit StateLock(int fd) : fd_(fd) {}
    int fd_;
};

Status make_private_directory(const std::string& dir);  // mkdir -p, the last level 0700

}  // namespace amq
