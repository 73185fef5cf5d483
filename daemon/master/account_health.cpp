#include "daemon/master/account_health.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "common/strings.hpp"

namespace amq {
namespace {

constexpr std::int64_t kDayMs = 86400LL * 1000;

// The kind of a quarantine lives in its reason, so that it survives a restart (the reason is
// persisted) and refresh_succeeded can tell a dead credential from a suspension.
constexpr std::string_view kCredentialPrefix = "invalid credential";
constexpr std::string_view kSuspendedPrefix = "suspended by the upstream";

constexpr std::array<std::string_view, 6> kStateNames = {"healthy",   "cooling",     "half_open",
                                                         "exhausted", "quarantined", "disabled"};

// Seconds → milliseconds; nonsense (negative, NaN, huge) becomes something bounded.
std::int64_t to_ms(double seconds) {
    if (!std::isfinite(seconds) || seconds <= 0) return 0;
    return std::llround(std::min(seconds, 1e9) * 1000);
}

// "30 s", "1.5 s": reasons are read by people.
std::string seconds_text(std::int64_t ms) {
    if (ms % 1000 == 0) return str_cat(ms / 1000, " s");
    return str_cat(ms / 1000, ".", (ms % 1000) / 100, " s");
}

std::string with_message(std::string_view what, const std::string& message) {
    if (message.empty()) return std::string(what);
    return str_cat(what, " (", message, ")");
}

// Days since 1970-01-01 ↔ proleptic Gregorian dates (H. Hinnant's algorithms).
struct Date {
    std::int64_t year;
    int month;  // 1..12
    int day;    // 1..31
};

std::int64_t days_from_civil(Date d) {
    std::int64_t y = d.year - (d.month <= 2 ? 1 : 0);
    std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    std::int64_t yoe = y - era * 400;
    std::int64_t mp = (d.month + 9) % 12;  // March = 0
    std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
    std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

Date civil_from_days(std::int64_t z) {
    z += 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return Date{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The upstream's monthly quota resets on the 1st at 00:00 UTC.
std::int64_t next_month_start_ms(std::int64_t now_ms) {
    Date today = civil_from_days(floor_div(now_ms, kDayMs));
    Date next =
        today.month == 12 ? Date{today.year + 1, 1, 1} : Date{today.year, today.month + 1, 1};
    return days_from_civil(next) * kDayMs;
}

}  // namespace

std::string_view health_state_name(HealthState state) {
    return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<HealthState> parse_health_state(std::string_view name) {
    for (std::size_t i = 0; i < kStateNames.size(); ++i)
        if (kStateNames[i] == name) return static_cast<HealthState>(i);
    return std::nullopt;
}

HealthBook::HealthBook(HealthPolicy policy) : policy_(policy) {}

void HealthBook::load(std::uint64_t account_id, AccountHealth health) {
    health.trial_in_flight = false;  // the process that sent it is gone
    while (health.events.size() > policy_.keep_events) health.events.pop_front();
    accounts_[account_id] = std::move(health);
}

void HealthBook::forget(std::uint64_t account_id) { accounts_.erase(account_id); }

const AccountHealth& HealthBook::get(std::uint64_t account_id) const {
    static const AccountHealth kUnknown;
    auto it = accounts_.find(account_id);
    return it == accounts_.end() ? kUnknown : it->second;
}

void HealthBook::record(AccountHealth& h, HealthState from, std::string reason,
                        std::int64_t now_ms) {
    h.events.push_back(HealthEvent{now_ms, from, h.state, std::move(reason)});
    while (h.events.size() > policy_.keep_events) h.events.pop_front();
}

// Enters `to` and records the transition; false (and no event) when nothing would change.
bool HealthBook::move(AccountHealth& h, HealthState to, std::string reason, std::int64_t now_ms,
                      std::int64_t until_ms) {
    if (h.state == to && h.reason == reason && h.until_ms == until_ms) return false;
    HealthState from = h.state;
    if (h.state != to) h.since_ms = now_ms;
    h.state = to;
    h.reason = reason;
    h.until_ms = until_ms;
    h.trial_in_flight = false;
    record(h, from, std::move(reason), now_ms);
    return true;
}

std::int64_t HealthBook::backoff_ms(int cooldowns) const {
    double seconds = policy_.transient_base_s * std::ldexp(1.0, std::min(cooldowns, 40));
    return to_ms(std::min(seconds, policy_.transient_max_s));
}

bool HealthBook::cool(AccountHealth& h, std::int64_t wait_ms, std::string_view cause,
                      std::int64_t now_ms) {
    h.transient_failures = 0;
    ++h.cooldowns;
    return move(h, HealthState::cooling, str_cat(cause, "; cooling ", seconds_text(wait_ms)),
                now_ms, now_ms + wait_ms);
}

// Spread by ±20 % per account and per step, so that accounts throttled together do not all
// come back at the same moment (a hash, not a random source: the book stays pure).
std::int64_t HealthBook::throttle_ms(std::uint64_t account_id, int throttles) const {
    double seconds = policy_.throttle_default_s * std::ldexp(1.0, std::min(throttles, 40));
    std::uint64_t h =
        (account_id * 0x9E3779B97F4A7C15ull) ^ (static_cast<std::uint64_t>(throttles) << 32);
    h *= 0xBF58476D1CE4E5B9ull;
    double jitter = 0.8 + 0.4 * static_cast<double>(h >> 40) / static_cast<double>(1ull << 24);
    return to_ms(std::min(seconds * jitter, policy_.throttle_max_s));
}

bool HealthBook::on_throttled(std::uint64_t account_id, AccountHealth& h, const Outcome& o,
                              std::int64_t now_ms) {
    std::int64_t wait = o.retry_after_s ? to_ms(std::min(*o.retry_after_s, policy_.throttle_max_s))
                                        : throttle_ms(account_id, h.throttles);
    if (h.state == HealthState::healthy || h.state == HealthState::half_open) ++h.throttles;
    switch (h.state) {
        case HealthState::healthy:
            return cool(h, wait, with_message("throttled by the upstream", o.message), now_ms);
        case HealthState::half_open:
            // A failed trial: the cool-down has grown with the throttles in a row (or is the
            // upstream's own Retry-After).
            return cool(h, wait, with_message("trial request throttled by the upstream", o.message),
                        now_ms);
        case HealthState::cooling:
            // A late answer of a request sent before the cool-down: only a longer Retry-After
            // matters (no new cool-down, so the back-off exponent stays).
            if (now_ms + wait <= h.until_ms) return false;
            return move(h, HealthState::cooling,
                        str_cat("throttled by the upstream; cooling ", seconds_text(wait)), now_ms,
                        now_ms + wait);
        default: return false;
    }
}

bool HealthBook::on_transient(AccountHealth& h, const Outcome& o, std::int64_t now_ms) {
    if (h.state == HealthState::half_open)
        return cool(h, backoff_ms(h.cooldowns), with_message("trial request failed", o.message),
                    now_ms);
    if (h.state != HealthState::healthy) return false;  // late answers change nothing
    if (++h.transient_failures < policy_.transient_threshold) return false;
    std::string cause =
        with_message(str_cat(h.transient_failures, " consecutive transient failures"), o.message);
    return cool(h, backoff_ms(h.cooldowns), cause, now_ms);
}

bool HealthBook::on_suspicious(AccountHealth& h, const Outcome& o, std::int64_t now_ms) {
    if (h.state == HealthState::quarantined || h.state == HealthState::exhausted) return false;
    std::int64_t until = now_ms + to_ms(policy_.suspicious_s);
    if (h.state == HealthState::cooling && h.until_ms >= until) return false;
    h.transient_failures = 0;
    return move(
        h, HealthState::cooling,
        str_cat(with_message("limited by the upstream after suspicious activity", o.message),
                "; resting ", seconds_text(until - now_ms)),
        now_ms, until);
}

bool HealthBook::on_success(AccountHealth& h, std::int64_t now_ms) {
    h.throttles = 0;
    if (h.state == HealthState::healthy) h.transient_failures = 0;
    if (h.state != HealthState::half_open) return false;
    h.cooldowns = 0;
    h.transient_failures = 0;
    h.state = HealthState::healthy;
    h.reason.clear();
    h.since_ms = now_ms;
    h.until_ms = 0;
    h.trial_in_flight = false;
    record(h, HealthState::half_open, "trial request succeeded", now_ms);
    return true;
}

bool HealthBook::on_quota(AccountHealth& h, const Outcome& o, std::int64_t now_ms) {
    // A quarantine does not end by time: a late quota answer must not turn it into one that
    // does.
    if (h.state == HealthState::quarantined) return false;
    std::int64_t until = o.reset_at_ms > 0 ? o.reset_at_ms : next_month_start_ms(now_ms);
    h.transient_failures = 0;
    h.cooldowns = 0;
    std::string reason = o.reset_at_ms > 0 ? "monthly quota exhausted until the reset date"
                                           : "monthly quota exhausted; reset date assumed";
    return move(h, HealthState::exhausted, with_message(reason, o.message), now_ms, until);
}

bool HealthBook::on_quarantine(AccountHealth& h, const Outcome& o, std::int64_t now_ms) {
    bool suspended = o.kind == Outcome::Kind::suspended;
    // A suspension outranks a dead credential: re-labelling it as a credential problem would
    // let the next good refresh lift the suspension.
    if (!suspended && h.state == HealthState::quarantined && h.reason.starts_with(kSuspendedPrefix))
        return false;
    return move(h, HealthState::quarantined,
                with_message(suspended ? kSuspendedPrefix : kCredentialPrefix, o.message), now_ms);
}

bool HealthBook::apply(std::uint64_t account_id, const Outcome& outcome, std::int64_t now_ms) {
    AccountHealth& h = accounts_[account_id];
    if (h.state == HealthState::disabled) return false;  // only an admin moves it
    switch (outcome.kind) {
        case Outcome::Kind::success: return on_success(h, now_ms);
        case Outcome::Kind::throttled: return on_throttled(account_id, h, outcome, now_ms);
        case Outcome::Kind::suspicious: return on_suspicious(h, outcome, now_ms);
        case Outcome::Kind::transient: return on_transient(h, outcome, now_ms);
        case Outcome::Kind::quota_exhausted: return on_quota(h, outcome, now_ms);
        case Outcome::Kind::suspended:
        case Outcome::Kind::invalid_credential: return on_quarantine(h, outcome, now_ms);
        case Outcome::Kind::refresh_succeeded:
            if (h.state != HealthState::quarantined || !h.reason.starts_with(kCredentialPrefix))
                return false;
            h.transient_failures = 0;
            h.cooldowns = 0;
            return move(h, HealthState::healthy, "", now_ms);
        case Outcome::Kind::config_error:
            // Not the account's fault: leave the state alone but keep a trace an admin can see.
            record(h, h.state, with_message("configuration error", outcome.message), now_ms);
            return true;
    }
    return false;
}

bool HealthBook::set_disabled(std::uint64_t account_id, bool disabled, std::int64_t now_ms) {
    AccountHealth& h = accounts_[account_id];
    if (disabled) {
        if (h.state == HealthState::quarantined) h.held = h.reason;
        return move(h, HealthState::disabled, "disabled by an admin", now_ms);
    }
    // Enabling touches only a disabled account: an enable must not silently clear a cool-down,
    // nor a quarantine, which only a successful check or an admin's reset lifts.
    if (h.state != HealthState::disabled) return false;
    if (!h.held.empty()) {
        std::string reason = std::exchange(h.held, {});
        return move(h, HealthState::quarantined, reason, now_ms);
    }
    h.transient_failures = 0;
    h.cooldowns = 0;
    h.throttles = 0;
    bool moved = move(h, HealthState::healthy, "", now_ms);
    if (moved) h.events.back().reason = "enabled by an admin";  // healthy itself needs no reason
    return moved;
}

bool HealthBook::reset(std::uint64_t account_id, std::string_view note, std::int64_t now_ms) {
    AccountHealth& h = accounts_[account_id];
    bool counted = h.transient_failures || h.cooldowns || h.throttles;
    h.transient_failures = 0;
    h.cooldowns = 0;
    h.throttles = 0;
    std::string why = str_cat("health reset by an admin: ", note);
    if (h.state == HealthState::disabled) {
        if (h.held.empty()) return counted;
        h.held.clear();
        record(h, h.state, std::move(why), now_ms);
        return true;
    }
    if (!move(h, HealthState::healthy, "", now_ms)) return counted;
    h.events.back().reason = std::move(why);  // healthy itself needs no reason
    return true;
}

bool HealthBook::advance(std::uint64_t account_id, std::int64_t now_ms) {
    auto it = accounts_.find(account_id);
    if (it == accounts_.end()) return false;
    AccountHealth& h = it->second;
    if (h.state == HealthState::cooling && now_ms >= h.until_ms)
        return move(h, HealthState::half_open, "cool-down over; one trial request allowed", now_ms);
    if (h.state == HealthState::exhausted && now_ms >= h.until_ms) {
        h.transient_failures = 0;
        h.cooldowns = 0;
        return move(h, HealthState::healthy, "", now_ms);
    }
    return false;
}

bool HealthBook::may_serve(std::uint64_t account_id, std::int64_t now_ms) {
    advance(account_id, now_ms);
    const AccountHealth& h = get(account_id);
    return h.state == HealthState::healthy ||
           (h.state == HealthState::half_open && !h.trial_in_flight);
}

void HealthBook::take(std::uint64_t account_id) {
    auto it = accounts_.find(account_id);
    if (it != accounts_.end() && it->second.state == HealthState::half_open)
        it->second.trial_in_flight = true;
}

void HealthBook::release(std::uint64_t account_id) {
    auto it = accounts_.find(account_id);
    if (it != accounts_.end()) it->second.trial_in_flight = false;
}

std::optional<std::int64_t> HealthBook::available_at(std::uint64_t account_id,
                                                     std::int64_t now_ms) const {
    const AccountHealth& h = get(account_id);
    switch (h.state) {
        case HealthState::healthy: return now_ms;
        case HealthState::half_open:
            // The trial answers soon, one way or the other.
            return h.trial_in_flight ? now_ms + 1000 : now_ms;
        case HealthState::cooling:
        case HealthState::exhausted: return std::max(h.until_ms, now_ms);
        case HealthState::quarantined:
        case HealthState::disabled: return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace amq
