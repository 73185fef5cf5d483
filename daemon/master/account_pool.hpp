// Which account serves the next request: round-robin over enabled accounts, skipping the ones
// a request already failed on. (Health states and limits refine this in the pool issue.)
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "common/result.hpp"
#include "daemon/master/records.hpp"

namespace amq {

class AccountPool {
public:
    Result<Account> pick(const std::vector<Account>& accounts, const std::set<std::uint64_t>& exclude);

private:
    std::uint64_t last_id_ = 0;
};

}  // namespace amq
