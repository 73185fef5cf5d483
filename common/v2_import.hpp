// An upgrade from the Python amq2api v2.0: its SQLite database's rows (tables accounts,
// api_keys, usage_logs) and the `import-v2` request that brings them into this store.
// amq2apictl reads the file (ctl/v2_database.cpp) and writes the request with these
// functions; the daemon reads it back with the same field tables. API key secrets, which
// v2.0 kept in plain text, are hashed here: the plaintext never leaves amq2apictl.
// Pure: the ctl converts v2.0's naive local times to UTC before they arrive.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/field_table.hpp"
#include "common/result.hpp"
#include "common/usage_record.hpp"

namespace amq {

// v2.0 created this admin key on first start and printed it in its guide: anyone knows it.
inline constexpr std::string_view kV2BootstrapKey = "amq-admin-default-key-change-immediately";

// A row of v2.0's api_keys, as read.
struct V2KeyRow {
    std::uint64_t id = 0;
    std::string secret;
    std::string name;
    std::string description;
    bool active = true;
    bool admin = false;
    std::optional<std::int64_t> requests_per_minute;
    std::optional<std::int64_t> requests_per_day;
    std::int64_t expires_at = 0;  // Unix seconds; 0 = never
};

// An account as the import asks for it. v2.0's health columns are left behind: the pool
// measures health itself.
struct V2Account {
    std::uint64_t v2_id = 0;
    std::string name;
    std::string refresh_token;
    std::string client_id;
    std::string client_secret;
    std::string profile_arn;
    bool enabled = true;
    std::optional<std::int64_t> requests_per_minute;
    std::string notes;
};

// A key as the import asks for it: its secret only as the hash this store keeps.
struct V2Key {
    std::uint64_t v2_id = 0;
    std::string name;
    std::string description;
    std::string secret_hash;
    std::string display;
    bool is_admin = false;
    bool enabled = true;
    std::optional<std::int64_t> requests_per_minute;
    std::optional<std::int64_t> requests_per_day;
    std::int64_t expires_at = 0;
    std::string warning;  // why it is imported disabled although v2.0 had it active
};

// The usage records carry v2.0's key and account ids; the daemon maps them to its own.
struct V2Import {
    std::string source;
    bool dry_run = false;
    std::vector<V2Account> accounts;
    std::vector<V2Key> keys;
    std::vector<UsageRecord> usage;
};

// What the daemon says of one import request (and amq2apictl of them all): per table how many
// rows it added (or, in a dry run, would add) and how many it found here already.
struct V2Counts {
    std::uint64_t added = 0;
    std::uint64_t present = 0;
};
struct V2Skipped {
    std::string what;  // "account 'x'", "key 'y' (amq-ab…yz)"
    std::string reason;
};
struct V2ImportReport {
    std::string source;
    bool dry_run = false;
    V2Counts accounts, keys, usage;
    std::vector<std::string> warnings;
    std::vector<V2Skipped> skipped;
};

V2Key v2_key(const V2KeyRow& row);

// "2026-12-05 06:39:12.441207" (v2.0's SQLAlchemy DATETIME, no zone) as its fields.
struct NaiveTime {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, microsecond = 0;
};
std::optional<NaiveTime> parse_naive_time(std::string_view text);

std::string encode_v2_import(const V2Import& request);
Result<V2Import> decode_v2_import(const rapidjson::Value& args);
std::string encode_v2_report(const V2ImportReport& report);
Result<V2ImportReport> decode_v2_report(const rapidjson::Value& data);

}  // namespace amq
