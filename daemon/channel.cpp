#include "daemon/channel.hpp"

#include <event2/buffer.h>
#include <event2/event.h>

#include <sys/socket.h>

#include <cstring>

#include <cstdlib>

namespace amq {

FramedChannel::FramedChannel(event_base* base, int fd, std::size_t max_frame, Handlers handlers)
    : bev_(bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE)),
      decoder_(max_frame),
      handlers_(std::move(handlers)) {
    if (!bev_) std::abort();
    bufferevent_setcb(bev_, on_read, on_write, on_event, this);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

FramedChannel::~FramedChannel() {
    if (bev_) bufferevent_free(bev_);
}

void FramedChannel::send(std::string_view payload) {
    if (!bev_ || closing_) return;
    std::string frame = encode_frame(payload);
    bufferevent_write(bev_, frame.data(), frame.size());
}

void FramedChannel::send_now(std::string_view payload) {
    if (!bev_ || closing_) return;
    std::string frame = encode_frame(payload);
    std::size_t sent = 0;
    if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) {
        ssize_t n = ::send(bufferevent_getfd(bev_), frame.data(), frame.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) sent = static_cast<std::size_t>(n);
    }
    if (sent < frame.size()) bufferevent_write(bev_, frame.data() + sent, frame.size() - sent);
}

void FramedChannel::close_after_flush() {
    if (!bev_) return;
    closing_ = true;
    bufferevent_disable(bev_, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(bev_)) == 0) shut("closed");
}

void FramedChannel::shut(const std::string& reason) {
    if (!bev_) return;
    bufferevent_free(bev_);
    bev_ = nullptr;
    if (handlers_.on_close) handlers_.on_close(reason);
}

void FramedChannel::on_read(bufferevent* bev, void* arg) {
    auto* self = static_cast<FramedChannel*>(arg);
    std::weak_ptr<char> alive = self->alive_;
    evbuffer* input = bufferevent_get_input(bev);
    while (size_t n = evbuffer_get_length(input)) {
        auto* bytes =
            reinterpret_cast<const char*>(evbuffer_pullup(input, static_cast<ssize_t>(n)));
        self->decoder_.feed(std::string_view(bytes, n));
        evbuffer_drain(input, n);
    }
    for (;;) {
        auto frame = self->decoder_.next();
        if (!frame) {
            self->shut(frame.error().message);
            return;
        }
        if (!frame->has_value()) return;
        self->handlers_.on_frame(std::move(**frame));
        if (alive.expired() || !self->bev_ || self->closing_) return;
    }
}

void FramedChannel::on_write(bufferevent* bev, void* arg) {
    auto* self = static_cast<FramedChannel*>(arg);
    if (self->closing_ && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        self->shut("closed");
}

void FramedChannel::on_event(bufferevent*, short events, void* arg) {
    auto* self = static_cast<FramedChannel*>(arg);
    if (events & BEV_EVENT_EOF)
        self->shut("peer closed the channel");
    else if (events & BEV_EVENT_ERROR)
        self->shut(evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

}  // namespace amq
