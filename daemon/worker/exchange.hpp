// One API request from admission to report: asks the master for an account, calls the
// upstream, fails over before the first byte reaches the client, relays the decoded event
// stream through the client's AnswerStream (flushing each event), tells the master how each
// attempt went and, at the end, the request's usage.
//
// It meets the world through three seams — the master (MasterPort), the upstream (HttpCaller)
// and the client (ClientReply) — so that unit tests drive it whole without processes or
// sockets. Lifetime: owned by the Worker; `done` runs once, after the report, and the exchange
// is destroyed on a later loop turn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <rapidjson/document.h>

#include "common/answer.hpp"
#include "common/eventstream.hpp"
#include "common/json.hpp"
#include "common/prompt_prefix.hpp"
#include "common/q_request.hpp"
#include "common/upstream_error.hpp"
#include "common/worker_messages.hpp"
#include "daemon/event.hpp"
#include "daemon/http_client.hpp"
#include "daemon/worker/client_reply.hpp"
#include "daemon/worker/endpoint_book.hpp"
#include "daemon/worker/master_link.hpp"

namespace amq {

class Worker;
struct Config;
struct HttpRequest;
struct UpstreamRequest;

// What an exchange works with, besides its request.
struct ExchangeContext {
    const Config& config;
    MasterPort& master;
    HttpCaller& upstream;
    EndpointBook& endpoints;  // the worker's, shared by its exchanges
    event_base* base;         // for the pings that keep a slow stream open
    std::function<void()> done;
};

struct ExchangeSpec {
    std::string endpoint;  // for reports: "/v1/messages"
    std::string key_hash;
    std::string client_model;
    std::string upstream_model;
    std::string upstream_body;          // written with body_options
    QBodyOptions body_options;          // profile ARN and origin change with the account
    std::shared_ptr<const QPlan> plan;  // what another account's body is written from
    std::string session;           // pins the client's session to its account when stickiness is on
    std::uint64_t request_id = 0;  // names this request's concurrency slot at the master
    std::string request_tag;       // the request-id header's value, for log lines
    bool stream = false;
    int search_limit = 0;  // web search offered: the searches the exchange may run (§8)
    std::vector<PromptPrefix> prefixes;  // for the estimated prompt cache; empty: off
    // A fresh answer per attempt: a failed attempt's partial answer must not leak into the
    // next one while nothing has reached the client.
    std::function<AnswerStream()> make_answer;
    std::string client_address;
    std::string user_agent;
};

class Exchange {
public:
    Exchange(ExchangeContext context, std::unique_ptr<ClientReply> client, ExchangeSpec spec);
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    void start();
    // The client closed its side: a stream writes now (starting itself if need be), so that a
    // client that is gone is noticed by the reset its socket sends back.
    void probe_client();

private:
    void admit();
    void add_rate_headers();
    // `error` null: the attempt served. `retries_account`: a fresh token or another endpoint
    // is tried on the same account next.
    void end_attempt(bool reached, const UpstreamError* error, bool retries_account);
    Result<std::string> body_for_grant();
    void refresh_token();
    bool take_grant(const rapidjson::Value& data);
    void attempt();
    void on_response(int status, const HttpHeaders& headers);
    void on_data(std::string_view bytes);
    void on_done(const Status& outcome);
    void handle_event(const QEvent& event);
    void fail_attempt(const UpstreamError& error);
    void commit();
    void write(std::string_view bytes);
    void apply_backpressure();
    void end_stream(std::string_view last_bytes);
    void reply_error(int status, std::string_view message, std::string_view error_class);
    void complete_upstream();
    // Server tool rounds (docs/translation.md §8): the searches an upstream answer asked for
    // run one by one through the account's MCP endpoint, their results join the answer, and
    // the continuation is asked upstream on the same account.
    bool start_searches();
    void run_next_search();
    void deliver_search(std::string_view tool_id, WebSearchOutcome outcome);
    void continue_answer();
    void finish(int status, std::string_view error_class);
    void client_gone();
    void client_drained();
    void arm_ping();

    ExchangeContext ctx_;
    std::unique_ptr<ClientReply> client_;
    ExchangeSpec spec_;
    AnswerStream answer_;
    AccountGrant grant_;
    std::optional<RateHeaders> rate_;
    std::optional<CacheTokens> cache_estimate_;  // the master's, for every attempt's answer
    bool holds_slot_ = false;  // the key caps concurrent requests: report without delay
    std::set<std::uint64_t> exclude_;
    int attempts_ = 0;
    bool token_refreshed_ = false;
    HttpCaller::CallId call_ = 0;
    std::uint64_t master_call_ = 0;       // an admit or refresh call awaiting the master's answer
    std::vector<std::string> endpoints_;  // the granted account's, in order of preference
    std::string endpoint_;                // the one the current attempt calls
    int upstream_status_ = 0;
    bool reached_upstream_ = false;               // this attempt got an answer (or a network error)
    std::optional<UpstreamError> account_error_;  // the last attempt's, when about the account
    bool attempt_open_ = false;                   // its outcome is not told yet
    std::string upstream_retry_after_;
    std::string error_body_;
    std::unique_ptr<eventstream::Decoder> decoder_;
    std::string held_;  // stream bytes produced before commit
    bool committed_ = false;
    bool finished_ = false;
    bool paused_ = false;
    std::vector<AnswerStream::Search> searches_;  // of the current round, not yet run
    int searches_run_ = 0;
    int rounds_ = 0;
    bool continuing_ = false;  // the answer goes on from an earlier upstream call
    int mcp_status_ = 0;
    std::string mcp_body_;
    double started_ = monotonic_seconds();
    double first_byte_ = 0;
    Event ping_timer_;
};

// Starts the exchange of one translated API request; it answers the client itself.
void start_exchange(Worker& worker, HttpRequest& request, std::string_view endpoint,
                    std::string_view api_key, UpstreamRequest&& upstream,
                    std::function<AnswerStream()> make_answer);

}  // namespace amq
