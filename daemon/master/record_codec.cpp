#include "daemon/master/record_codec.hpp"

#include <span>

#include "common/field_table.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

constexpr Field<Account> kAccountFields[] = {
    {"name", &Account::name, true},
    {"kind", &Account::kind},
    {"client_id", &Account::client_id},
    {"token_endpoint", &Account::token_endpoint},
    {"profile_arn", &Account::profile_arn},
    {"region", &Account::region},
    {"api_endpoint", &Account::api_endpoint},
    {"api_flavour", &Account::api_flavour},
    {"origin", &Account::origin},
    {"proxy", &Account::proxy},
    {"enabled", &Account::enabled},
    {"requests_per_minute", &Account::requests_per_minute},
    {"notes", &Account::notes},
    {"start_url", &Account::start_url},
    {"registration_expires_at", &Account::registration_expires_at},
    {"created_at", &Account::created_at},
    {"updated_at", &Account::updated_at},
};

constexpr Field<AccountCredentials> kCredentialFields[] = {
    {"refresh_token", &AccountCredentials::refresh_token},
    {"client_secret", &AccountCredentials::client_secret},
    {"access_token", &AccountCredentials::access_token},
    {"access_expires_at", &AccountCredentials::access_expires_at},
};

constexpr Field<ApiKey> kKeyFields[] = {
    {"name", &ApiKey::name, true},
    {"description", &ApiKey::description},
    {"secret_hash", &ApiKey::secret_hash, true},
    {"display", &ApiKey::display},
    {"is_admin", &ApiKey::is_admin},
    {"enabled", &ApiKey::enabled},
    {"requests_per_minute", &ApiKey::requests_per_minute},
    {"requests_per_day", &ApiKey::requests_per_day},
    {"max_concurrent", &ApiKey::max_concurrent},
    {"allowed_models", &ApiKey::allowed_models},
    {"expires_at", &ApiKey::expires_at},
    {"created_at", &ApiKey::created_at},
    {"updated_at", &ApiKey::updated_at},
    {"last_used_at", &ApiKey::last_used_at},
};

// Usage records are keyed by time, not id: the header carries only the version.
constexpr auto kUsageFields = usage_record_fields<UsageRecord>();

// Only the counters: the rest is the rollup's key in the store.
constexpr Field<Rollup> kRollupFields[] = {
    {"requests", &Rollup::requests},
    {"errors", &Rollup::errors},
    {"input_tokens", &Rollup::input_tokens},
    {"output_tokens", &Rollup::output_tokens},
    {"ttfb_ms_sum", &Rollup::ttfb_ms_sum},
    {"duration_ms_sum", &Rollup::duration_ms_sum},
    {"credits_micros", &Rollup::credits_micros},
};

constexpr Field<AuditEntry> kAuditFields[] = {
    {"at_ms", &AuditEntry::at_ms},
    {"actor", &AuditEntry::actor},
    {"command", &AuditEntry::command, true},
    {"args_json", &AuditEntry::args_json},
    {"before_json", &AuditEntry::before_json},
    {"after_json", &AuditEntry::after_json},
};

// Records with an id (accounts, keys) carry it beside the version.
template <class R>
constexpr bool kHasId = requires(R r) {
    r.id;
};

template <class R>
std::string encode_record(const R& record, std::span<const Field<R>> fields) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "v");
        w.Int(kRecordVersion);
        if constexpr (kHasId<R>) {
            write_key(w, "id");
            w.Uint64(record.id);
        }
        write_fields(w, record, fields);
    });
}

Error corrupt(std::string_view noun, std::string_view why) {
    return make_error(Errc::internal, str_cat("corrupt ", noun, " record: ", why));
}

template <class R>
Result<R> decode_record(std::string_view text, std::string_view noun,
                        std::span<const Field<R>> fields) {
    auto doc = parse_json(text);
    if (!doc) return corrupt(noun, doc.error().message);
    FieldReader f(*doc);
    std::optional<std::int64_t> version = f.integer("v", true);
    if (version && *version != kRecordVersion)
        return corrupt(noun, str_cat("unsupported format version ", *version));
    R record;
    if constexpr (kHasId<R>) {
        // Ids start at 1: a record without one was never written by the store.
        if (auto id = f.integer("id", true, 1)) record.id = static_cast<std::uint64_t>(*id);
    }
    if (Status read = read_fields(f, record, fields); !read)
        return corrupt(noun, read.error().message);
    return record;
}

}  // namespace

std::string encode_account(const Account& a) { return encode_record<Account>(a, kAccountFields); }
Result<Account> decode_account(std::string_view text) {
    return decode_record<Account>(text, "account", kAccountFields);
}

std::string encode_credentials(const AccountCredentials& c) {
    return encode_record<AccountCredentials>(c, kCredentialFields);
}
Result<AccountCredentials> decode_credentials(std::string_view text) {
    return decode_record<AccountCredentials>(text, "credentials", kCredentialFields);
}

std::string encode_api_key(const ApiKey& k) { return encode_record<ApiKey>(k, kKeyFields); }
Result<ApiKey> decode_api_key(std::string_view text) {
    return decode_record<ApiKey>(text, "API key", kKeyFields);
}

std::string encode_usage(const UsageRecord& u) {
    return encode_record<UsageRecord>(u, kUsageFields);
}
Result<UsageRecord> decode_usage(std::string_view text) {
    return decode_record<UsageRecord>(text, "usage", kUsageFields);
}

std::string encode_rollup(const Rollup& r) { return encode_record<Rollup>(r, kRollupFields); }
Result<Rollup> decode_rollup(std::string_view text) {
    return decode_record<Rollup>(text, "rollup", kRollupFields);
}

std::string encode_audit(const AuditEntry& a) { return encode_record<AuditEntry>(a, kAuditFields); }
Result<AuditEntry> decode_audit(std::string_view text) {
    return decode_record<AuditEntry>(text, "audit", kAuditFields);
}

}  // namespace amq
