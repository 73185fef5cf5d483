#include "daemon/master/quota_checker.hpp"

#include "common/log.hpp"

namespace amq {

QuotaChecker::QuotaChecker(event_base* base, Store& store, HttpClient& http,
                           TokenRefresher& refresher, PoolState& pool, QuotaOptions options)
    : store_(store), api_(store, http, refresher), pool_(pool) {
    timer_ = Event::persistent_timer(base, [this](short) { check_all(); });
    set_options(std::move(options));
}

void QuotaChecker::set_options(QuotaOptions options) {
    options_ = std::move(options);
    timer_.disarm();
    if (options_.interval > 0) timer_.arm_after(options_.interval);
}

void QuotaChecker::fetch(std::uint64_t account_id, Callback callback) {
    AccountApiOptions options{options_.api_endpoint, options_.proxy, options_.timeout};
    api_.get(
        account_id, options,
        [](const Account& account) { return usage_limits_path(account.profile_arn); },
        [this, callback](const Account& account, Result<ApiAnswer> answer) {
            if (!answer) return callback(answer.error());
            auto limits = parse_usage_limits(answer->status, answer->body);
            if (limits) known_[account.id] = Known{*limits, unix_seconds()};
            if (limits && limits->limit > 0 && limits->remaining() == 0) {
                Outcome o{Outcome::Kind::quota_exhausted, std::nullopt, limits->next_reset * 1000,
                          "monthly quota used up"};
                pool_.report(account.id, o);
            }
            callback(std::move(limits));
        });
}

const QuotaChecker::Known* QuotaChecker::known(std::uint64_t account_id) const {
    auto it = known_.find(account_id);
    return it == known_.end() ? nullptr : &it->second;
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
