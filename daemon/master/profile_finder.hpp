// The Amazon Q profile an account must name in its calls, asked of the upstream
// (ListAvailableProfiles) once the account has logged in: IAM Identity Center accounts need
// one, Builder ID accounts have none (an empty list or a refusal), Kiro accounts get theirs
// with their tokens.
#pragma once

#include <cstdint>
#include <functional>

#include "daemon/master/account_api.hpp"

namespace amq {

class ProfileFinder {
public:
    ProfileFinder(Store& store, HttpClient& http, TokenRefresher& refresher,
                  AccountApiOptions options)
        : store_(store), api_(store, http, refresher), options_(std::move(options)) {}
    void set_options(AccountApiOptions options) { options_ = std::move(options); }

    // Stores the first profile an IdC account without one may use; `done` runs in every case,
    // after the store when there was something to store.
    void find(std::uint64_t account_id, std::function<void()> done);

private:
    Store& store_;
    AccountApi api_;
    AccountApiOptions options_;
};

}  // namespace amq
