// Access tokens of the accounts. A token is refreshed when it is missing or within the lead
// time of its expiry — ahead of time for accounts in use (with a per-account jitter, so a
// large pool does not refresh at once), else when next needed — or when a worker saw the
// upstream reject it. One refresh in flight per account, every caller waiting on it. The
// answer — access token, expiry and any rotated refresh token — is committed in one
// transaction before anyone uses it. IdC accounts refresh at the AWS SSO OIDC endpoint,
// Kiro social accounts at Kiro's. Refreshes run through the write gate: with hosts sharing a
// database, one host at a time refreshes, and a host that finds the token refreshed by
// another meanwhile uses that one (a refresh token is good for one refresh).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "daemon/event.hpp"
#include "daemon/http_client.hpp"
#include "daemon/master/account_health.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/write_gate.hpp"

namespace amq {

struct AccessToken {
    std::string token;
    std::int64_t expires_at = 0;
    std::uint64_t serial = 0;  // changes with every refresh of this account
};

struct RefresherOptions {
    std::string token_endpoint;       // idc; may hold {region}
    std::string kiro_token_endpoint;  // social; may hold {region}
    std::string proxy;                // unless the account has its own
    double lead_seconds = 300;
    double connect_timeout = 10;
    double timeout = 30;
};

class TokenRefresher {
public:
    using Callback = std::function<void(Result<AccessToken>)>;
    using OutcomeFn = std::function<void(std::uint64_t account_id, const Outcome& outcome)>;

    TokenRefresher(event_base* base, Store& store, WriteGate& gate, HttpClient& http,
                   RefresherOptions options, OutcomeFn on_outcome);
    void set_options(RefresherOptions options) { options_ = std::move(options); }

    // A usable token for the account. `stale_serial`, when set, names a token the upstream
    // refused: if it is still the current one, it is refreshed first. A token refreshed ahead
    // of its expiry stays in use while the refresh runs; only an expired (or refused) one
    // makes the caller wait for the refresh.
    void get(std::uint64_t account_id, std::int64_t now, std::optional<std::uint64_t> stale_serial,
             Callback callback);
    // Refreshes now whatever the expiry (amq2apictl account refresh, imports).
    void refresh(std::uint64_t account_id, Callback callback);
    void forget(std::uint64_t account_id);
    // Whether the account holds a token good for use now: a caller that only wants to borrow
    // one never causes a refresh of its own.
    bool has_fresh_token(std::uint64_t account_id, std::int64_t now) const;
    // The accounts whose refresh is in flight.
    std::set<std::uint64_t> refreshing() const;

private:
    void start_refresh(std::uint64_t account_id);
    // At the token endpoint; `done` gets the token, stored (or why not).
    void call_endpoint(std::uint64_t account_id, std::function<void(Result<AccessToken>)> done);
    // A token refreshed since the refresh was asked for (`seen` was current then), by
    // another host.
    std::optional<AccessToken> refreshed_elsewhere(std::uint64_t account_id,
                                                   const std::string& seen);
    // `blame`: whether a failure says something about the account (not the shared store's).
    void complete(std::uint64_t account_id, Result<AccessToken> result, bool blame = true);
    HttpRequestSpec refresh_call(const Account& account,
                                 const AccountCredentials& credentials) const;
    Result<AccessToken> commit(const Account& account, int status, const std::string& body);
    void refresh_ahead();
    double jitter(std::uint64_t account_id) const;

    Store& store_;
    WriteGate& gate_;
    HttpClient& http_;
    RefresherOptions options_;
    OutcomeFn on_outcome_;
    std::map<std::uint64_t, std::vector<Callback>>
        waiting_;  // account → callers of the refresh in flight
    std::map<std::uint64_t, std::uint64_t> serials_;
    std::set<std::uint64_t> used_since_refresh_;  // refreshed ahead of time only when in use
    Event sweep_;
};

}  // namespace amq
