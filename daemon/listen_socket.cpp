#include "daemon/listen_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.hpp"

namespace amq {
namespace {

std::string numeric_text(const sockaddr* address, socklen_t length) {
    char host[NI_MAXHOST];
    char port[NI_MAXSERV];
    if (getnameinfo(address, length, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return "?";
    return address->sa_family == AF_INET6 ? str_cat("[", host, "]:", port)
                                          : str_cat(host, ":", port);
}

Result<ListenSocket> bind_tcp(const std::string& listen) {
    auto found = resolve_listen_address(listen);
    if (!found) return found.error();
    int fd = socket(found->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    std::string error;
    if (fd < 0)
        error = str_cat("socket: ", std::strerror(errno));
    else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        error = str_cat("SO_REUSEADDR: ", std::strerror(errno));
    else if (bind(fd, reinterpret_cast<const sockaddr*>(&found->address), found->length) != 0)
        error = str_cat("cannot bind ", listen, ": ", std::strerror(errno));
    else if (::listen(fd, 1024) != 0)
        error = str_cat("cannot listen on ", listen, ": ", std::strerror(errno));
    if (!error.empty()) {
        if (fd >= 0) close(fd);
        return make_error(Errc::io, error);
    }
    bool named = found->numeric != listen;
    return ListenSocket{fd, named ? str_cat(listen, " (", found->numeric, ")") : listen};
}

}  // namespace

Result<ListenAddress> resolve_listen_address(const std::string& listen) {
    auto hp = parse_host_port(listen);
    if (!hp)
        return make_error(Errc::invalid_argument, str_cat("bad listen address '", listen, "'"));
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    addrinfo* found = nullptr;
    std::string port = str_cat(hp->port);
    if (int rc = getaddrinfo(hp->host.c_str(), port.c_str(), &hints, &found); rc != 0)
        return make_error(Errc::invalid_argument,
                          str_cat("listen: cannot resolve '", hp->host, "': ", gai_strerror(rc)));
    const addrinfo* chosen = found;
    for (const addrinfo* a = found; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            chosen = a;
            break;
        }
    ListenAddress address{};
    std::memcpy(&address.address, chosen->ai_addr, chosen->ai_addrlen);
    address.length = chosen->ai_addrlen;
    address.numeric = numeric_text(chosen->ai_addr, chosen->ai_addrlen);
    freeaddrinfo(found);
    return address;
}

Result<ListenSocket> open_listen_socket(const std::string& listen) {
    int n = sd_listen_fds(1);
    if (n < 0) return make_error(Errc::io, str_cat("sd_listen_fds: ", std::strerror(-n)));
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) {
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            return ListenSocket{fd, str_cat("systemd socket (fd ", fd, ")")};
        }
    }
    return bind_tcp(listen);
}

}  // namespace amq
