// An account's remaining monthly quota, from Amazon Q's getUsageLimits (docs/upstream.md §1,
// Account information): on demand (amq2apictl account quota) and, when configured, for every
// enabled account periodically. An account found with nothing left is marked exhausted until
// the reset date.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/usage_limits.hpp"
#include "daemon/event.hpp"
#include "daemon/http_client.hpp"
#include "daemon/master/account_api.hpp"
#include "daemon/master/pool_state.hpp"
#include "daemon/master/token_refresher.hpp"

namespace amq {

struct QuotaOptions {
    std::string api_endpoint;  // may hold {region}
    std::string proxy;
    double interval = 0;  // 0 = on demand only
    double timeout = 30;
};

class QuotaChecker {
public:
    using Callback = std::function<void(Result<UsageLimits>)>;

    QuotaChecker(event_base* base, Store& store, HttpClient& http, TokenRefresher& refresher,
                 PoolState& pool, QuotaOptions options);
    void set_options(QuotaOptions options);
    void fetch(std::uint64_t account_id, Callback callback);

    // The last quota an account's check found (on demand or periodic), and when; null before
    // any. In memory only: a restart forgets it until the next check.
    struct Known {
        UsageLimits limits;
        std::int64_t checked_at = 0;  // unix seconds
    };
    const Known* known(std::uint64_t account_id) const;
    void forget(std::uint64_t account_id) { known_.erase(account_id); }

private:
    void check_all();

    Store& store_;
    AccountApi api_;
    PoolState& pool_;
    QuotaOptions options_;
    std::map<std::uint64_t, Known> known_;
    Event timer_;
};

}  // namespace amq
