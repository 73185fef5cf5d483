// One amq2apictl connection on the control socket. Unlike the worker channel it reads with
// recvmsg: a client may pass a file descriptor along with a request (backup writes the copy
// of the store into a file the client opened, with the client's permissions).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "common/frame.hpp"
#include "daemon/event.hpp"

namespace amq {

class ControlConnection {
public:
    struct Handlers {
        // A request frame and the descriptor that came with it (-1: none; the callee owns it).
        std::function<void(std::string payload, int passed_fd)> on_frame;
        std::function<void()> on_close;  // once; the connection may be destroyed from inside it
    };

    ControlConnection(event_base* base, int fd, Handlers handlers);  // takes fd
    ~ControlConnection();
    ControlConnection(const ControlConnection&) = delete;
    ControlConnection& operator=(const ControlConnection&) = delete;

    void send(std::string_view payload);
    void close_after_flush();

private:
    void on_readable();
    void on_writable();
    void shut();

    int fd_;
    Handlers handlers_;
    FrameDecoder decoder_{kControlFrameMax};
    std::deque<int> passed_fds_;
    std::string out_;
    bool closing_ = false;
    bool closed_ = false;
    Event read_event_;
    Event write_event_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace amq
