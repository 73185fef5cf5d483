#include "daemon/master/account_pool.hpp"

#include "common/strings.hpp"

namespace amq {

Result<Account> AccountPool::pick(const std::vector<Account>& accounts,
                                  const std::set<std::uint64_t>& exclude) {
    const Account* first = nullptr;  // the wrap-around candidate
    const Account* next = nullptr;
    std::size_t enabled = 0;
    for (const Account& a : accounts) {
        if (!a.enabled) continue;
        ++enabled;
        if (exclude.count(a.id)) continue;
        if (!first || a.id < first->id) first = &a;
        if (a.id > last_id_ && (!next || a.id < next->id)) next = &a;
    }
    const Account* chosen = next ? next : first;
    if (!chosen) {
        if (enabled == 0) return make_error(Errc::unavailable, "no enabled Amazon Q account; add one with amq2apictl account add");
        return make_error(Errc::unavailable, str_cat("all ", enabled, " enabled accounts failed for this request"));
    }
    last_id_ = chosen->id;
    return *chosen;
}

}  // namespace amq
