#include "daemon/master/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/version.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker_protocol.hpp"

extern char** environ;

namespace amq {
namespace {

constexpr unsigned kMaxStartFailures = 5;
constexpr double kMaxBackoff = 30.0;
constexpr double kStableAfter = 30.0;  // a worker that lived this long resets its backoff

bool inherited_only_by_master(std::string_view entry) {
    for (std::string_view name : {"NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
                                  "WATCHDOG_USEC=", "WATCHDOG_PID="})
        if (entry.starts_with(name)) return true;
    return false;
}

std::string_view state_name(WorkerProcess::State s) {
    switch (s) {
        case WorkerProcess::State::starting: return "starting";
        case WorkerProcess::State::ready: return "ready";
        case WorkerProcess::State::draining: return "draining";
        case WorkerProcess::State::unresponsive: return "unresponsive";
    }
    return "unknown";
}

}  // namespace

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return str_cat("exit status ", WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return str_cat("killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                       ")");
    return "stopped";
}

Supervisor::Supervisor(event_base* base, SupervisorOptions options, Callbacks callbacks)
    : base_(base), options_(std::move(options)), callbacks_(std::move(callbacks)) {}

Supervisor::~Supervisor() {
    for (auto& [pid, worker] : workers_) kill(pid, SIGKILL);
}

void Supervisor::start() {
    reset_slots();
    for (unsigned i = 0; i < options_.workers; ++i) spawn(i);
    heartbeat_check_ = Event::persistent_timer(base_, [this](short) { kill_unresponsive(); });
    heartbeat_check_.arm_after(wire::kHeartbeatSeconds);
}

// A SIGSTOPped worker would otherwise keep its slot for ever, and withhold the watchdog ping
// that keeps the whole service alive. The kill makes on_exit respawn it like any death.
void Supervisor::kill_unresponsive() {
    double now = monotonic_seconds();
    for (auto& [pid, w] : workers_) {
        if (w.state != WorkerProcess::State::ready || now - w.last_heartbeat <= kUnresponsiveAfter)
            continue;
        log_warning("worker[", w.index, "] pid ", pid, " sent no heartbeat for ",
                    static_cast<int>(now - w.last_heartbeat), " s; killing it");
        w.state = WorkerProcess::State::unresponsive;
        kill(pid, SIGKILL);
    }
}

void Supervisor::reset_slots() {
    slots_.clear();
    slots_.resize(options_.workers);
}

void Supervisor::spawn(unsigned index) {
    std::vector<std::string> args = {options_.exe, "--worker", str_cat("--worker-index=", index),
                                     str_cat("--generation=", next_generation())};
    args.insert(args.end(), options_.config_args.begin(), options_.config_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e)
        if (!inherited_only_by_master(*e)) envp.push_back(*e);
    envp.push_back(nullptr);

    int sv[2];
    int admin_sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        log_error("socketpair for worker[", index, "]: ", std::strerror(errno));
        return;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, admin_sv) != 0) {
        log_error("socketpair for worker[", index, "]: ", std::strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return;
    }
    sigset_t none;
    sigemptyset(&none);
    pid_t pid = fork();
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec. Move the descriptors above the fixed
        // numbers first so that dup2 never lands on its own source.
        int listen_copy = fcntl(options_.listen_fd, F_DUPFD_CLOEXEC, 10);
        int channel_copy = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        int admin_copy = fcntl(admin_sv[1], F_DUPFD_CLOEXEC, 10);
        if (listen_copy < 0 || channel_copy < 0 || admin_copy < 0 ||
            dup2(listen_copy, wire::kListenFd) < 0 ||
            dup2(channel_copy, wire::kWorkerChannelFd) < 0 ||
            dup2(admin_copy, wire::kAdminChannelFd) < 0)
            _exit(126);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    close(sv[1]);
    close(admin_sv[1]);
    if (pid < 0) {
        log_error("fork for worker[", index, "]: ", std::strerror(errno));
        close(sv[0]);
        close(admin_sv[0]);
        return;
    }
    WorkerProcess& w = workers_[pid];
    w.index = index;
    w.pid = pid;
    w.generation = next_generation();
    w.started = monotonic_seconds();
    w.channel = std::make_unique<FramedChannel>(
        base_, sv[0], kChannelFrameMax,
        FramedChannel::Handlers{[this, pid](std::string payload) { on_frame(pid, payload); },
                                [pid](const std::string& why) {
                                    log_debug("channel of worker pid ", pid, " closed: ", why);
                                }});
    w.admin_channel = std::make_unique<FramedChannel>(
        base_, admin_sv[0], kAdminFrameMax,
        FramedChannel::Handlers{[this, pid](std::string payload) { on_admin_frame(pid, payload); },
                                [pid](const std::string& why) {
                                    log_debug("admin channel of worker pid ", pid, " closed: ",
                                              why);
                                }});
    log_info("started worker[", index, "] pid ", pid, " generation ", w.generation);
}

std::uint64_t Supervisor::next_generation() const {
    return reloading_ ? pending_generation_ : generation_;
}

WorkerProcess* Supervisor::find(pid_t pid) {
    auto it = workers_.find(pid);
    return it == workers_.end() ? nullptr : &it->second;
}

void Supervisor::on_frame(pid_t pid, const std::string& payload) {
    WorkerProcess* w = find(pid);
    if (!w) return;
    auto doc = parse_json(payload);
    if (!doc || !doc->IsObject() || !doc->HasMember("t") || !(*doc)["t"].IsString()) {
        log_warning("worker[", w->index, "] sent a malformed frame; ignoring it");
        return;
    }
    std::string_view type((*doc)["t"].GetString(), (*doc)["t"].GetStringLength());
    const rapidjson::Value& args = message_args(*doc);
    if (type == wire::kHello) {
        auto hello = decode_message<Hello>(args);
        std::int64_t proto = hello ? hello->proto : -1;
        if (proto != kProtocolVersion) {
            log_error("worker[", w->index, "] speaks channel protocol ", proto, ", expected ",
                      kProtocolVersion, " (mixed binaries after an upgrade?)");
            w->channel->send(message_frame(
                wire::kRefuse, encode_message(WorkerRefused{"protocol version mismatch"})));
            return;
        }
        w->channel->send(message_frame(wire::kWelcome, callbacks_.state_frame()));
    } else if (type == wire::kReady) {
        if (w->state != WorkerProcess::State::starting) return;
        w->state = WorkerProcess::State::ready;
        w->last_heartbeat = monotonic_seconds();
        if (w->generation == generation_ && w->index < slots_.size())
            slots_[w->index].start_failures = 0;
        log_info("worker[", w->index, "] pid ", pid, " ready");
        check_generation_ready();
    } else if (type == wire::kHeartbeat) {
        auto beat = decode_message<Heartbeat>(args);
        if (beat) {
            w->requests = beat->requests;
            w->inflight = beat->inflight;
        }
        w->last_heartbeat = monotonic_seconds();
    } else if (callbacks_.on_message) {
        callbacks_.on_message(*w, *doc);
    }
}

// The admin channel takes admin calls and nothing else: a worker that sends anything else
// there is broken, and is told so in the log rather than obeyed.
void Supervisor::on_admin_frame(pid_t pid, const std::string& payload) {
    WorkerProcess* w = find(pid);
    if (!w || !callbacks_.on_admin) return;
    auto doc = parse_json(payload);
    if (!doc || !doc->IsObject() || find_string(*doc, "t").value_or("") != wire::kCall ||
        find_string(*doc, "cmd").value_or("") != wire::kAdmin) {
        log_warning("worker[", w->index, "] sent something other than an admin call on its "
                    "admin channel; ignoring it");
        return;
    }
    callbacks_.on_admin(*w, *doc);
}

void Supervisor::send_admin_to(pid_t pid, std::string_view payload) {
    if (WorkerProcess* w = find(pid)) w->admin_channel->send(payload);
}

void Supervisor::check_generation_ready() {
    std::uint64_t target = next_generation();
    unsigned ready = 0;
    for (auto& [pid, w] : workers_)
        if (w.generation == target && w.state == WorkerProcess::State::ready) ++ready;
    if (ready < options_.workers || announced_generation_ == target) return;
    announced_generation_ = target;
    if (reloading_) {
        for (auto& [pid, w] : workers_)
            if (w.generation != target) drain(w);
        generation_ = target;
        reloading_ = false;
        reset_slots();
    }
    log_notice("generation ", target, ": ", ready, " workers ready");
    callbacks_.on_generation_ready();
}

void Supervisor::reload(std::vector<std::string> config_args, unsigned workers,
                        double drain_timeout) {
    if (stopping_) return;
    if (reloading_) {
        callbacks_.on_reload_failed("a reload is already in progress");
        return;
    }
    previous_ = options_;
    options_.config_args = std::move(config_args);
    options_.workers = workers;
    options_.drain_timeout = drain_timeout;
    reloading_ = true;
    pending_generation_ = std::max(generation_, announced_generation_) + 1;
    for (unsigned i = 0; i < workers; ++i) spawn(i);
}

void Supervisor::abort_reload(const std::string& why) {
    for (auto& [pid, w] : workers_)
        if (w.generation == pending_generation_) kill(pid, SIGKILL);
    options_ = previous_;
    reloading_ = false;
    callbacks_.on_reload_failed(why);
}

void Supervisor::drain(WorkerProcess& w) {
    if (w.state == WorkerProcess::State::draining) return;
    w.state = WorkerProcess::State::draining;
    w.channel->send(message_frame(wire::kDrain, "{}"));
    pid_t pid = w.pid;
    unsigned index = w.index;
    w.kill_timer = Event::timer(base_, [pid, index](short) {
        log_warning("worker[", index, "] pid ", pid, " did not drain in time; killing it");
        kill(pid, SIGKILL);
    });
    w.kill_timer.arm_after(options_.drain_timeout);
}

void Supervisor::stop() {
    stopping_ = true;
    reloading_ = false;
    slots_.clear();
    for (auto& [pid, w] : workers_) drain(w);
    if (workers_.empty()) defer(base_, [this] { callbacks_.on_all_exited(); });
}

void Supervisor::reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) on_exit(pid, status);
}

void Supervisor::on_exit(pid_t pid, int status) {
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    WorkerProcess w = std::move(it->second);
    workers_.erase(it);
    std::string how = describe_exit(status);
    bool expected = stopping_ || w.state == WorkerProcess::State::draining;
    if (callbacks_.on_worker_exit) callbacks_.on_worker_exit(pid, expected);
    if (expected)
        log_info("worker[", w.index, "] pid ", pid, " generation ", w.generation, " exited: ", how);
    else
        log_warning("worker[", w.index, "] pid ", pid, " generation ", w.generation,
                    " died: ", how);
    if (stopping_) {
        if (workers_.empty()) callbacks_.on_all_exited();
        return;
    }
    if (expected) return;
    if (reloading_ && w.generation == pending_generation_) {
        abort_reload(str_cat("new worker[", w.index, "] ", how, " before it was ready"));
        return;
    }
    if (w.generation == generation_) after_current_exit(w, how);
}

void Supervisor::after_current_exit(WorkerProcess& w, const std::string& how) {
    if (w.index >= slots_.size() || reloading_) return;  // a reload brings a replacement
    Slot& slot = slots_[w.index];
    if (w.state == WorkerProcess::State::starting) {
        if (++slot.start_failures >= kMaxStartFailures) {
            callbacks_.on_fatal(str_cat("worker[", w.index, "] died during start-up ",
                                        slot.start_failures, " times in a row (last: ", how, ")"));
            return;
        }
    } else if (monotonic_seconds() - w.started >= kStableAfter) {
        slot.backoff = 0.1;
    }
    double delay = slot.backoff;
    slot.backoff = std::min(slot.backoff * 2, kMaxBackoff);
    unsigned index = w.index;
    log_info("respawning worker[", index, "] in ", delay, " s");
    slot.respawn_timer = Event::timer(base_, [this, index](short) { spawn(index); });
    slot.respawn_timer.arm_after(delay);
}

void Supervisor::broadcast(std::string_view payload) {
    for (auto& [pid, w] : workers_)
        if (w.channel->is_open()) w.channel->send(payload);
}

bool Supervisor::all_heartbeating(double seconds) const {
    double now = monotonic_seconds();
    for (const auto& [pid, w] : workers_)
        if (w.state == WorkerProcess::State::ready && now - w.last_heartbeat > seconds)
            return false;
    return true;
}

std::size_t Supervisor::ready_workers() const {
    std::size_t n = 0;
    for (const auto& [pid, w] : workers_) n += w.state == WorkerProcess::State::ready;
    return n;
}

std::uint64_t Supervisor::requests_served() const {
    std::uint64_t n = 0;
    for (const auto& [pid, w] : workers_) n += w.requests;
    return n;
}

void Supervisor::send_to(pid_t pid, std::string_view payload) {
    if (WorkerProcess* w = find(pid); w && w->channel->is_open()) w->channel->send(payload);
}

void Supervisor::write_workers(JsonWriter& j) const {
    double now = monotonic_seconds();
    j.StartArray();
    for (const auto& [pid, w] : workers_) {
        j.StartObject();
        j.Key("index");
        j.Uint(w.index);
        j.Key("pid");
        j.Int(pid);
        j.Key("generation");
        j.Uint64(w.generation);
        j.Key("state");
        write_string(j, state_name(w.state));
        j.Key("requests");
        j.Uint64(w.requests);
        j.Key("inflight");
        j.Uint64(w.inflight);
        j.Key("uptime_s");
        j.Int64(static_cast<std::int64_t>(now - w.started));
        j.EndObject();
    }
    j.EndArray();
}

}  // namespace amq
