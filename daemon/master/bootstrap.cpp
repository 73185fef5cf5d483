#include "daemon/master/bootstrap.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

extern char** environ;

namespace amq {
namespace {

constexpr std::string_view kCredentialVariables[] = {
    "AMAZONQ_REFRESH_TOKEN", "AMAZONQ_CLIENT_ID", "AMAZONQ_CLIENT_SECRET", "AMAZONQ_PROFILE_ARN"};

}  // namespace

Result<std::string> ensure_admin_key(Store& store, const std::string& state_dir, std::int64_t now) {
    auto keys = store.list_keys();
    if (!keys) return keys.error();
    for (const auto& k : *keys)
        if (k.is_admin) return std::string();
    NewApiKey secret = generate_api_key();
    ApiKey key;
    key.name = "initial-admin";
    if (store.find_key_by_name(key.name)) key.name = str_cat("initial-admin-", now);
    key.description = "created at first start; replace it and remove this one";
    key.is_admin = true;
    key.secret_hash = secret.hash;
    key.display = secret.display;
    std::string path = state_dir + "/initial-admin-key";
    // The file first: a key nobody can read would lock the operator out.
    if (auto st = write_private_file(path, secret.secret + "\n"); !st) return st.error();
    if (auto added = store.add_key(std::move(key), now); !added) return added.error();
    return path;
}

Result<bool> import_environment_account(Store& store, const BootstrapAccount& env,
                                        std::int64_t requests_per_minute, std::int64_t now) {
    auto accounts = store.list_accounts();
    if (!accounts) return accounts.error();
    if (!accounts->empty()) return false;
    Account account;
    account.name = "env-account";
    account.client_id = env.client_id;
    account.profile_arn = env.profile_arn;
    account.notes = "imported from AMAZONQ_* environment variables";
    account.requests_per_minute = requests_per_minute;
    AccountCredentials credentials;
    credentials.refresh_token = env.refresh_token;
    credentials.client_secret = env.client_secret;
    auto added = store.add_account(std::move(account), credentials, now);
    if (!added) return added.error();
    return true;
}

void forget_environment_credentials() {
    for (std::string_view name : kCredentialVariables) {
        for (char** entry = environ; *entry; ++entry) {
            std::string_view text(*entry);
            if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == '=')
                std::memset(*entry + name.size() + 1, 0, text.size() - name.size() - 1);
        }
        unsetenv(std::string(name).c_str());
    }
}

}  // namespace amq
