#include "daemon/master/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.hpp"

namespace amq {

Status make_private_directory(const std::string& dir) {
    for (size_t pos = dir.find('/', 1); pos != std::string::npos; pos = dir.find('/', pos + 1)) {
        std::string parent = dir.substr(0, pos);
        if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST)
            return make_error(Errc::io,
                              str_cat("cannot create ", parent, ": ", std::strerror(errno)));
    }
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return make_error(Errc::io, str_cat("cannot create ", dir, ": ", std::strerror(errno)));
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return make_error(Errc::io, str_cat(dir, " is not a directory"));
    return {};
}

Result<StateLock> StateLock::acquire(const std::string& dir) {
    if (auto st = make_private_directory(dir); !st) return st.error();
    std::string path = dir + "/amq2apid.pid";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return make_error(Errc::io, str_cat("cannot open ", path, ": ", std::strerror(errno)));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        std::string holder =
            n > 0 ? str_cat(" (pid ", trim(std::string_view(buf, static_cast<size_t>(n))), ")")
                  : "";
        return make_error(Errc::conflict, str_cat("state directory ", dir,
                                                  " is in use by another amq2apid", holder));
    }
    std::string pid = str_cat(getpid(), "\n");
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        close(fd);
        return make_error(Errc::io, str_cat("cannot write ", path, ": ", std::strerror(errno)));
    }
    return StateLock(fd);
}

StateLock::~StateLock() {
    if (fd_ >= 0) close(fd_);
}

}  // namespace amq
