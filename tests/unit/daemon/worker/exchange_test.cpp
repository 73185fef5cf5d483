// An exchange driven whole through its three seams: a master that grants and refuses, an
// upstream that answers with real event-stream bytes, and a client that records its reply.
#define BOOST_TEST_MODULE daemon_worker_exchange
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/anthropic_answer.hpp"
#include "common/config.hpp"
#include "common/eventstream.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker/exchange.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

rapidjson::Document parsed(const std::string& json) {
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    BOOST_REQUIRE(!doc.HasParseError());
    return doc;
}

class FakeMaster final : public MasterPort {
public:
    struct Call {
        std::string cmd;
        rapidjson::Document args;
        ReplyFn reply;
        bool cancelled = false;
    };
    struct Tell {
        std::string type;
        rapidjson::Document args;
        bool urgent;
    };

    std::uint64_t call(std::string_view cmd, const std::string& args_json, ReplyFn reply) override {
        calls.push_back(Call{std::string(cmd), parsed(args_json), std::move(reply)});
        return calls.size();
    }
    void cancel(std::uint64_t id) override { calls.at(id - 1).cancelled = true; }
    void tell(std::string_view type, const std::string& args_json, bool urgent) override {
        tells.push_back(Tell{std::string(type), parsed(args_json), urgent});
    }

    template <class M>
    M call_args(std::size_t i) const {
        auto m = decode_message<M>(calls.at(i).args);
        BOOST_REQUIRE(m.ok());
        return *m;
    }
    template <class M>
    std::vector<M> told(std::string_view type) const {
        std::vector<M> out;
        for (const Tell& t : tells)
            if (t.type == type) {
                auto m = decode_message<M>(t.args);
                BOOST_REQUIRE(m.ok());
                out.push_back(*m);
            }
        return out;
    }
    void grant(std::size_t i, const AccountGrant& g) {
        rapidjson::Document data = parsed(encode_message(g));
        calls.at(i).reply(&data, CallError{});
    }
    void refuse(std::size_t i, const CallError& error) { calls.at(i).reply(nullptr, error); }

    std::vector<Call> calls;
    std::vector<Tell> tells;
};

class FakeUpstream final : public HttpCaller {
public:
    struct Call {
        HttpRequestSpec spec;
        HttpCallbacks callbacks;
        bool cancelled = false;
        bool paused = false;
    };

    CallId start(HttpRequestSpec spec, HttpCallbacks callbacks) override {
        calls.push_back(Call{std::move(spec), std::move(callbacks)});
        return calls.size();
    }
    void cancel(CallId id) override { calls.at(id - 1).cancelled = true; }
    void pause(CallId id) override { calls.at(id - 1).paused = true; }
    void resume(CallId id) override { calls.at(id - 1).paused = false; }

    // The upstream answers call i: a status, then a body, then the end.
    void answer(std::size_t i, int status, const std::string& body,
                const std::string& content_type = "application/vnd.amazon.eventstream") {
        Call& c = calls.at(i);
        c.callbacks.on_response(status, {{"content-type", content_type}});
        if (!c.cancelled && !body.empty()) c.callbacks.on_data(body);
        if (!c.cancelled) c.callbacks.on_done(Status{});
    }

    std::vector<Call> calls;
};

class FakeClient final : public ClientReply {
public:
    void set_handlers(Handlers h) override { handlers = std::move(h); }
    bool open() const override { return is_open; }
    void add_header(std::string_view name, std::string_view value) override {
        headers[std::string(name)] = std::string(value);
    }
    void send_json(int s, std::string_view b) override {
        status = s;
        body = std::string(b);
        is_open = false;
    }
    void send_error(Dialect, int s, std::string_view message) override {
        status = s;
        body = std::string(message);
        is_open = false;
    }
    void start_stream() override { status = 200; }
    void write(std::string_view bytes) override { body += bytes; }
    void end_stream() override {
        ended = true;
        is_open = false;
    }
    std::size_t unsent() const override { return backlog; }
    void notify_drained(std::size_t mark) override { drain_mark = mark; }
    void set_queued(double) override {}

    void leave() {
        is_open = false;
        handlers.gone();
    }

    Handlers handlers;
    bool is_open = true;
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    bool ended = false;
    std::size_t backlog = 0;
    std::size_t drain_mark = 0;
};

std::string event(std::string_view type, std::string_view payload) {
    eventstream::Message m;
    m.headers.push_back({":event-type", std::string(type)});
    m.headers.push_back({":message-type", std::string("event")});
    m.headers.push_back({":content-type", std::string("application/json")});
    m.payload = std::string(payload);
    return eventstream::encode(m);
}

std::string exception_frame(std::string_view type, std::string_view payload) {
    eventstream::Message m;
    m.headers.push_back({":exception-type", std::string(type)});
    m.headers.push_back({":message-type", std::string("exception")});
    m.payload = std::string(payload);
    return eventstream::encode(m);
}

std::string text(std::string_view s) {
    return event("assistantResponseEvent", str_cat(R"({"content":")", s, R"("})"));
}

AccountGrant account(std::uint64_t id, std::string token = "token") {
    AccountGrant g;
    g.key_id = 7;
    g.account_id = id;
    g.api_endpoint = "https://q.test/";
    g.access_token = std::move(token);
    g.serial = 1;
    return g;
}

struct Fixture {
    EventBasePtr base = make_event_base();
    Config config;
    EndpointBook endpoints;
    FakeMaster master;
    FakeUpstream upstream;
    FakeClient* client = nullptr;
    int done = 0;
    std::unique_ptr<Exchange> exchange;
    std::vector<PromptPrefix> prefixes;

    void start(bool stream) {
        ExchangeSpec spec;
        spec.endpoint = "/v1/messages";
        spec.key_hash = "hash";
        spec.client_model = "claude-sonnet-4";
        spec.upstream_model = "claude-sonnet-4";
        spec.upstream_body = R"({"conversationState":{}})";
        spec.request_id = 42;
        spec.stream = stream;
        spec.prefixes = prefixes;
        spec.make_answer = [] {
            return make_anthropic_answer(AnthropicAnswerOptions{"msg_1", "claude-sonnet-4"},
                                         AnswerOptions{10, 200000, false, {}});
        };
        auto reply = std::make_unique<FakeClient>();
        client = reply.get();
        exchange = std::make_unique<Exchange>(
            ExchangeContext{config, master, upstream, endpoints, base.get(), [this] { ++done; }},
            std::move(reply), std::move(spec));
        exchange->start();
    }

    UsageReport report() const {
        auto reports = master.told<UsageReport>(wire::kReport);
        BOOST_REQUIRE_EQUAL(reports.size(), 1u);
        return reports[0];
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(exchange, Fixture)

BOOST_AUTO_TEST_CASE(a_granted_request_is_answered_and_reported_once) {
    start(false);
    BOOST_REQUIRE_EQUAL(master.calls.size(), 1u);
    BOOST_TEST(master.calls[0].cmd == wire::kAdmit);
    auto admit = master.call_args<AdmitRequest>(0);
    BOOST_TEST(admit.key_hash == "hash");
    BOOST_TEST(admit.request == 42u);
    BOOST_TEST(admit.exclude.empty());

    AccountGrant g = account(3, "tok-3");
    g.rate_limit = 30;
    g.rate_remaining = 29;
    g.rate_reset_ms = 1500;
    master.grant(0, g);
    BOOST_REQUIRE_EQUAL(upstream.calls.size(), 1u);
    const HttpRequestSpec& call = upstream.calls[0].spec;
    BOOST_TEST(call.url.starts_with("https://q.test/"));
    BOOST_TEST(call.body == R"({"conversationState":{}})");
    BOOST_TEST((std::find(call.headers.begin(), call.headers.end(),
                          "Authorization: Bearer tok-3") != call.headers.end()));

    upstream.answer(0, 200, text("Hello") + text(" there"));
    BOOST_TEST(client->status == 200);
    auto body = parsed(client->body);
    BOOST_TEST(std::string(body["content"][0]["text"].GetString()) == "Hello there");
    BOOST_TEST(client->headers["x-ratelimit-remaining-requests"] == "29");
    BOOST_TEST(client->headers["x-ratelimit-reset-requests"] == "2s");

    auto outcomes = master.told<AttemptOutcome>(wire::kOutcome);
    BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
    BOOST_TEST(outcomes[0].account_id == 3u);
    BOOST_TEST(outcomes[0].reached_upstream);
    BOOST_TEST(outcomes[0].error_class == "");
    UsageReport r = report();
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.key_id == 7u);
    BOOST_TEST(r.account_id == 3u);
    BOOST_TEST(r.attempts == 1);
    BOOST_TEST(r.output_tokens > 0);
    BOOST_TEST(master.tells.back().type == wire::kReport);  // the outcome came first
    BOOST_TEST(done == 1);
}

BOOST_AUTO_TEST_CASE(a_throttled_account_fails_over_before_the_first_byte) {
    start(true);
    master.grant(0, account(1));
    upstream.answer(0, 429, R"({"__type":"ThrottlingException","message":"slow down"})",
                    "application/json");
    BOOST_TEST(client->status == 0);  // nothing reached the client
    auto outcomes = master.told<AttemptOutcome>(wire::kOutcome);
    BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
    BOOST_TEST(outcomes[0].error_class == "throttle");
    BOOST_TEST(!outcomes[0].retries_account);

    BOOST_REQUIRE_EQUAL(master.calls.size(), 2u);
    auto again = master.call_args<AdmitRequest>(1);
    BOOST_TEST(again.exclude == std::vector<std::uint64_t>{1});
    master.grant(1, account(2));
    upstream.answer(1, 200, text("served"));
    BOOST_TEST(client->status == 200);
    BOOST_TEST(client->ended);
    BOOST_TEST(client->body.find("served") != std::string::npos);
    BOOST_TEST(client->body.find("event: message_stop") != std::string::npos);
    UsageReport r = report();
    BOOST_TEST(r.account_id == 2u);
    BOOST_TEST(r.attempts == 2);
    BOOST_TEST(master.told<AttemptOutcome>(wire::kOutcome).size() == 2u);
}

// docs/translation.md §9: the first admit carries the prompt's prefixes; the master's split
// answers every attempt's usage, a failover's too.
BOOST_AUTO_TEST_CASE(the_estimated_cache_split_reaches_the_usage_across_a_failover) {
    prefixes = {{11, 4}, {22, 10}};
    start(false);
    auto admit = master.call_args<AdmitRequest>(0);
    BOOST_TEST(admit.prefix_hashes == (std::vector<std::uint64_t>{11, 22}));
    BOOST_TEST(admit.prefix_tokens == (std::vector<std::uint64_t>{4, 10}));
    AccountGrant first = account(1);
    first.cache_read_estimate = 4;
    first.cache_write_estimate = 6;
    master.grant(0, first);
    upstream.answer(0, 429, R"({"__type":"ThrottlingException","message":"slow down"})",
                    "application/json");
    BOOST_REQUIRE_EQUAL(master.calls.size(), 2u);
    BOOST_TEST(master.call_args<AdmitRequest>(1).prefix_hashes.empty());
    master.grant(1, account(2));
    upstream.answer(1, 200, text("served"));
    auto body = parsed(client->body);
    const rapidjson::Value& usage = body["usage"];
    BOOST_TEST(usage["cache_read_input_tokens"].GetInt64() == 4);
    BOOST_TEST(usage["cache_creation_input_tokens"].GetInt64() == 6);
    BOOST_TEST(usage["input_tokens"].GetInt64() == 0);
}

BOOST_AUTO_TEST_CASE(a_refused_token_is_refreshed_once_on_the_same_account) {
    start(false);
    master.grant(0, account(5, "old"));
    upstream.answer(0, 403, R"({"message":"The bearer token included in the request is invalid."})",
                    "application/json");
    BOOST_REQUIRE_EQUAL(master.calls.size(), 2u);
    BOOST_TEST(master.calls[1].cmd == wire::kRefresh);
    auto refresh = master.call_args<RefreshRequest>(1);
    BOOST_TEST(refresh.account_id == 5u);
    BOOST_TEST(refresh.serial == 1u);
    auto outcomes = master.told<AttemptOutcome>(wire::kOutcome);
    BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
    BOOST_TEST(outcomes[0].error_class == "token");
    BOOST_TEST(outcomes[0].retries_account);  // the account's health waits for the retry

    master.grant(1, account(5, "new"));
    BOOST_REQUIRE_EQUAL(upstream.calls.size(), 2u);
    const auto& headers = upstream.calls[1].spec.headers;
    BOOST_TEST(
        (std::find(headers.begin(), headers.end(), "Authorization: Bearer new") != headers.end()));
    upstream.answer(1, 200, text("ok"));
    BOOST_TEST(client->status == 200);
    BOOST_TEST(report().attempts == 2);
}

BOOST_AUTO_TEST_CASE(a_refusal_by_the_master_is_the_clients_error_with_its_retry_after) {
    start(false);
    CallError refusal;
    refusal.status = 429;
    refusal.message = "rate limit of this key reached";
    refusal.retry_after = 12;
    refusal.error_class = "limit";
    master.refuse(0, refusal);
    BOOST_TEST(client->status == 429);
    BOOST_TEST(client->body == "rate limit of this key reached");
    BOOST_TEST(client->headers["Retry-After"] == "12");
    BOOST_TEST(upstream.calls.empty());
    BOOST_TEST(master.told<AttemptOutcome>(wire::kOutcome).empty());
    BOOST_TEST(report().error_class == "limit");
    BOOST_TEST(done == 1);
}

BOOST_AUTO_TEST_CASE(an_exception_after_the_first_byte_ends_the_stream_with_an_error_event) {
    start(true);
    master.grant(0, account(1));
    upstream.calls[0].callbacks.on_response(
        200, {{"content-type", "application/vnd.amazon.eventstream"}});
    upstream.calls[0].callbacks.on_data(text("partial"));
    BOOST_TEST(client->status == 200);  // committed
    upstream.calls[0].callbacks.on_data(
        exception_frame("ThrottlingException", R"({"message":"Too many requests"})"));
    BOOST_TEST(upstream.calls[0].cancelled);
    BOOST_TEST(client->ended);
    BOOST_TEST(client->body.find("partial") != std::string::npos);
    BOOST_TEST(client->body.find("event: error") != std::string::npos);
    BOOST_TEST(master.calls.size() == 1u);  // no failover once the client has bytes
    auto outcomes = master.told<AttemptOutcome>(wire::kOutcome);
    BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
    BOOST_TEST(outcomes[0].error_class == "throttle");  // it counts against the account
    BOOST_TEST(report().error_class == "upstream_throttle");
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_cancels_the_upstream_and_is_reported_499) {
    start(true);
    master.grant(0, account(1));
    client->leave();
    BOOST_TEST(upstream.calls[0].cancelled);
    auto outcomes = master.told<AttemptOutcome>(wire::kOutcome);
    BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
    BOOST_TEST(!outcomes[0].reached_upstream);  // says nothing about the account
    UsageReport r = report();
    BOOST_TEST(r.status == 499);
    BOOST_TEST(r.error_class == "client_closed");
    client->handlers.gone();  // evhtp may say it twice (error, then fini)
    BOOST_TEST(master.told<UsageReport>(wire::kReport).size() == 1u);
    BOOST_TEST(done == 1);
}

BOOST_AUTO_TEST_CASE(a_slow_client_pauses_the_upstream_until_it_catches_up) {
    config.stream_buffer = 1000;
    start(true);
    master.grant(0, account(1));
    upstream.calls[0].callbacks.on_response(
        200, {{"content-type", "application/vnd.amazon.eventstream"}});
    upstream.calls[0].callbacks.on_data(text("a"));
    BOOST_TEST(!upstream.calls[0].paused);
    client->backlog = 1001;
    upstream.calls[0].callbacks.on_data(text("b"));
    BOOST_TEST(upstream.calls[0].paused);
    BOOST_TEST(client->drain_mark == 500u);
    client->backlog = 0;
    client->handlers.drained();
    BOOST_TEST(!upstream.calls[0].paused);
}

BOOST_AUTO_TEST_CASE(a_corrupt_stream_before_the_first_byte_tries_another_account) {
    start(true);
    master.grant(0, account(1));
    std::string frame = text("x");
    frame[frame.size() - 1] ^= 0x55;  // the message CRC no longer matches
    upstream.answer(0, 200, frame);
    BOOST_TEST(upstream.calls[0].cancelled);
    BOOST_TEST(client->status == 0);
    BOOST_REQUIRE_EQUAL(master.calls.size(), 2u);
    BOOST_TEST(master.call_args<AdmitRequest>(1).exclude == std::vector<std::uint64_t>{1});
    BOOST_TEST(master.told<AttemptOutcome>(wire::kOutcome)[0].error_class == "transient");
}

BOOST_AUTO_TEST_CASE(a_200_that_is_not_an_event_stream_is_a_bad_gateway) {
    start(false);
    master.grant(0, account(1));
    upstream.answer(0, 200, "<html>captive portal</html>", "text/html");
    auto outcomes = master.told<AttemptOutcome>(wire::kOutcome);
    BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
    BOOST_TEST(outcomes[0].error_class == "transient");
    BOOST_TEST(master.calls.size() == 2u);  // another account is asked for
    BOOST_TEST(client->status == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace amq
