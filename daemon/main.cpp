// amq2apid: the master by default; a worker when the master execs it with --worker.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "daemon/master/master.hpp"
#include "daemon/worker/worker.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    amq::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
    auto inv = amq::parse_invocation(args, env);
    if (!inv) {
        std::fprintf(stderr, "amq2apid: %s\n", inv.error().message.c_str());
        return 2;
    }
    switch (inv->mode) {
        case amq::Mode::help:
        case amq::Mode::print_config: std::fputs(inv->output.c_str(), stdout); return 0;
        case amq::Mode::check_config: std::printf("configuration OK\n"); return 0;
        case amq::Mode::worker: return amq::run_worker(*inv);
        case amq::Mode::master: return amq::run_master(*inv, env);
    }
    return 2;
}
