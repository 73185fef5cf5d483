// The JSON documents the store keeps for each record. Every document carries "v" (its
// format version); decoding fills fields a document lacks with the defaults of records.hpp
// and reports a field of the wrong type as a corrupt record (Errc::internal).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "daemon/master/records.hpp"

namespace amq {

inline constexpr int kRecordVersion = 1;

std::string encode_account(const Account& account);
Result<Account> decode_account(std::string_view text);

std::string encode_credentials(const AccountCredentials& credentials);
Result<AccountCredentials> decode_credentials(std::string_view text);

std::string encode_api_key(const ApiKey& key);
Result<ApiKey> decode_api_key(std::string_view text);

std::string encode_usage(const UsageRecord& usage);
Result<UsageRecord> decode_usage(std::string_view text);

// Only the counters: a rollup's day, key, account and model are its key in the store, and
// decode_rollup leaves them at their defaults.
std::string encode_rollup(const Rollup& rollup);
Result<Rollup> decode_rollup(std::string_view text);

std::string encode_audit(const AuditEntry& entry);
Result<AuditEntry> decode_audit(std::string_view text);

}  // namespace amq
