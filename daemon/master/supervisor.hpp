// Spawns workers (fork + exec of our own binary with --worker; the listening socket at fd 3,
// the channel at fd 4 and the admin channel at fd 5), respawns the ones that die with backoff,
// kills and replaces the ones whose heartbeats stop, replaces a generation on reload and
// drains everyone on stop — the nginx master's job.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "common/json.hpp"
#include "daemon/channel.hpp"
#include "daemon/event.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {

// A ready worker silent for this long has a stuck event loop (stopped, deadlocked, spinning):
// it is killed and replaced. Long enough that honest CPU work on one request (counting the
// tokens of a megabyte prompt on a slow machine) is not mistaken for a hang, short enough to
// act well before systemd's WatchdogSec=30.
inline constexpr double kUnresponsiveAfter = 15;

struct WorkerProcess {
    // unresponsive: killed for missing heartbeats, not yet reaped.
    enum class State { starting, ready, draining, unresponsive };
    unsigned index = 0;
    pid_t pid = 0;
    std::uint64_t generation = 0;
    State state = State::starting;
    std::unique_ptr<FramedChannel> channel;
    std::unique_ptr<FramedChannel> admin_channel;  // wire::kAdminChannelFd: admin calls only
    std::uint64_t requests = 0;
    std::uint64_t inflight = 0;
    double started = 0;  // monotonic seconds
    double last_heartbeat = 0;
    Event kill_timer;  // SIGKILL when a drain overruns
};

struct SupervisorOptions {
    std::string exe;
    std::vector<std::string> config_args;
    int listen_fd = -1;
    unsigned workers = 1;
    double drain_timeout = 30;
};

class Supervisor {
public:
    struct Callbacks {
        std::function<std::string()> state_frame;  // what a new worker must know
        std::function<void(WorkerProcess&, const rapidjson::Document&)> on_message;
        std::function<void(WorkerProcess&, const rapidjson::Document&)> on_admin;
        std::function<void()> on_generation_ready;
        std::function<void(const std::string& why)> on_fatal;
        std::function<void(const std::string& why)> on_reload_failed;
        std::function<void()> on_all_exited;
        std::function<void(pid_t pid, bool expected)> on_worker_exit;
    };

    Supervisor(event_base* base, SupervisorOptions options, Callbacks callbacks);
    ~Supervisor();

    void start();
    // Starts a new generation; the old one drains once the new one is ready.
    void reload(std::vector<std::string> config_args, unsigned workers, double drain_timeout);
    void stop();
    void reap();  // on SIGCHLD
    void broadcast(std::string_view payload);
    void send_to(pid_t pid, std::string_view payload);  // dropped when that worker is gone
    void send_admin_to(pid_t pid, std::string_view payload);  // on its admin channel

    void write_workers(JsonWriter& w) const;
    std::uint64_t generation() const { return generation_; }
    // Every serving worker heartbeated within `seconds` (the watchdog's condition).
    bool all_heartbeating(double seconds) const;
    std::size_t ready_workers() const;
    std::uint64_t requests_served() const;  // by the workers alive now
    bool reloading() const { return reloading_; }

private:
    struct Slot {
        double backoff = 0.1;
        unsigned start_failures = 0;
        Event respawn_timer;
    };

    void reset_slots();
    void kill_unresponsive();
    void spawn(unsigned index);
    void on_frame(pid_t pid, const std::string& payload);
    void on_admin_frame(pid_t pid, const std::string& payload);
    void on_exit(pid_t pid, int status);
    void after_current_exit(WorkerProcess& worker, const std::string& how);
    void check_generation_ready();
    void drain(WorkerProcess& worker);
    void abort_reload(const std::string& why);
    WorkerProcess* find(pid_t pid);
    std::uint64_t next_generation() const;  // the generation spawn() starts

    event_base* base_;
    SupervisorOptions options_;
    Callbacks callbacks_;
    std::uint64_t generation_ = 1;          // serving
    std::uint64_t pending_generation_ = 0;  // starting, during a reload
    std::uint64_t announced_generation_ = 0;
    std::vector<Slot> slots_;
    std::map<pid_t, WorkerProcess> workers_;
    Event heartbeat_check_;
    bool stopping_ = false;
    bool reloading_ = false;
    SupervisorOptions previous_;  // restored when a reload fails
};

std::string describe_exit(int wait_status);

}  // namespace amq
