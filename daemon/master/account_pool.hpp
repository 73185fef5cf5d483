// Which account serves the next request. Candidates are enabled accounts the request has not
// failed on, that the health book lets serve and that are under their own requests per
// minute; among them round-robin (default) or least recently used. A client session can be
// pinned to its account and is re-pinned when that account cannot serve. When nothing can
// serve, the answer says when something will (429 + Retry-After) or that nothing will by
// itself (503) — never "use a limited one anyway". Pure: times come in (ms).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "daemon/master/account_health.hpp"
#include "daemon/master/records.hpp"
#include "daemon/master/sliding_window.hpp"

namespace amq {

struct PoolPolicy {
    enum class Strategy { round_robin, least_recently_used };
    Strategy strategy = Strategy::round_robin;
    bool sticky_sessions = false;
    std::int64_t session_ttl_ms = 3600 * 1000;  // a pin unused this long is dropped
    std::size_t max_sessions = 100000;          // pins kept, least recently used dropped
    std::int64_t rpm_window_ms = 60 * 1000;     // an account's requests-per-minute window
};

// The models each account is known to serve (ModelCatalog); an account absent is unknown.
using ModelLists = std::map<std::uint64_t, std::set<std::string>>;

struct PickRequest {
    std::set<std::uint64_t> exclude;  // accounts this request already failed on
    std::string session;              // "" = no stickiness
    std::int64_t now_ms = 0;
    // Accounts picked only when no other can serve: their token is being refreshed, and the
    // request would wait on that refresh.
    std::set<std::uint64_t> avoid;
    // The upstream model asked for: an account whose list is known and lacks it is passed
    // over, as long as some enabled account lists it.
    std::string model;
    const ModelLists* models = nullptr;
};

struct NoAccount {
    int status = 503;                         // 429 when something recovers by itself
    std::optional<std::int64_t> retry_at_ms;  // with 429: the earliest time one can serve
    std::string message;
    // With 429: when an account this request has not failed on can serve (none: only the
    // accounts it excluded will come back, so waiting for them is pointless).
    std::optional<std::int64_t> eligible_at_ms;
};

class AccountPool {
public:
    explicit AccountPool(PoolPolicy policy = {});
    void set_policy(PoolPolicy policy);

    // On success the pick is counted against the account's per-minute limit and recency,
    // and a half-open account's trial is taken (health.take()).
    std::variant<Account, NoAccount> pick(const std::vector<Account>& accounts, HealthBook& health,
                                          const PickRequest& request);
    void forget(std::uint64_t account_id);
    // Counted across hosts (store = postgresql): the account has had its minute's worth of
    // picks on all of them, and is not picked here before `until_ms`.
    void paced_elsewhere(std::uint64_t account_id, std::int64_t until_ms);

private:
    bool under_rpm(const Account& account, std::int64_t now_ms);
    std::optional<std::int64_t> rpm_free_at(const Account& account, std::int64_t now_ms) const;
    void record_use(std::uint64_t account_id, std::int64_t now_ms);
    std::optional<std::uint64_t> pinned(const std::string& session, std::int64_t now_ms);
    void pin(const std::string& session, std::uint64_t account_id, std::int64_t now_ms);
    const Account* choose(const std::vector<const Account*>& candidates) const;
    NoAccount no_account(const std::vector<const Account*>& enabled, const HealthBook& health,
                         const PickRequest& request) const;

    PoolPolicy policy_;
    std::uint64_t last_id_ = 0;                      // round-robin cursor
    std::map<std::uint64_t, SlidingWindow> recent_;  // picks in the last minute
    std::map<std::uint64_t, std::int64_t> paced_until_;
    std::map<std::uint64_t, std::int64_t> last_used_;
    struct Pin {
        std::uint64_t account_id;
        std::int64_t used_ms;
        std::list<std::string>::iterator order;
    };
    std::unordered_map<std::string, Pin> pins_;
    std::list<std::string> pin_order_;  // most recently used first
};

}  // namespace amq
