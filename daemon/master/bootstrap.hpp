// First-start duties of the master: an admin key when there is none, and the v1 account from
// the AMAZONQ_* environment when the store has no account yet.
#pragma once

#include <cstdint>
#include <string>

#include "common/config.hpp"
#include "common/result.hpp"
#include "daemon/master/store.hpp"

namespace amq {

// Writes the new secret to <state dir>/initial-admin-key (0600) and returns that path, or ""
// when an admin key already exists. The secret itself is never logged.
Result<std::string> ensure_admin_key(Store& store, const std::string& state_dir, std::int64_t now);

// Adds the AMAZONQ_* account to an empty store, at `requests_per_minute` (account-rpm-default);
// returns true when it was added.
Result<bool> import_environment_account(Store& store, const BootstrapAccount& account,
                                        std::int64_t requests_per_minute, std::int64_t now);

// Once the master has read them, the AMAZONQ_* credentials leave its environment, so that
// workers do not inherit them. Their values are zeroed where they lie first:
// /proc/PID/environ shows the environment block the process started with, not `environ`.
void forget_environment_credentials();

}  // namespace amq
