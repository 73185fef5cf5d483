#include "daemon/master/account_logins.hpp"

#include <array>

#include "common/crypto.hpp"
#include "common/kiro_signin.hpp"
#include "common/log.hpp"
#include "common/q_endpoints.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

constexpr std::size_t kMaxAnswer = 64u << 10;
// An ended login stays visible this long, for the status calls of whoever started it.
constexpr std::int64_t kKeepEnded = 600;
// AWS adds this much to the interval with each slow_down.
constexpr std::int64_t kSlowDownStep = 5;

// The port the Kiro portal redirects the admin's browser to: nothing listens there (the
// daemon is elsewhere), the admin copies the address. A random high port keeps the code away
// from whatever might listen on a well-known one.
std::string loopback_redirect_uri() {
    std::uint8_t r[2];
    random_bytes(r, sizeof r);
    unsigned port = 49152 + (static_cast<unsigned>(r[0]) << 8 | r[1]) % 16384;
    return str_cat("http://localhost:", port);
}

std::string random_token(std::size_t bytes) {
    std::uint8_t r[32];
    random_bytes(r, bytes);
    return base64url(r, bytes);
}

constexpr std::array<std::string_view, 6> kStateNames = {"pending",   "succeeded", "failed",
                                                         "cancelled", "expired",   "denied"};

}  // namespace

std::string_view login_state_name(LoginView::State state) {
    return kStateNames[static_cast<std::size_t>(state)];
}

struct AccountLogins::Login {
    LoginRequest request;
    LoginView view;
    ClientRegistration registration;
    std::string device_code;
    std::int64_t interval = 5;
    std::string state, verifier, redirect_uri;  // Kiro sign-ins
    std::int64_t ended_at = 0;
    HttpCaller::CallId call = 0;
    Event timer;
};

AccountLogins::AccountLogins(event_base* base, HttpCaller& http, LoginOptions options)
    : base_(base), http_(http), options_(std::move(options)) {}

AccountLogins::~AccountLogins() {
    for (auto& [id, login] : logins_)
        if (login->call) http_.cancel(login->call);
}

std::string AccountLogins::oidc_url(const LoginRequest& request, std::string_view endpoint) const {
    std::string token = expand_region(options_.token_endpoint, request.region);
    return endpoint == "token" ? token : oidc_endpoint(token, endpoint);
}

HttpRequestSpec AccountLogins::post(std::string url, std::string body) const {
    HttpRequestSpec spec;
    spec.url = std::move(url);
    spec.headers = {"Content-Type: application/json", "Accept: application/json"};
    spec.body = std::move(body);
    spec.proxy = options_.proxy;
    spec.first_byte_timeout = options_.timeout;
    spec.idle_timeout = options_.timeout;
    return spec;
}

void AccountLogins::start(LoginRequest request, StartedFn started) {
    std::int64_t now = unix_seconds();
    forget_old(now);
    std::size_t pending = 0;
    for (const auto& [id, login] : logins_)
        pending += login->view.state == LoginView::State::pending;
    if (pending >= kMaxPending)
        return started(
            make_error(Errc::unavailable, str_cat(pending,
                                                  " logins are waiting for their users already; "
                                                  "finish or cancel one first")));
    if (request.start_url.empty() && !request.kiro)
        request.start_url = std::string(kBuilderIdStartUrl);
    if (request.region.empty()) request.region = std::string(kDefaultRegion);
    auto login = std::make_shared<Login>();
    login->request = std::move(request);
    login->view.id = next_id_++;
    logins_[login->view.id] = login;
    if (login->request.kiro) return start_signin(login, std::move(started));
    if (login->request.registration) {
        login->registration = *login->request.registration;
        return authorize(login, std::move(started));
    }
    login->call = fetch_whole(
        http_,
        post(oidc_url(login->request, "client/register"),
             oidc_register_body(options_.client_name, login->request.start_url)),
        kMaxAnswer, [this, login, started](Result<HttpAnswer> answer) {
            login->call = 0;
            auto registration = answer ? parse_registration(answer->status, answer->body)
                                       : Result<ClientRegistration>(answer.error());
            if (!registration) {
                end(*login, LoginView::State::failed, registration.error().message);
                return started(registration.error());
            }
            login->registration = std::move(*registration);
            authorize(login, started);
        });
}

void AccountLogins::start_signin(const std::shared_ptr<Login>& login, StartedFn started) {
    login->state = random_token(16);
    login->verifier = random_token(32);
    login->redirect_uri = loopback_redirect_uri();
    login->view.signin_url = kiro_signin_url(options_.kiro_signin_url, login->state,
                                             pkce_challenge(login->verifier), login->redirect_uri);
    login->view.expires_at = unix_seconds() + options_.signin_seconds;
    log_info("login ", login->view.id, ": waiting for the Kiro sign-in's callback URL");
    started(login->view);
}

// A sign-in nobody completes has no poll to notice its end: whoever looks next ends it, so
// that abandoned sign-ins do not hold the places of new logins.
void AccountLogins::expire_if_due(Login& login, std::int64_t now) {
    if (login.view.state != LoginView::State::pending || !login.view.expires_at ||
        now < login.view.expires_at)
        return;
    end(login, LoginView::State::expired,
        login.request.kiro ? "the sign-in expired before it was completed"
                           : "the code expired before it was approved");
}

std::shared_ptr<AccountLogins::Login> AccountLogins::find_current(std::uint64_t id) {
    auto it = logins_.find(id);
    if (it == logins_.end()) return nullptr;
    expire_if_due(*it->second, unix_seconds());
    return it->second;
}

void AccountLogins::complete(std::uint64_t id, std::string_view callback_url, StartedFn done) {
    std::shared_ptr<Login> login = find_current(id);
    if (!login) return done(make_error(Errc::not_found, str_cat("no login ", id)));
    if (!login->request.kiro)
        return done(make_error(Errc::invalid_argument,
                               "a device login completes when its code is approved"));
    if (login->view.state != LoginView::State::pending)
        return done(make_error(Errc::conflict,
                               str_cat("login ", id, " is ", login_state_name(login->view.state))));
    if (login->call)
        return done(make_error(Errc::conflict, "this sign-in's code is being exchanged already"));
    auto code = signin_code(callback_url, login->state);
    if (!code && code.error().code == Errc::permission_denied)
        end(*login, LoginView::State::denied, code.error().message);
    if (!code) return done(code.error());
    std::string url =
        sibling_endpoint(expand_region(options_.kiro_token_endpoint, login->request.region),
                         "refreshToken", "oauth/token");
    login->call = fetch_whole(
        http_,
        post(std::move(url), kiro_code_exchange_body(*code, login->verifier, login->redirect_uri)),
        kMaxAnswer, [this, login, done](Result<HttpAnswer> answer) {
            login->call = 0;
            auto granted = answer ? parse_kiro_response(answer->status, answer->body)
                                  : Result<TokenGrant>(answer.error());
            if (granted && granted->refresh_token.empty())
                granted =
                    make_error(Errc::unavailable, "the code exchange answered no refreshToken");
            if (granted) return grant(login, *granted, [login, done] { done(login->view); });
            end(*login, LoginView::State::failed,
                str_cat("the code exchange failed: ", granted.error().message));
            done(login->view);
        });
}

void AccountLogins::grant(const std::shared_ptr<Login>& login, const TokenGrant& grant,
                          std::function<void()> then) {
    login->request.finish(login->request, login->registration, grant,
                          [this, login, then](Result<std::uint64_t> account) {
                              if (!account) {
                                  end(*login, LoginView::State::failed, account.error().message);
                              } else {
                                  login->view.account_id = *account;
                                  end(*login, LoginView::State::succeeded, {});
                              }
                              if (then) then();
                          });
}

void AccountLogins::authorize(const std::shared_ptr<Login>& login, StartedFn started) {
    const ClientRegistration& r = login->registration;
    login->call = fetch_whole(
        http_,
        post(
            oidc_url(login->request, "device_authorization"),
            oidc_device_authorization_body(r.client_id, r.client_secret, login->request.start_url)),
        kMaxAnswer, [this, login, started](Result<HttpAnswer> answer) {
            login->call = 0;
            auto device = answer ? parse_device_authorization(answer->status, answer->body)
                                 : Result<DeviceAuthorization>(answer.error());
            if (!device) {
                end(*login, LoginView::State::failed, device.error().message);
                return started(device.error());
            }
            login->device_code = device->device_code;
            login->interval = device->interval;
            login->view.user_code = device->user_code;
            login->view.verification_uri = device->verification_uri;
            login->view.verification_uri_complete = device->verification_uri_complete;
            login->view.expires_at = unix_seconds() + device->expires_in;
            log_info("login ", login->view.id, ": waiting for the user to approve code ",
                     device->user_code, " for ", login->request.start_url);
            // Weak: the login owns its timer, which must not keep the login alive.
            login->timer = Event::timer(base_, [this, weak = std::weak_ptr<Login>(login)](short) {
                if (auto alive = weak.lock()) poll(alive);
            });
            login->timer.arm_after(static_cast<double>(login->interval));
            started(login->view);
        });
}

void AccountLogins::poll(const std::shared_ptr<Login>& login) {
    expire_if_due(*login, unix_seconds());
    if (login->view.state != LoginView::State::pending) return;
    const ClientRegistration& r = login->registration;
    login->call = fetch_whole(
        http_,
        post(oidc_url(login->request, "token"),
             oidc_device_token_body(r.client_id, r.client_secret, login->device_code)),
        kMaxAnswer, [this, login](Result<HttpAnswer> answer) {
            login->call = 0;
            if (login->view.state != LoginView::State::pending) return;
            DevicePoll p = answer
                               ? parse_device_token(answer->status, answer->body)
                               : DevicePoll{DevicePoll::State::retry, {}, answer.error().message};
            using S = DevicePoll::State;
            switch (p.state) {
                case S::granted: return grant(login, p.grant);
                case S::slow_down: login->interval += kSlowDownStep; break;
                case S::pending: break;
                case S::retry:
                    log_warning("login ", login->view.id,
                                ": token poll failed, trying again: ", p.message);
                    break;
                case S::expired: return end(*login, LoginView::State::expired, p.message);
                case S::denied: return end(*login, LoginView::State::denied, p.message);
                case S::failed: return end(*login, LoginView::State::failed, p.message);
            }
            login->timer.arm_after(static_cast<double>(login->interval));
        });
}

void AccountLogins::end(Login& login, LoginView::State state, std::string message) {
    if (login.view.state != LoginView::State::pending) return;
    login.view.state = state;
    login.view.message = std::move(message);
    login.ended_at = unix_seconds();
    login.timer.disarm();
    if (login.call) http_.cancel(login.call);
    login.call = 0;
    log_info("login ", login.view.id, ": ", login_state_name(state),
             login.view.message.empty() ? "" : ": ", login.view.message);
}

Result<LoginView> AccountLogins::status(std::uint64_t id) {
    forget_old(unix_seconds());
    auto login = find_current(id);
    if (!login) return make_error(Errc::not_found, str_cat("no login ", id));
    return login->view;
}

Result<LoginView> AccountLogins::cancel(std::uint64_t id) {
    auto it = logins_.find(id);
    if (it == logins_.end()) return make_error(Errc::not_found, str_cat("no login ", id));
    end(*it->second, LoginView::State::cancelled, "cancelled");
    return it->second->view;
}

void AccountLogins::forget_old(std::int64_t now) {
    for (auto it = logins_.begin(); it != logins_.end();) {
        Login& l = *it->second;
        expire_if_due(l, now);
        bool old = l.view.state != LoginView::State::pending && now - l.ended_at > kKeepEnded;
        it = old ? logins_.erase(it) : std::next(it);
    }
}

}  // namespace amq
