// Access tokens of the accounts. A token is refreshed only when it is missing or within the
// lead time of its expiry (or a worker saw the upstream reject it): one refresh in flight per
// account, every caller waiting on it. The answer — access token, expiry and any rotated
// refresh token — is committed in one transaction before anyone uses it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/http_client.hpp"
#include "daemon/master/store.hpp"

namespace amq {

struct AccessToken {
    std::string token;
    std::int64_t expires_at = 0;
    std::uint64_t serial = 0;  // changes with every refresh of this account
};

struct RefresherOptions {
    std::string token_endpoint;
    std::string proxy;
    double lead_seconds = 300;
    double connect_timeout = 10;
    double timeout = 30;
};

class TokenRefresher {
public:
    using Callback = std::function<void(Result<AccessToken>)>;

    TokenRefresher(Store& store, HttpClient& http, RefresherOptions options);
    void set_options(RefresherOptions options) { options_ = std::move(options); }

    // A usable token for the account. `stale_serial`, when set, names a token the upstream
    // refused: if it is still the current one, it is refreshed first.
    void get(std::uint64_t account_id, std::int64_t now, std::optional<std::uint64_t> stale_serial,
             Callback callback);
    std::size_t refreshes_started() const { return refreshes_started_; }

private:
    void start_refresh(std::uint64_t account_id);
    void complete(std::uint64_t account_id, Result<AccessToken> result);
    Result<AccessToken> commit(std::uint64_t account_id, int status, const std::string& body);

    Store& store_;
    HttpClient& http_;
    RefresherOptions options_;
    std::map<std::uint64_t, std::vector<Callback>> waiting_;  // account → callers of the refresh in flight
    std::map<std::uint64_t, std::uint64_t> serials_;
    std::size_t refreshes_started_ = 0;
};

}  // namespace amq
