#include "daemon/master/store_keys.hpp"

#include <algorithm>

#include "common/strings.hpp"
#include "daemon/master/record_codec.hpp"

namespace amq {

namespace {

// LMDB refuses keys over 511 bytes, and a client may name any model.
constexpr std::size_t kMaxRollupModel = 256;

// Cut at a character boundary, so that the name stays valid UTF-8.
std::string rollup_model(std::string_view model) {
    if (model.size() <= kMaxRollupModel) return std::string(model);
    std::size_t n = kMaxRollupModel;
    while (n > 0 && (static_cast<unsigned char>(model[n]) & 0xc0) == 0x80) --n;
    return std::string(model.substr(0, n));
}

}  // namespace

Rollup rollup_of(const UsageRecord& u) {
    return Rollup{.day = day_of(u.time_ms),
                  .key_id = u.key_id,
                  .account_id = u.account_id,
                  .model = rollup_model(u.client_model),
                  .requests = 1,
                  .errors = is_error(u) ? 1 : 0,
                  .input_tokens = u.input_tokens,
                  .output_tokens = u.output_tokens,
                  .credits_micros = u.credits_micros,
                  .ttfb_ms_sum = u.ttfb_ms,
                  .duration_ms_sum = u.duration_ms};
}

bool is_own_meta(std::string_view key) {
    for (std::string_view own : kOwnMetaKeys)
        if (key == own) return true;
    return false;
}

std::string encode_be(std::uint64_t n, std::size_t width) {
    std::string out(width, '\0');
    for (auto it = out.rbegin(); it != out.rend(); ++it, n >>= 8) *it = static_cast<char>(n & 0xff);
    return out;
}

std::uint64_t decode_be(std::string_view s) {
    std::uint64_t n = 0;
    for (char c : s) n = n << 8 | static_cast<unsigned char>(c);
    return n;
}

std::string encode_u64(std::uint64_t n) { return encode_be(n, 8); }

std::optional<std::uint64_t> decode_u64(std::string_view s) {
    if (s.size() != 8) return std::nullopt;
    return decode_be(s);
}

std::int64_t key_time(std::int64_t time_ms) { return std::max<std::int64_t>(time_ms, 0); }

std::int32_t day_of(std::int64_t time_ms) {
    return static_cast<std::int32_t>(key_time(time_ms) / kMsPerDay);
}

std::string day_key(std::int32_t day) { return encode_be(static_cast<std::uint32_t>(day), 4); }

std::string usage_key_at(std::int64_t time_ms) {
    return str_cat(day_key(day_of(time_ms)), encode_be(key_time(time_ms), 8));
}

std::string usage_key(std::int64_t time_ms, std::uint32_t sequence) {
    return str_cat(usage_key_at(time_ms), encode_be(sequence, 4));
}

Error corrupt_key(std::string_view db) {
    return make_error(Errc::internal, str_cat("corrupt store: a malformed key in ", db));
}

Result<std::int64_t> usage_key_time(std::string_view key) {
    if (key.size() != kUsageKeySize) return corrupt_key("usage");
    return static_cast<std::int64_t>(decode_be(key.substr(4, 8)));
}

std::string rollup_key(const Rollup& r) {
    return str_cat(day_key(r.day), encode_u64(r.key_id), encode_u64(r.account_id), r.model);
}

Result<Rollup> decode_rollup_entry(std::string_view key, std::string_view value) {
    if (key.size() < kRollupKeyPrefix) return corrupt_key("rollups");
    auto rollup = decode_rollup(value);
    if (!rollup) return rollup;
    rollup->day = static_cast<std::int32_t>(decode_be(key.substr(0, 4)));
    rollup->key_id = decode_be(key.substr(4, 8));
    rollup->account_id = decode_be(key.substr(12, 8));
    rollup->model = std::string(key.substr(kRollupKeyPrefix));
    return rollup;
}

std::string audit_key(std::int64_t at_ms, std::uint32_t sequence) {
    return str_cat(encode_be(key_time(at_ms), 8), encode_be(sequence, 4));
}

Result<std::string> free_audit_key(const ReadTxn& txn, std::int64_t at_ms) {
    for (std::uint32_t sequence = 0;; ++sequence) {
        std::string key = audit_key(at_ms, sequence);
        auto taken = txn.get(Db::audit, key);
        if (!taken) return taken.error();
        if (!*taken) return key;
    }
}

}  // namespace amq
