#include "tests/fake_upstream/device_auth.hpp"

#include <array>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace fake {

namespace {

using amq::JsonWriter;
using amq::str_cat;
using amq::write_field;
using amq::write_key;
using amq::write_string;
using rapidjson::Value;

constexpr int kAccessTokenLifetime = 3600;
// AWS answers a poll as too fast when it comes sooner than the interval; this much slack
// keeps a client that sleeps exactly the interval from tripping over timer jitter.
constexpr double kPollSlack = 0.2;
constexpr std::int64_t kSlowDownStep = 5;  // seconds added to the interval, as AWS does
// Settings beyond this would overflow when added to a time; nobody waits 30 000 years.
constexpr std::int64_t kMaxSeconds = 1'000'000'000'000;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

Reply bad(std::string_view error, std::string_view description) {
    return Reply{400, oauth_error(error, description)};
}

// The member's text when it is a non-empty string; "" otherwise (every such field here is
// required to be non-empty).
std::string_view non_empty(const Value& body, const char* name) {
    return amq::find_string(body, name).value_or(std::string_view());
}

std::string must_be_non_empty(const char* name) {
    return str_cat("field '", name, "' must be a non-empty string");
}

// Why the scopes are refused (invalid_scope), or "".
std::string scopes_problem(const Value& body) {
    const Value* scopes = amq::find_member(body, "scopes");
    if (!scopes || !scopes->IsArray() || scopes->Empty())
        return "field 'scopes' must be a non-empty array of strings";
    for (const Value& s : scopes->GetArray()) {
        if (!s.IsString()) return "field 'scopes' must hold strings only";
        if (!view(s).starts_with("codewhisperer:"))
            return str_cat("field 'scopes': '", view(s), "' does not start with codewhisperer:");
    }
    return {};
}

// Why the grant types are refused (invalid_request), or "".
std::string grants_problem(const Value& body) {
    const Value* grants = amq::find_member(body, "grantTypes");
    if (!grants || !grants->IsArray()) return "field 'grantTypes' must be an array of strings";
    bool device = false;
    bool refresh = false;
    for (const Value& g : grants->GetArray()) {
        if (!g.IsString()) return "field 'grantTypes' must hold strings only";
        device = device || view(g) == kDeviceCodeGrant;
        refresh = refresh || view(g) == "refresh_token";
    }
    if (device && refresh) return {};
    return str_cat("field 'grantTypes' must contain ", kDeviceCodeGrant, " and refresh_token");
}

// The first thing wrong with a registration request, as an OAuth error.
std::optional<Reply> registration_problem(const Value& body) {
    if (non_empty(body, "clientName").empty())
        return bad("invalid_request", must_be_non_empty("clientName"));
    if (amq::find_string(body, "clientType") != "public")
        return bad("invalid_request", "field 'clientType' must be \"public\"");
    if (std::string problem = scopes_problem(body); !problem.empty())
        return bad("invalid_scope", problem);
    if (std::string problem = grants_problem(body); !problem.empty())
        return bad("invalid_request", problem);
    if (non_empty(body, "issuerUrl").empty())
        return bad("invalid_request", must_be_non_empty("issuerUrl"));
    return std::nullopt;
}

// Eight upper-case letters, XXXX-XXXX, distinct for every serial below 10^8: multiplying by
// a number prime to 26 (26^8 over the golden ratio) is a bijection modulo 26^8 and cannot
// overflow there, so codes look scattered, as real ones do, yet never collide.
std::string user_code_for(std::uint64_t serial) {
    constexpr std::uint64_t kSpace = 208'827'064'576;  // 26^8
    std::uint64_t x = serial * 129'062'223'679u % kSpace;
    std::string code(9, '-');
    for (int i = 8; i >= 0; --i) {
        if (i == 4) continue;
        code[static_cast<std::size_t>(i)] = static_cast<char>('A' + x % 26);
        x /= 26;
    }
    return code;
}

// "key": [{…}, …], each object's members written by `members(item)`.
template <class Items, class Members>
void write_objects(JsonWriter& w, std::string_view key, const Items& items, Members members) {
    write_key(w, key);
    w.StartArray();
    for (const auto& item : items) {
        w.StartObject();
        members(item);
        w.EndObject();
    }
    w.EndArray();
}

}  // namespace

std::string oauth_error(std::string_view error, std::string_view description) {
    return amq::json_object([&](JsonWriter& w) {
        write_field(w, "error", error);
        write_field(w, "error_description", description);
    });
}

Reply DeviceAuth::register_client(const Value& body, double now, std::int64_t epoch_now) {
    if (auto problem = registration_problem(body)) return *problem;
    const std::uint64_t n = ++registration_serial_;
    Registration reg{str_cat("client-", n),
                     str_cat("secret-", n),
                     std::string(non_empty(body, "clientName")),
                     std::string(non_empty(body, "issuerUrl")),
                     {},
                     now + static_cast<double>(settings_.registration_lifetime),
                     epoch_now + settings_.registration_lifetime};
    for (const Value& s : body["scopes"].GetArray()) reg.scopes.emplace_back(view(s));
    Reply reply{200, amq::json_object([&](JsonWriter& w) {
                    write_field(w, "clientId", reg.client_id);
                    write_field(w, "clientSecret", reg.client_secret);
                    write_key(w, "clientIdIssuedAt");
                    w.Int64(epoch_now);
                    write_key(w, "clientSecretExpiresAt");
                    w.Int64(reg.expires_epoch);
                })};
    registrations_.push_back(std::move(reg));
    return reply;
}

Reply DeviceAuth::authorize(const Value& body, std::string_view host, double now) {
    const std::string_view client_id = non_empty(body, "clientId");
    const Registration* reg = find_client(client_id);
    if (!reg) return bad("invalid_client", str_cat("unknown clientId '", client_id, "'"));
    if (amq::find_string(body, "clientSecret") != reg->client_secret)
        return bad("invalid_client", str_cat("wrong clientSecret for ", client_id));
    if (now >= reg->expires)
        return bad("invalid_client", str_cat("the clientSecret of ", client_id, " has expired"));
    const std::string_view start_url = non_empty(body, "startUrl");
    if (start_url.empty()) return bad("invalid_request", must_be_non_empty("startUrl"));

    Login login;
    login.serial = ++login_serial_;
    login.device_code = str_cat("device-", login.serial);
    login.user_code = user_code_for(login.serial);
    login.client_id = reg->client_id;
    login.start_url = start_url;
    login.expires = now + static_cast<double>(settings_.expires_in);
    login.interval = settings_.interval;
    const std::string uri = str_cat("http://", host.empty() ? "localhost" : host, "/device");
    Reply reply{200, amq::json_object([&](JsonWriter& w) {
                    write_field(w, "deviceCode", login.device_code);
                    write_field(w, "userCode", login.user_code);
                    write_field(w, "verificationUri", uri);
                    write_field(w, "verificationUriComplete",
                                str_cat(uri, "?user_code=", login.user_code));
                    write_key(w, "expiresIn");
                    w.Int64(settings_.expires_in);
                    write_key(w, "interval");
                    w.Int64(login.interval);
                })};
    logins_.push_back(std::move(login));
    return reply;
}

// Checks in the order AWS applies them: the code, the client, then the login's state, the
// pace of polling, and only then whether the user has decided.
Reply DeviceAuth::poll(const Value& body, double now, const std::function<std::string()>& mint) {
    amq::FieldReader r(body);
    auto client_id = r.string("clientId", true);
    auto client_secret = r.string("clientSecret", true);
    auto device_code = r.string("deviceCode", true);
    if (!r.ok()) return bad("invalid_request", r.status().error().message);
    Login* login = find_login(&Login::device_code, *device_code);
    if (!login) return bad("invalid_grant", str_cat("unknown deviceCode '", *device_code, "'"));
    const Registration* reg = find_client(login->client_id);
    if (*client_id != login->client_id || !reg || *client_secret != reg->client_secret)
        return bad("invalid_client",
                   str_cat("clientId and clientSecret are not those that started ", *device_code));

    ++login->polls;
    const std::optional<double> previous = std::exchange(login->last_poll, now);
    switch (state_at(*login, now)) {
        case State::consumed:
            return bad("invalid_grant", str_cat("deviceCode '", *device_code, "' was used"));
        case State::expired: return bad("expired_token", "the device code has expired");
        case State::denied: return bad("access_denied", "the user denied the authorization");
        default: break;
    }
    if (previous && now - *previous < static_cast<double>(login->interval) - kPollSlack)
        return slow_down(*login);
    if (std::exchange(login->slow_down_armed, false)) return slow_down(*login);
    if (login->state == State::pending)
        return bad("authorization_pending", "the user has not yet approved the authorization");

    login->state = State::consumed;
    const std::string access = mint();
    return Reply{200, amq::json_object([&](JsonWriter& w) {
                     write_field(w, "accessToken", access);
                     write_field(w, "tokenType", "Bearer");
                     write_key(w, "expiresIn");
                     w.Int(kAccessTokenLifetime);
                     write_field(w, "refreshToken", str_cat("rt-device-", login->serial));
                 })};
}

Reply DeviceAuth::slow_down(Login& login) {
    login.interval += kSlowDownStep;
    return bad("slow_down", str_cat("polling too fast: wait ", login.interval, " s between polls"));
}

std::pair<int, std::string> DeviceAuth::control(const Value& body) {
    if (!body.IsObject()) return {400, "expected an object"};
    amq::FieldReader r(body);
    if (!r.has("user_code") && !r.has("device_code")) return apply_settings(body);
    static constexpr std::array<std::string_view, 3> kFields = {"user_code", "device_code",
                                                                "action"};
    if (auto known = amq::check_fields(body, kFields); !known) return {400, known.error().message};
    auto user_code = r.string("user_code");
    auto device_code = r.string("device_code");
    auto action = r.string("action", true);
    if (!r.ok()) return {400, r.status().error().message};
    if (user_code && device_code) return {400, "name the login by user_code or device_code"};

    static constexpr std::pair<std::string_view, State> kActions[] = {
        {"approve", State::approved}, {"deny", State::denied}, {"expire", State::expired}};
    const bool slow = *action == "slow_down";
    std::optional<State> next;
    for (const auto& [name, state] : kActions)
        if (*action == name) next = state;
    if (!next && !slow)
        return {400, str_cat("unknown action '", *action, "' (approve, deny, expire, slow_down)")};

    Login* login = user_code ? find_login(&Login::user_code, *user_code)
                             : find_login(&Login::device_code, *device_code);
    if (!login) return {404, str_cat("no login with ", user_code ? *user_code : *device_code)};
    if (login->state == State::consumed)
        return {400, str_cat(login->device_code, " was already used")};
    if (slow)
        login->slow_down_armed = true;
    else
        login->state = *next;
    return {200, {}};
}

std::pair<int, std::string> DeviceAuth::apply_settings(const Value& body) {
    static constexpr std::array<std::string_view, 3> kFields = {"registration_lifetime",
                                                                "expires_in", "interval"};
    if (auto known = amq::check_fields(body, kFields); !known) return {400, known.error().message};
    amq::FieldReader r(body);
    auto lifetime = r.integer("registration_lifetime", false, 0, kMaxSeconds);
    auto expires_in = r.integer("expires_in", false, 0, kMaxSeconds);
    auto interval = r.integer("interval", false, 0, kMaxSeconds);
    if (!r.ok()) return {400, r.status().error().message};
    settings_.registration_lifetime = lifetime.value_or(settings_.registration_lifetime);
    settings_.expires_in = expires_in.value_or(settings_.expires_in);
    settings_.interval = interval.value_or(settings_.interval);
    return {200, {}};
}

std::string DeviceAuth::listing(double now) const {
    return amq::json_object([&](JsonWriter& w) {
        write_objects(w, "registrations", registrations_, [&](const Registration& reg) {
            write_field(w, "client_id", reg.client_id);
            write_field(w, "client_name", reg.client_name);
            write_field(w, "issuer_url", reg.issuer_url);
            write_key(w, "scopes");
            w.StartArray();
            for (const std::string& scope : reg.scopes) write_string(w, scope);
            w.EndArray();
            write_key(w, "expires_at");
            w.Int64(reg.expires_epoch);
        });
        write_objects(w, "logins", logins_, [&](const Login& login) {
            write_field(w, "device_code", login.device_code);
            write_field(w, "user_code", login.user_code);
            write_field(w, "client_id", login.client_id);
            write_field(w, "start_url", login.start_url);
            write_field(w, "state", state_name(state_at(login, now)));
            write_key(w, "polls");
            w.Uint64(login.polls);
            write_key(w, "interval");
            w.Int64(login.interval);
        });
    });
}

void DeviceAuth::reset() {
    settings_ = Settings{};
    registrations_.clear();
    logins_.clear();
}

const DeviceAuth::Registration* DeviceAuth::find_client(std::string_view client_id) const {
    for (const Registration& reg : registrations_)
        if (reg.client_id == client_id) return &reg;
    return nullptr;
}

DeviceAuth::Login* DeviceAuth::find_login(std::string Login::*key, std::string_view code) {
    for (Login& login : logins_)
        if (login.*key == code) return &login;
    return nullptr;
}

const char* DeviceAuth::state_name(State state) {
    static constexpr const char* kNames[] = {"pending", "approved", "denied", "expired",
                                             "consumed"};
    return kNames[static_cast<int>(state)];
}

// A login past its time is expired whatever was decided, unless its tokens were issued.
DeviceAuth::State DeviceAuth::state_at(const Login& login, double now) {
    if (login.state == State::consumed) return State::consumed;
    if (now >= login.expires) return State::expired;
    return login.state;
}

}  // namespace fake
