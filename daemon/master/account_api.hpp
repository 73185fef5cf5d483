// An authorised call on an account's own API endpoint (its quota, its models, its profiles):
// the account's access token, its first endpoint and proxy, the generate call's headers, and
// the answer handed back whole (at most 1 MiB).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "daemon/http_client.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/token_refresher.hpp"

namespace amq {

struct AccountApiOptions {
    std::string api_endpoint;  // the configured list, may hold {region}
    std::string proxy;
    double timeout = 30;
};

using ApiAnswer = HttpAnswer;

class AccountApi {
public:
    using PathFn = std::function<std::string(const Account& account)>;
    using Callback = std::function<void(const Account& account, Result<ApiAnswer> answer)>;

    AccountApi(Store& store, HttpClient& http, TokenRefresher& refresher)
        : store_(store), http_(http), refresher_(refresher) {}

    void get(std::uint64_t account_id, const AccountApiOptions& options, PathFn path,
             Callback callback);
    // POST <endpoint>/<path> with a JSON body (the REST operations, ListAvailableProfiles).
    void post(std::uint64_t account_id, const AccountApiOptions& options, std::string path,
              std::string body, Callback callback);

private:
    struct Call {
        PathFn path;
        std::string body;  // POST when not empty
    };
    void start(std::uint64_t account_id, const AccountApiOptions& options, Call c,
               Callback callback);
    void call(const Account& account, const std::string& token, const AccountApiOptions& options,
              const Call& c, Callback callback);

    Store& store_;
    HttpClient& http_;
    TokenRefresher& refresher_;
};

}  // namespace amq
