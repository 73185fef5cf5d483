// amq2apid: the master by default; a worker when the master execs it with --worker.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/log.hpp"
#include "daemon/listen_socket.hpp"
#include "daemon/master/master.hpp"
#include "daemon/worker/worker.hpp"

namespace {

constexpr int kUsageError = 2;

// Through the log module, so that under journald the line carries its error priority.
int usage_error(const std::string& message) {
    amq::log_init("amq2apid", amq::LogLevel::error);
    amq::log_error(message);
    return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    amq::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
    auto inv = amq::parse_invocation(args, env);
    if (!inv) return usage_error(inv.error().message);
    switch (inv->mode) {
        case amq::Mode::help:
        case amq::Mode::version:
        case amq::Mode::print_config: std::fputs(inv->output.c_str(), stdout); return 0;
        case amq::Mode::check_config:
            if (auto address = amq::resolve_listen_address(inv->config.listen); !address)
                return usage_error(address.error().message);
            std::fputs(inv->output.c_str(), stdout);
            return 0;
        case amq::Mode::worker: return amq::run_worker(*inv);
        case amq::Mode::master: return amq::run_master(*inv, env);
    }
    return kUsageError;
}
