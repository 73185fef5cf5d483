#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/strings.hpp"

namespace amq {

Result<std::string> read_whole_file(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rbe");  // "e": O_CLOEXEC, workers exec
    if (!file) {
        Errc code = errno == ENOENT ? Errc::not_found : Errc::io;
        return make_error(code, str_cat(path, ": ", std::strerror(errno)));
    }
    std::string text;
    char buffer[65536];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
    int error = std::ferror(file) ? errno : 0;  // a directory fails here with EISDIR
    std::fclose(file);
    if (error != 0) return make_error(Errc::io, str_cat(path, ": ", std::strerror(error)));
    return text;
}

Status write_private_file(const std::string& path, const std::string& content) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return make_error(Errc::io, str_cat("cannot create ", tmp, ": ", std::strerror(errno)));
    bool ok = fchmod(fd, 0600) == 0 &&
              write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
              fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
        unlink(tmp.c_str());
        return make_error(Errc::io,
                          str_cat("cannot write ", path, ": ", std::strerror(ok ? errno : saved)));
    }
    std::string dir = path.substr(0, path.rfind('/') + 1);
    int parent = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = parent >= 0 && ::fsync(parent) == 0;
    if (parent >= 0) ::close(parent);
    if (!synced)
        return make_error(
            Errc::io, str_cat("cannot sync the directory of ", path, ": ", std::strerror(errno)));
    return {};
}

}  // namespace amq
