// The HTTP listening socket: taken from systemd socket activation when present, else bound
// here. Owned by the master, inherited by every worker.
#pragma once

#include <string>

#include "common/result.hpp"

namespace amq {

struct ListenSocket {
    int fd = -1;
    bool from_systemd = false;
    std::string description;  // "127.0.0.1:8080" or "systemd socket (fd 3)"
};

Result<ListenSocket> open_listen_socket(const std::string& listen);

}  // namespace amq
