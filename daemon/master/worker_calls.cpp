#include "daemon/master/worker_calls.hpp"

#include <algorithm>

#include "common/api_error.hpp"
#include "common/crypto.hpp"
#include "common/frame.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/request_params.hpp"
#include "common/strings.hpp"
#include "common/worker_messages.hpp"
#include "daemon/event.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {
namespace {

std::string reply_ok(std::uint64_t id, const std::string& data) {
    return json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kReply);
        w.Key("id");
        w.Uint64(id);
        w.Key("ok");
        w.Bool(true);
        w.Key("data");
        w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
    });
}

void write_rate(JsonWriter& w, const RateInfo& rate) {
    if (rate.limit <= 0) return;  // unlimited: no headers
    w.Key("rate");
    w.StartObject();
    w.Key("limit");
    w.Int64(rate.limit);
    w.Key("remaining");
    w.Int64(rate.remaining);
    w.Key("reset_ms");
    w.Int64(rate.reset_ms);
    w.EndObject();
}

std::string limit_text(std::string_view limit) {
    if (limit == "requests_per_minute") return "requests per minute";
    if (limit == "requests_per_day") return "requests per day";
    return "concurrent requests";
}

// Why the master refuses a call; the worker turns it into the client's HTTP error and its usage
// record (error class, and the key when one was recognised).
struct Refusal {
    int status = 500;
    std::string message;
    std::string error_class;  // auth, limit, model, no_account
    std::uint64_t key_id = 0;
    std::optional<std::int64_t> retry_after_s;
    RateInfo rate;
};

std::string reply_refused(std::uint64_t id, const Refusal& r) {
    return json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kReply);
        w.Key("id");
        w.Uint64(id);
        w.Key("ok");
        w.Bool(false);
        w.Key("error");
        w.StartObject();
        w.Key("status");
        w.Int(r.status);
        w.Key("message");
        write_string(w, r.message);
        w.Key("class");
        write_string(w, r.error_class);
        w.Key("key_id");
        w.Uint64(r.key_id);
        if (r.retry_after_s) {
            w.Key("retry_after");
            w.Int64(*r.retry_after_s);
        }
        write_rate(w, r.rate);
        w.EndObject();
    });
}

std::string reply_error(std::uint64_t id, int status, std::string_view message) {
    return reply_refused(id, Refusal{status, std::string(message)});
}

std::string reply_refusal(std::uint64_t id, const NoAccount& refusal, std::uint64_t key_id) {
    Refusal r{refusal.status, refusal.message, "no_account", key_id};
    if (refusal.retry_at_ms)
        r.retry_after_s =
            (std::max<std::int64_t>(*refusal.retry_at_ms - unix_millis(), 0) + 999) / 1000;
    return reply_refused(id, r);
}

// 429 rate_limit_error naming the limit, with Retry-After and the rate headers.
std::string reply_limited(std::uint64_t id, const LimitDecision& d, std::uint64_t key_id) {
    std::int64_t wait = (d.retry_after_ms + 999) / 1000;
    return reply_refused(id, Refusal{429,
                                     str_cat("this API key reached its limit of ", d.limit_value,
                                             " ", limit_text(d.limit), "; retry in ", wait, " s"),
                                     "limit", key_id, wait, d.rate});
}

Refusal model_refusal(const ApiKey& key, std::string_view model) {
    return Refusal{403, str_cat("this API key may not use model '", model, "'"), "model", key.id};
}

std::string grant_json(std::uint64_t key_id, const Account& account, const AccessToken& token,
                       const RateInfo& rate, bool holds_slot,
                       const std::optional<CacheSplit>& cache = std::nullopt) {
    AccountGrant g;
    g.key_id = key_id;
    g.account_id = account.id;
    g.account_name = account.name;
    g.profile_arn = account.profile_arn;
    g.api_endpoint = account.api_endpoint;
    g.api_flavour = account.api_flavour;
    g.origin = account.origin;
    g.proxy = account.proxy;
    g.access_token = token.token;
    g.token_type = account_token_type(account);
    g.serial = token.serial;
    g.holds_slot = holds_slot;
    if (rate.limit > 0) {  // unlimited: no headers
        g.rate_limit = rate.limit;
        g.rate_remaining = rate.remaining;
        g.rate_reset_ms = rate.reset_ms;
    }
    if (cache) {
        g.cache_read_estimate = cache->read;
        g.cache_write_estimate = cache->written;
    }
    return encode_message(g);
}

// Seconds the upstream asked an account to rest, as the health book takes them.
std::optional<double> rest_seconds(const std::optional<std::int64_t>& seconds) {
    if (!seconds || *seconds < 0) return std::nullopt;
    return static_cast<double>(*seconds);
}

}  // namespace

namespace {
constexpr double kSecondLook = 0.02;  // seconds
// An account the database refused is not asked for again sooner: a wait of 0 (clocks apart)
// must not become a loop of picks and refusals.
constexpr std::int64_t kPaceFloorMs = 250;
// How long a request waits on its account's token refresh before another account may serve it.
constexpr double kTokenPatience = 2.0;  // seconds
}  // namespace

struct WorkerCalls::Admission {
    std::uint64_t call_id = 0;
    std::uint64_t key_id = 0;
    pid_t pid = 0;
    std::uint64_t request_id = 0;
    Admissions::RequestInfo info;
    RateInfo rate;
    bool holds_slot = false;
    PickRequest pick;
    Send send;
    std::string busy;                          // why no account could take it, while it waits
    std::vector<std::uint64_t> prefix_hashes;  // AdmitRequest's
    std::vector<std::uint64_t> prefix_tokens;
    std::optional<CacheSplit> cache;  // the estimated prompt cache's, once admitted
};

WorkerCalls::WorkerCalls(Parts parts, AdminFn admin, MetricsTextFn metrics_text)
    : base_(parts.base),
      store_(parts.store),
      refresher_(parts.refresher),
      pool_(parts.pool),
      usage_(parts.usage),
      admissions_(parts.admissions),
      metrics_(parts.metrics),
      models_(parts.models),
      admin_(std::move(admin)),
      metrics_text_(std::move(metrics_text)) {}

// How one attempt went on its account: its health, its model list, the endpoint that served.
void WorkerCalls::outcome(const rapidjson::Value& args) {
    auto decoded = decode_message<AttemptOutcome>(args);
    if (!decoded) return log_warning("malformed outcome from a worker: ", decoded.error().message);
    const AttemptOutcome& o = *decoded;
    if (o.account_id == 0) return;
    if (o.reached_upstream)
        metrics_.attempt(o.account_id, o.error_class.empty() ? "ok" : o.error_class);
    if (o.retries_account) return;
    if (o.error_class == "model") models_.drop_model(o.account_id, o.upstream_model);
    auto health = o.reached_upstream
                      ? outcome_for_class(o.error_class, rest_seconds(o.retry_after), o.message)
                      : std::nullopt;
    if (health)
        pool_.report(o.account_id, *health);
    else
        pool_.release(o.account_id);
    if (o.reached_upstream && o.error_class.empty()) pool_.served(o.account_id, o.api_endpoint);
    if (!queue_.empty()) pump_soon(0);  // the account may take a waiting request
}

void WorkerCalls::on_frame(const rapidjson::Document& frame, pid_t pid, Send send) {
    FieldReader f(frame);
    std::string type = f.string("t").value_or("");
    const rapidjson::Value* args = f.object("args", true);
    if (!args) {
        log_warning("worker frame without args: ",
                    f.status().ok() ? "" : f.status().error().message);
        return;
    }
    if (type == wire::kOutcome) return outcome(*args);
    if (type == wire::kReport) return report(*args, pid);
    if (type == wire::kAnswered) return answered(*args);
    auto id = f.integer("id", true, 0);
    std::string cmd = f.string("cmd", true).value_or("");
    if (!f.ok()) {
        log_warning("malformed call from a worker: ", f.status().error().message);
        return;
    }
    auto call_id = static_cast<std::uint64_t>(*id);
    if (cmd == wire::kAdmit)
        admit(call_id, *args, pid, std::move(send));
    else if (cmd == wire::kRefresh)
        refresh(call_id, *args, std::move(send));
    else if (cmd == wire::kAuth)
        auth(call_id, *args, std::move(send));
    else if (cmd == wire::kAdmin)
        admin(call_id, *args, std::move(send));
    else if (cmd == wire::kMetrics)
        metrics(call_id, *args, std::move(send));
    else
        send(reply_error(call_id, 500, str_cat("unknown worker call '", cmd, "'")));
}

Result<ApiKey> WorkerCalls::usable_key(const std::string& hash) {
    auto key = store_.find_key_by_hash(hash);
    if (!key || !constant_time_equal(key->secret_hash, hash))
        return make_error(Errc::unauthenticated, "invalid API key");
    if (!key->enabled) return make_error(Errc::unauthenticated, "this API key is disabled");
    if (key->expires_at != 0 && key->expires_at <= unix_seconds())
        return make_error(Errc::unauthenticated, "this API key has expired");
    return key;
}

// Routes served without an account (token counts, model lists) still count toward the key's
// per-minute and per-day limits, and a model they name must be one the key may use.
void WorkerCalls::auth(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    auto request = decode_message<AuthRequest>(args);
    if (!request) return send(reply_error(call_id, 500, request.error().message));
    auto key = usable_key(request->key_hash);
    if (!key) return send(reply_refused(call_id, Refusal{401, key.error().message, "auth"}));
    const std::string& model = request->model;
    if (Status s = check_model_name(model); !model.empty() && !s)
        return send(reply_refused(
            call_id, Refusal{400, s.error().message, std::string(kRejectedClass), key->id}));
    if (!model.empty() && !model_allowed(key->allowed_models, model, policy_.models)) {
        metrics_.refusal("model");
        return send(reply_refused(call_id, model_refusal(*key, model)));
    }
    LimitDecision local = admissions_.count(*key, unix_millis());
    ask_other_hosts(*key, std::nullopt, local, [this, call_id, send, key = *key](LimitDecision d) {
        if (!d.admitted) {
            metrics_.refusal(d.limit);
            return send(reply_limited(call_id, d, key.id));
        }
        KeyGrant grant{key.id, key.allowed_models, d.rate.limit, d.rate.remaining, d.rate.reset_ms};
        send(reply_ok(call_id, encode_message(grant)));
    });
}

// Only admin keys reach the command layer over HTTP.
void WorkerCalls::admin(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    auto call = decode_message<AdminCall>(args);
    if (!call) return send(reply_error(call_id, 400, call.error().message));
    auto key = usable_key(call->key_hash);
    if (!key) return send(reply_error(call_id, 401, key.error().message));
    if (!key->is_admin) return send(reply_error(call_id, 403, "this API key is not an admin key"));
    auto command_args = parse_json(call->args.text);
    if (!command_args) return send(reply_error(call_id, 400, command_args.error().message));
    admin_(key->id, call->command, *command_args, [call_id, send](Result<std::string> result) {
        if (!result)
            return send(
                reply_error(call_id, http_status(result.error().code), result.error().message));
        std::string reply = reply_ok(call_id, *result);
        // The worker would take a larger frame for a broken master and exit.
        if (reply.size() > kAdminFrameMax)
            return send(reply_error(
                call_id, 500,
                str_cat("the answer is larger than ", kAdminFrameMax >> 20, " MiB; ask for less")));
        send(std::move(reply));
    });
}

void WorkerCalls::admit(std::uint64_t call_id, const rapidjson::Value& args, pid_t pid, Send send) {
    auto request = decode_message<AdmitRequest>(args);
    if (!request) return send(reply_error(call_id, 500, request.error().message));
    AdmitRequest& r = *request;
    auto key = usable_key(r.key_hash);
    if (!key) return send(reply_refused(call_id, Refusal{401, key.error().message, "auth"}));
    auto a = std::make_shared<Admission>();
    a->call_id = call_id;
    a->key_id = key->id;
    a->pid = pid;
    a->request_id = r.request;
    a->send = std::move(send);
    a->info = Admissions::RequestInfo{std::move(r.model), std::move(r.upstream_model),
                                      std::move(r.endpoint), r.stream};
    a->holds_slot = key->max_concurrent > 0;
    a->pick.session = std::move(r.session);
    a->pick.exclude.insert(r.exclude.begin(), r.exclude.end());
    a->prefix_hashes = std::move(r.prefix_hashes);
    a->prefix_tokens = std::move(r.prefix_tokens);
    if (admissions_.holds(pid, a->request_id)) {  // a failover of an admitted request
        a->rate = admissions_.rate(*key, unix_millis());
        return try_next_account(std::move(a));
    }
    // Workers check model names; a name that is not fit to be stored never reaches a record.
    if (Status s = check_model_name(a->info.model); !s)
        return a->send(reply_refused(
            call_id, Refusal{400, s.error().message, std::string(kRejectedClass), key->id}));
    if (!model_allowed(key->allowed_models, a->info.model, policy_.models)) {
        metrics_.refusal("model");
        return a->send(reply_refused(call_id, model_refusal(*key, a->info.model)));
    }
    take_slot(std::move(a), *key, false);
}

// Counts the request against its key. A concurrency refusal is looked at once more a moment
// later: the report that frees a slot was sent before its client's next request, but may still
// sit unread on another worker's channel (or on its way to the database from another host).
void WorkerCalls::take_slot(std::shared_ptr<Admission> a, ApiKey key, bool second_look) {
    std::int64_t now = unix_millis();
    LimitDecision d = admissions_.admit(key, a->pid, a->request_id, a->info, now);
    if (!d.admitted) return refuse_slot(std::move(a), std::move(key), d, second_look);
    if (!shared_limits_) return slot_taken(std::move(a), key, admissions_.rate(key, now));
    KeyLimiter::Slot slot{static_cast<std::uint64_t>(a->pid), a->request_id};
    ask_other_hosts(key, slot, d, [this, a, key, slot, second_look](LimitDecision shared) {
        if (!admissions_.holds(a->pid, a->request_id)) {  // its worker is gone
            shared_limits_->release(slot);
            return;
        }
        if (shared.admitted) return slot_taken(a, key, shared.rate);
        admissions_.finish(a->pid, a->request_id);
        refuse_slot(a, key, shared, second_look);
    });
}

void WorkerCalls::refuse_slot(std::shared_ptr<Admission> a, ApiKey key, const LimitDecision& d,
                              bool second_look) {
    if (d.limit == "concurrency" && !second_look) {
        auto timer = std::make_shared<Event>();
        *timer = Event::timer(base_, [this, a, key, timer](short) {
            take_slot(a, key, true);
            *timer = Event();
        });
        timer->arm_after(kSecondLook);
        return;
    }
    metrics_.refusal(d.limit);
    a->send(reply_limited(a->call_id, d, key.id));
}

void WorkerCalls::ask_other_hosts(const ApiKey& key, std::optional<KeyLimiter::Slot> slot,
                                  LimitDecision local, std::function<void(LimitDecision)> then) {
    KeyLimits limits = limits_of(key);
    if (!slot) limits.max_concurrent = 0;
    if (!local.admitted || !shared_limits_ || !SharedLimits::counts(limits))
        return then(std::move(local));
    shared_limits_->admit(key.id, limits, slot, unix_millis(), std::move(then));
}

void WorkerCalls::slot_taken(std::shared_ptr<Admission> a, const ApiKey& key, RateInfo rate) {
    std::int64_t now = unix_millis();
    a->rate = rate;
    if (policy_.cache_estimate_ttl_ms > 0 && !a->prefix_hashes.empty())
        a->cache =
            cache_meter_.meter(key.id, a->pick.session, a->prefix_hashes, a->prefix_tokens, now);
    // A request waiting in the queue keeps only the split, not its prompt's prefixes.
    a->prefix_hashes = {};
    a->prefix_tokens = {};
    try_next_account(std::move(a));
}

// An account whose token cannot be had is skipped for this request; the next one is tried.
// When none can take it now but one will in time, it waits in the queue; requests that wait
// are served first.
void WorkerCalls::try_next_account(std::shared_ptr<Admission> a) {
    std::int64_t now = unix_millis();
    AdmissionQueue::Attempt first{AdmissionQueue::Attempt::Kind::wait, std::nullopt};
    if (queue_.empty()) first = attempt(a, now);
    if (first.kind != AdmissionQueue::Attempt::Kind::wait) return;
    AdmissionQueue::Waiter waiter{a->pid,
                                  a->request_id,
                                  now,
                                  !a->pick.exclude.empty(),
                                  [this, a](std::int64_t at) { return attempt(a, at); },
                                  [this, a](AdmissionQueue::Refusal why, std::int64_t retry_at) {
                                      refuse_waiting(a, why, retry_at);
                                  }};
    if (queue_.push(std::move(waiter), first.ready_at_ms, now)) pump_soon(0);
}

// Accounts whose token is being refreshed are picked last.
AdmissionQueue::Attempt WorkerCalls::attempt(const std::shared_ptr<Admission>& a,
                                             std::int64_t now) {
    a->pick.now_ms = now;
    a->pick.avoid = refresher_.refreshing();
    a->pick.model = a->info.upstream_model;
    a->pick.models = &models_.lists();
    auto picked = pool_.pick(a->pick);
    if (auto* refusal = std::get_if<NoAccount>(&picked)) {
        if (refusal->status == 429 && refusal->eligible_at_ms) {
            a->busy = refusal->message;
            return {AdmissionQueue::Attempt::Kind::wait, refusal->eligible_at_ms};
        }
        a->send(reply_refusal(a->call_id, *refusal, a->key_id));
        return {AdmissionQueue::Attempt::Kind::answered, std::nullopt};
    }
    pace_across_hosts(a, std::get<Account>(std::move(picked)));
    return {AdmissionQueue::Attempt::Kind::served, std::nullopt};
}

// With the store shared, an account's requests per minute count on every host: the database
// has the last word on a pick. One it refuses is not picked here until the account has room,
// and the request goes back to find another (or wait).
void WorkerCalls::pace_across_hosts(std::shared_ptr<Admission> a, Account chosen) {
    if (!shared_limits_ || chosen.requests_per_minute <= 0)
        return use_account(std::move(a), std::move(chosen));
    std::uint64_t id = chosen.id;
    std::int64_t per_minute = chosen.requests_per_minute;
    shared_limits_->pace(id, per_minute, unix_millis(),
                         [this, a, chosen = std::move(chosen)](LimitDecision d) mutable {
                             if (!admissions_.holds(a->pid, a->request_id))  // its worker is gone
                                 return pool_.release(chosen.id);
                             if (d.admitted) return use_account(a, std::move(chosen));
                             pool_.paced_elsewhere(
                                 chosen.id,
                                 unix_millis() + std::max(d.retry_after_ms, kPaceFloorMs));
                             pool_.release(chosen.id);
                             try_next_account(a);
                         });
}

void WorkerCalls::refuse_waiting(const std::shared_ptr<Admission>& a, AdmissionQueue::Refusal why,
                                 std::int64_t retry_at_ms) {
    metrics_.refusal(why == AdmissionQueue::Refusal::full ? "queue_full" : "queue_timeout");
    std::string message =
        why == AdmissionQueue::Refusal::full
            ? str_cat(queue_.depth(), " requests are already waiting for an account (queue-max)")
            : str_cat(a->busy.empty() ? "no Amazon Q account could serve in time" : a->busy,
                      " (waited at most ", queue_.limits().timeout_ms / 1000, " s: queue-timeout)");
    a->send(reply_refusal(a->call_id, NoAccount{429, retry_at_ms, std::move(message)}, a->key_id));
}

void WorkerCalls::pump_soon(double seconds) {
    if (!pump_timer_)
        pump_timer_ = Event::timer(base_, [this](short) {
            if (auto next = queue_.pump(unix_millis()))
                pump_soon(static_cast<double>(std::max<std::int64_t>(*next - unix_millis(), 0)) /
                          1000.0);
        });
    if (!pump_timer_.pending() || seconds == 0) pump_timer_.arm_after(seconds);
}

void WorkerCalls::set_policy(Policy policy) {
    policy_ = std::move(policy);
    queue_.set_limits(policy_.queue);
    cache_meter_.set_limits({.ttl_ms = policy_.cache_estimate_ttl_ms});
}

void WorkerCalls::worker_died(pid_t pid) { queue_.withdraw_worker(pid); }

// A request waiting on its account's token refresh (which may hang until its own timeout).
struct WorkerCalls::TokenWait {
    bool settled = false;  // the token came, or the request moved on to another account
    Event patience;
};

void WorkerCalls::use_account(std::shared_ptr<Admission> a, Account chosen) {
    admissions_.set_account(a->pid, a->request_id, chosen.id);
    auto wait = std::make_shared<TokenWait>();
    refresher_.get(
        chosen.id, unix_seconds(), std::nullopt,
        [this, a, chosen, wait](Result<AccessToken> token) {
            if (wait->settled) return;
            wait->settled = true;
            wait->patience = Event();
            if (token)
                return a->send(reply_ok(a->call_id, grant_json(a->key_id, chosen, *token, a->rate,
                                                               a->holds_slot, a->cache)));
            pool_.release(chosen.id);
            a->pick.exclude.insert(chosen.id);
            try_next_account(a);
        });
    if (wait->settled) return;
    wait->patience = Event::timer(base_, [this, a, chosen, wait](short) {
        if (leave_slow_account(a, chosen.id)) {
            wait->settled = true;
            wait->patience = Event();
        }
    });
    wait->patience.arm_after(kTokenPatience);
}

// The account's refresh is slow: another account serves the request if one can (the refresh
// goes on for the requests after). With none, the request stays, bounded by the refresh's
// own timeout.
bool WorkerCalls::leave_slow_account(const std::shared_ptr<Admission>& a, std::uint64_t slow) {
    PickRequest others = a->pick;
    others.exclude.insert(slow);
    others.now_ms = unix_millis();
    others.avoid = refresher_.refreshing();
    auto picked = pool_.pick(others);
    if (std::holds_alternative<NoAccount>(picked)) return false;
    log_info("account ", slow, ": token refresh still running after ", kTokenPatience,
             " s; request moved to account ", std::get<Account>(picked).id);
    pool_.release(slow);
    a->pick = std::move(others);
    pace_across_hosts(a, std::get<Account>(std::move(picked)));
    return true;
}

void WorkerCalls::refresh(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    auto request = decode_message<RefreshRequest>(args);
    if (!request) return send(reply_error(call_id, 500, request.error().message));
    std::uint64_t key_id = request->key_id;
    auto account = store_.get_account(request->account_id);
    if (!account) return send(reply_error(call_id, 503, account.error().message));
    refresher_.get(account->id, unix_seconds(), request->serial,
                   [this, call_id, send, chosen = *account, key_id](Result<AccessToken> token) {
                       if (!token) {
                           pool_.release(chosen.id);  // the worker moves to another account
                           return send(reply_error(call_id, 503, token.error().message));
                       }
                       send(reply_ok(call_id, grant_json(key_id, chosen, *token, {}, false)));
                   });
}

// Metrics are open to every caller unless restricted to admin keys.
void WorkerCalls::metrics(std::uint64_t call_id, const rapidjson::Value& args, Send send) {
    if (policy_.metrics_admin_only) {
        auto request = decode_message<MetricsRequest>(args);
        if (!request) return send(reply_error(call_id, 500, request.error().message));
        auto key = usable_key(request->key_hash);
        if (!key) return send(reply_error(call_id, 401, "metrics need an admin key"));
        if (!key->is_admin)
            return send(reply_error(call_id, 403, "this API key is not an admin key"));
    }
    std::string text = metrics_text_();
    send(reply_ok(call_id, json_object([&](JsonWriter& w) {
                      w.Key("text");
                      write_string(w, text);
                  })));
}

void WorkerCalls::answered(const rapidjson::Value& args) {
    auto decoded = decode_message<AnsweredRequest>(args);
    if (!decoded) return log_warning("malformed answer report: ", decoded.error().message);
    const AnsweredRequest& a = *decoded;
    UsageRecord u;
    u.time_ms = unix_millis();
    u.endpoint = a.endpoint.empty() ? "none" : a.endpoint;
    u.status = static_cast<int>(std::clamp<std::int64_t>(a.status, 0, 999));
    u.duration_ms = std::max<std::int64_t>(a.duration_ms, 0);
    u.client_address = a.client_address;
    u.user_agent = a.user_agent;
    u.request_id = a.request_id;
    const std::string& hash = a.key_hash;
    if (!hash.empty())
        if (auto key = store_.find_key_by_hash(hash);
            key && constant_time_equal(key->secret_hash, hash))
            u.key_id = key->id;
    metrics_.request(u.endpoint, u.status, u.key_id);
    // The admin API (the dashboard polls it) is administration, not usage: it stays out of
    // the request log and the statistics.
    if (u.key_id == 0) return;
    if (u.endpoint.starts_with("/admin")) return usage_.key_used(u.key_id, u.time_ms);
    // Served without an account (token counts, model lists) or refused before admission.
    if (u.status >= 400) u.error_class = kRejectedClass;
    usage_.record(std::move(u));
}

void WorkerCalls::report(const rapidjson::Value& args, pid_t pid) {
    auto decoded = decode_message<UsageReport>(args);
    if (!decoded) {
        // Only a worker of another build could send one (this one encodes with the same table,
        // and the hello checks the version): its slot stays until that worker exits.
        log_warning("malformed report from a worker: ", decoded.error().message);
        return;
    }
    std::uint64_t request = decoded->request;
    UsageRecord u = std::move(*decoded);
    u.time_ms = unix_millis();
    for (std::string* name : {&u.client_model, &u.upstream_model})
        if (!name->empty() && !check_model_name(*name)) *name = "(invalid)";
    queue_.withdraw(pid, request);  // its client left while it waited
    admissions_.finish(pid, request);
    if (!queue_.empty()) pump_soon(0);  // its key's slot may take the next one
    metrics_.request(u.endpoint, u.status, u.key_id);
    metrics_.tokens(u.key_id, u.input_tokens, u.output_tokens);
    metrics_.credits(u.key_id, u.credits_micros);
    metrics_.latency(u.endpoint, static_cast<double>(u.duration_ms) / 1000.0);
    if (u.ttfb_ms > 0)
        metrics_.time_to_first_byte(u.endpoint, static_cast<double>(u.ttfb_ms) / 1000.0);
    usage_.record(std::move(u));
}

}  // namespace amq
