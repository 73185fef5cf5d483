#include "ctl/client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/frame.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq::ctl {
namespace {

constexpr const char* kSystemdSocket = "/run/amq2api/control.sock";
constexpr const char* kCheckoutSocket = "./run/control.sock";
// One request per connection, so one id is enough to pair the reply with it.
constexpr std::int64_t kRequestId = 1;

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    Socket& operator=(Socket&&) = delete;
    ~Socket() {
        if (fd_ >= 0) close(fd_);
    }
    int fd() const { return fd_; }

private:
    int fd_;
};

// Every failure to talk to the daemon ends with the same advice.
Error unreachable(std::string_view what) {
    return make_error(Errc::unavailable, str_cat(what,
                                                 " (is amq2apid running? use --socket PATH or "
                                                 "$AMQ2API_SOCKET to name its control socket)"));
}

std::string errno_text(int err) { return std::strerror(err); }

// A socket that exists but refuses us needs other advice than a daemon that is not there.
Error connect_failed(const std::string& path, int err) {
    std::string what = str_cat("cannot connect to ", path, ": ", errno_text(err));
    if (err == EACCES || err == EPERM)
        return make_error(Errc::unavailable,
                          str_cat(what,
                                  " (run as root or as a member of the group owning the socket, "
                                  "amq2api for the service; the socket and its directory must "
                                  "let that group in)"));
    return unreachable(what);
}

Error broken(const std::string& path, std::string_view what, Errc code = Errc::protocol) {
    return make_error(
        code, str_cat("bad reply from ", path, ": ", what, " (is --socket pointing at amq2apid?)"));
}

Result<Socket> connect_to(const std::string& path, int reply_timeout_seconds) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return unreachable(str_cat("socket path '", path, "' is empty or too long"));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    Socket sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (sock.fd() < 0) return unreachable(str_cat("socket: ", errno_text(errno)));
    timeval send_timeout{kTimeoutSeconds, 0};
    timeval reply_timeout{reply_timeout_seconds, 0};
    // SO_SNDTIMEO also bounds connect() on a Unix socket whose backlog is full.
    if (setsockopt(sock.fd(), SOL_SOCKET, SO_RCVTIMEO, &reply_timeout, sizeof reply_timeout) != 0 ||
        setsockopt(sock.fd(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout) != 0)
        return unreachable(str_cat("setsockopt: ", errno_text(errno)));
    int rc;
    do {
        rc = connect(sock.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return connect_failed(path, errno);
    return sock;
}

// One sendmsg with pass_fd (when 0 or more) in its control data, then plain sends. The
// descriptor must travel with the request's own bytes: the daemon takes the descriptor that
// arrives with a frame's bytes, so a descriptor sent on its own would not be paired with it.
Status send_all(const Socket& sock, const std::string& path, std::string_view bytes, int pass_fd) {
    while (!bytes.empty()) {
        ssize_t n;
        if (pass_fd >= 0) {
            iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
            // MSG_NOSIGNAL: a daemon that hangs up must be an error message, not a SIGPIPE
            // death.
            n = sendmsg(sock.fd(), &msg, MSG_NOSIGNAL);
            // Once any byte has gone, the descriptor has gone with it.
            if (n > 0) pass_fd = -1;
        } else {
            n = send(sock.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return unreachable(
                str_cat(path, " accepted no request within ", kTimeoutSeconds, " s"));
        if (n < 0) return unreachable(str_cat("cannot send to ", path, ": ", errno_text(errno)));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<std::string> receive_frame(const Socket& sock, const std::string& path,
                                  int timeout_seconds) {
    FrameDecoder decoder(kControlFrameMax);
    char buffer[64 * 1024];
    for (;;) {
        auto frame = decoder.next();
        // too_large is kept: usage export then asks for a smaller page.
        if (!frame) return broken(path, frame.error().message, frame.error().code);
        if (*frame) return std::move(**frame);
        ssize_t n = recv(sock.fd(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return unreachable(str_cat("no reply from ", path, " within ", timeout_seconds,
                                       " s; the daemon may still complete the command"));
        if (n < 0)
            return unreachable(str_cat("cannot receive from ", path, ": ", errno_text(errno)));
        if (n == 0) return unreachable(str_cat(path, " closed the connection without a reply"));
        decoder.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    }
}

bool has_string(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    return it != object.MemberEnd() && it->value.IsString();
}

// A refused peer's reply carries id null, so null is accepted for errors only.
Status check_reply(const rapidjson::Document& doc, const std::string& path) {
    if (!doc.IsObject()) return broken(path, "not a JSON object");
    auto ok = doc.FindMember("ok");
    if (ok == doc.MemberEnd() || !ok->value.IsBool()) return broken(path, "no boolean 'ok'");
    auto id = doc.FindMember("id");
    bool id_matches =
        id != doc.MemberEnd() && id->value.IsInt64() && id->value.GetInt64() == kRequestId;
    bool id_null = id == doc.MemberEnd() || id->value.IsNull();
    if (!id_matches && !(id_null && !ok->value.GetBool()))
        return broken(path, "the reply's id does not match the request");
    if (ok->value.GetBool()) {
        auto data = doc.FindMember("data");
        if (data == doc.MemberEnd() || !data->value.IsObject())
            return broken(path, "no 'data' object");
        return {};
    }
    auto error = doc.FindMember("error");
    if (error == doc.MemberEnd() || !error->value.IsObject() || !has_string(error->value, "code") ||
        !has_string(error->value, "message"))
        return broken(path, "no 'error' object with 'code' and 'message'");
    return {};
}

std::string request_json(std::string_view cmd, std::string_view args_json) {
    return json_object([&](JsonWriter& w) {
        w.Key("id");
        w.Int64(kRequestId);
        w.Key("cmd");
        write_string(w, cmd);
        w.Key("args");
        w.RawValue(args_json.data(), args_json.size(), rapidjson::kObjectType);
    });
}

}  // namespace

std::string default_socket_path() {
    if (const char* env = std::getenv("AMQ2API_SOCKET"); env && *env) return env;
    struct stat st {};
    if (stat(kSystemdSocket, &st) == 0) return kSystemdSocket;
    return kCheckoutSocket;
}

Result<rapidjson::Document> call(const std::string& socket_path, std::string_view cmd,
                                 std::string_view args_json, int reply_timeout_seconds,
                                 int pass_fd) {
    auto sock = connect_to(socket_path, reply_timeout_seconds);
    if (!sock) return sock.error();
    // A refused peer may find its error frame waiting and the connection closed before the
    // request is written: a failed send still reads, and reports itself only if nothing came.
    Status sent = send_all(*sock, socket_path, encode_frame(request_json(cmd, args_json)), pass_fd);
    auto payload = receive_frame(*sock, socket_path, reply_timeout_seconds);
    if (!payload) return sent ? payload.error() : sent.error();
    auto doc = parse_json(*payload);
    if (!doc) return broken(socket_path, doc.error().message);
    if (auto st = check_reply(*doc, socket_path); !st) return st.error();
    return std::move(*doc);
}

}  // namespace amq::ctl
