// AWS SSO OIDC device authorization (RFC 8628 as AWS speaks it): client registration, device
// codes, and the device-code grant polled on /token — the flow the daemon logs accounts in
// with. Pure of sockets: it takes parsed bodies and the time and returns the status and body to
// answer, so that the server only glues it to evhttp and tests can steer logins (POST /_device)
// without waiting on real clocks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace fake {

constexpr std::string_view kDeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

// An OAuth error body as AWS SSO OIDC writes it: {"error", "error_description"}.
std::string oauth_error(std::string_view error, std::string_view description);

// What to answer: a status and a JSON body.
struct Reply {
    int status = 200;
    std::string body;
};

// `now` is monotonic seconds: expiry and poll intervals must not jump with the wall clock.
class DeviceAuth {
public:
    // POST /client/register. `epoch_now` (wall-clock seconds) only dates the answer, as AWS
    // does with clientIdIssuedAt and clientSecretExpiresAt.
    Reply register_client(const rapidjson::Value& body, double now, std::int64_t epoch_now);
    // POST /device_authorization. `host` (the Host header) roots the verification URIs.
    Reply authorize(const rapidjson::Value& body, std::string_view host, double now);
    // POST /token with the device-code grant. `mint` issues an access token that generate
    // accepts; it is called only for an approved login.
    Reply poll(const rapidjson::Value& body, double now, const std::function<std::string()>& mint);

    // POST /_device: an action on one login, or settings for the registrations and logins
    // that come next. {200, ""} or the status and what is wrong.
    std::pair<int, std::string> control(const rapidjson::Value& body);
    // GET /_device: every registration and login.
    std::string listing(double now) const;
    // POST /_reset: forgets registrations and logins and restores the settings. The numbering
    // goes on, so that a credential the daemon kept from before the reset stays unknown.
    void reset();

private:
    enum class State { pending, approved, denied, expired, consumed };

    struct Registration {
        std::string client_id;
        std::string client_secret;
        std::string client_name;
        std::string issuer_url;
        std::vector<std::string> scopes;
        double expires = 0;              // monotonic
        std::int64_t expires_epoch = 0;  // for GET /_device
    };

    struct Login {
        std::uint64_t serial = 0;
        std::string device_code;
        std::string user_code;
        std::string client_id;
        std::string start_url;
        State state = State::pending;
        double expires = 0;               // monotonic
        std::int64_t interval = 0;        // seconds; grows by 5 with every slow_down
        std::optional<double> last_poll;  // monotonic
        std::uint64_t polls = 0;
        bool slow_down_armed = false;  // by control: the next poll answers slow_down
    };

    // What a test may change for what comes next (POST /_device).
    struct Settings {
        std::int64_t registration_lifetime = 7776000;  // 90 days, as AWS grants
        std::int64_t expires_in = 600;
        std::int64_t interval = 1;
    };

    const Registration* find_client(std::string_view client_id) const;
    Login* find_login(std::string Login::*key, std::string_view code);
    static State state_at(const Login& login, double now);
    static const char* state_name(State state);
    static Reply slow_down(Login& login);
    std::pair<int, std::string> apply_settings(const rapidjson::Value& body);

    Settings settings_;
    std::vector<Registration> registrations_;  // in order of registration
    std::vector<Login> logins_;                // in order of authorization
    std::uint64_t registration_serial_ = 0;
    std::uint64_t login_serial_ = 0;
};

}  // namespace fake
