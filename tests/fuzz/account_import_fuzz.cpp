// libFuzzer entry point for the bulk account import. Input: one document (a file's content),
// imported alone. On success every account is complete (a refresh token, a name, a kind with
// the credentials it needs, an access token only while valid), the batch holds no duplicates,
// and parse_account_document agrees with parse_account_import.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/account_import.hpp"
#include "common/result.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::string_view kSource = "accounts.json";

bool same(const amq::ImportedAccount& a, const amq::ImportedAccount& b) {
    return a.name == b.name && a.kind == b.kind && a.refresh_token == b.refresh_token &&
           a.client_id == b.client_id && a.client_secret == b.client_secret &&
           a.profile_arn == b.profile_arn && a.region == b.region &&
           a.access_token == b.access_token && a.access_expires_at == b.access_expires_at &&
           a.requests_per_minute == b.requests_per_minute && a.notes == b.notes &&
           a.source == b.source;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string json(reinterpret_cast<const char*>(data), size);
    std::vector<std::pair<std::string, std::string>> documents{{std::string(kSource), json}};
    auto accounts = amq::parse_account_import(documents, kNow);
    auto single = amq::parse_account_document(json, kSource, kNow);
    FUZZ_CHECK(accounts.ok() == single.ok());
    if (!accounts.ok()) {
        FUZZ_CHECK(accounts.error().code == amq::Errc::invalid_argument ||
                   accounts.error().code == amq::Errc::conflict);
        FUZZ_CHECK(!accounts.error().message.empty());
        FUZZ_CHECK(single.error().message == accounts.error().message);
        return 0;
    }
    FUZZ_CHECK(!accounts->empty() && accounts->size() <= amq::kMaxImportedAccounts);
    FUZZ_CHECK(single->size() == accounts->size());
    std::set<std::string> names, refresh_tokens;
    for (std::size_t i = 0; i < accounts->size(); ++i) {
        const amq::ImportedAccount& a = (*accounts)[i];
        FUZZ_CHECK(same(a, (*single)[i]));
        FUZZ_CHECK(!a.refresh_token.empty() && !a.name.empty());
        FUZZ_CHECK(a.source.starts_with(kSource));
        FUZZ_CHECK(a.requests_per_minute.value_or(0) >= 0);
        if (a.kind == "idc") {
            FUZZ_CHECK(!a.client_id.empty() && !a.client_secret.empty());
        } else {
            FUZZ_CHECK(a.kind == "social" && a.client_id.empty() && a.client_secret.empty());
        }
        if (a.access_token.empty())
            FUZZ_CHECK(a.access_expires_at == 0);
        else
            FUZZ_CHECK(a.access_expires_at > kNow);
        FUZZ_CHECK(names.insert(a.name).second);
        FUZZ_CHECK(refresh_tokens.insert(a.refresh_token).second);
        FUZZ_CHECK(amq::same_account(a, a.client_id, a.refresh_token));
    }
    return 0;
}
