// Stands between one client's socket and libevhtp. The connection's bufferevent callbacks are
// taken over: bytes the client sends are framed by an HttpRequestReader under the configured
// limits and deadlines, and libevhtp is handed one complete, canonical request at a time, only
// once the previous response has been written (pipelining). Whatever the reader refuses is
// answered here with the status HTTP prescribes, then the connection closes gracefully (the
// client may still be sending: its bytes are read and dropped for a while, so that the answer
// is not lost to a reset). A client that half-closes after its request still gets the answer.
//
// Lifetime: owned by the Worker, keyed by the evhtp connection; detach() is called from the
// connection's fini hook, and the object is destroyed on a later loop turn.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <evhtp.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/http_request_reader.hpp"
#include "daemon/event.hpp"

namespace amq {

struct ConnectionSettings {
    HttpLimits limits;
    double header_timeout = 10;  // from a request's first byte to the end of its head
    double idle_timeout = 60;    // keep-alive, and between reads of a body
};

// One answered (or abandoned) request, for the access log and the response counters.
struct ResponseRecord {
    std::string method;  // "-" when the request line never arrived whole
    std::string target;
    std::string client;  // the peer, or who a trusted proxy says it forwards
    std::string user_agent;
    int status = 0;  // 499: the client went away before its answer was complete
    std::uint64_t bytes_sent = 0;
    double seconds = 0;  // from the request's first byte
    std::string request_id;
    std::string refusal;  // why the connection layer answered it itself
    // Filled in by the worker for its counters: the pattern of the route that answered ("" when
    // none did), the hash of the API key presented to an API or admin route, and whether an
    // exchange already reported the request to the master itself.
    std::string route;
    std::string key_hash;
    bool reported = false;
    double queued = 0;  // seconds it waited for an account
};

class ClientConnection {
public:
    using OnResponse = std::function<void(const ResponseRecord&)>;
    // The client closed its side while its answer is on the way: write something (a stream's
    // ping) so that a client that is gone altogether answers with a reset.
    using OnPeerClosed = std::function<void()>;
    // Who sent a request: the peer's address, or the client a trusted proxy names.
    using ClientOf = std::function<std::string(const HttpHead& head)>;

    ClientConnection(evhtp_connection_t* conn, const ConnectionSettings& settings,
                     ClientOf client_of, OnResponse on_response, OnPeerClosed on_peer_closed);
    ~ClientConnection();
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // Answers at once and closes (a worker over its connection cap).
    void refuse(int status, std::string_view message);
    // What the worker knows of the request being served, for its record.
    void set_request(std::string id, std::string_view route, std::string key_hash);
    // The request being served is accounted for by its handler (an exchange's report).
    void mark_reported() { current_.reported = true; }
    void set_queued(double seconds) { current_.queued = seconds; }
    const std::string& client() const { return current_.client; }
    // No further request: an idle connection closes now, a busy one after its answer.
    void drain();
    // libevhtp is freeing the connection: touch nothing of it from here on.
    void detach();

private:
    enum class Phase {
        idle,     // between requests
        head,     // a request's first bytes arrived
        body,     // its head is complete
        serving,  // libevhtp has it; bytes of the next one are kept
        closing,  // answered by us; reading and dropping until the client closes or time is up
        gone,     // detached
    };

    static void on_read(bufferevent* bev, void* arg);
    static void on_write(bufferevent* bev, void* arg);
    static void on_event(bufferevent* bev, short events, void* arg);
    static void on_output(evbuffer* buffer, const evbuffer_cb_info* info, void* arg);

    void read_input();
    void advance();
    void on_head();
    void hand_over();
    void after_write();
    void response_complete();
    void reject(int status, std::string_view message);
    void free_connection();
    void set_phase(Phase phase);
    void on_timer();
    void report(int status);
    void check_peer();

    evhtp_connection_t* conn_;
    bufferevent* bev_;
    ConnectionSettings settings_;
    ClientOf client_of_;
    OnResponse on_response_;
    OnPeerClosed on_peer_closed_;
    bufferevent_data_cb evhtp_read_ = nullptr;
    bufferevent_data_cb evhtp_write_ = nullptr;
    bufferevent_event_cb evhtp_event_ = nullptr;
    evbuffer_cb_entry* output_watch_ = nullptr;
    HttpRequestReader reader_;
    std::string pending_;  // received, not yet read into a request
    Phase phase_ = Phase::idle;
    Event timer_;
    Event advance_soon_;
    Event peer_check_;          // while a half-closed client is served: has it reset?
    bool peer_closed_ = false;  // the client closed its side
    bool draining_ = false;
    bool reading_paused_ = false;
    bool response_done_ = false;  // libevhtp wrote the last byte of the answer in progress
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t bytes_at_start_ = 0;
    double started_ = 0;
    ResponseRecord current_;
};

}  // namespace amq
