// The client's side of a request in flight, as an exchange sees it: one reply (whole, or a
// stream of chunks), the bytes still waiting to go out, and two things the client can do to it
// (leave, or catch up). The seam where unit tests stand in for libevhtp (evhtp_reply.hpp).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "common/api_error.hpp"

namespace amq {

class ClientReply {
public:
    struct Handlers {
        // The client left before its reply was handed over; nothing may be sent after this.
        std::function<void()> gone;
        // The bytes waiting for the client fell under the mark given to notify_drained.
        std::function<void()> drained;
    };

    virtual ~ClientReply() = default;
    virtual void set_handlers(Handlers handlers) = 0;
    // The client can still be answered: it has not left and its reply is not complete.
    virtual bool open() const = 0;
    virtual void add_header(std::string_view name, std::string_view value) = 0;
    virtual void send_json(int status, std::string_view body) = 0;
    virtual void send_error(Dialect dialect, int status, std::string_view message) = 0;
    // A 200 whose body follows in write() calls until end_stream().
    virtual void start_stream() = 0;
    virtual void write(std::string_view bytes) = 0;
    virtual void end_stream() = 0;
    // Bytes handed over but not yet taken by the client's socket.
    virtual std::size_t unsent() const = 0;
    // Once, when unsent() falls to `mark` or below.
    virtual void notify_drained(std::size_t mark) = 0;
    // How long the request waited for an account, for the access log.
    virtual void set_queued(double seconds) = 0;
};

}  // namespace amq
