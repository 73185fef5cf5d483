#include "daemon/master/device_logins.hpp"

#include <array>

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

constexpr std::array<std::string_view, 6> kStateNames = {"pending",   "succeeded", "failed",
                                                         "cancelled", "expired",   "denied"};

}  // namespace

std::string_view login_state_name(LoginView::State state) {
    return kStateNames[static_cast<std::size_t>(state)];
}

struct DeviceLogins::Login {
    LoginRequest request;
    LoginView view;
    ClientRegistration registration;
    std::string device_code;
    std::int64_t interval = 5;
    std::int64_t ended_at = 0;
    HttpCaller::CallId call = 0;
    Event timer;
};

DeviceLogins::DeviceLogins(event_base* base, HttpCaller& http, DeviceLoginOptions options)
    : base_(base), http_(http), options_(std::move(options)) {}

DeviceLogins::~DeviceLogins() {
    for (auto& [id, login] : logins_)
        if (login->call) http_.cancel(login->call);
}

HttpRequestSpec DeviceLogins::post(const LoginRequest& request, std::string_view endpoint,
                                   std::string body) const {
    HttpRequestSpec spec;
    std::string token = expand_region(options_.token_endpoint,
                                      request.region.empty() ? kDefaultRegion : request.region);
    spec.url = endpoint == "token" ? token : oidc_endpoint(token, endpoint);
    spec.headers = {"Content-Type: application/json", "Accept: application/json"};
    spec.body = std::move(body);
    spec.proxy = options_.proxy;
    spec.first_byte_timeout = options_.timeout;
    spec.idle_timeout = options_.timeout;
    return spec;
}

void DeviceLogins::start(LoginRequest request, StartedFn started) {
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
    if (request.start_url.empty()) request.start_url = std::string(kBuilderIdStartUrl);
    if (request.region.empty()) request.region = std::string(kDefaultRegion);
    auto login = std::make_shared<Login>();
    login->request = std::move(request);
    login->view.id = next_id_++;
    logins_[login->view.id] = login;
    if (login->request.registration) {
        login->registration = *login->request.registration;
        return authorize(login, std::move(started));
    }
    login->call = fetch_whole(
        http_,
        post(login->request, "client/register",
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

void DeviceLogins::authorize(const std::shared_ptr<Login>& login, StartedFn started) {
    const ClientRegistration& r = login->registration;
    login->call = fetch_whole(
        http_,
        post(
            login->request, "device_authorization",
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

void DeviceLogins::poll(const std::shared_ptr<Login>& login) {
    if (login->view.state != LoginView::State::pending) return;
    if (unix_seconds() >= login->view.expires_at)
        return end(*login, LoginView::State::expired, "the code expired before it was approved");
    const ClientRegistration& r = login->registration;
    login->call = fetch_whole(
        http_,
        post(login->request, "token",
             oidc_device_token_body(r.client_id, r.client_secret, login->device_code)),
        kMaxAnswer, [this, login](Result<HttpAnswer> answer) {
            login->call = 0;
            if (login->view.state != LoginView::State::pending) return;
            DevicePoll p = answer
                               ? parse_device_token(answer->status, answer->body)
                               : DevicePoll{DevicePoll::State::retry, {}, answer.error().message};
            using S = DevicePoll::State;
            switch (p.state) {
                case S::granted: {
                    auto account =
                        login->request.finish(login->request, login->registration, p.grant);
                    if (!account)
                        return end(*login, LoginView::State::failed, account.error().message);
                    login->view.account_id = *account;
                    return end(*login, LoginView::State::succeeded, {});
                }
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

void DeviceLogins::end(Login& login, LoginView::State state, std::string message) {
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

Result<LoginView> DeviceLogins::status(std::uint64_t id) {
    forget_old(unix_seconds());
    auto it = logins_.find(id);
    if (it == logins_.end()) return make_error(Errc::not_found, str_cat("no login ", id));
    return it->second->view;
}

Result<LoginView> DeviceLogins::cancel(std::uint64_t id) {
    auto it = logins_.find(id);
    if (it == logins_.end()) return make_error(Errc::not_found, str_cat("no login ", id));
    end(*it->second, LoginView::State::cancelled, "cancelled");
    return it->second->view;
}

void DeviceLogins::forget_old(std::int64_t now) {
    for (auto it = logins_.begin(); it != logins_.end();) {
        const Login& l = *it->second;
        bool old = l.view.state != LoginView::State::pending && now - l.ended_at > kKeepEnded;
        it = old ? logins_.erase(it) : std::next(it);
    }
}

}  // namespace amq
