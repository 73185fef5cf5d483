// One scripted event-stream answer in flight: a chunked 200 whose frames go out one by one,
// with pauses (timers, never sleeps), split writes, an abrupt close or a hang, as the step
// asks. The server owns it; it ends when the last frame is sent, when it aborts, or when the
// client goes away.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include <event2/event.h>
#include <event2/http.h>

#include "tests/fake_upstream/script.hpp"

namespace fake {

class Server;

class Stream {
public:
    Stream(Server& server, evhttp_request* req, GenerateStep step,
           std::shared_ptr<const Frames> frames);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Sends the status line and headers, then as many frames as need no waiting.
    void start();
    // Server shutdown: drop the connection callback; evhttp frees the request itself.
    void detach();

private:
    enum class Wait { none, delay, split, flush, hang };

    static void on_timer(evutil_socket_t, short, void* self);
    static void on_close(evhttp_connection*, void* self);

    void pump();
    void send(std::string_view bytes);
    void wait(Wait what, int ms);
    void finish();
    void abort_when_flushed();
    void client_gone();

    Server& server_;
    evhttp_request* req_;
    evhttp_connection* evcon_ = nullptr;
    GenerateStep step_;
    std::shared_ptr<const Frames> frames_;
    event* timer_ = nullptr;
    std::size_t next_ = 0;       // the frame to send next
    bool delay_served_ = false;  // the next frame's delay_ms has passed
    Wait waiting_ = Wait::none;
};

}  // namespace fake
