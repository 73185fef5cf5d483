// fake_upstream: the Amazon Q upstream's wire protocol on loopback, scriptable over HTTP, for
// amq2api's integration tests and benchmarks. See README.md next to this file.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <CLI/CLI.hpp>

#include "common/strings.hpp"
#include "tests/fake_upstream/server.hpp"

namespace {

// Idle keep-alive connections and hung streams (hang_after) may stay this long.
constexpr int kConnectionTimeoutS = 3600;

struct Args {
    fake::Options options;
    int port = 0;
    std::string bind = "127.0.0.1";
};

// Benchmarks open many connections at once.
void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::string host_port(const std::string& host, int port) {
    const bool v6 = host.find(':') != std::string::npos;
    return v6 ? amq::str_cat("[", host, "]:", port) : amq::str_cat(host, ":", port);
}

// An IPv4 or IPv6 literal and a port; false when the address is not one.
bool make_address(const std::string& host, int port, sockaddr_storage& addr, socklen_t& len) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof *v4;
        return true;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof *v6;
        return true;
    }
    return false;
}

evconnlistener* listen_on(event_base* base, const Args& args) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (!make_address(args.bind, args.port, addr, len)) {
        std::fprintf(stderr, "fake_upstream: --bind needs an IP address, not %s\n",
                     args.bind.c_str());
        return nullptr;
    }
    // Backlog -1: the system maximum, so that a burst of connections is not refused.
    constexpr unsigned kFlags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
    evconnlistener* listener =
        evconnlistener_new_bind(base, nullptr, nullptr, kFlags, -1,
                                reinterpret_cast<sockaddr*>(&addr), static_cast<int>(len));
    if (!listener) std::perror("fake_upstream: listen");
    return listener;
}

int bound_port(evconnlistener* listener) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    getsockname(evconnlistener_get_fd(listener), reinterpret_cast<sockaddr*>(&addr), &len);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void on_signal(evutil_socket_t, short, void* base) {
    event_base_loopbreak(static_cast<event_base*>(base));
}

int serve(const Args& args) {
    event_base* base = event_base_new();
    evhttp* http = evhttp_new(base);
    evconnlistener* listener = listen_on(base, args);
    if (!base || !http || !listener) {
        if (listener) evconnlistener_free(listener);
        if (http) evhttp_free(http);
        if (base) event_base_free(base);
        return 1;
    }
    evhttp_set_timeout(http, kConnectionTimeoutS);
    evhttp_bind_listener(http, listener);  // the evhttp owns the listener from here
    event* term = evsignal_new(base, SIGTERM, on_signal, base);
    event* intr = evsignal_new(base, SIGINT, on_signal, base);
    evsignal_add(term, nullptr);
    evsignal_add(intr, nullptr);
    {
        fake::Server server(base, http, args.options);  // frees the evhttp when it goes
        std::printf("listening on %s\n", host_port(args.bind, bound_port(listener)).c_str());
        std::fflush(stdout);
        event_base_dispatch(base);
    }
    event_free(term);
    event_free(intr);
    event_base_free(base);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    CLI::App app{"Fake Amazon Q upstream for amq2api tests and benchmarks", "fake_upstream"};
    app.add_option("--port", args.port, "TCP port; 0 picks a free one")
        ->check(CLI::Range(0, 65535));
    app.add_option("--bind", args.bind, "address to listen on")->capture_default_str();
    app.add_flag("--verbose", args.options.verbose, "log every request to stderr");
    app.add_flag("--accept-any-token", args.options.accept_any_token,
                 "accept any non-empty bearer token, not only the ones issued here");
    app.add_option("--record-limit", args.options.record_limit,
                   "recordings kept per kind for /_requests (0: record nothing)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the fake
    raise_fd_limit();
    return serve(args);
}
