// The control socket: a Unix stream socket (mode 0660) where amq2apictl sends one framed
// JSON request at a time. Who may connect is the socket's file mode plus an SO_PEERCRED
// check: root, the daemon's own user, and members of the daemon's group.
#pragma once

#include <sys/types.h>

#include <event2/listener.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "daemon/master/control_connection.hpp"

namespace amq {

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Pure: `in_group(uid, gid)` answers whether uid's user is a member of group gid.
bool peer_allowed(const PeerCredentials& peer, uid_t self_uid, gid_t self_gid,
                  const std::function<bool(uid_t, gid_t)>& in_group);

class ControlServer {
public:
    // Answers one request through `reply`, at once or later; a reply for a connection that
    // closed meanwhile is dropped.
    using Reply = std::function<void(std::string reply)>;
    // passed_fd: a descriptor the client sent with the request (-1: none); the handler owns it.
    using Handler = std::function<void(std::string payload, const PeerCredentials& peer,
                                       int passed_fd, Reply reply)>;

    static Result<std::unique_ptr<ControlServer>> open(event_base* base, const std::string& path,
                                                       Handler handler);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

private:
    ControlServer(event_base* base, std::string path, Handler handler);
    static void on_accept(evconnlistener* listener, evutil_socket_t fd, sockaddr* addr, int len,
                          void* arg);
    void accept_connection(int fd);

    event_base* base_;
    std::string path_;
    Handler handler_;
    evconnlistener* listener_ = nullptr;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<ControlConnection>> connections_;
};

}  // namespace amq
