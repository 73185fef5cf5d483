// A device login driven through its HTTP seam: an OIDC service that answers each call as the
// test says, on a real event loop for the poll timer.
#define BOOST_TEST_MODULE daemon_master_account_logins
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/kiro_signin.hpp"
#include "common/strings.hpp"
#include "daemon/master/account_logins.hpp"

namespace amq {
namespace {

class FakeOidc final : public HttpCaller {
public:
    struct Call {
        HttpRequestSpec spec;
        HttpCallbacks callbacks;
        bool cancelled = false;
    };
    CallId start(HttpRequestSpec spec, HttpCallbacks callbacks) override {
        calls.push_back({std::move(spec), std::move(callbacks)});
        return calls.size();
    }
    void cancel(CallId id) override { calls.at(id - 1).cancelled = true; }
    void pause(CallId) override {}
    void resume(CallId) override {}

    void answer(int status, const std::string& body) {
        Call& c = calls.back();
        c.callbacks.on_response(status, {});
        c.callbacks.on_data(body);
        c.callbacks.on_done(Status{});
    }
    std::string path(std::size_t i) const {
        const std::string& url = calls.at(i).spec.url;
        return url.substr(url.find('/', 8));
    }
    std::vector<Call> calls;
};

constexpr const char* kRegistration =
    R"({"clientId":"client-1","clientSecret":"secret-1","clientSecretExpiresAt":2000000000})";
constexpr const char* kDevice =
    R"({"deviceCode":"device-1","userCode":"ABCD-EFGH","verificationUri":"https://v/device",)"
    R"("verificationUriComplete":"https://v/device?user_code=ABCD-EFGH","expiresIn":600,"interval":1})";

LoginOptions options() {
    LoginOptions o;
    o.token_endpoint = "https://oidc.{region}.test/token";
    o.timeout = 5;
    o.kiro_token_endpoint = "https://auth.{region}.kiro.test/refreshToken";
    o.kiro_signin_url = "https://portal.test/signin";
    return o;
}

constexpr const char* kKiroTokens =
    R"({"accessToken":"at-k","refreshToken":"rt-k","profileArn":"arn:p","expiresIn":3600})";

struct Fixture {
    EventBasePtr base = make_event_base();
    FakeOidc oidc;
    AccountLogins logins{base.get(), oidc, options()};
    std::vector<std::pair<ClientRegistration, TokenGrant>> finished;
    std::optional<Result<LoginView>> started;

    LoginRequest request() {
        LoginRequest r;
        r.name = "dev";
        r.finish = [this](const LoginRequest&, const ClientRegistration& reg, const TokenGrant& g,
                          LoginStoredFn stored) {
            finished.emplace_back(reg, g);
            stored(std::uint64_t{7});
        };
        return r;
    }
    void start(LoginRequest r) {
        logins.start(std::move(r), [this](Result<LoginView> v) { started = std::move(v); });
    }
    // Runs the loop until the next poll has been sent.
    void next_poll() {
        std::size_t before = oidc.calls.size();
        while (oidc.calls.size() == before) event_base_loop(base.get(), EVLOOP_ONCE);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_login_registers_authorizes_polls_and_finishes, Fixture) {
    start(request());
    BOOST_TEST(oidc.path(0) == "/client/register");
    BOOST_TEST(oidc.calls[0].spec.url.starts_with("https://oidc.us-east-1.test/"));
    oidc.answer(200, kRegistration);
    BOOST_TEST(oidc.path(1) == "/device_authorization");
    auto body = parse_json(oidc.calls[1].spec.body);
    BOOST_TEST(std::string((*body)["startUrl"].GetString()) == "https://view.awsapps.com/start");
    oidc.answer(200, kDevice);
    BOOST_REQUIRE(started && started->ok());
    BOOST_TEST((*started)->user_code == "ABCD-EFGH");
    BOOST_TEST(((*started)->state == LoginView::State::pending));
    std::uint64_t id = (*started)->id;

    next_poll();
    BOOST_TEST(oidc.path(2) == "/token");
    oidc.answer(400, R"({"error":"authorization_pending"})");
    next_poll();
    oidc.answer(200, R"({"accessToken":"at-1","expiresIn":3600,"refreshToken":"rt-1"})");
    BOOST_REQUIRE_EQUAL(finished.size(), 1u);
    BOOST_TEST(finished[0].first.client_secret == "secret-1");
    BOOST_TEST(finished[0].second.refresh_token == "rt-1");
    auto view = logins.status(id);
    BOOST_REQUIRE(view.ok());
    BOOST_TEST((view->state == LoginView::State::succeeded));
    BOOST_TEST(view->account_id == 7u);
}

BOOST_FIXTURE_TEST_CASE(a_still_valid_registration_is_reused, Fixture) {
    LoginRequest r = request();
    r.registration = ClientRegistration{"client-9", "secret-9", 2000000000};
    start(std::move(r));
    BOOST_TEST(oidc.path(0) == "/device_authorization");
    BOOST_TEST(oidc.calls[0].spec.body.find("secret-9") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(denial_and_cancel_end_the_login_without_finishing_it, Fixture) {
    start(request());
    oidc.answer(200, kRegistration);
    oidc.answer(200, kDevice);
    std::uint64_t first = (*started)->id;
    next_poll();
    oidc.answer(400, R"({"error":"access_denied","error_description":"no"})");
    BOOST_TEST((logins.status(first)->state == LoginView::State::denied));

    start(request());
    oidc.answer(200, kRegistration);
    oidc.answer(200, kDevice);
    std::uint64_t second = (*started)->id;
    next_poll();  // in flight when cancelled: its answer is dropped
    auto cancelled = logins.cancel(second);
    BOOST_REQUIRE(cancelled.ok());
    BOOST_TEST((cancelled->state == LoginView::State::cancelled));
    BOOST_TEST(oidc.calls.back().cancelled);
    BOOST_TEST(finished.empty());
    BOOST_TEST(!logins.status(999).ok());
}

BOOST_FIXTURE_TEST_CASE(a_refused_registration_fails_the_start, Fixture) {
    start(request());
    oidc.answer(400, R"({"error":"invalid_scope","error_description":"bad scope"})");
    BOOST_REQUIRE(started.has_value());
    BOOST_REQUIRE(!started->ok());
    BOOST_TEST(started->error().message.find("invalid_scope") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(pending_logins_are_bounded, Fixture) {
    for (std::size_t i = 0; i < AccountLogins::kMaxPending; ++i) {
        start(request());
        oidc.answer(200, kRegistration);
        oidc.answer(200, kDevice);
    }
    start(request());
    BOOST_REQUIRE(started && !started->ok());
    BOOST_TEST(started->error().message.find("finish or cancel one") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_kiro_signin_exchanges_the_pasted_code_with_its_verifier, Fixture) {
    LoginRequest r = request();
    r.kiro = true;
    start(std::move(r));
    BOOST_REQUIRE(started && started->ok());
    BOOST_TEST(oidc.calls.empty());  // nothing to call before the admin signs in
    const std::string url = (*started)->signin_url;
    BOOST_TEST(url.starts_with("https://portal.test/signin?state="));
    BOOST_TEST((query_param(url, "code_challenge_method") == "S256"));
    BOOST_TEST((query_param(url, "redirect_from") == "kirocli"));
    std::string state = *query_param(url, "state");
    std::string redirect = *query_param(url, "redirect_uri");
    BOOST_TEST(redirect.starts_with("http://localhost:"));
    std::uint64_t id = (*started)->id;

    std::optional<Result<LoginView>> completed;
    auto complete = [&](const std::string& callback) {
        completed.reset();
        logins.complete(id, callback, [&](Result<LoginView> v) { completed = std::move(v); });
    };
    complete(redirect + "/?code=c-1&state=someone-else");
    BOOST_REQUIRE(completed && !completed->ok());
    BOOST_TEST((logins.status(id)->state == LoginView::State::pending));  // paste again
    complete(url);  // the sign-in URL itself: no code
    BOOST_REQUIRE(completed && !completed->ok());
    BOOST_TEST(oidc.calls.empty());

    complete(redirect + "/?code=c-1&state=" + url_encode(state));
    BOOST_REQUIRE_EQUAL(oidc.calls.size(), 1u);
    BOOST_TEST(oidc.calls[0].spec.url == "https://auth.us-east-1.kiro.test/oauth/token");
    auto body = parse_json(oidc.calls[0].spec.body);
    BOOST_REQUIRE(body.ok());
    BOOST_TEST(std::string((*body)["code"].GetString()) == "c-1");
    BOOST_TEST(std::string((*body)["redirect_uri"].GetString()) == redirect);
    BOOST_TEST(pkce_challenge((*body)["code_verifier"].GetString()) ==
               *query_param(url, "code_challenge"));
    oidc.answer(200, kKiroTokens);
    BOOST_REQUIRE(completed && completed->ok());
    BOOST_TEST(((*completed)->state == LoginView::State::succeeded));
    BOOST_REQUIRE_EQUAL(finished.size(), 1u);
    BOOST_TEST(finished[0].second.refresh_token == "rt-k");
    BOOST_TEST(finished[0].second.profile_arn == "arn:p");
}

BOOST_FIXTURE_TEST_CASE(a_refused_exchange_or_a_portal_error_ends_the_signin, Fixture) {
    LoginRequest r = request();
    r.kiro = true;
    start(r);
    std::uint64_t first = (*started)->id;
    std::string state = *query_param((*started)->signin_url, "state");
    std::optional<Result<LoginView>> completed;
    logins.complete(first, "http://localhost:5/?code=c&state=" + url_encode(state),
                    [&](Result<LoginView> v) { completed = std::move(v); });
    oidc.answer(400, R"({"error":"invalid_grant","error_description":"bad verifier"})");
    BOOST_REQUIRE(completed && completed->ok());
    BOOST_TEST(((*completed)->state == LoginView::State::failed));
    BOOST_TEST((*completed)->message.find("bad verifier") != std::string::npos);

    start(r);
    std::uint64_t second = (*started)->id;
    completed.reset();
    logins.complete(second, "http://localhost:5/?error=access_denied&state=x",
                    [&](Result<LoginView> v) { completed = std::move(v); });
    BOOST_REQUIRE(completed && !completed->ok());
    BOOST_TEST((logins.status(second)->state == LoginView::State::denied));
    BOOST_TEST(finished.empty());
}

BOOST_FIXTURE_TEST_CASE(abandoned_signins_expire_and_free_their_places, Fixture) {
    LoginOptions o = options();
    o.signin_seconds = 0;  // every sign-in is past its time as soon as anyone looks
    logins.set_options(o);
    LoginRequest r = request();
    r.kiro = true;
    for (std::size_t i = 0; i <= AccountLogins::kMaxPending; ++i) {
        start(r);
        BOOST_REQUIRE(started && started->ok());
    }
    auto view = logins.status((*started)->id);
    BOOST_TEST((view->state == LoginView::State::expired));
    std::optional<Result<LoginView>> completed;
    logins.complete((*started)->id, "http://localhost:1/?code=c&state=s",
                    [&](Result<LoginView> v) { completed = std::move(v); });
    BOOST_REQUIRE(completed && !completed->ok());
    BOOST_TEST(completed->error().message.find("expired") != std::string::npos);
    BOOST_TEST(oidc.calls.empty());
}

}  // namespace amq
