// The JSON document the store keeps for an account's health, so that cool-downs, quota
// dates, quarantines and the recent transitions survive a restart. A half-open trial in
// flight is not kept: the request that carried it died with the process.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "daemon/master/account_health.hpp"

namespace amq {

inline constexpr int kHealthVersion = 1;

std::string encode_health(const AccountHealth& health);
// A document that is not valid JSON, has another version, names an unknown state or holds a
// field of the wrong type is a corrupt record (Errc::internal).
Result<AccountHealth> decode_health(std::string_view text);

}  // namespace amq
