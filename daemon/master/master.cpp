#include "daemon/master/master.hpp"

#include <signal.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <thread>

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"
#include "common/version.hpp"
#include "common/worker_messages.hpp"
#include "daemon/event.hpp"
#include "daemon/http_client.hpp"
#include "daemon/listen_socket.hpp"
#include "daemon/master/account_logins.hpp"
#include "daemon/master/admissions.hpp"
#include "daemon/master/bootstrap.hpp"
#include "daemon/master/commands.hpp"
#include "daemon/master/control_server.hpp"
#include "daemon/master/model_catalog.hpp"
#include "daemon/master/notifier.hpp"
#include "daemon/master/pool_state.hpp"
#include "daemon/master/profile_finder.hpp"
#include "daemon/master/quota_checker.hpp"
#include "daemon/master/shared_store.hpp"
#include "daemon/master/state_lock.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/supervisor.hpp"
#include "daemon/master/token_refresher.hpp"
#include "daemon/master/usage_recorder.hpp"
#include "daemon/master/worker_calls.hpp"
#include "daemon/off_loop.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

RefresherOptions refresher_options(const Config& c) {
    return RefresherOptions{c.token_endpoint, c.kiro_token_endpoint, c.proxy,
                            c.refresh_lead,   c.connect_timeout,     30.0};
}

WorkerCalls::Policy worker_policy(const Config& c) {
    AdmissionQueue::Limits queue{static_cast<std::int64_t>(c.queue_timeout * 1000), c.queue_max};
    return WorkerCalls::Policy{c.models, c.metrics_admin_only, queue,
                               static_cast<std::int64_t>(c.cache_estimate_ttl * 1000)};
}

ModelCatalogOptions model_options(const Config& c) {
    return ModelCatalogOptions{AccountApiOptions{c.api_endpoint, c.proxy, 30.0},
                               c.models_refresh_interval};
}

LoginOptions login_options(const Config& c) {
    LoginOptions o;
    o.token_endpoint = c.token_endpoint;
    o.proxy = c.proxy;
    o.kiro_token_endpoint = c.kiro_token_endpoint;
    o.kiro_signin_url = c.kiro_signin_url;
    return o;
}

QuotaOptions quota_options(const Config& c) {
    return QuotaOptions{c.api_endpoint, c.proxy, c.quota_refresh_interval, 30.0};
}

HealthPolicy health_policy(const Config& c) {
    HealthPolicy p;
    p.throttle_default_s = c.throttle_cooldown;
    p.throttle_max_s = c.throttle_cooldown_max;
    p.suspicious_s = c.suspicious_cooldown;
    p.transient_threshold = c.failure_threshold;
    p.transient_base_s = c.failure_cooldown;
    p.transient_max_s = c.failure_cooldown_max;
    return p;
}

PoolPolicy pool_policy(const Config& c) {
    PoolPolicy p;
    p.strategy = c.account_selection == "least-recently-used"
                     ? PoolPolicy::Strategy::least_recently_used
                     : PoolPolicy::Strategy::round_robin;
    p.sticky_sessions = c.sticky_sessions;
    p.rpm_window_ms = static_cast<std::int64_t>(c.rpm_window * 1000);
    return p;
}

// What systemd is asked to wait beyond drain-timeout on stop and reload: the master's own
// shutdown (the last usage batch, closing the store, the last push to a shared database) and
// a new generation's start-up.
constexpr double kDrainTimeoutMargin = 15;
// The longest the last push to a shared database may take at stop (within the margin).
constexpr double kPushBeforeStop = 5;

// The last reload as `amq2apictl status` shows it: when, and how it ended.
struct ReloadOutcome {
    enum class Result { in_progress, ok, failed };
    std::int64_t at = 0;  // Unix seconds; 0: no reload yet
    Result result = Result::in_progress;
    std::string error;
};

std::string_view reload_result_name(ReloadOutcome::Result r) {
    switch (r) {
        case ReloadOutcome::Result::in_progress: return "in progress";
        case ReloadOutcome::Result::ok: return "ok";
        case ReloadOutcome::Result::failed: return "failed";
    }
    return "unknown";
}

std::string own_executable() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// How a job off the loop reaches a database. The password file is read by the job, when
// used, so that a changed file needs no reload; none configured leaves the password to libpq
// (PGPASSWORD, PGPASSFILE).
struct DatabaseAccess {
    std::string password_file;
    PgSettings settings;

    Result<PgSettings> read() const {
        if (password_file.empty()) return settings;
        auto content = read_whole_file(password_file);
        if (!content)
            return make_error(content.error().code,
                              str_cat("postgresql-password-file: ", content.error().message));
        PgSettings read = settings;
        read.password = std::move(*content);
        while (!read.password.empty() &&
               (read.password.back() == '\n' || read.password.back() == '\r'))
            read.password.pop_back();
        return read;
    }
};

class Master final : public RuntimeView {
public:
    Master(const Invocation& inv, const EnvLookup& env)
        : env_(env), config_(inv.config), config_args_(inv.config_args) {}

    int run();
    void write_runtime(JsonWriter& w) const override;
    void write_queue(JsonWriter& w) const;
    void write_account_runtime(JsonWriter& w, std::uint64_t id) override;
    const AccountHealth* account_health(std::uint64_t id) override { return &pool_->health(id); }
    void set_account_disabled(std::uint64_t id, bool disabled) override {
        pool_->set_disabled(id, disabled);
    }
    void reset_account_health(std::uint64_t id, std::string_view note) override {
        pool_->reset_health(id, note);
    }
    void forget_account(std::uint64_t id) override {
        pool_->forget(id);
        refresher_->forget(id);
        models_->forget(id);
        quota_->forget(id);
    }
    void refresh_account(std::uint64_t id, std::function<void(Result<AccessToken>)> done) override {
        refresher_->refresh(id, std::move(done));
    }
    void fetch_quota(std::uint64_t id, std::function<void(Result<UsageLimits>)> done) override {
        quota_->fetch(id, std::move(done));
    }
    AccountLogins* account_logins() override { return logins_.get(); }
    // Its profile first: the quota and models calls name it.
    void welcome_account(std::uint64_t id) override {
        profiles_->find(id, [this, id] {
            quota_->fetch(id, [id](const Result<UsageLimits>& limits) {
                if (!limits)
                    log_warning("account ", id,
                                ": no quota after its login: ", limits.error().message);
            });
            models_->refresh(id);
        });
    }
    void announce_change() override {
        if (supervisor_) publish_state();
    }
    WriteGate& write_gate() override {
        return shared_ ? static_cast<WriteGate&>(*shared_) : local_gate_;
    }

private:
    Status start();
    Status bootstrap_own_store();
    Status open_shared_store();
    void shared_applied(const SharedChanges& changes);
    void install_signals();
    PoolSummary pool_summary() const;
    void publish_state();
    void handle_control(std::string payload, const PeerCredentials& peer, int passed_fd,
                        ControlServer::Reply reply);
    void stop(const std::string& why);
    Status reload_configuration();
    void reload_ended(ReloadOutcome::Result result, std::string error);
    Status reload() override { return reload_configuration(); }
    std::int64_t account_rpm_default() const override { return config_.account_rpm_default; }
    Status set_log_level(std::string_view level) override;
    void backup(int fd, std::function<void(Result<std::uint64_t>)> done) override;
    void copy_store(StoreCopyJob job, std::function<void(Result<StoreCopyOutcome>)> done) override;
    void migrate_database(std::string address, bool dry_run,
                          std::function<void(Result<std::vector<Migration>>)> done) override;
    DatabaseAccess database_access() const;
    void fatal(const std::string& why);
    void generation_ready();
    std::string status_line() const;
    std::string metrics_text() const;
    void shared_metrics(std::vector<Metrics::Gauge>& out) const;
    void drop_old_usage();

    EnvLookup env_;
    Config config_;
    std::vector<std::string> config_args_;
    EventBasePtr base_ = make_event_base();
    Notifier notifier_{base_.get()};
    Event status_timer_;
    bool announced_ready_ = false;
    std::optional<StateLock> lock_;
    std::unique_ptr<Store> store_;
    OffLoop off_loop_{base_.get()};  // backups, store copies: ended before the store closes
    LocalWriteGate local_gate_;
    std::unique_ptr<SharedStore> shared_;          // store = postgresql
    std::unique_ptr<SharedLimits> shared_limits_;  // store = postgresql
    ListenSocket listen_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<HttpClient> http_;
    std::unique_ptr<TokenRefresher> refresher_;
    std::unique_ptr<PoolState> pool_;
    std::unique_ptr<UsageRecorder> usage_;
    std::unique_ptr<QuotaChecker> quota_;
    std::unique_ptr<ModelCatalog> models_;
    std::unique_ptr<AccountLogins> logins_;
    std::unique_ptr<ProfileFinder> profiles_;
    Metrics metrics_;
    std::unique_ptr<Admissions> admissions_;
    std::unique_ptr<WorkerCalls> worker_calls_;
    Event retention_;
    std::unique_ptr<Supervisor> supervisor_;
    std::vector<Event> signals_;
    std::int64_t started_at_ = unix_seconds();
    ReloadOutcome last_reload_;
    bool stopping_ = false;
    int exit_code_ = 0;
};

Status Master::start() {
    auto lock = StateLock::acquire(config_.state_dir);
    if (!lock) return lock.error();
    lock_.emplace(std::move(*lock));
    auto store = Store::open(StoreOptions{config_.state_dir, config_.max_map_size});
    if (!store) return store.error();
    store_ = std::move(*store);
    if (config_.store == "postgresql") {
        if (Status st = open_shared_store(); !st) return st;
    } else if (Status st = bootstrap_own_store(); !st) {
        return st;
    }
    auto listen = open_listen_socket(config_.listen);
    if (!listen) return listen.error();
    listen_ = *listen;
    auto control =
        ControlServer::open(base_.get(), config_.control_socket,
                            [this](std::string p, const PeerCredentials& peer, int passed_fd,
                                   ControlServer::Reply reply) {
                                handle_control(std::move(p), peer, passed_fd, std::move(reply));
                            });
    if (!control) return control.error();
    control_ = std::move(*control);
    http_ = std::make_unique<HttpClient>(base_.get());
    pool_ = std::make_unique<PoolState>(*store_, health_policy(config_), pool_policy(config_));
    if (auto st = pool_->load(); !st) return st.error();
    refresher_ = std::make_unique<TokenRefresher>(
        base_.get(), *store_, write_gate(), *http_, refresher_options(config_),
        [this](std::uint64_t id, const Outcome& outcome) { pool_->report(id, outcome); });
    auto journal = UsageJournal::open(config_.state_dir + "/usage.journal");
    if (!journal) return journal.error();
    usage_ = std::make_unique<UsageRecorder>(base_.get(), *store_, std::move(*journal));
    auto recovered = usage_->recover();
    if (!recovered) return recovered.error();
    if (*recovered)
        log_notice("stored ", *recovered, " usage records of the last run from its journal");
    quota_ = std::make_unique<QuotaChecker>(base_.get(), *store_, *http_, *refresher_, *pool_,
                                            quota_options(config_));
    models_ = std::make_unique<ModelCatalog>(base_.get(), *store_, *http_, *refresher_,
                                             model_options(config_));
    profiles_ =
        std::make_unique<ProfileFinder>(*store_, *http_, *refresher_, model_options(config_).api);
    logins_ = std::make_unique<AccountLogins>(base_.get(), *http_, login_options(config_));
    models_->on_change([this] {
        if (supervisor_) publish_state();
    });
    models_->fetch_only([this](std::uint64_t id) {
        HealthState state = pool_->health(id).state;
        return state != HealthState::quarantined && state != HealthState::disabled &&
               refresher_->has_fresh_token(id, unix_seconds());
    });
    admissions_ = std::make_unique<Admissions>(*store_, metrics_, *usage_);
    if (auto st = admissions_->restore(unix_millis()); !st) return st.error();
    worker_calls_ = std::make_unique<WorkerCalls>(
        WorkerCalls::Parts{base_.get(), *store_, *refresher_, *pool_, *usage_, *admissions_,
                           metrics_, *models_},
        [this](std::uint64_t key_id, const std::string& command, const rapidjson::Value& args,
               std::function<void(Result<std::string>)> done) {
            CommandContext ctx{*store_, *this, unix_seconds(),
                               Caller{Caller::Kind::admin_key, static_cast<std::int64_t>(key_id)}};
            run_command(command, Surface::http_admin, args, ctx,
                        [this, done](CommandResult result, bool changed) {
                            if (changed && supervisor_) publish_state();
                            done(std::move(result));
                        });
        },
        [this] { return metrics_text(); });
    worker_calls_->set_policy(worker_policy(config_));
    if (shared_limits_) {
        admissions_->count_across_hosts(*shared_limits_);
        worker_calls_->count_across_hosts(*shared_limits_);
    }
    retention_ = Event::persistent_timer(base_.get(), [this](short) { drop_old_usage(); });
    retention_.arm_after(3600);
    drop_old_usage();
    if (shared_)
        if (Status st = shared_->start(); !st) return st;
    return {};
}

// A store of this host's own: the first admin key, and the account of the AMAZONQ_*
// environment.
Status Master::bootstrap_own_store() {
    auto admin = ensure_admin_key(*store_, config_.state_dir, unix_seconds());
    if (!admin) return admin.error();
    if (!admin->empty()) log_notice("created the first admin key; its secret is in ", *admin);
    if (!config_.bootstrap_account) return {};
    auto added = import_environment_account(*store_, *config_.bootstrap_account,
                                            config_.account_rpm_default, unix_seconds());
    if (!added) return added.error();
    if (*added) log_notice("added account 'env-account' from the AMAZONQ_* environment");
    return {};
}

// store = postgresql: the store becomes a mirror of the database's records, which replace
// whatever it held; so a store with records of this host's own is refused rather than lost.
// Its first admin key and accounts are made with amq2apictl, on any host.
Status Master::open_shared_store() {
    if (auto address = is_database_address(config_.postgresql); !address)
        return make_error(address.error().code, str_cat("postgresql: ", address.error().message));
    auto mirror = store_->mirror();
    if (!mirror) return mirror.error();
    auto counts = store_->record_counts();
    if (!counts) return counts.error();
    if (mirror->origin.empty() && (counts->accounts || counts->keys))
        return make_error(
            Errc::conflict,
            str_cat("store = postgresql, but ", config_.state_dir, " holds a store of this host's ",
                    "own (", counts->accounts, " accounts, ", counts->keys, " keys), which the ",
                    "database's records would replace: copy it into the database with "
                    "`amq2apictl store copy --to DATABASE` while it runs with store = lmdb, then "
                    "start with an empty state-dir"));
    if (config_.bootstrap_account)
        log_warning(
            "the AMAZONQ_* account is not added with store = postgresql: add it with "
            "amq2apictl on any host");
    auto host = store_->host_id();
    if (!host) return host.error();
    DatabaseAccess access = database_access();
    shared_limits_ = std::make_unique<SharedLimits>(base_.get(), config_.postgresql, *host,
                                                    [access] { return access.read(); });
    shared_ = std::make_unique<SharedStore>(
        base_.get(), *store_,
        SharedStoreOptions{config_.postgresql, [access] { return access.read(); },
                           [this](const SharedChanges& c) { shared_applied(c); },
                           [this] { announce_change(); }});
    return {};
}

// Another host's changes are in the store: the pool and the workers catch up.
void Master::shared_applied(const SharedChanges& changes) {
    for (const SharedRecord& r : changes.records)
        if (r.ref.kind == SharedKind::account && !r.value) forget_account(r.ref.id);
    if (Status st = pool_->load(); !st) log_error("cannot reload the pool: ", st.error().message);
    announce_change();
}

void Master::install_signals() {
    signal(SIGPIPE, SIG_IGN);
    auto on = [this](int signo, std::function<void()> fn) {
        signals_.push_back(Event::signal(base_.get(), signo, [fn](short) { fn(); }));
        signals_.back().arm();
    };
    on(SIGTERM, [this] { stop("SIGTERM"); });
    on(SIGINT, [this] { stop("SIGINT"); });
    on(SIGHUP, [this] { (void)reload_configuration(); });
    on(SIGCHLD, [this] { supervisor_->reap(); });
}

int Master::run() {
    log_init("master", parse_log_level(config_.log_level).value_or(LogLevel::info));
    if (auto st = start(); !st) {
        log_error(st.error().message);
        return 1;
    }
    install_signals();
    unsigned workers = effective_workers(config_, std::thread::hardware_concurrency());
    SupervisorOptions options{own_executable(), config_args_, listen_.fd, workers,
                              config_.drain_timeout};
    supervisor_ = std::make_unique<Supervisor>(
        base_.get(), options,
        Supervisor::Callbacks{
            [this] { return encode_message(pool_summary()); },
            [this](WorkerProcess& w, const rapidjson::Document& frame) {
                pid_t pid = w.pid;
                worker_calls_->on_frame(frame, pid, [this, pid](const std::string& payload) {
                    if (supervisor_) supervisor_->send_to(pid, payload);
                });
            },
            [this](WorkerProcess& w, const rapidjson::Document& frame) {
                pid_t pid = w.pid;
                worker_calls_->on_frame(frame, pid, [this, pid](const std::string& payload) {
                    if (supervisor_) supervisor_->send_admin_to(pid, payload);
                });
            },
            [this] { generation_ready(); }, [this](const std::string& why) { fatal(why); },
            [this](const std::string& why) {
                log_error("reload failed: ", why, "; keeping the running workers");
                notifier_.status(str_cat("reload failed: ", why));
                notifier_.ready();
                reload_ended(ReloadOutcome::Result::failed, why);
            },
            [this] { event_base_loopexit(base_.get(), nullptr); },
            [this](pid_t pid, bool) {
                worker_calls_->worker_died(pid);
                admissions_->worker_died(pid, unix_millis());
            }});
    log_notice("amq2apid ", kVersion, " starting ", workers, " workers (state in ",
               config_.state_dir, ", control socket ", config_.control_socket, ")");
    supervisor_->start();
    event_base_dispatch(base_.get());
    if (std::size_t cut = off_loop_.stop())
        log_notice("stopped ", cut, " backup(s) or store copies under way");
    supervisor_.reset();
    control_.reset();
    usage_.reset();  // the last batch reaches the store
    if (shared_) shared_->push_before_stop(base_.get(), kPushBeforeStop);
    if (listen_.fd >= 0) close(listen_.fd);
    log_notice("stopped");
    return exit_code_;
}

void Master::generation_ready() {
    log_info("serving HTTP on ", listen_.description);
    if (last_reload_.at != 0) reload_ended(ReloadOutcome::Result::ok, "");
    notifier_.ready();  // the first time: started; later: a reload is done
    notifier_.status(status_line());
    if (announced_ready_) return;
    announced_ready_ = true;
    notifier_.start_watchdog([this] {
        return supervisor_->all_heartbeating(kUnresponsiveAfter + wire::kHeartbeatSeconds);
    });
    status_timer_ =
        Event::persistent_timer(base_.get(), [this](short) { notifier_.status(status_line()); });
    status_timer_.arm_after(10);
}

std::string Master::status_line() const {
    return str_cat(supervisor_->ready_workers(), " workers, ", pool_summary().accounts_usable,
                   " usable accounts, ", supervisor_->requests_served(), " requests served");
}

void Master::stop(const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    notifier_.stopping();
    notifier_.extend_timeout(config_.drain_timeout + kDrainTimeoutMargin);
    log_notice(why, ": draining workers (up to ", config_.drain_timeout, " s)");
    control_.reset();
    close(listen_.fd);
    listen_.fd = -1;
    supervisor_->stop();
}

void Master::fatal(const std::string& why) {
    log_error(why, "; giving up");
    exit_code_ = 1;
    stop("fatal error");
}

// A configuration that does not parse is refused here, so that `amq2apictl reload` fails;
// a new generation that does not start is known only later (reload_ended).
Status Master::reload_configuration() {
    if (stopping_) return make_error(Errc::unavailable, "the daemon is stopping");
    if (supervisor_->reloading())
        return make_error(Errc::conflict, "a reload is already in progress");
    log_notice("reloading ",
               config_.config_file.empty() ? "the configuration" : config_.config_file);
    last_reload_ = ReloadOutcome{unix_seconds()};
    auto next = reload_config(config_args_, env_);
    if (!next) {
        log_error("reload failed: ", next.error().message, "; keeping the running configuration");
        notifier_.status(str_cat("reload refused: ", next.error().message));
        reload_ended(ReloadOutcome::Result::failed, next.error().message);
        return make_error(Errc::conflict,
                          str_cat("configuration not reloaded: ", next.error().message));
    }
    for (auto [name, before, after] :
         {std::tuple{"listen", config_.listen, next->listen},
          std::tuple{"state-dir", config_.state_dir, next->state_dir},
          std::tuple{"control-socket", config_.control_socket, next->control_socket},
          std::tuple{"store", config_.store, next->store},
          std::tuple{"postgresql", config_.postgresql, next->postgresql}}) {
        if (before != after)
            log_warning(name, " changed to ", after, "; this takes effect only after a restart");
    }
    next->listen = config_.listen;
    next->state_dir = config_.state_dir;
    next->control_socket = config_.control_socket;
    next->store = config_.store;
    next->postgresql = config_.postgresql;
    config_ = std::move(*next);
    log_set_level(parse_log_level(config_.log_level).value_or(LogLevel::info));
    notifier_.reloading();
    notifier_.extend_timeout(config_.drain_timeout + kDrainTimeoutMargin);
    notifier_.status("reloading: starting a new generation of workers");
    refresher_->set_options(refresher_options(config_));
    pool_->set_policies(health_policy(config_), pool_policy(config_));
    quota_->set_options(quota_options(config_));
    profiles_->set_options(model_options(config_).api);
    models_->set_options(model_options(config_));
    logins_->set_options(login_options(config_));
    worker_calls_->set_policy(worker_policy(config_));
    supervisor_->reload(config_args_,
                        effective_workers(config_, std::thread::hardware_concurrency()),
                        config_.drain_timeout);
    return {};
}

void Master::reload_ended(ReloadOutcome::Result result, std::string error) {
    last_reload_.result = result;
    last_reload_.error = std::move(error);
}

PoolSummary Master::pool_summary() const {
    PoolSummary summary;
    std::int64_t now = unix_seconds();
    if (auto list = store_->list_accounts())
        for (const auto& a : *list) {
            HealthState st = pool_->health(a.id).state;
            summary.accounts_usable +=
                a.enabled && st != HealthState::quarantined && st != HealthState::disabled;
        }
    if (auto list = store_->list_keys())
        for (const auto& k : *list)
            summary.keys_usable += k.enabled && (k.expires_at == 0 || k.expires_at > now);
    std::set<std::string> models = models_->all_models();
    summary.models.assign(models.begin(), models.end());
    if (shared_ && !shared_->in_step()) summary.store_trouble = shared_->trouble();
    return summary;
}

void Master::publish_state() {
    supervisor_->broadcast(message_frame(wire::kState, encode_message(pool_summary())));
}

void Master::handle_control(std::string payload, const PeerCredentials& peer, int passed_fd,
                            ControlServer::Reply reply) {
    CommandContext ctx{*store_, *this, unix_seconds(), Caller{Caller::Kind::control, peer.uid},
                       passed_fd};
    dispatch_control_frame(payload, ctx, [this, reply](std::string answer, bool changed) {
        if (changed && supervisor_) publish_state();
        reply(std::move(answer));
    });
}

Status Master::set_log_level(std::string_view level) {
    auto parsed = parse_log_level(level);
    if (!parsed)
        return make_error(Errc::invalid_argument, str_cat("unknown log level '", level, "'"));
    log_set_level(*parsed);
    supervisor_->broadcast(
        message_frame(wire::kLogLevel, encode_message(LogLevelChange{std::string(level)})));
    log_notice("log level set to ", level);
    return {};
}

// mdb_env_copyfd2 holds one read transaction while it writes the whole store: it runs off
// the loop, which keeps serving.
void Master::backup(int fd, std::function<void(Result<std::uint64_t>)> done) {
    bool started = off_loop_.run_for<std::uint64_t>(
        [store = store_.get(), fd] {
            auto copied = store->copy_to(fd);
            close(fd);
            return copied;
        },
        std::move(done));
    if (!started) close(fd);
}

DatabaseAccess Master::database_access() const {
    return {config_.postgresql_password_file,
            PgSettings{.idle_timeout_ms = static_cast<int>(config_.postgresql_timeout * 1000),
                       .cancel = &off_loop_.stopping()}};
}

void Master::copy_store(StoreCopyJob job, std::function<void(Result<StoreCopyOutcome>)> done) {
    job.state_dir = config_.state_dir;
    job.max_map_size = config_.max_map_size;
    int fd = job.to_fd;
    bool started = off_loop_.run_for<StoreCopyOutcome>(
        [store = store_.get(), job,
         access = database_access()]() mutable -> Result<StoreCopyOutcome> {
            auto copied = [&]() -> Result<StoreCopyOutcome> {
                auto settings = access.read();
                if (!settings) return settings.error();
                job.database = std::move(*settings);
                return amq::copy_store(*store, job);
            }();
            if (job.to_fd >= 0) close(job.to_fd);
            return copied;
        },
        std::move(done));
    if (!started && fd >= 0) close(fd);
}

void Master::migrate_database(std::string address, bool dry_run,
                              std::function<void(Result<std::vector<Migration>>)> done) {
    off_loop_.run_for<std::vector<Migration>>(
        [address = std::move(address), dry_run,
         access = database_access()]() -> Result<std::vector<Migration>> {
            auto settings = access.read();
            if (!settings) return settings.error();
            return amq::migrate_database(PgTarget{address, std::move(*settings)}, dry_run);
        },
        std::move(done));
}

// Raw usage records older than the retention go a day at a time; the rollups stay.
void Master::drop_old_usage() {
    auto today = static_cast<std::int32_t>(unix_seconds() / 86400);
    std::int32_t first_day = today - config_.usage_retention_days + 1;
    if (shared_) shared_->drop_usage_before(first_day);
    auto dropped = store_->drop_usage_before(first_day);
    if (!dropped)
        log_error("usage retention: ", dropped.error().message);
    else if (*dropped)
        log_info("usage retention: dropped ", *dropped, " records older than ",
                 config_.usage_retention_days, " days");
}

std::string Master::metrics_text() const {
    std::map<HealthState, double> states;
    for (HealthState s : {HealthState::healthy, HealthState::cooling, HealthState::half_open,
                          HealthState::exhausted, HealthState::quarantined, HealthState::disabled})
        states[s] = 0;
    if (auto accounts = store_->list_accounts())
        for (const Account& a : *accounts) states[pool_->health(a.id).state] += 1;
    Metrics::Gauge accounts{"amq2api_accounts", "Accounts by health state", {}};
    for (auto [state, n] : states)
        accounts.samples.emplace_back(str_cat("{state=\"", health_state_name(state), "\"}"), n);
    Metrics::Gauge in_flight{
        "amq2api_requests_in_flight", "Admitted requests not yet reported", {}};
    in_flight.samples.emplace_back("", static_cast<double>(admissions_->in_flight()));
    Metrics::Gauge dropped{"amq2api_usage_records_dropped",
                           "Usage records lost because the store refused them, ever",
                           {}};
    auto counted = store_->dropped_usage();
    std::uint64_t lost = (counted ? *counted : 0) + usage_->uncounted_drops();
    dropped.samples.emplace_back("", static_cast<double>(lost));
    const AdmissionQueue& queue = worker_calls_->queue();
    Metrics::Gauge depth{"amq2api_queue_depth", "Requests waiting for an account", {}};
    depth.samples.emplace_back("", static_cast<double>(queue.depth()));
    const AdmissionQueue::Stats& q = queue.stats();
    Metrics::Gauge outcomes{"amq2api_queue_requests_total",
                            "Requests that waited for an account, by outcome",
                            {},
                            "counter"};
    for (auto [outcome, n] : {std::pair{"queued", q.queued}, std::pair{"served", q.served},
                              std::pair{"timeout", q.timeouts}, std::pair{"full", q.full},
                              std::pair{"withdrawn", q.withdrawn}})
        outcomes.samples.emplace_back(str_cat("{outcome=\"", outcome, "\"}"),
                                      static_cast<double>(n));
    Metrics::Gauge waited{"amq2api_queue_wait_seconds_total",
                          "Time the served requests spent waiting for an account",
                          {},
                          "counter"};
    waited.samples.emplace_back("", static_cast<double>(q.wait_ms) / 1000.0);
    std::vector<Metrics::Gauge> all{accounts, in_flight, dropped, depth, outcomes, waited};
    if (shared_) shared_metrics(all);
    return metrics_.render(all);
}

// store = postgresql: whether this host is in step with the database, and what waits for it.
void Master::shared_metrics(std::vector<Metrics::Gauge>& out) const {
    Metrics::Gauge in_step{"amq2api_shared_store_in_step",
                           "1 while this host is in step with the shared database, else 0",
                           {}};
    in_step.samples.emplace_back("", shared_->in_step() ? 1.0 : 0.0);
    Metrics::Gauge waiting{"amq2api_shared_store_usage_waiting",
                           "Usage records stored here and not yet in the shared database",
                           {}};
    waiting.samples.emplace_back("", static_cast<double>(shared_->usage_waiting()));
    Metrics::Gauge limits{
        "amq2api_shared_limit_admissions_total",
        "Admissions of keys with limits and picks of paced accounts, by whether the "
        "database counted them",
        {},
        "counter"};
    limits.samples.emplace_back("{counted=\"yes\"}", static_cast<double>(shared_limits_->asked()));
    limits.samples.emplace_back("{counted=\"no\"}", static_cast<double>(shared_limits_->unasked()));
    out.insert(out.end(), {in_step, waiting, limits});
}

// null models: the account's list is not known yet (it may serve any model meanwhile).
void Master::write_account_runtime(JsonWriter& w, std::uint64_t id) {
    w.Key("models");
    auto list = models_->lists().find(id);
    if (list == models_->lists().end()) {
        w.Null();
    } else {
        w.StartArray();
        for (const std::string& m : list->second) write_string(w, m);
        w.EndArray();
    }
    const LastServed* last = pool_->last_served(id);
    w.Key("last_endpoint");
    write_string(w, last ? redact_url_password(last->endpoint) : "");
    write_time(w, "last_served_at", last ? last->at_ms / 1000 : 0);
    w.Key("quota");
    const QuotaChecker::Known* quota = quota_->known(id);
    if (!quota) {
        w.Null();
        return;
    }
    w.StartObject();
    for (auto [key, n] :
         {std::pair{"limit", quota->limits.limit}, std::pair{"used", quota->limits.used},
          std::pair{"remaining", quota->limits.remaining()}}) {
        w.Key(key);
        w.Int64(n);
    }
    write_time(w, "next_reset", quota->limits.next_reset);
    write_time(w, "checked_at", quota->checked_at);
    w.EndObject();
}

// The admission queue now and since start, as /metrics has it.
void Master::write_queue(JsonWriter& w) const {
    if (!worker_calls_) return;
    const AdmissionQueue& queue = worker_calls_->queue();
    const AdmissionQueue::Stats& q = queue.stats();
    w.Key("queue");
    w.StartObject();
    w.Key("depth");
    w.Uint64(queue.depth());
    w.Key("max");
    w.Uint64(queue.limits().max);
    w.Key("timeout_ms");
    w.Int64(queue.limits().timeout_ms);
    for (auto [name, n] : {std::pair{"queued", q.queued}, std::pair{"served", q.served},
                           std::pair{"timeouts", q.timeouts}, std::pair{"full", q.full},
                           std::pair{"withdrawn", q.withdrawn}, std::pair{"wait_ms", q.wait_ms}}) {
        w.Key(name);
        w.Uint64(n);
    }
    w.EndObject();
}

void Master::write_runtime(JsonWriter& w) const {
    w.Key("pid");
    w.Int(getpid());
    w.Key("started_at");
    write_string(w, iso8601(started_at_));
    w.Key("uptime_s");
    w.Int64(unix_seconds() - started_at_);
    w.Key("listen");
    write_string(w, listen_.description);
    w.Key("generation");
    w.Uint64(supervisor_->generation());
    w.Key("workers");
    supervisor_->write_workers(w);
    write_queue(w);
    if (shared_) {
        w.Key("shared_store");
        shared_->write_status(w);
        w.Key("shared_limits");
        w.StartObject();
        w.Key("asked");
        w.Uint64(shared_limits_->asked());
        w.Key("admitted_unasked");
        w.Uint64(shared_limits_->unasked());
        w.EndObject();
    }
    w.Key("last_reload");
    if (last_reload_.at == 0) {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("at");
    write_string(w, iso8601(last_reload_.at));
    w.Key("result");
    write_string(w, reload_result_name(last_reload_.result));
    w.Key("error");
    write_string(w, last_reload_.error);
    w.EndObject();
}

}  // namespace

int run_master(const Invocation& invocation, const EnvLookup& env) {
    forget_environment_credentials();  // read into invocation.config already
    Master master(invocation, env);
    return master.run();
}

}  // namespace amq
