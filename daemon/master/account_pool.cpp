#include "daemon/master/account_pool.hpp"

#include <algorithm>
#include <climits>
#include <utility>

#include "common/strings.hpp"

namespace amq {
namespace {

constexpr std::size_t kMaxListed = 5;    // accounts named in a 503 message
constexpr std::size_t kMaxReason = 120;  // characters of one account's reason in it

std::string display_name(const Account& a) {
    return a.name.empty() ? str_cat("account #", a.id) : a.name;
}

// One line and bounded: reasons may quote upstream messages.
std::string one_line(std::string_view text, std::size_t limit) {
    std::string out;
    for (char c : text.substr(0, limit)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
    if (text.size() > limit) out.append("...");
    return out;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return str_cat(n, " ", n == 1 ? one : many);
}

// Why each enabled account cannot serve, counted for the 429 message.
struct Tally {
    std::size_t failed = 0;   // excluded: this request already failed on it
    std::size_t cooling = 0;  // cooling, or half-open with its trial out
    std::size_t exhausted = 0;
    std::size_t limited = 0;  // at its own requests per minute
    std::size_t stuck = 0;    // quarantined or disabled
    std::optional<std::int64_t> earliest;
    std::optional<std::int64_t> earliest_eligible;  // among the accounts not excluded
    std::vector<std::string> stuck_reasons;         // "name: reason", at most kMaxListed
};

std::string busy_message(const Tally& t, std::size_t enabled, std::int64_t wait_ms) {
    std::vector<std::string> parts;
    if (t.cooling) parts.push_back(str_cat(t.cooling, " cooling down"));
    if (t.exhausted) parts.push_back(str_cat(t.exhausted, " out of monthly quota"));
    if (t.limited) parts.push_back(str_cat(t.limited, " at their requests-per-minute limit"));
    if (t.failed) parts.push_back(str_cat(t.failed, " already failed for this request"));
    if (t.stuck) parts.push_back(str_cat(t.stuck, " quarantined or disabled"));
    std::string out = str_cat("no Amazon Q account can serve now (",
                              plural(enabled, "enabled account", "enabled accounts"), ": ");
    for (std::size_t i = 0; i < parts.size(); ++i) out += str_cat(i ? ", " : "", parts[i]);
    return str_cat(out, "); retry in ", (wait_ms + 999) / 1000, " s");
}

std::string stuck_message(const Tally& t, std::size_t enabled) {
    std::string out = str_cat("all ", plural(enabled, "enabled account is", "enabled accounts are"),
                              " quarantined or failed for this request: ");
    for (std::size_t i = 0; i < t.stuck_reasons.size(); ++i)
        out += str_cat(i ? "; " : "", t.stuck_reasons[i]);
    if (enabled > t.stuck_reasons.size())
        out += str_cat("; and ", enabled - t.stuck_reasons.size(), " more");
    return out;
}

// Unknown lists (not fetched yet, or the fetch failed) do not keep an account from a model.
bool may_serve_model(std::uint64_t account_id, const PickRequest& request) {
    auto it = request.models->find(account_id);
    return it == request.models->end() || it->second.count(request.model) > 0;
}

// Whether routing by model applies: some enabled account is known to list it.
bool listed_anywhere(const std::vector<const Account*>& enabled, const PickRequest& request) {
    if (!request.models || request.model.empty()) return false;
    for (const Account* a : enabled) {
        auto it = request.models->find(a->id);
        if (it != request.models->end() && it->second.count(request.model)) return true;
    }
    return false;
}

}  // namespace

AccountPool::AccountPool(PoolPolicy policy) : policy_(policy) {}

void AccountPool::set_policy(PoolPolicy policy) {
    policy_ = policy;
    if (!policy_.sticky_sessions) {
        pins_.clear();
        pin_order_.clear();
    }
    while (pins_.size() > policy_.max_sessions) {
        pins_.erase(pin_order_.back());
        pin_order_.pop_back();
    }
}

void AccountPool::forget(std::uint64_t account_id) {
    recent_.erase(account_id);
    paced_until_.erase(account_id);
    last_used_.erase(account_id);
    for (auto it = pins_.begin(); it != pins_.end();) {
        if (it->second.account_id != account_id) {
            ++it;
            continue;
        }
        pin_order_.erase(it->second.order);
        it = pins_.erase(it);
    }
}

void AccountPool::paced_elsewhere(std::uint64_t account_id, std::int64_t until_ms) {
    std::int64_t& until = paced_until_[account_id];
    until = std::max(until, until_ms);
}

// A pick at t counts while now - t < 60 s: at exactly 60 s it has left the window.
bool AccountPool::under_rpm(const Account& account, std::int64_t now_ms) {
    if (auto paced = paced_until_.find(account.id); paced != paced_until_.end()) {
        if (now_ms < paced->second && account.requests_per_minute > 0) return false;
        if (now_ms >= paced->second) paced_until_.erase(paced);
    }
    auto it = recent_.find(account.id);
    if (it == recent_.end()) return true;
    it->second.expire(now_ms);
    if (account.requests_per_minute <= 0) return true;
    return it->second.count() < account.requests_per_minute;
}

// When the account is under its limit again; nullopt when it is under it now.
std::optional<std::int64_t> AccountPool::rpm_free_at(const Account& account,
                                                     std::int64_t now_ms) const {
    std::optional<std::int64_t> at;
    if (auto it = recent_.find(account.id); it != recent_.end())
        at = it->second.free_at(account.requests_per_minute, now_ms);
    auto paced = paced_until_.find(account.id);
    if (account.requests_per_minute > 0 && paced != paced_until_.end() && paced->second > now_ms)
        at = std::max(at.value_or(now_ms), paced->second);
    return at;
}

void AccountPool::record_use(std::uint64_t account_id, std::int64_t now_ms) {
    recent_.try_emplace(account_id, policy_.rpm_window_ms).first->second.add(now_ms);
    last_used_[account_id] = now_ms;
}

std::optional<std::uint64_t> AccountPool::pinned(const std::string& session, std::int64_t now_ms) {
    auto it = pins_.find(session);
    if (it == pins_.end()) return std::nullopt;
    if (now_ms - it->second.used_ms >= policy_.session_ttl_ms) {
        pin_order_.erase(it->second.order);
        pins_.erase(it);
        return std::nullopt;
    }
    return it->second.account_id;
}

void AccountPool::pin(const std::string& session, std::uint64_t account_id, std::int64_t now_ms) {
    auto it = pins_.find(session);
    if (it != pins_.end()) {
        it->second.account_id = account_id;
        it->second.used_ms = now_ms;
        pin_order_.splice(pin_order_.begin(), pin_order_, it->second.order);
    } else {
        pin_order_.push_front(session);
        pins_.emplace(session, Pin{account_id, now_ms, pin_order_.begin()});
    }
    // The least recently used pins sit at the back: drop the expired ones and any over the
    // bound, so the map never outgrows max_sessions however many sessions come and go.
    while (!pin_order_.empty()) {
        auto last = pins_.find(pin_order_.back());
        bool expired = now_ms - last->second.used_ms >= policy_.session_ttl_ms;
        if (!expired && pins_.size() <= policy_.max_sessions) break;
        pins_.erase(last);
        pin_order_.pop_back();
    }
}

const Account* AccountPool::choose(const std::vector<const Account*>& candidates) const {
    if (policy_.strategy == PoolPolicy::Strategy::least_recently_used) {
        auto last_used = [&](const Account* a) {
            auto it = last_used_.find(a->id);
            return it == last_used_.end() ? INT64_MIN : it->second;  // never used comes first
        };
        // Candidates are in ascending id order, so min_element breaks ties by id.
        return *std::min_element(
            candidates.begin(), candidates.end(),
            [&](const Account* a, const Account* b) { return last_used(a) < last_used(b); });
    }
    for (const Account* a : candidates)
        if (a->id > last_id_) return a;
    return candidates.front();  // wrap around
}

std::variant<Account, NoAccount> AccountPool::pick(const std::vector<Account>& accounts,
                                                   HealthBook& health, const PickRequest& request) {
    std::vector<const Account*> enabled;
    for (const Account& a : accounts)
        if (a.enabled) enabled.push_back(&a);
    if (enabled.empty() && accounts.empty())
        return NoAccount{503, std::nullopt,
                         "no Amazon Q account; add one with amq2apictl account add"};
    if (enabled.empty())
        return NoAccount{
            503, std::nullopt,
            str_cat("all ", accounts.size(),
                    " Amazon Q accounts are disabled; enable one with amq2apictl account enable")};
    std::sort(enabled.begin(), enabled.end(),
              [](const Account* a, const Account* b) { return a->id < b->id; });

    std::vector<const Account*> candidates;
    bool by_model = listed_anywhere(enabled, request);
    for (const Account* a : enabled) {
        if (request.exclude.count(a->id)) continue;
        if (by_model && !may_serve_model(a->id, request)) continue;
        if (!health.may_serve(a->id, request.now_ms)) continue;
        if (under_rpm(*a, request.now_ms)) candidates.push_back(a);
    }
    if (candidates.empty()) return no_account(enabled, health, request);
    std::vector<const Account*> unhindered;
    for (const Account* a : candidates)
        if (!request.avoid.count(a->id)) unhindered.push_back(a);
    if (!unhindered.empty()) candidates = std::move(unhindered);

    const Account* chosen = nullptr;
    bool sticky = policy_.sticky_sessions && !request.session.empty();
    if (sticky) {
        if (std::optional<std::uint64_t> id = pinned(request.session, request.now_ms)) {
            for (const Account* a : candidates)
                if (a->id == *id) chosen = a;
        }
    }
    if (!chosen) chosen = choose(candidates);
    if (sticky) pin(request.session, chosen->id, request.now_ms);  // (re-)pin, refresh its use

    last_id_ = chosen->id;
    record_use(chosen->id, request.now_ms);
    health.take(chosen->id);
    return *chosen;
}

// Excluded accounts are never picked, but they do count for the 429: when this request has
// failed over through every account and the others are cooling, the client should hear when
// to come back rather than a 503. An excluded account's own health decides: a throttled one
// is cooling (its cool-down counts), one still healthy after a transient error counts as
// available now, which the floor below turns into "retry in 1 s". Only accounts that
// never recover by themselves (quarantined, disabled) lead to a 503.
NoAccount AccountPool::no_account(const std::vector<const Account*>& enabled,
                                  const HealthBook& health, const PickRequest& request) const {
    const std::int64_t now = request.now_ms;
    bool by_model = listed_anywhere(enabled, request);
    Tally t;
    for (const Account* a : enabled) {
        if (by_model && !may_serve_model(a->id, request)) continue;  // it will not serve it
        const AccountHealth& h = health.get(a->id);
        std::optional<std::int64_t> at = health.available_at(a->id, now);
        if (!at) {
            ++t.stuck;
            if (t.stuck_reasons.size() < kMaxListed)
                t.stuck_reasons.push_back(
                    str_cat(one_line(display_name(*a), 60), ": ", one_line(h.reason, kMaxReason)));
            continue;
        }
        std::optional<std::int64_t> rpm_at = rpm_free_at(*a, now);
        std::int64_t when = std::max(*at, rpm_at.value_or(now));
        if (!t.earliest || when < *t.earliest) t.earliest = when;
        if (!request.exclude.count(a->id) && (!t.earliest_eligible || when < *t.earliest_eligible))
            t.earliest_eligible = std::max(when, now + 1);
        if (request.exclude.count(a->id))
            ++t.failed;
        else if (h.state == HealthState::exhausted)
            ++t.exhausted;
        else if (*at > now)
            ++t.cooling;
        else if (rpm_at)
            ++t.limited;
        else
            ++t.cooling;  // not expected: may_serve would have let it serve
    }
    if (!t.earliest) return NoAccount{503, std::nullopt, stuck_message(t, enabled.size())};
    // Never "retry at once": an excluded account that is available now (it failed this request
    // transiently but is still healthy) still deserves a moment.
    std::int64_t retry_at = *t.earliest > now ? *t.earliest : now + 1000;
    return NoAccount{429, retry_at, busy_message(t, enabled.size(), retry_at - now),
                     t.earliest_eligible};
}

}  // namespace amq
