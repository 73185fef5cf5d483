#include "ctl/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/strings.hpp"
#include "ctl/client.hpp"
#include "ctl/render.hpp"

namespace amq::ctl {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// The open backup file. Unless kept, it is closed and removed when this goes out of scope:
// every failure after it was opened leaves no half-written copy behind.
class BackupFile {
public:
    BackupFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    BackupFile(BackupFile&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), keep_(other.keep_) {}
    BackupFile(const BackupFile&) = delete;
    BackupFile& operator=(const BackupFile&) = delete;
    BackupFile& operator=(BackupFile&&) = delete;
    ~BackupFile() {
        if (fd_ < 0) return;
        close(fd_);
        if (!keep_) unlink(path_.c_str());
    }
    int fd() const { return fd_; }
    void keep() { keep_ = true; }

private:
    int fd_;
    std::string path_;
    bool keep_ = false;
};

// An existing file given with --force: opened without following it into a FIFO's wait
// (O_NONBLOCK), then checked to be a regular file before anything in it is lost. The copy
// holds refresh tokens and client secrets, so the file is narrowed to 0600 as a new one would
// be, and only then emptied.
std::optional<std::string> reuse_existing(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return str_cat("fstat: ", errno_text(errno));
    if (!S_ISREG(st.st_mode)) return std::string("it is not a regular file");
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        return str_cat("fcntl: ", errno_text(errno));
    if (fchmod(fd, S_IRUSR | S_IWUSR) != 0)
        return str_cat("cannot restrict it to mode 0600: ", errno_text(errno));
    if (ftruncate(fd, 0) != 0) return str_cat("cannot empty it: ", errno_text(errno));
    return std::nullopt;
}

// A new file, mode 0600 (the umask may narrow it further, never widen it); an existing one
// only with force. The error is the message to print; all are usage errors (exit 2).
Result<BackupFile> open_backup_file(const std::string& path, bool force, std::string_view what) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd >= 0) return BackupFile(fd, path);
    int err = errno;
    if (err != EEXIST)
        return make_error(Errc::io, str_cat("cannot create ", path, ": ", errno_text(err)));
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return make_error(Errc::invalid_argument,
                          str_cat(path, " is a directory; name the file to create in it"));
    if (!force)
        return make_error(Errc::invalid_argument,
                          str_cat(path, " exists; amq2apictl ", what,
                                  " does not overwrite a file (remove it, name another, or give "
                                  "--force)"));
    fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return make_error(Errc::io, str_cat("cannot open ", path, ": ", errno_text(errno)));
    BackupFile file(fd, path);
    if (auto why = reuse_existing(fd)) {
        // Not emptied, so nothing was lost: the file stays as it was.
        file.keep();
        return make_error(Errc::io, str_cat("cannot overwrite ", path, ": ", *why));
    }
    return file;
}

}  // namespace

int run_into_file(const Invocation& invocation, const std::string& path, std::string_view args_json,
                  std::string_view what, FileRenderFn render, FileRenderFn render_json) {
    auto file = open_backup_file(path, option_value(invocation, "--force").has_value(), what);
    if (!file) return fail(file.error().message, kUsage);
    auto reply = call(invocation.socket, invocation.def.cmd, args_json,
                      invocation.def.timeout_seconds, file->fd());
    if (!reply)
        return fail(str_cat(reply.error().message, "; ", path, " was removed"), kUnreachable);
    const rapidjson::Document& doc = *reply;
    if (!doc["ok"].GetBool())
        return fail(str_cat(what, " failed: ", doc["error"]["message"].GetString(), "; ", path,
                            " was removed"),
                    kDaemonError);
    // The daemon has written, synced and closed its copy of the descriptor: the file is done.
    file->keep();
    const rapidjson::Value& data = doc["data"];
    std::string text = invocation.json ? render_json(data, path) : render(data, path);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout))
        return fail(str_cat("cannot write the output: ", errno_text(errno), " (the ", what,
                            " itself was written)"),
                    kDaemonError);
    return kSuccess;
}

int run_backup(const Invocation& invocation) {
    auto path = option_value(invocation, "file");
    if (!path || path->empty()) return fail("backup needs a FILE to write to", kUsage);
    return run_into_file(invocation, *path, invocation.args_json, "backup", render_backup,
                         backup_json);
}

}  // namespace amq::ctl
