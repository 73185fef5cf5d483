#include "daemon/worker/worker.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/token_estimate.hpp"
#include "common/version.hpp"
#include "daemon/worker/admin_routes.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/routes.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

// evhtp 1.2.18 reads URIs out of bounds in corner cases, and silently truncates a query
// past about 4 KiB: a limit below that catches every over-long URI.
constexpr size_t kMaxUri = 4000;

// evhtp takes every hook as one generic function pointer type.
template <class Fn>
evhtp_hook as_hook(Fn* fn) {
    return reinterpret_cast<evhtp_hook>(reinterpret_cast<void (*)()>(fn));
}

Dialect dialect_for_path(std::string_view path) {
    return path.starts_with("/v1/chat/") || path.starts_with("/v1/completions") ? Dialect::openai
                                                                                : Dialect::anthropic;
}

}  // namespace

Worker::Worker(const Invocation& inv)
    : config_(inv.config), index_(inv.worker_index), generation_(inv.generation) {}

Worker::~Worker() {
    heartbeat_ = Event();
    exchanges_.clear();
    if (htp_) evhtp_free(htp_);
    http_.reset();
    master_.reset();
}

Exchange& Worker::adopt(std::unique_ptr<Exchange> exchange, std::uint64_t id) {
    return *(exchanges_[id] = std::move(exchange));
}

void Worker::forget(std::uint64_t exchange_id) {
    defer(base_.get(), [this, exchange_id] { exchanges_.erase(exchange_id); });
}

int Worker::run() {
    log_init(str_cat("worker[", index_, "]"), parse_log_level(config_.log_level).value_or(LogLevel::info));
    signal(SIGPIPE, SIG_IGN);
    // The master decides when we stop (drain frame, or closing the channel); a TERM sent to
    // the whole process group by a terminal must not cut requests short.
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    load_vocabulary();
    http_ = std::make_unique<HttpClient>(base_.get());
    master_ = std::make_unique<MasterLink>(
        base_.get(), wire::kWorkerChannelFd,
        [this](const rapidjson::Document& frame) { on_master_frame(frame); },
        [this](const std::string& why) { on_master_gone(why); });
    master_->send(json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kHello);
        w.Key("proto");
        w.Int(kProtocolVersion);
        w.Key("pid");
        w.Int(getpid());
        w.Key("index");
        w.Uint(index_);
        w.Key("generation");
        w.Uint64(generation_);
    }));
    event_base_dispatch(base_.get());
    return exit_code_;
}

// Loaded once per process. The first worker says so when counts fall back to bytes / 4;
// the others would only repeat it.
void Worker::load_vocabulary() {
    if (auto st = load_tokenizer(config_.tokenizer_file); !st) {
        std::string message = str_cat("token counts fall back to bytes / 4: ", st.error().message);
        if (index_ == 0) log_warning(message);
        else log_debug(message);
    }
}

void Worker::on_master_gone(const std::string& why) {
    log_info("channel to the master closed (", why, "); exiting");
    event_base_loopbreak(base_.get());
}

void Worker::on_master_frame(const rapidjson::Document& frame) {
    FieldReader f(frame);
    std::string type = f.string("t").value_or("");
    if (type == wire::kWelcome || type == wire::kState) {
        FieldReader state(*f.object("state", true), "state");
        pool_.accounts_usable = static_cast<std::uint64_t>(state.integer("accounts_usable").value_or(0));
        pool_.keys_usable = static_cast<std::uint64_t>(state.integer("keys_usable").value_or(0));
        if (type == wire::kWelcome && !serving_) start_serving();
    } else if (type == wire::kRefuse) {
        log_error("the master refused this worker: ", f.string("reason").value_or("?"));
        exit_code_ = 1;
        event_base_loopbreak(base_.get());
    } else if (type == wire::kDrain) {
        begin_drain();
    } else if (type == wire::kLogLevel) {
        if (auto level = parse_log_level(f.string("level").value_or(""))) log_set_level(*level);
    }
}

void Worker::start_serving() {
    htp_ = evhtp_new(base_.get(), this);
    evhtp_set_gencb(htp_, on_request, this);
    evhtp_set_post_accept_cb(htp_, on_accept, this);
    evhtp_set_max_body_size(htp_, config_.max_body_size);
    timeval idle = to_timeval(config_.client_timeout);
    evhtp_set_timeouts(htp_, &idle, &idle);
    if (evhtp_accept_socket(htp_, wire::kListenFd, 0) != 0) {
        log_error("cannot accept on the inherited listening socket: ", std::strerror(errno));
        exit_code_ = 1;
        event_base_loopbreak(base_.get());
        return;
    }
    serving_ = true;
    heartbeat_ = Event::persistent_timer(base_.get(), [this](short) { send_heartbeat(); });
    heartbeat_.arm_after(wire::kHeartbeatSeconds);
    master_->send(json_object([](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kReady);
    }));
}

std::uint64_t Worker::inflight() const {
    std::uint64_t n = 0;
    for (auto* conn : connections_) n += conn->request != nullptr;
    return n;
}

void Worker::send_heartbeat() {
    master_->send(json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kHeartbeat);
        w.Key("requests");
        w.Uint64(requests_);
        w.Key("inflight");
        w.Uint64(inflight());
    }));
}

void Worker::begin_drain() {
    if (draining_) return;
    draining_ = true;
    log_info("draining: ", inflight(), " requests in flight");
    if (serving_) evhtp_unbind_socket(htp_);
    // Idle keep-alive connections close now; busy ones close after their current reply.
    std::vector<evhtp_connection_t*> idle;
    for (auto* conn : connections_) {
        if (conn->request) evhtp_request_set_keepalive(conn->request, 0);
        else idle.push_back(conn);
    }
    for (auto* conn : idle) evhtp_connection_free(conn);
    exit_when_idle();
}

void Worker::exit_when_idle() {
    if (draining_ && connections_.empty()) event_base_loopbreak(base_.get());
}

evhtp_res Worker::on_accept(evhtp_connection_t* conn, void* arg) {
    auto* self = static_cast<Worker*>(arg);
    self->connections_.insert(conn);
    evhtp_connection_set_hook(conn, evhtp_hook_on_connection_fini,
                              as_hook(on_connection_fini), self);
    return EVHTP_RES_OK;
}

evhtp_res Worker::on_connection_fini(evhtp_connection_t* conn, void* arg) {
    auto* self = static_cast<Worker*>(arg);
    self->connections_.erase(conn);
    // Exiting from inside evhtp's teardown would free what it is still using.
    if (self->draining_) defer(self->base_.get(), [self] { self->exit_when_idle(); });
    return EVHTP_RES_OK;
}

void Worker::on_request(evhtp_request_t* req, void* arg) {
    auto* self = static_cast<Worker*>(arg);
    ++self->requests_;
    if (self->draining_) evhtp_request_set_keepalive(req, 0);
    const char* full = req->uri && req->uri->path && req->uri->path->full ? req->uri->path->full : "/";
    HttpRequest request{req, full};
    request.id = prefixed_id("req_");
    request.add_header("request-id", request.id);
    log_debug(request.id, " ", method_name(req->method), " ", request.path);
    size_t query = req->uri && req->uri->query_raw ? std::strlen(reinterpret_cast<char*>(req->uri->query_raw)) : 0;
    Dialect dialect = dialect_for_path(request.path);
    if (request.path.size() + query > kMaxUri) {
        request.send_error(dialect, 414, "request URI too long");
        return;
    }
    bool admin = request.path.starts_with("/admin/");
    // The dashboard's own files are public: the page asks for the key its API calls send.
    bool dashboard = request.path == "/admin/dashboard" ||
                     request.path.starts_with("/admin/dashboard/");
    // Before any parsing: without a key, nothing else is said.
    if (admin && !dashboard && !request.api_key())
        return send_admin_error(request, 401, "missing API key: send an admin key as Authorization: Bearer");
    RouteMatch match = match_route(worker_routes(), request.path, req->method);
    if (match.route) {
        request.params = std::move(match.params);
        match.route->handler(*self, request);
    } else if (!match.allow.empty()) {
        request.add_header("Allow", match.allow);
        std::string message = str_cat("method ", method_name(req->method), " is not allowed on ", request.path,
                                      " (allowed: ", match.allow, ")");
        if (admin) send_admin_error(request, 405, message);
        else request.send_error(dialect, 405, message);
    } else {
        std::string message = str_cat("no such endpoint: ", method_name(req->method), " ", request.path);
        if (admin) send_admin_error(request, 404, message);
        else request.send_error(dialect, 404, message);
    }
}

int run_worker(const Invocation& invocation) {
    Worker worker(invocation);
    return worker.run();
}

}  // namespace amq
