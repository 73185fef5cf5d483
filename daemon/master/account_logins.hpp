// Accounts logged in by the master, so that the daemon, not the admin's terminal, holds the
// secrets. Two flows:
// - AWS device authorization (Builder ID, IAM Identity Center): register an OIDC client (or
//   reuse a still-valid registration), start a device authorization, show its user code and
//   verification URL, poll the token endpoint at the interval it asks for
//   (authorization_pending, slow_down, expired_token, access_denied);
// - Kiro portal sign-in (common/kiro_signin.hpp): show a sign-in URL carrying a fresh state and
//   PKCE challenge, wait for the admin to paste the URL the browser ended on, exchange its
//   code with the verifier.
// Once granted, the tokens go to the request's `finish`, which stores the account. A login
// can be cancelled; nothing is stored before it is granted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/oidc_device.hpp"
#include "common/result.hpp"
#include "daemon/event.hpp"
#include "daemon/http_client.hpp"

namespace amq {

struct LoginRequest;
// Stores a granted login (a new account, or new credentials for request.account_id) and hands
// `stored` the account's id; an error ends the login failed with its message.
using LoginStoredFn = std::function<void(Result<std::uint64_t>)>;
using LoginFinishFn =
    std::function<void(const LoginRequest& request, const ClientRegistration& registration,
                       const TokenGrant& grant, LoginStoredFn stored)>;

struct LoginRequest {
    std::string name;              // a new account's; empty when re-authenticating
    std::uint64_t account_id = 0;  // re-authenticate this account, keeping its id and history
    std::string start_url;         // "" = Builder ID
    std::string region;            // of the OIDC service; "" = us-east-1
    std::optional<std::int64_t> requests_per_minute;
    bool kiro = false;  // a Kiro portal sign-in (a social account) instead of a device login
    std::optional<ClientRegistration> registration;  // a still-valid one to reuse
    LoginFinishFn finish;
};

struct LoginView {
    enum class State { pending, succeeded, failed, cancelled, expired, denied };
    std::uint64_t id = 0;
    State state = State::pending;
    std::string user_code;
    std::string verification_uri;
    std::string verification_uri_complete;
    std::string signin_url;        // Kiro portal sign-ins: what the admin opens instead
    std::int64_t expires_at = 0;   // Unix seconds: the user must approve before
    std::uint64_t account_id = 0;  // succeeded: the account logged in
    std::string message;           // why it ended, when it did not succeed
};

std::string_view login_state_name(LoginView::State state);

struct LoginOptions {
    std::string token_endpoint;  // may hold {region}
    std::string proxy;
    double timeout = 30;
    std::string client_name = "amq2api";
    std::string kiro_token_endpoint;  // the code exchange is its sibling …/oauth/token
    std::string kiro_signin_url;
    // How long a Kiro sign-in waits for its callback URL: the portal's codes live minutes.
    std::int64_t signin_seconds = 600;
};

class AccountLogins {
public:
    using StartedFn = std::function<void(Result<LoginView>)>;

    static constexpr std::size_t kMaxPending = 16;

    AccountLogins(event_base* base, HttpCaller& http, LoginOptions options);
    ~AccountLogins();
    void set_options(LoginOptions options) { options_ = std::move(options); }

    // `started` gets the user code and URL once the device authorization is under way.
    void start(LoginRequest request, StartedFn started);
    Result<LoginView> status(std::uint64_t id);
    Result<LoginView> cancel(std::uint64_t id);
    // A Kiro sign-in's callback URL: `done` gets the login as the code exchange left it. A URL
    // of another sign-in or without a code is refused and the sign-in waits on.
    void complete(std::uint64_t id, std::string_view callback_url, StartedFn done);

private:
    struct Login;
    void start_signin(const std::shared_ptr<Login>& login, StartedFn started);
    void authorize(const std::shared_ptr<Login>& login, StartedFn started);
    // `then` runs once the login ended, stored or failed.
    void grant(const std::shared_ptr<Login>& login, const TokenGrant& grant,
               std::function<void()> then = {});
    void expire_if_due(Login& login, std::int64_t now);
    std::shared_ptr<Login> find_current(std::uint64_t id);
    void poll(const std::shared_ptr<Login>& login);
    void end(Login& login, LoginView::State state, std::string message);
    void forget_old(std::int64_t now);
    std::string oidc_url(const LoginRequest& request, std::string_view endpoint) const;
    HttpRequestSpec post(std::string url, std::string body) const;

    event_base* base_;
    HttpCaller& http_;
    LoginOptions options_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::shared_ptr<Login>> logins_;
};

}  // namespace amq
