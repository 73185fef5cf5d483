// The client's side of an exchange on libevhtp: the reply goes out through the request, a
// chunked stream (or, to an HTTP/1.0 client, a body that ends with the connection), and the
// request's hooks tell the exchange that its client left or caught up.
#pragma once

#include <evhtp.h>

#include "daemon/worker/client_reply.hpp"

namespace amq {

class Worker;

class EvhtpReply final : public ClientReply {
public:
    EvhtpReply(const Worker& worker, evhtp_request_t* req);
    ~EvhtpReply() override;
    EvhtpReply(const EvhtpReply&) = delete;
    EvhtpReply& operator=(const EvhtpReply&) = delete;

    // The client connection answered on; null once the reply is done or the client left.
    evhtp_connection_t* connection() const {
        return req_ ? evhtp_request_get_connection(req_) : nullptr;
    }

    void set_handlers(Handlers handlers) override { handlers_ = std::move(handlers); }
    bool open() const override { return req_ != nullptr; }
    void add_header(std::string_view name, std::string_view value) override;
    void send_json(int status, std::string_view body) override;
    void send_error(Dialect dialect, int status, std::string_view message) override;
    void start_stream() override;
    void write(std::string_view bytes) override;
    void end_stream() override;
    std::size_t unsent() const override;
    void notify_drained(std::size_t mark) override;
    void set_queued(double seconds) override;

private:
    void stop_drain_watch();
    void left();

    static evhtp_res on_fini(evhtp_request_t* req, void* arg);
    static void on_request_error(evhtp_request_t* req, evhtp_error_flags flags, void* arg);
    static evhtp_res on_write(evhtp_connection_t* conn, void* arg);

    const Worker& worker_;
    evhtp_request_t* req_;
    Handlers handlers_;
    evbuffer* out_;
    bool replied_ = false;          // handed to evhtp: its fini is no longer a client leaving
    bool close_delimited_ = false;  // an HTTP/1.0 stream
    evhtp_connection_t* drain_watch_ = nullptr;  // the connection whose write hook is ours
};

}  // namespace amq
