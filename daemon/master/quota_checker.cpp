#include "daemon/master/quota_checker.hpp"

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/q_endpoints.hpp"
#include "common/q_http.hpp"

namespace amq {

QuotaChecker::QuotaChecker(event_base* base, Store& store, HttpClient& http,
                           TokenRefresher& refresher, PoolState& pool, QuotaOptions options)
    : store_(store), http_(http), refresher_(refresher), pool_(pool) {
    timer_ = Event::persistent_timer(base, [this](short) { check_all(); });
    set_options(std::move(options));
}

void QuotaChecker::set_options(QuotaOptions options) {
    options_ = std::move(options);
    timer_.disarm();
    if (options_.interval > 0) timer_.arm_after(options_.interval);
}

void QuotaChecker::fetch(std::uint64_t account_id, Callback callback) {
    auto account = store_.get_account(account_id);
    if (!account) return callback(account.error());
    refresher_.get(account_id, unix_seconds(), std::nullopt,
                   [this, account = *account, callback](Result<AccessToken> token) {
                       if (!token) return callback(token.error());
                       call(account, token->token, callback);
                   });
}

void QuotaChecker::call(const Account& account, const std::string& token, Callback callback) {
    std::string base =
        api_endpoints(account.api_endpoint, options_.api_endpoint, account.profile_arn).front();
    if (!base.ends_with('/')) base += '/';
    HttpRequestSpec spec;
    spec.method = "GET";
    spec.url = base + usage_limits_path(account.profile_arn);
    // The generate call's headers, minus its content type and target.
    for (const std::string& h : generate_call(base, "rest", token, uuid4()).headers)
        if (!h.starts_with("Content-Type")) spec.headers.push_back(h);
    spec.proxy = account.proxy.empty() ? options_.proxy : account.proxy;
    spec.first_byte_timeout = options_.timeout;
    spec.idle_timeout = options_.timeout;
    auto answer = std::make_shared<std::pair<int, std::string>>();
    std::uint64_t id = account.id;
    http_.start(std::move(spec),
                HttpCallbacks{[answer](int status, const HttpHeaders&) { answer->first = status; },
                              [answer](std::string_view b) {
                                  if (answer->second.size() < (1u << 20)) answer->second.append(b);
                              },
                              [this, id, answer, callback](const Status& outcome) {
                                  if (!outcome) return callback(outcome.error());
                                  auto limits = parse_usage_limits(answer->first, answer->second);
                                  if (limits && limits->limit > 0 && limits->remaining() == 0) {
                                      Outcome o{Outcome::Kind::quota_exhausted, std::nullopt,
                                                limits->next_reset * 1000, "monthly quota used up"};
                                      pool_.report(id, o);
                                  }
                                  callback(std::move(limits));
                              }});
}

void QuotaChecker::check_all() {
    auto accounts = store_.list_accounts();
    if (!accounts) return;
    for (const Account& a : *accounts) {
        if (!a.enabled) continue;
        fetch(a.id, [id = a.id](const Result<UsageLimits>& limits) {
            if (!limits) log_info("account ", id, ": quota check failed: ", limits.error().message);
        });
    }
}

}  // namespace amq
