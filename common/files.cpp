#include "common/files.hpp"

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

}  // namespace amq
