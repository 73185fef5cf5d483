#include "daemon/worker/exchange.hpp"

#include <cmath>

#include "common/anthropic_request.hpp"
#include "common/crypto.hpp"
#include "common/failover.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/q_endpoints.hpp"
#include "common/q_http.hpp"
#include "common/strings.hpp"
#include "common/web_search.hpp"
#include "common/worker_messages.hpp"
#include "daemon/worker/evhtp_reply.hpp"
#include "daemon/worker/http.hpp"
#include "daemon/worker/worker.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

constexpr std::size_t kMaxErrorBody = 64u << 10;
constexpr std::size_t kMaxMcpBody = 1u << 20;
constexpr int kClientClosed = 499;  // nginx's code for a client that left first

bool is_content(const QEvent& e) {
    return e.kind == QEvent::Kind::text || e.kind == QEvent::Kind::tool_use ||
           e.kind == QEvent::Kind::reasoning;
}

// The rest the upstream asked of an account, in whole seconds (rounded up) for the master.
std::optional<std::int64_t> asked_rest(const UpstreamError& error) {
    if (!error.retry_after_seconds) return std::nullopt;
    return static_cast<std::int64_t>(std::ceil(*error.retry_after_seconds));
}

bool is_failure(const QEvent& e) {
    if (e.kind == QEvent::Kind::invalid_state) return true;
    // The upstream's way of saying max_tokens (docs/translation.md §5): the answer so far is
    // kept.
    return e.kind == QEvent::Kind::exception && e.event_type != "ContentLengthExceededException";
}

}  // namespace

Exchange::Exchange(ExchangeContext context, std::unique_ptr<ClientReply> client, ExchangeSpec spec)
    : ctx_(std::move(context)),
      client_(std::move(client)),
      spec_(std::move(spec)),
      answer_(spec_.make_answer()) {
    client_->set_handlers({[this] { client_gone(); }, [this] { client_drained(); }});
}

Exchange::~Exchange() {
    if (call_) ctx_.upstream.cancel(call_);
    if (master_call_) ctx_.master.cancel(master_call_);
}

void Exchange::start() { admit(); }

void Exchange::admit() {
    AdmitRequest r;
    r.key_hash = spec_.key_hash;
    r.request = spec_.request_id;
    r.model = spec_.client_model;
    r.upstream_model = spec_.upstream_model;
    r.endpoint = spec_.endpoint;
    r.session = spec_.session;
    r.stream = spec_.stream;
    r.exclude.assign(exclude_.begin(), exclude_.end());
    if (attempts_ == 0)  // a failover keeps the first admission's cache estimate
        for (const PromptPrefix& p : spec_.prefixes) {
            r.prefix_hashes.push_back(p.hash);
            r.prefix_tokens.push_back(static_cast<std::uint64_t>(p.tokens));
        }
    std::string args = encode_message(r);
    master_call_ = ctx_.master.call(
        wire::kAdmit, args, [this](const rapidjson::Value* data, const CallError& error) {
            master_call_ = 0;
            if (finished_) return;
            if (!data && error.rate) rate_ = error.rate;
            if (!data && error.key_id) grant_.key_id = error.key_id;
            if (!data) {
                if (error.retry_after)
                    client_->add_header("Retry-After", str_cat(*error.retry_after));
                // After failed attempts, what the upstream said tells the client more than "no
                // account left for this request".
                if (account_error_ && error.status != 401)
                    return reply_error(account_error_->client_status, account_error_->message,
                                       str_cat("upstream_", upstream_error_class_name(
                                                                account_error_->error_class)));
                return reply_error(error.status, error.message,
                                   !error.error_class.empty() ? error.error_class
                                   : error.status == 401      ? "auth"
                                                              : "no_account");
            }
            if (!take_grant(*data)) return;
            if (attempts_ == 0) client_->set_queued(monotonic_seconds() - started_);
            // Only now may bytes go to the client: until its admission, a request that waited
            // for an account can still be refused with a clean status.
            if (spec_.stream && !committed_) arm_ping();
            attempt();
        });
}

// Tells the master, once per attempt, what the attempt says about its account. It goes out
// before any next admit on the same ordered channel, so the account's health has changed by
// the time the master picks the next one.
void Exchange::end_attempt(bool reached, const UpstreamError* error, bool retries_account) {
    if (!attempt_open_) return;
    attempt_open_ = false;
    AttemptOutcome o;
    o.request = spec_.request_id;
    o.account_id = grant_.account_id;
    o.api_endpoint = endpoint_;
    o.upstream_model = spec_.upstream_model;
    o.reached_upstream = reached;
    if (error) {
        o.error_class = std::string(upstream_error_class_name(error->error_class));
        o.retry_after = asked_rest(*error);
        o.message = error->upstream_message;
    }
    o.retries_account = retries_account;
    ctx_.master.tell(wire::kOutcome, encode_message(o), holds_slot_);
}

void Exchange::refresh_token() {
    RefreshRequest r{grant_.account_id, grant_.serial, grant_.key_id};
    std::string args = encode_message(r);
    master_call_ = ctx_.master.call(
        wire::kRefresh, args, [this](const rapidjson::Value* data, const CallError&) {
            master_call_ = 0;
            if (finished_) return;
            if (!data) {  // the master has recorded why the refresh failed
                exclude_.insert(grant_.account_id);
                account_error_.reset();
                return admit();
            }
            if (take_grant(*data)) attempt();
        });
}

// False when the master's answer cannot be read (a bug, not a client's fault): the client has
// been answered 500.
bool Exchange::take_grant(const rapidjson::Value& data) {
    auto grant = decode_message<AccountGrant>(data);
    if (!grant) {
        log_error(spec_.request_tag, " unreadable grant from the master: ", grant.error().message);
        reply_error(500, "internal error: the account grant could not be read", "internal");
        return false;
    }
    grant_ = std::move(*grant);
    if (grant_.cache_read_estimate && grant_.cache_write_estimate)
        cache_estimate_ = CacheTokens{*grant_.cache_read_estimate, *grant_.cache_write_estimate};
    if (grant_.rate_limit > 0)
        rate_ = RateHeaders{grant_.rate_limit, grant_.rate_remaining, grant_.rate_reset_ms};
    if (grant_.holds_slot) holds_slot_ = true;
    return true;
}

void Exchange::add_rate_headers() {
    if (!rate_) return;
    for (const auto& [name, value] : rate_headers(rate_->limit, rate_->remaining, rate_->reset_ms))
        client_->add_header(name, value);
}

void Exchange::attempt() {
    ++attempts_;
    attempt_open_ = true;
    upstream_status_ = 0;
    error_body_.clear();
    decoder_ = std::make_unique<eventstream::Decoder>();
    if (!committed_ && !continuing_) {
        answer_ = spec_.make_answer();
        if (cache_estimate_) answer_.estimate_cache(*cache_estimate_);
        held_.clear();
    }
    reached_upstream_ = false;
    const Config& c = ctx_.config;
    auto body = body_for_grant();  // the longer profile ARN may take it over the payload cap
    if (!body) return reply_error(400, body.error().message, "too_long");
    endpoints_ = api_endpoints(grant_.api_endpoint, c.api_endpoint, grant_.profile_arn);
    endpoint_ = ctx_.endpoints.choose(endpoints_, monotonic_seconds());
    GenerateCall call =
        generate_call(endpoint_, grant_.api_flavour.empty() ? c.api_flavour : grant_.api_flavour,
                      grant_.access_token, uuid4(), grant_.token_type);
    HttpRequestSpec spec;
    spec.url = std::move(call.url);
    spec.headers = std::move(call.headers);
    spec.body = std::move(*body);
    spec.proxy = grant_.proxy.empty() ? c.proxy : grant_.proxy;
    spec.connect_timeout = c.connect_timeout;
    spec.first_byte_timeout = c.first_byte_timeout;
    spec.idle_timeout = c.idle_timeout;
    call_ = ctx_.upstream.start(
        std::move(spec),
        HttpCallbacks{[this](int status, const HttpHeaders& h) { on_response(status, h); },
                      [this](std::string_view bytes) { on_data(bytes); },
                      [this](const Status& outcome) { on_done(outcome); }});
}

// An account with its own profile ARN or origin gets the body written again for it from the
// translated plan: the request is not translated twice. External-IdP (enterprise) accounts
// refuse additionalModelRequestFields: they reason through prompt tags.
Result<std::string> Exchange::body_for_grant() {
    QBodyOptions wanted = spec_.body_options;
    wanted.profile_arn = grant_.profile_arn;
    if (!grant_.origin.empty()) wanted.origin = grant_.origin;
    if (grant_.token_type == kExternalIdpTokenType) wanted.efforts.clear();
    if (!spec_.plan || (wanted.profile_arn == spec_.body_options.profile_arn &&
                        wanted.origin == spec_.body_options.origin &&
                        wanted.efforts == spec_.body_options.efforts))
        return spec_.upstream_body;
    auto body = write_q_body(*spec_.plan, wanted);
    if (!body) return body.error();
    spec_.upstream_body = std::move(*body);
    spec_.body_options = std::move(wanted);
    return spec_.upstream_body;
}

void Exchange::on_response(int status, const HttpHeaders& headers) {
    reached_upstream_ = true;
    upstream_status_ = status;
    auto type = headers.find("content-type");
    bool event_stream =
        type != headers.end() && type->second.find("eventstream") != std::string::npos;
    if (status == 200 && !event_stream) upstream_status_ = 502;  // a 200 that is not a stream
    if (auto ra = headers.find("retry-after"); ra != headers.end())
        upstream_retry_after_ = ra->second;
}

void Exchange::on_data(std::string_view bytes) {
    if (upstream_status_ != 200) {
        if (error_body_.size() < kMaxErrorBody)
            error_body_.append(bytes.substr(0, kMaxErrorBody - error_body_.size()));
        return;
    }
    decoder_->feed(bytes);
    for (;;) {
        if (finished_ || !call_) return;
        auto message = decoder_->next();
        if (!message) {
            log_warning(spec_.request_tag, " upstream stream corrupt: ", message.error().message);
            ctx_.upstream.cancel(call_);
            call_ = 0;
            return fail_attempt(classify_upstream_error(0, message.error().message, ""));
        }
        if (!message->has_value()) return;
        auto event = interpret_event(**message);
        if (!event) {
            log_warning(spec_.request_tag, " upstream event unusable: ", event.error().message);
            continue;
        }
        handle_event(*event);
    }
}

void Exchange::handle_event(const QEvent& event) {
    if (is_failure(event) && !committed_) {
        ctx_.upstream.cancel(call_);
        call_ = 0;
        return fail_attempt(classify_exception(event));
    }
    if (is_content(event) && !committed_) commit();
    std::string bytes = answer_.on_event(event);
    if (!spec_.stream) return;
    if (committed_)
        write(bytes);
    else
        held_ += bytes;
    if (is_failure(event)) {  // after the first byte: the client gets an error event
        ctx_.upstream.cancel(call_);
        call_ = 0;
        UpstreamError error = classify_exception(event);
        end_attempt(true, &error, false);
        finish(200, str_cat("upstream_", upstream_error_class_name(error.error_class)));
        end_stream("");
    }
}

void Exchange::on_done(const Status& outcome) {
    call_ = 0;
    if (finished_) return;
    reached_upstream_ = true;
    if (!outcome) return fail_attempt(classify_upstream_error(0, outcome.error().message, ""));
    if (upstream_status_ != 200)
        return fail_attempt(
            classify_upstream_error(upstream_status_, error_body_, upstream_retry_after_));
    if (decoder_->buffered() > 0) {
        if (!committed_)
            return fail_attempt(
                classify_upstream_error(0, "the upstream stream ended mid-frame", ""));
        log_warning(spec_.request_tag, " upstream stream ended mid-frame");
    }
    complete_upstream();
}

// Nothing reached the client yet: another endpoint, account (or a fresh token) may still
// serve it.
void Exchange::fail_attempt(const UpstreamError& error) {
    log_info(spec_.request_tag, " attempt ", attempts_, " on account ", grant_.account_id,
             " failed: ", upstream_error_class_name(error.error_class), " ",
             error.upstream_message);
    bool about_account = error.error_class != UpstreamError::Class::request &&
                         error.error_class != UpstreamError::Class::too_long;
    if (about_account) account_error_ = error;
    double now = monotonic_seconds();
    AttemptState state{committed_,
                       attempts_,
                       now - started_ < ctx_.config.first_byte_timeout,
                       upstream_status_,
                       ctx_.endpoints.has_alternative(endpoints_, endpoint_, now),
                       token_refreshed_};
    FailoverDecision d = decide_failover(error, state);
    if (d.rest_endpoint) ctx_.endpoints.rest(endpoint_, now);
    end_attempt(true, &error,
                d.step == FailoverDecision::Step::next_endpoint ||
                    d.step == FailoverDecision::Step::refresh_token);
    switch (d.step) {
        case FailoverDecision::Step::stream_error:
            finish(200, str_cat("upstream_", upstream_error_class_name(error.error_class)));
            return end_stream(answer_.error_event(error.client_status, error.message));
        case FailoverDecision::Step::next_endpoint:
            log_info(spec_.request_tag, " endpoint ", endpoint_, " rests ",
                     EndpointBook::kRestSeconds, " s; trying the next one");
            account_error_.reset();
            return attempt();
        case FailoverDecision::Step::refresh_token: token_refreshed_ = true; return refresh_token();
        case FailoverDecision::Step::next_account:
            exclude_.insert(grant_.account_id);
            token_refreshed_ = false;
            return admit();
        case FailoverDecision::Step::give_up: break;
    }
    reply_error(error.client_status, error.message,
                str_cat("upstream_", upstream_error_class_name(error.error_class)));
}

void Exchange::complete_upstream() {
    end_attempt(true, nullptr, false);
    if (start_searches()) return;
    std::string tail = answer_.finish();
    const std::optional<AnswerFailure>& failure = answer_.failure();
    if (spec_.stream) {
        if (!committed_) commit();
        finish(200, failure ? "truncated" : "");
        return end_stream(tail);
    }
    if (failure) return reply_error(502, failure->error.message, "truncated");
    if (!client_->open()) return finish(kClientClosed, "client_closed");
    first_byte_ = monotonic_seconds();
    finish(200, "");
    add_rate_headers();
    client_->send_json(200, answer_.body());
}

// A model that keeps searching past its limit gets its searches refused (max_uses_exceeded)
// and the tool retired; one that still asks after that gets its answer as it stands.
bool Exchange::start_searches() {
    if (spec_.search_limit == 0 || rounds_ > spec_.search_limit) return false;
    searches_ = answer_.pending_searches();
    if (searches_.empty()) return false;
    ++rounds_;
    if (spec_.stream && !committed_) commit();
    run_next_search();
    return true;
}

void Exchange::run_next_search() {
    if (finished_) return;
    if (searches_.empty()) return continue_answer();
    AnswerStream::Search search = std::move(searches_.front());
    searches_.erase(searches_.begin());
    if (searches_run_ >= spec_.search_limit || search.query.empty()) {
        deliver_search(
            search.tool_id,
            WebSearchOutcome{search.query,
                             {},
                             search.query.empty() ? "invalid_tool_input" : "max_uses_exceeded"});
        return run_next_search();
    }
    ++searches_run_;
    const Config& c = ctx_.config;
    GenerateCall call =
        mcp_search_call(endpoint_, grant_.access_token, grant_.token_type, grant_.profile_arn);
    HttpRequestSpec spec;
    spec.url = std::move(call.url);
    spec.headers = std::move(call.headers);
    spec.body = mcp_search_body(uuid4(), search.query);
    spec.proxy = grant_.proxy.empty() ? c.proxy : grant_.proxy;
    spec.connect_timeout = c.connect_timeout;
    spec.first_byte_timeout = c.first_byte_timeout;
    spec.idle_timeout = c.idle_timeout;
    mcp_status_ = 0;
    mcp_body_.clear();
    call_ = ctx_.upstream.start(
        std::move(spec),
        HttpCallbacks{
            [this](int status, const HttpHeaders&) { mcp_status_ = status; },
            [this](std::string_view bytes) {
                if (mcp_body_.size() < kMaxMcpBody)
                    mcp_body_.append(bytes.substr(0, kMaxMcpBody - mcp_body_.size()));
            },
            [this, search](const Status& outcome) {
                call_ = 0;
                if (finished_) return;
                if (!outcome)
                    log_warning(spec_.request_tag, " web search failed: ", outcome.error().message);
                deliver_search(search.tool_id,
                               read_mcp_search(search.query, outcome ? mcp_status_ : 0, mcp_body_));
                run_next_search();
            }});
}

void Exchange::deliver_search(std::string_view tool_id, WebSearchOutcome outcome) {
    std::string bytes = answer_.add_search_result(tool_id, std::move(outcome));
    if (!spec_.stream) return;
    if (committed_)
        write(bytes);
    else
        held_ += bytes;
}

void Exchange::continue_answer() {
    auto [assistant, user] = answer_.close_round();
    bool spent = searches_run_ >= spec_.search_limit;
    spec_.plan = extend_plan(*spec_.plan, std::move(assistant), std::move(user),
                             spent ? kWebSearchTool : std::string_view());
    auto body = write_q_body(*spec_.plan, spec_.body_options);
    if (!body) return reply_error(400, body.error().message, "too_long");
    spec_.upstream_body = std::move(*body);
    continuing_ = true;
    attempt();
}

// The first byte goes out: from here on failures travel inside the stream.
void Exchange::commit() {
    if (committed_ || !client_->open() || !spec_.stream) return;
    committed_ = true;
    first_byte_ = monotonic_seconds();
    client_->add_header("Content-Type", "text/event-stream; charset=utf-8");
    client_->add_header("Cache-Control", "no-cache");
    client_->add_header("X-Accel-Buffering", "no");
    add_rate_headers();
    client_->start_stream();
    std::string first = answer_.start() + held_;
    held_.clear();
    write(first);
}

void Exchange::write(std::string_view bytes) {
    if (bytes.empty()) return;
    client_->write(bytes);
    if (client_->open()) {
        apply_backpressure();
        arm_ping();
    }
}

// The client's side buffers without limit: past the high-water mark the upstream waits for
// the client.
void Exchange::apply_backpressure() {
    if (paused_ || !call_ || client_->unsent() <= ctx_.config.stream_buffer) return;
    paused_ = true;
    ctx_.upstream.pause(call_);
    client_->notify_drained(ctx_.config.stream_buffer / 2);
}

void Exchange::client_drained() {
    if (!paused_) return;
    paused_ = false;
    if (call_) ctx_.upstream.resume(call_);
}

void Exchange::probe_client() {
    if (!spec_.stream || !client_->open() || finished_) return;
    if (!committed_)
        commit();
    else
        write(answer_.ping());
}

void Exchange::arm_ping() {
    if (!ping_timer_) {
        ping_timer_ = Event::timer(ctx_.base, [this](short) {
            if (finished_ || !client_->open()) return;
            if (!committed_)
                commit();  // a slow first token: clients drop silent connections
            else
                write(answer_.ping());
        });
    }
    ping_timer_.arm_after(ctx_.config.ping_interval);  // re-arming moves the deadline
}

void Exchange::end_stream(std::string_view last_bytes) {
    ping_timer_.disarm();
    if (!client_->open()) return;
    write(last_bytes);
    client_->end_stream();
}

void Exchange::reply_error(int status, std::string_view message, std::string_view error_class) {
    if (committed_ && spec_.stream) {
        finish(200, error_class);
        return end_stream(answer_.error_event(status, message));
    }
    if (!client_->open()) return finish(kClientClosed, "client_closed");
    finish(status, error_class);
    add_rate_headers();
    client_->send_error(answer_.dialect(), status, message);
}

// Reported before the last bytes go to the client: a client that sends its next request at
// once must find this request's concurrency slot already free at the master.
void Exchange::finish(int status, std::string_view error_class) {
    if (finished_) return;
    finished_ = true;
    ping_timer_.disarm();
    if (call_) ctx_.upstream.cancel(call_);
    call_ = 0;
    // Still open: the client left, or the body was refused here. An upstream that already
    // began a stream has served; anything less says nothing about the account.
    end_attempt(reached_upstream_ && upstream_status_ == 200, nullptr, false);
    double now = monotonic_seconds();
    log_info(spec_.request_tag, " ", spec_.endpoint, " ", status, error_class.empty() ? "" : " ",
             error_class, " key=", grant_.key_id, " account=", grant_.account_id,
             " model=", spec_.client_model, " attempts=", attempts_, " ",
             static_cast<std::int64_t>((now - started_) * 1000), "ms");
    UsageReport r;
    r.request = spec_.request_id;
    r.key_id = grant_.key_id;
    r.account_id = grant_.account_id;
    r.endpoint = spec_.endpoint;
    r.client_model = spec_.client_model;
    r.upstream_model = spec_.upstream_model;
    r.stream = spec_.stream;
    r.status = status;
    r.error_class = std::string(error_class);
    if (attempts_ > 0) {  // a request refused before any upstream call used no tokens
        r.input_tokens = answer_.input_tokens();
        r.output_tokens = answer_.output_tokens();
    }
    r.credits_micros = answer_.answer().credits_micros();
    r.ttfb_ms = first_byte_ > 0 ? static_cast<std::int64_t>((first_byte_ - started_) * 1000) : 0;
    r.duration_ms = static_cast<std::int64_t>((now - started_) * 1000);
    r.attempts = attempts_;
    r.client_address = spec_.client_address;
    r.user_agent = spec_.user_agent;
    r.request_id = spec_.request_tag;
    ctx_.master.tell(wire::kReport, encode_message(r), holds_slot_);
    ctx_.done();
}

void Exchange::client_gone() {
    if (!finished_) finish(kClientClosed, "client_closed");
}

void start_exchange(Worker& worker, HttpRequest& request, std::string_view endpoint,
                    std::string_view api_key, UpstreamRequest&& upstream,
                    std::function<AnswerStream()> make_answer) {
    ExchangeSpec spec;
    spec.endpoint = std::string(endpoint);
    spec.key_hash = api_key_hash(api_key);
    spec.client_model = upstream.model.client;
    spec.upstream_model = upstream.model.upstream;
    spec.upstream_body = std::move(upstream.body);
    spec.stream = upstream.stream;
    spec.search_limit = upstream.search_limit;
    spec.make_answer = std::move(make_answer);
    spec.body_options = std::move(upstream.body_options);
    spec.plan = std::move(upstream.plan);
    spec.request_id = worker.next_exchange_id();
    spec.request_tag = request.id;
    spec.session = upstream.session_id;  // the body's, else the headers' (translate_options)
    if (worker.config().cache_estimate_ttl > 0 && spec.plan)
        spec.prefixes = prompt_prefixes(*spec.plan);
    spec.client_address = request.client;
    spec.user_agent = valid_utf8(request.header("user-agent").value_or("").substr(0, 512));
    std::uint64_t id = spec.request_id;
    auto client = std::make_unique<EvhtpReply>(worker, request.req);
    const EvhtpReply* reply = client.get();
    ExchangeContext context{worker.config(), worker.master(),
                            worker.http(),   worker.endpoints(),
                            worker.base(),   [&worker, id] { worker.forget(id); }};
    worker
        .adopt(std::make_unique<Exchange>(std::move(context), std::move(client), std::move(spec)),
               id, reply)
        .start();
}

}  // namespace amq
