// A framed JSON channel over a stream socket (worker ⇄ master socketpair, control socket
// connections), driven by a libevent bufferevent. Frames beyond the cap close the channel.
#pragma once

#include <event2/bufferevent.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/frame.hpp"

namespace amq {

class FramedChannel {
public:
    struct Handlers {
        std::function<void(std::string payload)> on_frame;
        // Called once when the peer closes, the socket fails or a frame is malformed. The
        // channel is closed by then; the owner may destroy it from inside the call.
        std::function<void(const std::string& reason)> on_close;
    };

    // Takes ownership of fd.
    FramedChannel(event_base* base, int fd, std::size_t max_frame, Handlers handlers);
    ~FramedChannel();
    FramedChannel(const FramedChannel&) = delete;
    FramedChannel& operator=(const FramedChannel&) = delete;

    void send(std::string_view payload);
    // Written to the socket before this call returns when nothing is queued ahead of it, so
    // that it overtakes writes on other sockets that happen later in this loop turn.
    void send_now(std::string_view payload);
    // Sends what is queued, then closes (an error reply to a refused control client).
    void close_after_flush();
    bool is_open() const { return bev_ != nullptr; }

private:
    static void on_read(bufferevent* bev, void* arg);
    static void on_write(bufferevent* bev, void* arg);
    static void on_event(bufferevent* bev, short events, void* arg);
    void shut(const std::string& reason);

    bufferevent* bev_;
    FrameDecoder decoder_;
    Handlers handlers_;
    bool closing_ = false;
    // Expires when the channel is destroyed: callbacks check it after calling out.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace amq
