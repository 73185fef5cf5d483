// libFuzzer entry point for the bulk account import. Input: one document (a file's content),
// imported alone. Always a plan: one outcome per source, each with its reason where it needs
// one; every account to add is complete (a refresh token, a name, a kind with the credentials
// it needs, an access token only while valid), the accounts hold no duplicates, and
// parse_account_document agrees with parse_account_import.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/account_import.hpp"
#include "common/result.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::string_view kSource = "accounts.json";
using Kind = amq::ImportOutcome::Kind;

bool same(const amq::ImportedAccount& a, const amq::ImportedAccount& b) {
    return a.name == b.name && a.kind == b.kind && a.refresh_token == b.refresh_token &&
           a.client_id == b.client_id && a.client_secret == b.client_secret &&
           a.profile_arn == b.profile_arn && a.region == b.region && a.start_url == b.start_url &&
           a.registration_expires_at == b.registration_expires_at &&
           a.access_token == b.access_token && a.access_expires_at == b.access_expires_at &&
           a.requests_per_minute == b.requests_per_minute && a.notes == b.notes &&
           a.source == b.source;
}

bool same(const amq::ImportOutcome& a, const amq::ImportOutcome& b) {
    return a.kind == b.kind && a.source == b.source && a.name == b.name && a.reason == b.reason &&
           a.used_by == b.used_by;
}

void check_outcomes(const amq::AccountImportPlan& plan) {
    FUZZ_CHECK(!plan.outcomes.empty() && plan.outcomes.size() <= amq::kMaxImportEntries + 1);
    std::size_t accounts = 0, used = 0, tokens = 0;
    for (const amq::ImportOutcome& o : plan.outcomes) {
        FUZZ_CHECK(o.source.starts_with(kSource));
        FUZZ_CHECK((o.kind == Kind::skipped || o.kind == Kind::refused) != o.reason.empty());
        FUZZ_CHECK(o.kind == Kind::registration || o.used_by.empty());
        used += o.used_by.size();
        tokens += !o.name.empty();
        if (o.kind != Kind::account) continue;
        FUZZ_CHECK(accounts < plan.accounts.size());
        FUZZ_CHECK(o.name == plan.accounts[accounts].name);
        FUZZ_CHECK(o.source == plan.accounts[accounts].source);
        ++accounts;
    }
    FUZZ_CHECK(accounts == plan.accounts.size() && accounts <= amq::kMaxImportedAccounts);
    FUZZ_CHECK(used <= tokens);  // a token pairs with one registration at most
}

void check_accounts(const amq::AccountImportPlan& plan) {
    std::set<std::string> names, refresh_tokens;
    for (const amq::ImportedAccount& a : plan.accounts) {
        FUZZ_CHECK(!a.refresh_token.empty() && !a.name.empty());
        FUZZ_CHECK(a.requests_per_minute.value_or(0) >= 0);
        if (a.kind == "idc") {
            FUZZ_CHECK(!a.client_id.empty() && !a.client_secret.empty());
            FUZZ_CHECK(a.registration_expires_at == 0 || a.registration_expires_at > kNow);
        } else {
            FUZZ_CHECK(a.kind == "social" && a.client_id.empty() && a.client_secret.empty());
            FUZZ_CHECK(a.start_url.empty() && a.registration_expires_at == 0);
        }
        if (a.access_token.empty())
            FUZZ_CHECK(a.access_expires_at == 0);
        else
            FUZZ_CHECK(a.access_expires_at > kNow);
        FUZZ_CHECK(names.insert(a.name).second);
        FUZZ_CHECK(refresh_tokens.insert(a.refresh_token).second);
        FUZZ_CHECK(amq::same_account(a, a.client_id, a.refresh_token));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string json(reinterpret_cast<const char*>(data), size);
    auto plan = amq::parse_account_import({{std::string(kSource), json, {}}}, kNow);
    auto single = amq::parse_account_document(json, kSource, kNow);
    FUZZ_CHECK(plan.ok() && single.ok());
    check_outcomes(*plan);
    check_accounts(*plan);
    FUZZ_CHECK(single->accounts.size() == plan->accounts.size());
    FUZZ_CHECK(single->outcomes.size() == plan->outcomes.size());
    for (std::size_t i = 0; i < plan->accounts.size(); ++i)
        FUZZ_CHECK(same(plan->accounts[i], single->accounts[i]));
    for (std::size_t i = 0; i < plan->outcomes.size(); ++i)
        FUZZ_CHECK(same(plan->outcomes[i], single->outcomes[i]));
    return 0;
}
