#include "daemon/worker/evhtp_reply.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "daemon/worker/client_connection.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/worker.hpp"

namespace amq {

EvhtpReply::EvhtpReply(const Worker& worker, evhtp_request_t* req)
    : worker_(worker), req_(req), out_(evbuffer_new()) {
    evhtp_request_set_hook(req_, evhtp_hook_on_request_fini, as_hook(on_fini), this);
    evhtp_request_set_hook(req_, evhtp_hook_on_error, as_hook(on_request_error), this);
}

EvhtpReply::~EvhtpReply() {
    if (req_) {
        stop_drain_watch();
        evhtp_request_unset_hook(req_, evhtp_hook_on_request_fini);
        evhtp_request_unset_hook(req_, evhtp_hook_on_error);
    }
    evbuffer_free(out_);
}

void EvhtpReply::add_header(std::string_view name, std::string_view value) {
    if (req_) HttpRequest{req_, {}}.add_header(name, value);
}

void EvhtpReply::send_json(int status, std::string_view body) {
    if (!req_) return;
    replied_ = true;
    HttpRequest{req_, {}}.send_json(status, body);
}

void EvhtpReply::send_error(Dialect dialect, int status, std::string_view message) {
    if (!req_) return;
    replied_ = true;
    HttpRequest{req_, {}}.send_error(dialect, status, message);
}

// Chunked encoding is HTTP/1.1: a 1.0 client gets a body that ends when the connection does.
void EvhtpReply::start_stream() {
    if (!req_) return;
    close_delimited_ = evhtp_request_get_proto(req_) == EVHTP_PROTO_10;
    if (close_delimited_) {
        end_keep_alive(req_);
        evhtp_send_reply_start(req_, 200);
    } else {
        evhtp_send_reply_chunk_start(req_, 200);
    }
}

void EvhtpReply::write(std::string_view bytes) {
    if (!req_ || bytes.empty()) return;
    evbuffer_add(out_, bytes.data(), bytes.size());
    if (close_delimited_)
        evhtp_send_reply_body(req_, out_);
    else
        evhtp_send_reply_chunk(req_, out_);
    evbuffer_drain(out_, evbuffer_get_length(out_));
}

void EvhtpReply::end_stream() {
    if (!req_) return;
    replied_ = true;
    if (close_delimited_)
        evhtp_send_reply_end(req_);
    else
        evhtp_send_reply_chunk_end(req_);
}

std::size_t EvhtpReply::unsent() const {
    if (!req_) return 0;
    return evbuffer_get_length(bufferevent_get_output(evhtp_request_get_bev(req_)));
}

// evhtp says nothing when its output drains: a write low-water mark makes libevent call the
// connection's write hook when the output falls to it.
void EvhtpReply::notify_drained(std::size_t mark) {
    if (!req_ || drain_watch_) return;
    drain_watch_ = evhtp_request_get_connection(req_);
    bufferevent_setwatermark(evhtp_request_get_bev(req_), EV_WRITE, mark, 0);
    evhtp_connection_set_hook(drain_watch_, evhtp_hook_on_write, as_hook(on_write), this);
}

// The hook is the connection's, which outlives this request on a kept-alive connection.
void EvhtpReply::stop_drain_watch() {
    if (!drain_watch_) return;
    bufferevent_setwatermark(evhtp_connection_get_bev(drain_watch_), EV_WRITE, 0, 0);
    evhtp_connection_unset_hook(drain_watch_, evhtp_hook_on_write);
    drain_watch_ = nullptr;
}

void EvhtpReply::set_queued(double seconds) {
    if (ClientConnection* c = worker_.connection_of(connection())) c->set_queued(seconds);
}

void EvhtpReply::left() {
    stop_drain_watch();
    req_ = nullptr;
    if (!replied_ && handlers_.gone) handlers_.gone();
}

evhtp_res EvhtpReply::on_write(evhtp_connection_t*, void* arg) {
    auto* self = static_cast<EvhtpReply*>(arg);
    if (!self->drain_watch_) return EVHTP_RES_OK;
    self->stop_drain_watch();
    if (self->handlers_.drained) self->handlers_.drained();
    return EVHTP_RES_OK;
}

evhtp_res EvhtpReply::on_fini(evhtp_request_t*, void* arg) {
    static_cast<EvhtpReply*>(arg)->left();
    return EVHTP_RES_OK;
}

void EvhtpReply::on_request_error(evhtp_request_t*, evhtp_error_flags, void* arg) {
    auto* self = static_cast<EvhtpReply*>(arg);
    if (!self->replied_) self->left();
}

}  // namespace amq
