// The master's account pool at run time: the health book and the selector over the stored
// accounts, with every health transition persisted and logged. Workers' outcomes and the
// refresher's arrive here.
#pragma once

#include <cstdint>
#include <optional>
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

class PoolState {
public:
    PoolState(Store& store, HealthPolicy health, PoolPolicy pool);
    Status load();  // health kept in the store; an admin-disabled account is disabled here too
    void set_policies(HealthPolicy health, PoolPolicy pool);

    void report(std::uint64_t account_id, const Outcome& outcome);
    // A request that ended without evidence about the account (the client left first).
    void release(std::uint64_t account_id);
    void set_disabled(std::uint64_t account_id, bool disabled);
    void forget(std::uint64_t account_id);

    std::variant<Account, NoAccount> pick(const PickRequest& request);
    const AccountHealth& health(std::uint64_t account_id);

private:
    void persist(std::uint64_t account_id, HealthState before);

    Store& store_;
    HealthBook book_;
    AccountPool pool_;
};

}  // namespace amq
