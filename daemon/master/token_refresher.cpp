#include "daemon/master/token_refresher.hpp"

#include "common/log.hpp"
#include "common/oidc.hpp"
#include "daemon/event.hpp"

namespace amq {

TokenRefresher::TokenRefresher(Store& store, HttpClient& http, RefresherOptions options)
    : store_(store), http_(http), options_(std::move(options)) {}

void TokenRefresher::get(std::uint64_t account_id, std::int64_t now,
                         std::optional<std::uint64_t> stale_serial, Callback callback) {
    if (auto it = waiting_.find(account_id); it != waiting_.end()) {
        it->second.push_back(std::move(callback));
        return;
    }
    auto credentials = store_.get_credentials(account_id);
    if (!credentials) {
        callback(credentials.error());
        return;
    }
    std::uint64_t serial = serials_[account_id];
    bool refused = stale_serial && *stale_serial == serial;
    bool fresh = !credentials->access_token.empty() &&
                 static_cast<double>(credentials->access_expires_at - now) > options_.lead_seconds;
    if (fresh && !refused) {
        callback(AccessToken{credentials->access_token, credentials->access_expires_at, serial});
        return;
    }
    waiting_[account_id].push_back(std::move(callback));
    start_refresh(account_id);
}

void TokenRefresher::start_refresh(std::uint64_t account_id) {
    auto account = store_.get_account(account_id);
    auto credentials = store_.get_credentials(account_id);
    if (!account || !credentials) {
        complete(account_id, account ? credentials.error() : account.error());
        return;
    }
    ++refreshes_started_;
    log_info("refreshing the access token of account ", account_id, " (", account->name, ")");
    HttpRequestSpec spec;
    spec.url = options_.token_endpoint;
    spec.headers = {"Content-Type: application/json", "Accept: application/json"};
    spec.body = oidc_refresh_body(account->client_id, credentials->client_secret, credentials->refresh_token);
    spec.proxy = options_.proxy;
    spec.connect_timeout = options_.connect_timeout;
    spec.first_byte_timeout = options_.timeout;
    spec.idle_timeout = options_.timeout;
    auto state = std::make_shared<std::pair<int, std::string>>();
    http_.start(std::move(spec),
                HttpCallbacks{[state](int status, const HttpHeaders&) { state->first = status; },
                              [state](std::string_view bytes) {
                                  if (state->second.size() < (1u << 20)) state->second.append(bytes);
                              },
                              [this, account_id, state](const Status& outcome) {
                                  if (!outcome) complete(account_id, outcome.error());
                                  else complete(account_id, commit(account_id, state->first, state->second));
                              }});
}

// The rotated refresh token must be durable before anything uses the new access token: a
// crash after using it but before storing it would lose the account.
Result<AccessToken> TokenRefresher::commit(std::uint64_t account_id, int status, const std::string& body) {
    auto grant = parse_oidc_response(status, body);
    if (!grant) return grant.error();
    auto credentials = store_.get_credentials(account_id);
    if (!credentials) return credentials.error();
    credentials->access_token = grant->access_token;
    credentials->access_expires_at = unix_seconds() + grant->expires_in;
    bool rotated = !grant->refresh_token.empty() && grant->refresh_token != credentials->refresh_token;
    if (rotated) credentials->refresh_token = grant->refresh_token;
    if (auto st = store_.put_credentials(account_id, *credentials); !st) return st.error();
    if (rotated) log_notice("account ", account_id, ": the token endpoint rotated the refresh token (stored)");
    std::uint64_t serial = ++serials_[account_id];
    return AccessToken{credentials->access_token, credentials->access_expires_at, serial};
}

void TokenRefresher::complete(std::uint64_t account_id, Result<AccessToken> result) {
    auto it = waiting_.find(account_id);
    if (it == waiting_.end()) return;
    std::vector<Callback> callbacks = std::move(it->second);
    waiting_.erase(it);
    if (!result) log_warning("account ", account_id, ": ", result.error().message);
    for (auto& cb : callbacks) cb(result);
}

}  // namespace amq
