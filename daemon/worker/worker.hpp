// A worker process: one libevent loop, libevhtp on the inherited listening socket (fd 3) and a
// framed channel to the master (fd 4). It exits when that channel closes, or once drained.
#pragma once

#include <evhtp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/anthropic_request.hpp"
#include "common/client_address.hpp"
#include "common/config.hpp"
#include "daemon/event.hpp"
#include "daemon/http_client.hpp"
#include "daemon/worker/access_log.hpp"
#include "daemon/worker/client_connection.hpp"
#include "daemon/worker/endpoint_book.hpp"
#include "daemon/worker/master_link.hpp"

namespace amq {

class EvhtpReply;
class Exchange;
struct HttpRequest;

// What the master last told this worker about the pool (for /health and /v1/models).
struct KnownPool {
    std::uint64_t accounts_usable = 0;
    std::uint64_t keys_usable = 0;
    std::set<std::string> models;  // upstream ids some account serves; empty: not known
    std::string store_trouble;     // PoolSummary's
};

class Worker {
public:
    explicit Worker(const Invocation& invocation);
    ~Worker();
    int run();

    unsigned index() const { return index_; }
    std::uint64_t generation() const { return generation_; }
    const KnownPool& pool() const { return pool_; }
    bool draining() const { return draining_; }
    const Config& config() const { return config_; }
    // The request translation settings of this configuration.
    // For one API request: the daemon's settings, a fresh fallback conversation id and the
    // session its headers name.
    TranslateOptions translate_options(const HttpRequest& request) const;
    std::int64_t started_at() const { return started_at_; }
    event_base* base() const { return base_.get(); }
    MasterLink& master() { return *master_; }
    MasterLink& admin_link() { return *admin_link_; }
    HttpClient& http() { return *http_; }
    EndpointBook& endpoints() { return endpoints_; }

    // Takes an exchange in flight, answering through `reply` (which it owns); it is destroyed
    // on a later loop turn after forget().
    Exchange& adopt(std::unique_ptr<Exchange> exchange, std::uint64_t id, const EvhtpReply* reply);
    std::uint64_t next_exchange_id() { return next_exchange_id_++; }
    void forget(std::uint64_t exchange_id);

    // The client connection behind libevhtp's, while it is open.
    ClientConnection* connection_of(evhtp_connection_t* conn) const;
    // Who sent a request: the peer, or the client a trusted proxy names for it.
    std::string client_of(evhtp_connection_t* conn, const HttpHead& head) const;

private:
    void on_master_frame(const rapidjson::Document& frame);
    void on_master_gone(const std::string& why);
    void load_vocabulary();
    void start_serving();
    void begin_drain();
    void exit_when_idle();
    void send_heartbeat();
    void return_free_memory();
    std::uint64_t inflight() const;
    void on_response(const ResponseRecord& record);
    void on_peer_closed(evhtp_connection_t* conn);
    void pause_accepting(int error);

    static void on_request(evhtp_request_t* req, void* arg);
    static evhtp_res on_accept(evhtp_connection_t* conn, void* arg);
    static evhtp_res on_connection_fini(evhtp_connection_t* conn, void* arg);
    static void on_accept_error(evconnlistener* listener, void* arg);

    Config config_;
    unsigned index_;
    std::uint64_t generation_;
    EventBasePtr base_ = make_event_base();
    std::unique_ptr<MasterLink> master_;
    std::unique_ptr<MasterLink> admin_link_;
    std::unique_ptr<HttpClient> http_;
    struct InFlight {
        std::unique_ptr<Exchange> exchange;
        const EvhtpReply* reply;
    };
    std::map<std::uint64_t, InFlight> exchanges_;
    std::uint64_t next_exchange_id_ = 1;
    evhtp_t* htp_ = nullptr;
    Event heartbeat_;
    double last_trim_ = 0;
    KnownPool pool_;
    ConnectionSettings connection_settings_;
    std::size_t max_connections_ = 0;
    TrustedProxies trusted_proxies_;
    AccessLog access_log_;
    EndpointBook endpoints_;
    std::unordered_map<evhtp_connection_t*, std::unique_ptr<ClientConnection>> connections_;
    std::vector<std::unique_ptr<ClientConnection>> closed_;  // destroyed on the next loop turn
    Event accept_again_;
    double accept_errors_logged_at_ = 0;
    std::uint64_t accept_errors_ = 0;
    std::uint64_t requests_ = 0;
    std::int64_t started_at_ = unix_seconds();
    bool serving_ = false;
    bool draining_ = false;
    int exit_code_ = 0;
};

int run_worker(const Invocation& invocation);

}  // namespace amq
