#include "daemon/master/account_api.hpp"

#include <memory>

#include "common/crypto.hpp"
#include "common/q_endpoints.hpp"
#include "common/q_http.hpp"

namespace amq {
namespace {

constexpr std::size_t kMaxAnswer = 1 << 20;

}  // namespace

void AccountApi::get(std::uint64_t account_id, const AccountApiOptions& options, PathFn path,
                     Callback callback) {
    start(account_id, options, Call{std::move(path), {}}, std::move(callback));
}

void AccountApi::post(std::uint64_t account_id, const AccountApiOptions& options, std::string path,
                      std::string body, Callback callback) {
    start(account_id, options,
          Call{[path = std::move(path)](const Account&) { return path; }, std::move(body)},
          std::move(callback));
}

void AccountApi::start(std::uint64_t account_id, const AccountApiOptions& options, Call c,
                       Callback callback) {
    auto account = store_.get_account(account_id);
    if (!account) return callback(Account{}, account.error());
    refresher_.get(
        account_id, unix_seconds(), std::nullopt,
        [this, account = *account, options, c = std::move(c), callback](Result<AccessToken> token) {
            if (!token) return callback(account, token.error());
            call(account, token->token, options, c, callback);
        });
}

void AccountApi::call(const Account& account, const std::string& token,
                      const AccountApiOptions& options, const Call& c, Callback callback) {
    std::string base =
        api_endpoints(account.api_endpoint, options.api_endpoint, account.profile_arn).front();
    if (!base.ends_with('/')) base += '/';
    HttpRequestSpec spec;
    spec.method = c.body.empty() ? "GET" : "POST";
    spec.url = base + c.path(account);
    spec.body = c.body;
    // The generate call's headers, minus its target; a GET has no content type either.
    for (const std::string& h :
         generate_call(base, "rest", token, uuid4(), account_token_type(account)).headers)
        if (!h.starts_with("Content-Type") || !c.body.empty()) spec.headers.push_back(h);
    spec.proxy = account.proxy.empty() ? options.proxy : account.proxy;
    spec.first_byte_timeout = options.timeout;
    spec.idle_timeout = options.timeout;
    fetch_whole(http_, std::move(spec), kMaxAnswer, [account, callback](Result<HttpAnswer> answer) {
        callback(account, std::move(answer));
    });
}

}  // namespace amq
