// What the store's unit tests share: a fresh directory per case, a store opened in it, and
// records to put there.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "common/crypto.hpp"
#include "daemon/master/store.hpp"

namespace amq::test {

inline constexpr std::uint64_t kMiB = 1ull << 20;

// Every test case gets a fresh directory under /tmp, removed with its contents at the end.
// The store's own directory is a child that Store::open has to create.
struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/amq-store-test-XXXXXX";
        if (!::mkdtemp(pattern)) std::abort();
        root = pattern;
        dir = root + "/state";
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(root, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string root;
    std::string dir;
};

// Boost.Test builds a message even when the check passes: only ask a failure for its error.
template <class T>
std::string why(const Result<T>& r) {
    return r.ok() ? std::string() : r.error().message;
}

inline std::unique_ptr<Store> open_store(const std::string& dir, std::uint64_t initial = kMiB,
                                         std::uint64_t max = 64 * kMiB) {
    auto store =
        Store::open(StoreOptions{.dir = dir, .max_map_size = max, .initial_map_size = initial});
    BOOST_REQUIRE_MESSAGE(store.ok(), why(store));
    return std::move(store).value();
}

template <class T>
void require_ok(const Result<T>& r) {
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
}

template <class T>
void check_error(const Result<T>& r, Errc code, const std::string& message = {}) {
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(errc_name(r.error().code), errc_name(code));
    if (!message.empty()) BOOST_CHECK_EQUAL(r.error().message, message);
}

inline Account make_account(const std::string& name) {
    Account a;
    a.name = name;
    a.client_id = "client-" + name;
    a.profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/" + name;
    a.requests_per_minute = 7;
    a.notes = "notes of " + name;
    return a;
}

inline AccountCredentials make_credentials(const std::string& tag) {
    return AccountCredentials{.refresh_token = "refresh-" + tag + "-7f3c9a1e5b2d",
                              .client_secret = "secret-" + tag + "-4e8a0c6b2f1d",
                              .access_token = "access-" + tag + "-9b1d3f5a7c0e",
                              .access_expires_at = 1700003600};
}

inline ApiKey make_key(const std::string& name, const NewApiKey& generated) {
    ApiKey k;
    k.name = name;
    k.description = "key " + name;
    k.secret_hash = generated.hash;
    k.display = generated.display;
    k.requests_per_day = 500;
    return k;
}

}  // namespace amq::test
