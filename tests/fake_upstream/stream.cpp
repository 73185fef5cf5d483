#include "tests/fake_upstream/stream.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "tests/fake_upstream/http_util.hpp"
#include "tests/fake_upstream/server.hpp"

namespace fake {

namespace {
constexpr int kSplitGapMs = 5;
constexpr int kFlushPollMs = 1;
}  // namespace

Stream::Stream(Server& server, evhttp_request* req, GenerateStep step,
               std::shared_ptr<const Frames> frames)
    : server_(server), req_(req), step_(std::move(step)), frames_(std::move(frames)) {}

Stream::~Stream() {
    if (timer_) event_free(timer_);
}

void Stream::start() {
    evcon_ = evhttp_request_get_connection(req_);
    for (const auto& [name, value] : step_.headers) add_header(req_, name, value);
    evkeyvalq* headers = evhttp_request_get_output_headers(req_);
    if (!evhttp_find_header(headers, "Content-Type"))
        evhttp_add_header(headers, "Content-Type", "application/vnd.amazon.eventstream");
    evhttp_send_reply_start(req_, 200, "OK");
    server_.stream_opened();
    // A client that goes away must be noticed even while nothing is written (delays,
    // hang_after). libevent 2.1 keeps reading while it writes a reply; later versions stop
    // reading once the request is in, so ask for it explicitly.
    bufferevent_enable(evhttp_connection_get_bufferevent(evcon_), EV_READ);
    evhttp_connection_set_closecb(evcon_, &Stream::on_close, this);
    pump();
}

void Stream::detach() {
    if (evcon_) evhttp_connection_set_closecb(evcon_, nullptr, nullptr);
}

void Stream::pump() {
    for (;;) {
        const bool at_end = next_ == frames_->size();
        if (step_.close_after && (next_ >= *step_.close_after || at_end))
            return abort_when_flushed();
        if (step_.hang_after && (next_ >= *step_.hang_after || at_end)) {
            waiting_ = Wait::hang;  // until the client goes away
            return;
        }
        if (at_end) return finish();
        const Frame& frame = (*frames_)[next_];
        if (frame.delay_ms > 0 && !delay_served_) {
            delay_served_ = true;
            return wait(Wait::delay, frame.delay_ms);
        }
        delay_served_ = false;
        if (step_.split_frames && frame.bytes.size() >= 2) {
            send(std::string_view(frame.bytes).substr(0, frame.bytes.size() / 2));
            return wait(Wait::split, kSplitGapMs);
        }
        send(frame.bytes);
        ++next_;
    }
}

void Stream::send(std::string_view bytes) {
    // An empty chunk would read as the end of the body.
    if (bytes.empty()) return;
    evbuffer_add(server_.scratch(), bytes.data(), bytes.size());
    evhttp_send_reply_chunk(req_, server_.scratch());
}

void Stream::wait(Wait what, int ms) {
    waiting_ = what;
    if (!timer_) timer_ = evtimer_new(server_.base(), &Stream::on_timer, this);
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    evtimer_add(timer_, &tv);
}

void Stream::on_timer(evutil_socket_t, short, void* self) {
    auto* s = static_cast<Stream*>(self);
    Wait what = s->waiting_;
    s->waiting_ = Wait::none;
    switch (what) {
        case Wait::split: {
            const std::string& bytes = (*s->frames_)[s->next_].bytes;
            s->send(std::string_view(bytes).substr(bytes.size() / 2));
            ++s->next_;
            return s->pump();
        }
        case Wait::delay: return s->pump();
        case Wait::flush: return s->abort_when_flushed();
        case Wait::none:
        case Wait::hang: return;
    }
}

void Stream::finish() {
    evhttp_connection_set_closecb(evcon_, nullptr, nullptr);
    evhttp_send_reply_end(req_);
    server_.stream_ended(this);
}

// close_after: the frames already queued must reach the client before the connection dies,
// or the test could not tell "cut after k frames" from "cut anywhere".
void Stream::abort_when_flushed() {
    bufferevent* bev = evhttp_connection_get_bufferevent(evcon_);
    if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
        return wait(Wait::flush, kFlushPollMs);
    evhttp_connection_set_closecb(evcon_, nullptr, nullptr);
    evhttp_connection_free(evcon_);  // frees req_ too; no terminating chunk goes out
    server_.stream_ended(this);
}

void Stream::on_close(evhttp_connection*, void* self) { static_cast<Stream*>(self)->client_gone(); }

void Stream::client_gone() {
    // On a client EOF evhttp detaches a request whose reply is unfinished and leaves it to
    // us: ending the reply is what frees it. Still attached means evhttp frees it.
    if (evhttp_request_get_connection(req_) == nullptr) evhttp_send_reply_end(req_);
    evcon_ = nullptr;
    server_.stream_ended(this);
}

}  // namespace fake
