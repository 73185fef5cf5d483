#include "daemon/master/control_server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/json.hpp"
#include "common/log.hpp"
#include "daemon/event.hpp"

namespace amq {
namespace {

bool user_in_group(uid_t uid, gid_t gid) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* pwp = nullptr;
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &pwp) != 0 || !pwp) return false;
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<size_t>(n));
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) return false;
    }
    for (int i = 0; i < n; ++i)
        if (groups[static_cast<size_t>(i)] == gid) return true;
    return false;
}

Status make_parent_directory(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return {};
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
        return make_error(Errc::io, str_cat("cannot create ", dir, ": ", std::strerror(errno)));
    return {};
}

// A socket file left by a crashed daemon is removed; a live one means another daemon.
Status clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return {};
    if (!S_ISSOCK(st.st_mode))
        return make_error(Errc::conflict, str_cat(path, " exists and is not a socket"));
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live =
        probe >= 0 && connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) return make_error(Errc::conflict, str_cat("another daemon answers on ", path));
    unlink(path.c_str());
    return {};
}

}  // namespace

bool peer_allowed(const PeerCredentials& peer, uid_t self_uid, gid_t self_gid,
                  const std::function<bool(uid_t, gid_t)>& in_group) {
    return peer.uid == 0 || peer.uid == self_uid || peer.gid == self_gid ||
           in_group(peer.uid, self_gid);
}

ControlServer::ControlServer(event_base* base, std::string path, Handler handler)
    : base_(base), path_(std::move(path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
    if (listener_) evconnlistener_free(listener_);
    unlink(path_.c_str());
}

Result<std::unique_ptr<ControlServer>> ControlServer::open(event_base* base,
                                                           const std::string& path,
                                                           Handler handler) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return make_error(Errc::invalid_argument, str_cat("control socket path too long: ", path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (auto st = make_parent_directory(path); !st) return st.error();
    if (auto st = clear_stale_socket(path, addr); !st) return st.error();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(Errc::io, str_cat("socket: ", std::strerror(errno)));
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        chmod(path.c_str(), 0660) != 0) {
        std::string why = std::strerror(errno);
        close(fd);
        return make_error(Errc::io, str_cat("cannot create control socket ", path, ": ", why));
    }
    std::unique_ptr<ControlServer> server(new ControlServer(base, path, std::move(handler)));
    server->listener_ = evconnlistener_new(base, on_accept, server.get(),
                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
    if (!server->listener_) {
        close(fd);
        return make_error(Errc::io, str_cat("cannot listen on control socket ", path));
    }
    return server;
}

void ControlServer::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
    static_cast<ControlServer*>(arg)->accept_connection(fd);
}

void ControlServer::accept_connection(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        close(fd);
        return;
    }
    PeerCredentials peer{cred.pid, cred.uid, cred.gid};
    std::uint64_t id = next_id_++;
    auto forget = [this, id]() {
        // Destroying the channel inside its own callback is allowed; defer to stay simple.
        defer(base_, [this, id] { connections_.erase(id); });
    };
    if (!peer_allowed(peer, geteuid(), getegid(), user_in_group)) {
        log_warning("control: refused uid ", peer.uid, " (pid ", peer.pid, ")");
        auto channel = std::make_unique<ControlConnection>(
            base_, fd,
            ControlConnection::Handlers{[](std::string, int passed) {
                                            if (passed >= 0) close(passed);
                                        },
                                        forget});
        channel->send(json_object([&](JsonWriter& w) {
            w.Key("id");
            w.Null();
            w.Key("ok");
            w.Bool(false);
            w.Key("error");
            w.StartObject();
            w.Key("code");
            w.String("permission_denied");
            w.Key("message");
            write_string(w, str_cat("uid ", peer.uid,
                                    " may not use this control socket (root, the daemon's "
                                    "user and members of its group may)"));
            w.EndObject();
        }));
        channel->close_after_flush();
        connections_[id] = std::move(channel);
        return;
    }
    auto channel = std::make_unique<ControlConnection>(
        base_, fd,
        ControlConnection::Handlers{[this, id, peer](std::string payload, int passed) {
                                        handler_(std::move(payload), peer, passed,
                                                 [this, id](std::string reply) {
                                                     auto it = connections_.find(id);
                                                     if (it != connections_.end())
                                                         it->second->send(reply);
                                                 });
                                    },
                                    forget});
    connections_[id] = std::move(channel);
}

}  // namespace amq
