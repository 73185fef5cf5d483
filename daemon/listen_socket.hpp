// The HTTP listening socket: taken from systemd socket activation when present, else bound
// here. Owned by the master, inherited by every worker.
#pragma once

#include <sys/socket.h>

#include <string>

#include "common/result.hpp"

namespace amq {

struct ListenSocket {
    int fd = -1;
    std::string description;  // "127.0.0.1:8080" or "systemd socket (fd 3)"
};

// What `listen` binds, host names resolved: amq2apid --check-config asks the same question as
// the start. One socket is bound, so a name with several addresses (localhost: 127.0.0.1 and
// ::1) takes its first IPv4 one, which clients of "localhost" and of "127.0.0.1" both reach.
struct ListenAddress {
    sockaddr_storage address;
    socklen_t length;
    std::string numeric;  // "127.0.0.1:8080", "[::1]:8080"
};
Result<ListenAddress> resolve_listen_address(const std::string& listen);

Result<ListenSocket> open_listen_socket(const std::string& listen);

}  // namespace amq
