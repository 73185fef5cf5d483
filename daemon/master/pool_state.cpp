#include "daemon/master/pool_state.hpp"

#include "common/log.hpp"
#include "daemon/event.hpp"

namespace amq {

std::optional<Outcome> outcome_for_class(std::string_view error_class,
                                         std::optional<double> retry_after_s,
                                         std::string_view message) {
    Outcome o;
    o.message = std::string(message);
    if (error_class.empty() || error_class == "request" || error_class == "too_long") {
        o.kind = Outcome::Kind::success;  // the upstream answered: the account works
    } else if (error_class == "throttle") {
        o.kind = Outcome::Kind::throttled;
        o.retry_after_s = retry_after_s;
    } else if (error_class == "suspicious") {
        o.kind = Outcome::Kind::suspicious;
    } else if (error_class == "quota") {
        o.kind = Outcome::Kind::quota_exhausted;
    } else if (error_class == "banned") {
        o.kind = Outcome::Kind::suspended;
    } else if (error_class == "token") {
        o.kind = Outcome::Kind::invalid_credential;  // refused even after a refresh
    } else if (error_class == "config") {
        o.kind = Outcome::Kind::config_error;
    } else if (error_class == "transient") {
        o.kind = Outcome::Kind::transient;
    } else {
        return std::nullopt;
    }
    return o;
}

PoolState::PoolState(Store& store, HealthPolicy health, PoolPolicy pool)
    : store_(store), book_(health), pool_(pool) {}

void PoolState::set_policies(HealthPolicy health, PoolPolicy pool) {
    book_.set_policy(health);
    pool_.set_policy(pool);
}

Status PoolState::load() {
    auto stored = store_.list_health();
    if (!stored) return stored.error();
    for (auto& [id, health] : *stored) book_.load(id, std::move(health));
    auto accounts = store_.list_accounts();
    if (!accounts) return accounts.error();
    std::int64_t now = unix_millis();
    for (const Account& a : *accounts) {
        bool disabled = book_.get(a.id).state == HealthState::disabled;
        if (!a.enabled && !disabled) set_disabled(a.id, true);
        if (a.enabled && disabled) book_.set_disabled(a.id, false, now);
    }
    return {};
}

void PoolState::persist(std::uint64_t account_id, HealthState before) {
    const AccountHealth& h = book_.get(account_id);
    std::string reason = h.events.empty() ? h.reason : h.events.back().reason;
    log_notice("account ", account_id, ": ", health_state_name(before), " -> ",
               health_state_name(h.state), reason.empty() ? "" : ": ", reason);
    if (auto st = store_.put_health(account_id, h); !st)
        log_error("account ", account_id, ": cannot store its health: ", st.error().message);
}

void PoolState::report(std::uint64_t account_id, const Outcome& outcome) {
    HealthState before = book_.get(account_id).state;
    if (book_.apply(account_id, outcome, unix_millis())) persist(account_id, before);
}

void PoolState::release(std::uint64_t account_id) { book_.release(account_id); }

void PoolState::set_disabled(std::uint64_t account_id, bool disabled) {
    HealthState before = book_.get(account_id).state;
    if (book_.set_disabled(account_id, disabled, unix_millis())) persist(account_id, before);
}

void PoolState::reset_health(std::uint64_t account_id, std::string_view note) {
    HealthState before = book_.get(account_id).state;
    if (book_.reset(account_id, note, unix_millis())) persist(account_id, before);
}

void PoolState::served(std::uint64_t account_id, std::string endpoint) {
    served_[account_id] = LastServed{std::move(endpoint), unix_millis()};
}

const LastServed* PoolState::last_served(std::uint64_t account_id) const {
    auto it = served_.find(account_id);
    return it == served_.end() ? nullptr : &it->second;
}

void PoolState::forget(std::uint64_t account_id) {
    served_.erase(account_id);
    book_.forget(account_id);
    pool_.forget(account_id);
}

std::variant<Account, NoAccount> PoolState::pick(const PickRequest& request) {
    auto accounts = store_.list_accounts();
    if (!accounts) return NoAccount{500, std::nullopt, accounts.error().message};
    std::map<std::uint64_t, HealthState> before;
    for (const Account& a : *accounts) before[a.id] = book_.get(a.id).state;
    auto picked = pool_.pick(*accounts, book_, request);
    for (const Account& a : *accounts)  // time-driven moves seen while picking
        if (book_.get(a.id).state != before[a.id]) persist(a.id, before[a.id]);
    return picked;
}

const AccountHealth& PoolState::health(std::uint64_t account_id) { return book_.get(account_id); }

}  // namespace amq
