#include "daemon/worker/worker.hpp"

#include <event2/listener.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/token_estimate.hpp"
#include "common/version.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker/evhtp_reply.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

// Descriptors kept free of client connections: upstream calls, the master channel, logs.
constexpr std::size_t kReservedFds = 64;
constexpr double kAcceptPause = 0.5;         // after accept() ran out of descriptors
constexpr double kAcceptErrorLogEvery = 10;  // seconds between two such warnings

// Each client connection may hold one upstream call open, so half the free descriptors.
std::size_t derived_max_connections() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 32768;
    std::size_t fds = static_cast<std::size_t>(limit.rlim_cur);
    return fds > 2 * kReservedFds ? (fds - kReservedFds) / 2 : 16;
}

}  // namespace

Worker::Worker(const Invocation& inv)
    : config_(inv.config), index_(inv.worker_index), generation_(inv.generation) {}

Worker::~Worker() {
    heartbeat_ = Event();
    exchanges_.clear();
    std::vector<evhtp_connection_t*> open;
    for (const auto& entry : connections_) open.push_back(entry.first);
    for (auto* conn : open) evhtp_connection_free(conn);
    closed_.clear();
    if (htp_) evhtp_free(htp_);
    http_.reset();
    master_.reset();
}

Exchange& Worker::adopt(std::unique_ptr<Exchange> exchange, std::uint64_t id,
                        const EvhtpReply* reply) {
    if (ClientConnection* connection = connection_of(reply->connection()))
        connection->mark_reported();
    Exchange& adopted = *exchange;
    exchanges_[id] = InFlight{std::move(exchange), reply};
    return adopted;
}

void Worker::forget(std::uint64_t exchange_id) {
    defer(base_.get(), [this, exchange_id] { exchanges_.erase(exchange_id); });
}

int Worker::run() {
    log_init(str_cat("worker[", index_, "]"),
             parse_log_level(config_.log_level).value_or(LogLevel::info));
    signal(SIGPIPE, SIG_IGN);
    // The master decides when we stop (drain frame, or closing the channel); a TERM sent to
    // the whole process group by a terminal must not cut requests short.
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    load_vocabulary();
    // The master checked both keys; a file that cannot be opened falls back to the log.
    trusted_proxies_ = TrustedProxies::parse(config_.trusted_proxies).value();
    auto access_log = AccessLog::open(config_.access_log);
    if (!access_log) {
        log_error(access_log.error().message, "; access lines go to the log instead");
        access_log = AccessLog::open("log");
    }
    access_log_ = std::move(*access_log);
    http_ = std::make_unique<HttpClient>(base_.get());
    master_ = std::make_unique<MasterLink>(
        base_.get(), wire::kWorkerChannelFd, kChannelFrameMax,
        [this](const rapidjson::Document& frame) { on_master_frame(frame); },
        [this](const std::string& why) { on_master_gone(why); });
    // Only replies come back on it; the master's own frames use the data channel.
    admin_link_ = std::make_unique<MasterLink>(
        base_.get(), wire::kAdminChannelFd, kAdminFrameMax, [](const rapidjson::Document&) {},
        [this](const std::string& why) { on_master_gone(why); });
    master_->tell(wire::kHello,
                  encode_message(Hello{kProtocolVersion, getpid(), index_, generation_}), false);
    event_base_dispatch(base_.get());
    return exit_code_;
}

// Loaded once per process. The first worker says so when counts fall back to bytes / 4;
// the others would only repeat it.
void Worker::load_vocabulary() {
    if (auto st = load_tokenizer(config_.tokenizer_file); !st) {
        std::string message = str_cat("token counts fall back to bytes / 4: ", st.error().message);
        if (index_ == 0)
            log_warning(message);
        else
            log_debug(message);
    }
}

void Worker::on_master_gone(const std::string& why) {
    log_info("channel to the master closed (", why, "); exiting");
    event_base_loopbreak(base_.get());
}

void Worker::on_master_frame(const rapidjson::Document& frame) {
    std::string_view type = find_string(frame, "t").value_or("");
    const rapidjson::Value& args = message_args(frame);
    if (type == wire::kWelcome || type == wire::kState) {
        auto summary = decode_message<PoolSummary>(args);
        if (!summary) return log_error("unreadable pool state: ", summary.error().message);
        pool_.accounts_usable = summary->accounts_usable;
        pool_.keys_usable = summary->keys_usable;
        pool_.models = {summary->models.begin(), summary->models.end()};
        pool_.store_trouble = summary->store_trouble;
        if (type == wire::kWelcome && !serving_) start_serving();
    } else if (type == wire::kRefuse) {
        auto refused = decode_message<WorkerRefused>(args);
        log_error("the master refused this worker: ", refused ? refused->reason : "?");
        exit_code_ = 1;
        event_base_loopbreak(base_.get());
    } else if (type == wire::kDrain) {
        begin_drain();
    } else if (type == wire::kLogLevel) {
        auto change = decode_message<LogLevelChange>(args);
        if (auto level = parse_log_level(change ? change->level : "")) log_set_level(*level);
    }
}

void Worker::start_serving() {
    htp_ = evhtp_new(base_.get(), this);
    evhtp_set_gencb(htp_, on_request, this);
    evhtp_set_post_accept_cb(htp_, on_accept, this);
    evhtp_set_parser_flags(htp_, EVHTP_PARSE_QUERY_FLAG_LENIENT);
    // Reading belongs to ClientConnection (its limits and deadlines); a read timeout here
    // would also cut streams whose client listens in silence.
    timeval write_timeout = to_timeval(config_.client_timeout);
    evhtp_set_timeouts(htp_, nullptr, &write_timeout);
    connection_settings_.limits.max_body = config_.max_body_size;
    connection_settings_.header_timeout = config_.header_timeout;
    connection_settings_.idle_timeout = config_.client_timeout;
    max_connections_ =
        config_.max_connections > 0 ? config_.max_connections : derived_max_connections();
    if (evhtp_accept_socket(htp_, wire::kListenFd, 0) != 0) {
        log_error("cannot accept on the inherited listening socket: ", std::strerror(errno));
        exit_code_ = 1;
        event_base_loopbreak(base_.get());
        return;
    }
    evconnlistener_set_error_cb(htp_->server, on_accept_error);
    accept_again_ = Event::timer(base_.get(), [this](short) {
        if (!draining_) evconnlistener_enable(htp_->server);
    });
    serving_ = true;
    heartbeat_ = Event::persistent_timer(base_.get(), [this](short) {
        send_heartbeat();
        return_free_memory();
    });
    heartbeat_.arm_after(wire::kHeartbeatSeconds);
    master_->tell(wire::kReady, "{}", false);
}

std::uint64_t Worker::inflight() const {
    std::uint64_t n = 0;
    for (const auto& entry : connections_) n += entry.first->request != nullptr;
    return n;
}

// glibc keeps what a burst of streams freed for reuse: thousands of closed streams would hold
// their heap for good. Past a threshold it goes back to the kernel, at most every few seconds
// (the walk over the heap costs a few milliseconds of this loop).
void Worker::return_free_memory() {
    constexpr std::size_t kKeepFree = 32u << 20;
    constexpr double kEverySeconds = 10;
    double now = monotonic_seconds();
    if (now - last_trim_ < kEverySeconds || mallinfo2().fordblks < kKeepFree) return;
    last_trim_ = now;
    malloc_trim(kKeepFree / 2);
}

void Worker::send_heartbeat() {
    master_->tell(wire::kHeartbeat, encode_message(Heartbeat{requests_, inflight()}), false);
}

void Worker::begin_drain() {
    if (draining_) return;
    draining_ = true;
    log_info("draining: ", inflight(), " requests in flight");
    if (serving_) evhtp_unbind_socket(htp_);
    accept_again_.disarm();
    // Idle keep-alive connections close now; busy ones after their current answer, which
    // says Connection: close when its head has not gone out yet.
    std::vector<ClientConnection*> all;
    for (auto& [conn, connection] : connections_) {
        if (conn->request) end_keep_alive(conn->request);
        all.push_back(connection.get());
    }
    for (auto* connection : all) connection->drain();
    exit_when_idle();
}

void Worker::exit_when_idle() {
    if (draining_ && connections_.empty()) event_base_loopbreak(base_.get());
}

evhtp_res Worker::on_accept(evhtp_connection_t* conn, void* arg) {
    auto* self = static_cast<Worker*>(arg);
    evhtp_connection_set_hook(conn, evhtp_hook_on_connection_fini, as_hook(on_connection_fini),
                              self);
    bool full = self->connections_.size() >= self->max_connections_;
    auto connection = std::make_unique<ClientConnection>(
        conn, self->connection_settings_,
        [self, conn](const HttpHead& head) { return self->client_of(conn, head); },
        [self](const ResponseRecord& record) { self->on_response(record); },
        [self, conn] { self->on_peer_closed(conn); });
    ClientConnection& added = *(self->connections_[conn] = std::move(connection));
    if (full)
        added.refuse(503, str_cat("this worker holds ", self->max_connections_,
                                  " connections (max-connections): try again shortly"));
    return EVHTP_RES_OK;
}

evhtp_res Worker::on_connection_fini(evhtp_connection_t* conn, void* arg) {
    auto* self = static_cast<Worker*>(arg);
    auto it = self->connections_.find(conn);
    if (it != self->connections_.end()) {
        it->second->detach();
        // Its callbacks may still be on the stack: destroyed once they have returned.
        if (self->closed_.empty()) defer(self->base_.get(), [self] { self->closed_.clear(); });
        self->closed_.push_back(std::move(it->second));
        self->connections_.erase(it);
    }
    // Exiting from inside evhtp's teardown would free what it is still using.
    if (self->draining_) defer(self->base_.get(), [self] { self->exit_when_idle(); });
    return EVHTP_RES_OK;
}

// Out of descriptors: accept() would fail again at once, in a loop. Pause, and say so once
// in a while rather than on every attempt.
void Worker::on_accept_error(evconnlistener* listener, void* arg) {
    auto* self = static_cast<Worker*>(static_cast<evhtp_t*>(arg)->arg);  // evhtp owns the listener
    int error = EVUTIL_SOCKET_ERROR();
    evconnlistener_disable(listener);
    self->pause_accepting(error);
}

void Worker::pause_accepting(int error) {
    ++accept_errors_;
    double now = monotonic_seconds();
    if (now - accept_errors_logged_at_ >= kAcceptErrorLogEvery) {
        log_warning("cannot accept connections (", std::strerror(error), "), ", accept_errors_,
                    " times since the last warning; holding ", connections_.size(),
                    " connections; pausing accept() for ", kAcceptPause, "s each time");
        accept_errors_logged_at_ = now;
        accept_errors_ = 0;
    }
    accept_again_.arm_after(kAcceptPause);
}

std::string Worker::client_of(evhtp_connection_t* conn, const HttpHead& head) const {
    std::optional<std::string_view> forwarded;
    for (const auto& [name, value] : head.fields)
        if (iequals(name, "x-forwarded-for")) forwarded = value;
    return client_address(peer_address(conn->saddr), forwarded, trusted_proxies_);
}

namespace {

// Claude Code names its session in X-Claude-Code-Session-Id, Codex in session-id; longer
// values than a session id needs are no session.
std::string header_session(const HttpRequest& request) {
    constexpr std::size_t kMaxSession = 256;
    for (const char* name : {"x-claude-code-session-id", "session_id", "session-id"}) {
        auto value = request.header(name);
        if (value && !value->empty() && value->size() <= kMaxSession) return std::string(*value);
    }
    return {};
}

}  // namespace

TranslateOptions Worker::translate_options(const HttpRequest& request) const {
    TranslateOptions options;
    options.models = config_.models;
    options.max_payload = config_.max_prompt_bytes;
    options.max_input_tokens = static_cast<std::int64_t>(config_.max_prompt_tokens);
    options.fallback_conversation_id = uuid4();
    options.header_session = header_session(request);
    return options;
}

ClientConnection* Worker::connection_of(evhtp_connection_t* conn) const {
    auto it = connections_.find(conn);
    return it == connections_.end() ? nullptr : it->second.get();
}

// Exchanges report their requests themselves; the master hears of every other answer here, so
// that refusals show in /metrics and, with a key, in its usage.
void Worker::on_response(const ResponseRecord& record) {
    access_log_.write(record);
    if (record.reported || !master_) return;
    AnsweredRequest answered{record.route.empty() ? "none" : record.route,
                             record.status,
                             record.key_hash,
                             record.client,
                             valid_utf8(record.user_agent),
                             static_cast<std::int64_t>(record.seconds * 1000),
                             record.request_id};
    master_->tell(wire::kAnswered, encode_message(answered), false);
}

void Worker::on_peer_closed(evhtp_connection_t* conn) {
    for (auto& [id, in_flight] : exchanges_)
        if (in_flight.reply->connection() == conn) in_flight.exchange->probe_client();
}

void Worker::on_request(evhtp_request_t* req, void* arg) {
    auto* self = static_cast<Worker*>(arg);
    ++self->requests_;
    if (self->draining_) end_keep_alive(req);
    const char* full =
        req->uri && req->uri->path && req->uri->path->full ? req->uri->path->full : "/";
    HttpRequest request{req, full};
    request.id = prefixed_id("req_");
    request.add_header("request-id", request.id);
    log_debug(request.id, " ", method_name(req->method), " ", request.path);
    Dialect dialect = dialect_for_path(request.path);
    RouteMatch match = match_route(worker_routes(), request.path, req->method);
    if (ClientConnection* connection = self->connection_of(req->conn)) {
        std::optional<std::string_view> key = request.api_key();
        // The admin API's key too: its uses move the key's last-used time.
        bool api = request.path.starts_with("/v1/") || dialect == Dialect::admin;
        connection->set_request(request.id, match.route ? match.route->path : "",
                                api && key ? api_key_hash(*key) : std::string());
        request.client = connection->client();
    }
    // Before any parsing: without a key, nothing else is said. An unknown /admin path says
    // no more than a known one; a known path asked with another method is 405 for anyone
    // (the paths are documented, the methods too).
    Auth auth = match.route                                        ? match.route->auth
                : match.allow.empty() && dialect == Dialect::admin ? Auth::admin
                                                                   : Auth::none;
    if (auth != Auth::none && !request.api_key())
        return request.send_error(
            dialect, 401,
            auth == Auth::admin ? "missing API key: send an admin key as Authorization: Bearer"
                                : "missing API key: send it in x-api-key or Authorization: Bearer");
    if (match.route) {
        request.route = match.route;
        request.params = std::move(match.params);
        match.route->handler(*self, request);
    } else if (!match.allow.empty()) {
        request.add_header("Allow", match.allow);
        std::string message = str_cat("method ", method_name(req->method), " is not allowed on ",
                                      request.path, " (allowed: ", match.allow, ")");
        request.send_error(dialect, 405, message);
    } else {
        std::string message =
            str_cat("no such endpoint: ", method_name(req->method), " ", request.path);
        request.send_error(dialect, 404, message);
    }
}

int run_worker(const Invocation& invocation) {
    Worker worker(invocation);
    return worker.run();
}

}  // namespace amq
