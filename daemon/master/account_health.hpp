// The health of each account as explicit states (the pool issue):
//   healthy      serves requests
//   cooling      throttled (Retry-After honoured, capped; else a short cool-down that doubles
//                with each throttle in a row), limited after "suspicious activity" (long), or
//                repeated transient failures (exponential back-off, capped), until `until`
//   half_open    the cool-down is over: exactly one trial request may go; its success makes
//                the account healthy, its failure sends it back to cooling for longer
//   exhausted    monthly quota used up, until the reset date
//   quarantined  suspended, invalid credential, refresh refused — until an admin acts or a
//                refresh succeeds
//   disabled     by an admin; never re-enabled automatically. A quarantine outlives it:
//                enabling a quarantined account that was disabled leaves it quarantined
// Every transition is recorded (the last few per account). Pure: times are passed in
// (milliseconds since the epoch), so tests drive a fake clock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace amq {

enum class HealthState { healthy, cooling, half_open, exhausted, quarantined, disabled };
std::string_view health_state_name(HealthState state);
std::optional<HealthState> parse_health_state(std::string_view name);

struct HealthEvent {
    std::int64_t at_ms = 0;
    HealthState from = HealthState::healthy;
    HealthState to = HealthState::healthy;
    std::string reason;
};

struct AccountHealth {
    HealthState state = HealthState::healthy;
    std::string reason;              // why it is in this state ("" when healthy)
    std::int64_t since_ms = 0;       // when it entered this state
    std::int64_t until_ms = 0;       // cooling: end of the cool-down; exhausted: the reset date
    int transient_failures = 0;      // consecutive, while healthy
    int cooldowns = 0;               // consecutive cool-downs: the exponent of the back-off
    int throttles = 0;               // consecutive throttles: the exponent of their cool-down
    std::string held;                // disabled: the quarantine it had, restored by an enable
    bool trial_in_flight = false;    // half_open: the one trial request is out
    std::deque<HealthEvent> events;  // oldest first, at most HealthPolicy::keep_events
};

struct HealthPolicy {
    double throttle_default_s = 3;  // a throttle without Retry-After, doubling in a row (±20 %)
    double throttle_max_s = 300;    // cap on Retry-After and on that doubling
    double suspicious_s = 1800;     // limits imposed after "suspicious activity"
    int transient_threshold = 3;     // consecutive transient failures before a cool-down
    double transient_base_s = 10;    // first cool-down after transient failures; doubles
    double transient_max_s = 600;
    std::size_t keep_events = 20;
};

// What happened to one request (or refresh) on one account.
struct Outcome {
    enum class Kind {
        success,             // an upstream answer (also ends a half-open trial well)
        throttled,           // 429 ThrottlingException: retry_after_s when the upstream said
        suspicious,          // limits imposed after "suspicious activity"
        transient,           // 5xx, timeouts, connection errors
        quota_exhausted,     // monthly quota: reset_at_ms = the reset date (0 = unknown)
        suspended,           // TEMPORARILY_SUSPENDED and the like
        invalid_credential,  // refresh refused (invalid_grant), credential rejected
        refresh_succeeded,   // a token refresh worked: lifts a credential quarantine
        config_error,        // endpoint/flavour mismatch: recorded, state unchanged
    };
    Kind kind = Kind::success;
    std::optional<double> retry_after_s;
    std::int64_t reset_at_ms = 0;
    std::string message;
};

class HealthBook {
public:
    explicit HealthBook(HealthPolicy policy = {});
    void set_policy(HealthPolicy policy) { policy_ = policy; }

    // Restores persisted state at start (a half-open trial in flight is forgotten).
    void load(std::uint64_t account_id, AccountHealth health);
    void forget(std::uint64_t account_id);

    // Each returns true when the state or its reason changed: the caller persists and logs.
    bool apply(std::uint64_t account_id, const Outcome& outcome, std::int64_t now_ms);
    bool set_disabled(std::uint64_t account_id, bool disabled, std::int64_t now_ms);
    // An admin's word that the account is fine (account reset-health, with a note): clears a
    // quarantine, cool-down or exhaustion and the back-off counters. A disabled account stays
    // disabled and only drops the quarantine it holds.
    bool reset(std::uint64_t account_id, std::string_view note, std::int64_t now_ms);
    // Time-driven moves: cooling → half_open when the cool-down ends; exhausted → healthy
    // at the reset date.
    bool advance(std::uint64_t account_id, std::int64_t now_ms);

    const AccountHealth& get(std::uint64_t account_id) const;  // healthy default if unknown

    // Selection gates. may_serve is true for healthy, and for half_open while no trial is
    // out; take() marks the trial as out.
    bool may_serve(std::uint64_t account_id, std::int64_t now_ms);
    void take(std::uint64_t account_id);
    // The trial request ended without telling anything (the client left first): another
    // may go.
    void release(std::uint64_t account_id);
    // When the account can serve again by itself (cooling/exhausted with a known date), or
    // nullopt when it never will (quarantined, disabled).
    std::optional<std::int64_t> available_at(std::uint64_t account_id, std::int64_t now_ms) const;

private:
    bool move(AccountHealth& h, HealthState to, std::string reason, std::int64_t now_ms,
              std::int64_t until_ms = 0);
    void record(AccountHealth& h, HealthState from, std::string reason, std::int64_t now_ms);
    std::int64_t backoff_ms(int cooldowns) const;
    std::int64_t throttle_ms(std::uint64_t account_id, int throttles) const;
    bool cool(AccountHealth& h, std::int64_t wait_ms, std::string_view cause, std::int64_t now_ms);
    bool on_success(AccountHealth& h, std::int64_t now_ms);
    bool on_throttled(std::uint64_t account_id, AccountHealth& h, const Outcome& outcome,
                      std::int64_t now_ms);
    bool on_suspicious(AccountHealth& h, const Outcome& outcome, std::int64_t now_ms);
    bool on_transient(AccountHealth& h, const Outcome& outcome, std::int64_t now_ms);
    bool on_quota(AccountHealth& h, const Outcome& outcome, std::int64_t now_ms);
    bool on_quarantine(AccountHealth& h, const Outcome& outcome, std::int64_t now_ms);

    HealthPolicy policy_;
    std::map<std::uint64_t, AccountHealth> accounts_;
};

}  // namespace amq
