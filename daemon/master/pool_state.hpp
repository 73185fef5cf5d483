// The master's account pool at run time: the health book and the selector over the stored
// accounts, with every health transition persisted and logged. Workers' outcomes and the
// refresher's arrive here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "daemon/master/account_health.hpp"
#include "daemon/master/account_pool.hpp"
#include "daemon/master/store.hpp"

namespace amq {

// An upstream error class name (upstream_error.hpp: throttle, quota, banned, …) as a health
// outcome; nullopt for classes that say nothing about the account (request, too_long).
std::optional<Outcome> outcome_for_class(std::string_view error_class,
                                         std::optional<double> retry_after_s,
                                         std::string_view message);

// The upstream endpoint that last answered an account well, and when (account show).
struct LastServed {
    std::string endpoint;
    std::int64_t at_ms = 0;
};

class PoolState {
public:
    PoolState(Store& store, HealthPolicy health, PoolPolicy pool);
    Status load();  // health kept in the store; an admin-disabled account is disabled here too
    void set_policies(HealthPolicy health, PoolPolicy pool);

    void report(std::uint64_t account_id, const Outcome& outcome);
    // A request that ended without evidence about the account (the client left first).
    void release(std::uint64_t account_id);
    void set_disabled(std::uint64_t account_id, bool disabled);
    void reset_health(std::uint64_t account_id, std::string_view note);
    void served(std::uint64_t account_id, std::string endpoint);
    const LastServed* last_served(std::uint64_t account_id) const;
    void forget(std::uint64_t account_id);
    void paced_elsewhere(std::uint64_t account_id, std::int64_t until_ms) {
        pool_.paced_elsewhere(account_id, until_ms);
    }

    std::variant<Account, NoAccount> pick(const PickRequest& request);
    const AccountHealth& health(std::uint64_t account_id);

private:
    void persist(std::uint64_t account_id, HealthState before);

    Store& store_;
    HealthBook book_;
    AccountPool pool_;
    std::map<std::uint64_t, LastServed> served_;
};

}  // namespace amq
