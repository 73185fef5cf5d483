#include "daemon/worker/client_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/api_error.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

// How long a refused client may go on sending before the connection is cut: long enough for
// its answer to arrive before a reset could destroy it (nginx's lingering close).
constexpr double kLingerSeconds = 5.0;
constexpr double kPeerCheckSeconds = 0.25;

std::string_view reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 417: return "Expectation Failed";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Error";
    }
}

// libevhtp drops a connection without an answer when its query parser refuses the target.
bool evhtp_accepts_query(const std::string& target, int flags) {
    std::size_t mark = target.find('?');
    if (mark == std::string::npos || mark + 1 == target.size()) return true;
    evhtp_query_t* query =
        evhtp_parse_query_wflags(target.data() + mark + 1, target.size() - mark - 1, flags);
    if (!query) return false;
    evhtp_query_free(query);
    return true;
}

}  // namespace

ClientConnection::ClientConnection(evhtp_connection_t* conn, const ConnectionSettings& settings,
                                   ClientOf client_of, OnResponse on_response,
                                   OnPeerClosed on_peer_closed)
    : conn_(conn),
      bev_(evhtp_connection_get_bev(conn)),
      settings_(settings),
      client_of_(std::move(client_of)),
      on_response_(std::move(on_response)),
      on_peer_closed_(std::move(on_peer_closed)),
      reader_(settings.limits) {
    void* evhtp_arg = nullptr;
    bufferevent_getcb(bev_, &evhtp_read_, &evhtp_write_, &evhtp_event_, &evhtp_arg);
    bufferevent_setcb(bev_, on_read, on_write, on_event, this);
    output_watch_ = evbuffer_add_cb(bufferevent_get_output(bev_), on_output, this);
    event_base* base = bufferevent_get_base(bev_);
    timer_ = Event::timer(base, [this](short) { on_timer(); });
    advance_soon_ = Event::timer(base, [this](short) { advance(); });
    peer_check_ = Event::timer(base, [this](short) { check_peer(); });
    set_phase(Phase::idle);
}

ClientConnection::~ClientConnection() { detach(); }

void ClientConnection::detach() {
    if (phase_ == Phase::gone) return;
    if (phase_ == Phase::serving) report(response_done_ ? current_.status : 499);
    evbuffer_remove_cb_entry(bufferevent_get_output(bev_), output_watch_);
    advance_soon_.disarm();
    peer_check_.disarm();
    set_phase(Phase::gone);
}

void ClientConnection::set_request(std::string id, std::string_view route, std::string key_hash) {
    current_.request_id = std::move(id);
    current_.route = std::string(route);
    current_.key_hash = std::move(key_hash);
}

void ClientConnection::refuse(int status, std::string_view message) { reject(status, message); }

void ClientConnection::drain() {
    draining_ = true;
    if (phase_ == Phase::idle) free_connection();
}

void ClientConnection::on_read(bufferevent*, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    self->read_input();
    if (self->phase_ == Phase::serving || self->phase_ == Phase::closing) return;
    if (self->phase_ == Phase::body) self->timer_.arm_after(self->settings_.idle_timeout);
    self->advance();
}

void ClientConnection::read_input() {
    evbuffer* input = bufferevent_get_input(bev_);
    std::size_t n = evbuffer_get_length(input);
    if (phase_ == Phase::closing) {
        evbuffer_drain(input, n);
        return;
    }
    std::size_t old = pending_.size();
    pending_.resize(old + n);
    evbuffer_remove(input, pending_.data() + old, n);
    // Pipelined bytes wait for the answer in progress; beyond one head's worth, the client
    // waits too (TCP pushes back).
    if (phase_ == Phase::serving && pending_.size() > settings_.limits.max_head) {
        bufferevent_disable(bev_, EV_READ);
        reading_paused_ = true;
    }
}

void ClientConnection::advance() {
    while (phase_ == Phase::idle || phase_ == Phase::head || phase_ == Phase::body) {
        std::size_t consumed = 0;
        auto progress = reader_.read(pending_, consumed);
        pending_.erase(0, consumed);
        if (phase_ == Phase::idle && reader_.started()) {
            started_ = monotonic_seconds();
            set_phase(Phase::head);
        }
        switch (progress) {
            case HttpRequestReader::Progress::more:
                // A client that closed its side sends nothing more: what it left is incomplete.
                if (peer_closed_) free_connection();
                return;
            case HttpRequestReader::Progress::head: on_head(); break;
            case HttpRequestReader::Progress::complete: return hand_over();
            case HttpRequestReader::Progress::rejected:
                return reject(reader_.reject_status(), reader_.reject_message());
        }
    }
}

void ClientConnection::on_head() {
    set_phase(Phase::body);
    const HttpHead& head = reader_.head();
    // The client waits for this before sending the body; with the body already here, it
    // would only confuse.
    if (head.expect_continue && reader_.has_body() && head.minor_version == 1 && pending_.empty())
        evbuffer_add_printf(bufferevent_get_output(bev_), "HTTP/1.1 100 Continue\r\n\r\n");
}

void ClientConnection::hand_over() {
    const HttpHead& head = reader_.head();
    if (!evhtp_accepts_query(head.target, conn_->htp->parser_flags))
        return reject(400, "malformed query string in the request target");
    current_ = ResponseRecord{};
    current_.method = head.method;
    current_.target = head.target;
    current_.client = client_of_(head);
    for (const auto& [name, value] : head.fields)
        if (iequals(name, "user-agent")) current_.user_agent = value.substr(0, 256);
    response_done_ = false;
    bytes_at_start_ = bytes_sent_;
    // Bytes read from the socket whose (deferred) read callback has not run yet are the next
    // request's: they must not sit in front of this one.
    read_input();
    set_phase(Phase::serving);
    evbuffer* input = bufferevent_get_input(bev_);
    std::string canonical = reader_.canonical_head();
    // A socket bufferevent keeps the end of its input frozen: only it appends, but for here.
    evbuffer_unfreeze(input, 0);
    evbuffer_add(input, canonical.data(), canonical.size());
    evbuffer_add(input, reader_.body().data(), reader_.body().size());
    evbuffer_freeze(input, 0);
    evhtp_read_(bev_, conn_);
    if (phase_ == Phase::gone) {
        log_warning("libevhtp dropped a request the reader accepted: ", head.method, " ",
                    head.target.substr(0, 200));
        return;
    }
    evbuffer_drain(input, evbuffer_get_length(input));
    reader_.next_request();
}

void ClientConnection::on_write(bufferevent*, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    switch (self->phase_) {
        case Phase::serving: return self->after_write();
        case Phase::closing:
            // Everything is out: tell the client, and read until it closes (or time is up).
            if (evbuffer_get_length(bufferevent_get_output(self->bev_)) == 0)
                shutdown(bufferevent_getfd(self->bev_), SHUT_WR);
            return;
        default: return;  // a 100 Continue went out
    }
}

// libevhtp's write callback finishes a response: it then frees the request (keep-alive) or
// the whole connection.
void ClientConnection::after_write() {
    evhtp_request_t* request = conn_->request;
    if (request) {
        current_.status = static_cast<int>(request->status);
        response_done_ = (request->flags & EVHTP_REQ_FLAG_FINISHED) &&
                         evbuffer_get_length(bufferevent_get_output(bev_)) == 0;
    }
    evhtp_write_(bev_, conn_);
    if (phase_ == Phase::serving && conn_->request == nullptr) response_complete();
}

void ClientConnection::response_complete() {
    report(current_.status);
    current_.request_id.clear();
    set_phase(Phase::idle);
    if (draining_) return free_connection();
    if (reading_paused_) {
        reading_paused_ = false;
        bufferevent_enable(bev_, EV_READ);
    }
    // The next pipelined request, after libevhtp has finished with this one.
    if (!pending_.empty() || peer_closed_) advance_soon_.arm_after(0);
}

void ClientConnection::reject(int status, std::string_view message) {
    if (current_.method.empty()) {
        current_.method = reader_.head().method.empty() ? "-" : reader_.head().method;
        current_.target = reader_.head().target;
        current_.client = client_of_(HttpHead{});  // the peer: a refused head is not believed
    }
    if (started_ == 0) started_ = monotonic_seconds();
    Dialect dialect = dialect_for_path(current_.target);
    std::string body = error_body(dialect, status, message);
    evbuffer_add_printf(bufferevent_get_output(bev_),
                        "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                        status, std::string(reason_phrase(status)).c_str(), body.size());
    evbuffer_add(bufferevent_get_output(bev_), body.data(), body.size());
    current_.refusal = std::string(message);
    bytes_at_start_ = bytes_sent_;
    set_phase(Phase::closing);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
    pending_.clear();
    // The report waits for the bytes to leave, so that it counts them.
    current_.status = status;
}

void ClientConnection::on_event(bufferevent* bev, short events, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    bool eof = (events & BEV_EVENT_EOF) != 0;
    // Callbacks are deferred: bytes that came before the EOF may not have been read yet.
    if (eof && self->phase_ != Phase::gone) self->read_input();
    switch (self->phase_) {
        case Phase::closing: return self->free_connection();
        case Phase::serving:
            if (eof) {  // half-closed: the answer still goes out
                self->peer_closed_ = true;
                self->on_peer_closed_();
                self->peer_check_.arm_after(kPeerCheckSeconds);
                return;
            }
            return self->evhtp_event_(bev, events, self->conn_);
        case Phase::gone: return;
        default:
            // Pipelined requests may still be complete; part of one never will be. libevhtp
            // has no request here, and its own handler would take an EOF for EAGAIN.
            if (eof && !self->pending_.empty()) {
                self->peer_closed_ = true;
                return self->advance();
            }
            return self->free_connection();
    }
}

// A half-closed client still acknowledges what it is sent; one that closed altogether answers
// it with a reset. Reading stops at the EOF (and recv() would keep saying EOF after a reset),
// so ask the socket itself.
void ClientConnection::check_peer() {
    if (phase_ != Phase::serving) return;
    int fd = bufferevent_getfd(bev_);
    int error = 0;
    socklen_t size = sizeof error;
    tcp_info info{};
    socklen_t info_size = sizeof info;
    bool reset = (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) ||
                 (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_size) == 0 &&
                  info.tcpi_state == TCP_CLOSE);
    if (reset) return evhtp_event_(bev_, BEV_EVENT_ERROR | BEV_EVENT_READING, conn_);
    peer_check_.arm_after(kPeerCheckSeconds);
}

void ClientConnection::on_output(evbuffer*, const evbuffer_cb_info* info, void* arg) {
    static_cast<ClientConnection*>(arg)->bytes_sent_ += info->n_deleted;
}

void ClientConnection::on_timer() {
    switch (phase_) {
        case Phase::idle: return free_connection();  // keep-alive is over
        case Phase::head:
            return reject(408, str_cat("request headers not received within ",
                                       settings_.header_timeout, " seconds"));
        case Phase::body:
            return reject(408, str_cat("request body stalled: nothing received for ",
                                       settings_.idle_timeout, " seconds"));
        case Phase::closing: return free_connection();
        case Phase::serving:
        case Phase::gone: return;
    }
}

void ClientConnection::free_connection() {
    if (phase_ == Phase::closing) report(current_.status);
    if (phase_ != Phase::gone) evhtp_connection_free(conn_);
}

void ClientConnection::set_phase(Phase phase) {
    phase_ = phase;
    switch (phase) {
        case Phase::idle: return timer_.arm_after(settings_.idle_timeout);
        case Phase::head: return timer_.arm_after(settings_.header_timeout);
        case Phase::body: return timer_.arm_after(settings_.idle_timeout);
        case Phase::closing: return timer_.arm_after(kLingerSeconds);
        case Phase::serving:
        case Phase::gone: return timer_.disarm();
    }
}

void ClientConnection::report(int status) {
    ResponseRecord record = current_;
    record.status = status;
    record.bytes_sent = bytes_sent_ - bytes_at_start_;
    record.seconds = started_ > 0 ? monotonic_seconds() - started_ : 0;
    if (on_response_) on_response_(record);
    current_ = ResponseRecord{};
    started_ = 0;
}

}  // namespace amq
