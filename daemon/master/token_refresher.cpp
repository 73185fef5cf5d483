#include "daemon/master/token_refresher.hpp"

#include "common/log.hpp"
#include "common/oidc.hpp"
#include "common/q_endpoints.hpp"

namespace amq {
namespace {

constexpr double kSweepSeconds = 10;
// While a refresh runs, the current token is still handed out if it is good for this long.
constexpr double kLeastValidity = 30;

}  // namespace

TokenRefresher::TokenRefresher(event_base* base, Store& store, WriteGate& gate, HttpClient& http,
                               RefresherOptions options, OutcomeFn on_outcome)
    : store_(store),
      gate_(gate),
      http_(http),
      options_(std::move(options)),
      on_outcome_(std::move(on_outcome)) {
    sweep_ = Event::persistent_timer(base, [this](short) { refresh_ahead(); });
    sweep_.arm_after(kSweepSeconds);
}

void TokenRefresher::get(std::uint64_t account_id, std::int64_t now,
                         std::optional<std::uint64_t> stale_serial, Callback callback) {
    used_since_refresh_.insert(account_id);
    auto credentials = store_.get_credentials(account_id);
    if (!credentials) return callback(credentials.error());
    std::uint64_t serial = serials_[account_id];
    bool refused = stale_serial && *stale_serial == serial;
    double left = static_cast<double>(credentials->access_expires_at - now);
    bool usable = !credentials->access_token.empty() && !refused;
    bool fresh = left > options_.lead_seconds;
    bool bridges_refresh = waiting_.count(account_id) > 0 && left > kLeastValidity;
    if (usable && (fresh || bridges_refresh))
        return callback(
            AccessToken{credentials->access_token, credentials->access_expires_at, serial});
    refresh(account_id, std::move(callback));
}

void TokenRefresher::refresh(std::uint64_t account_id, Callback callback) {
    bool in_flight = waiting_.count(account_id) > 0;
    waiting_[account_id].push_back(std::move(callback));
    if (!in_flight) start_refresh(account_id);
}

bool TokenRefresher::has_fresh_token(std::uint64_t account_id, std::int64_t now) const {
    auto credentials = store_.get_credentials(account_id);
    return credentials && !credentials->access_token.empty() &&
           static_cast<double>(credentials->access_expires_at - now) > options_.lead_seconds;
}

std::set<std::uint64_t> TokenRefresher::refreshing() const {
    std::set<std::uint64_t> ids;
    for (const auto& [id, callers] : waiting_) ids.insert(id);
    return ids;
}

void TokenRefresher::forget(std::uint64_t account_id) {
    serials_.erase(account_id);
    used_since_refresh_.erase(account_id);
}

// Spreads the ahead-of-time refreshes of a pool over up to a fifth of the lead time.
double TokenRefresher::jitter(std::uint64_t account_id) const {
    std::uint64_t h = account_id * 0x9E3779B97F4A7C15ull;
    return static_cast<double>(h >> 40) / static_cast<double>(1ull << 24) * options_.lead_seconds /
           5;
}

void TokenRefresher::refresh_ahead() {
    std::int64_t now = unix_seconds();
    for (std::uint64_t id : std::set<std::uint64_t>(used_since_refresh_)) {
        if (waiting_.count(id)) continue;
        auto credentials = store_.get_credentials(id);
        if (!credentials || credentials->access_token.empty()) continue;
        double left = static_cast<double>(credentials->access_expires_at - now);
        if (left > options_.lead_seconds + jitter(id)) continue;
        refresh(id, [](const Result<AccessToken>&) {});
    }
}

void TokenRefresher::start_refresh(std::uint64_t account_id) {
    auto before = store_.get_credentials(account_id);
    std::string seen = before ? before->access_token : std::string();
    auto got = std::make_shared<Result<AccessToken>>(
        make_error(Errc::internal, "the refresh did not run"));
    auto ran = std::make_shared<bool>(false);
    gate_.with_account(
        account_id,
        [this, account_id, seen, got, ran](WriteGate::Finished finished) {
            *ran = true;
            if (auto token = refreshed_elsewhere(account_id, seen)) {
                *got = *token;
                return finished({});
            }
            call_endpoint(account_id, [got, finished](Result<AccessToken> token) {
                *got = std::move(token);
                finished(*got ? Status{} : Status(got->error()));
            });
        },
        [this, account_id, got, ran](Status shared) {
            if (!shared && *got) return complete(account_id, shared.error(), false);
            complete(account_id, std::move(*got), *ran);
        });
}

std::optional<AccessToken> TokenRefresher::refreshed_elsewhere(std::uint64_t account_id,
                                                               const std::string& seen) {
    auto current = store_.get_credentials(account_id);
    if (!current || current->access_token.empty() || current->access_token == seen ||
        static_cast<double>(current->access_expires_at - unix_seconds()) <= kLeastValidity)
        return std::nullopt;
    log_info("account ", account_id, ": its token was refreshed by another host meanwhile");
    used_since_refresh_.erase(account_id);
    return AccessToken{current->access_token, current->access_expires_at, ++serials_[account_id]};
}

void TokenRefresher::call_endpoint(std::uint64_t account_id,
                                   std::function<void(Result<AccessToken>)> done) {
    auto account = store_.get_account(account_id);
    auto credentials = store_.get_credentials(account_id);
    if (!account || !credentials) return done(account ? credentials.error() : account.error());
    used_since_refresh_.erase(account_id);
    if (account->kind == "api_key")
        return done(make_error(Errc::permission_denied,
                               "the upstream refused this Kiro API key, which has no refresh: "
                               "give the account a new key"));
    log_info("refreshing the access token of account ", account_id, " (", account->name, ")");
    HttpRequestSpec spec = refresh_call(*account, *credentials);
    spec.proxy = account->proxy.empty() ? options_.proxy : account->proxy;
    spec.connect_timeout = options_.connect_timeout;
    spec.first_byte_timeout = options_.timeout;
    spec.idle_timeout = options_.timeout;
    fetch_whole(http_, std::move(spec), 1u << 20,
                [this, account_id, done](Result<HttpAnswer> answer) {
                    auto current = store_.get_account(account_id);
                    if (!current) return done(current.error());
                    if (!answer) return done(answer.error());
                    done(commit(*current, answer->status, answer->body));
                });
}

// Each kind of account refreshes at its own endpoint in its own dialect (docs/upstream.md §1).
HttpRequestSpec TokenRefresher::refresh_call(const Account& account,
                                             const AccountCredentials& credentials) const {
    HttpRequestSpec spec;
    const char* content_type = "Content-Type: application/json";
    if (account.kind == "social") {
        spec.url = expand_region(options_.kiro_token_endpoint, account.region);
        spec.body = kiro_refresh_body(credentials.refresh_token);
    } else if (account.kind == "external_idp") {
        spec.url = account.token_endpoint;
        spec.body = oauth2_refresh_body(account.client_id, credentials.refresh_token);
        content_type = "Content-Type: application/x-www-form-urlencoded";
    } else {
        spec.url = expand_region(options_.token_endpoint, account.region);
        spec.body = oidc_refresh_body(account.client_id, credentials.client_secret,
                                      credentials.refresh_token);
    }
    spec.headers = {content_type, "Accept: application/json"};
    return spec;
}

namespace {

Result<TokenGrant> parse_refresh(const Account& account, int status, const std::string& body) {
    if (account.kind == "social") return parse_kiro_response(status, body);
    if (account.kind == "external_idp") return parse_oauth2_response(status, body);
    return parse_oidc_response(status, body);
}

}  // namespace

// The rotated refresh token must be durable before anything uses the new access token: a
// crash after using it but before storing it would lose the account.
Result<AccessToken> TokenRefresher::commit(const Account& account, int status,
                                           const std::string& body) {
    auto grant = parse_refresh(account, status, body);
    if (!grant) return grant.error();
    auto credentials = store_.get_credentials(account.id);
    if (!credentials) return credentials.error();
    credentials->access_token = grant->access_token;
    credentials->access_expires_at = unix_seconds() + grant->expires_in;
    bool rotated =
        !grant->refresh_token.empty() && grant->refresh_token != credentials->refresh_token;
    if (rotated) credentials->refresh_token = grant->refresh_token;
    if (auto st = store_.put_credentials(account.id, *credentials); !st) return st.error();
    if (rotated)
        log_notice("account ", account.id,
                   ": the token endpoint rotated the refresh token (stored)");
    if (!grant->profile_arn.empty() && grant->profile_arn != account.profile_arn) {
        Account updated = account;
        updated.profile_arn = grant->profile_arn;
        if (auto st = store_.update_account(updated, unix_seconds()); !st)
            log_warning("account ", account.id,
                        ": cannot store its profile ARN: ", st.error().message);
    }
    std::uint64_t serial = ++serials_[account.id];
    return AccessToken{credentials->access_token, credentials->access_expires_at, serial};
}

void TokenRefresher::complete(std::uint64_t account_id, Result<AccessToken> result, bool blame) {
    auto it = waiting_.find(account_id);
    if (it == waiting_.end()) return;
    std::vector<Callback> callbacks = std::move(it->second);
    waiting_.erase(it);
    Outcome outcome;
    if (result) {
        outcome.kind = Outcome::Kind::refresh_succeeded;
    } else {
        log_warning("account ", account_id, ": ", result.error().message);
        outcome.kind = result.error().code == Errc::permission_denied
                           ? Outcome::Kind::invalid_credential
                           : Outcome::Kind::transient;
        outcome.message = result.error().message;
    }
    if (blame && (result || result.error().code != Errc::not_found))
        on_outcome_(account_id, outcome);
    for (auto& cb : callbacks) cb(result);
}

}  // namespace amq
