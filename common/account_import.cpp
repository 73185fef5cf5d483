#include "common/account_import.hpp"

#include <cmath>
#include <optional>
#include <unordered_map>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"

namespace amq {
namespace {

using Kind = ImportOutcome::Kind;

// One source as read: its outcome so far and, for a token or a registration, what it holds
// (a registration keeps its client id, secret and expiry in `account`).
struct Entry {
    ImportOutcome outcome;
    ImportedAccount account;
    std::string client_id_hash;  // Kiro IdC tokens: names their registration file
    std::string file_stem;       // registrations that are a whole document: file name sans .json
};

struct Batch {
    std::vector<Entry> entries;
    std::size_t read = 0;      // entries read, toward kMaxImportEntries
    std::size_t accounts = 0;  // tokens read, toward kMaxImportedAccounts
    std::string full;          // set once a bound is reached: why the rest is not read
};

// The fields every accepted shape draws from. Token files are camelCase, the seed and the
// Amazon Q CLI's own store snake_case: each field is looked up under both names.
struct Fields {
    std::string refresh_token, client_id, client_secret, access_token, profile_arn, region;
    std::string name, notes, provider, auth_method, kind, client_id_hash, start_url;
    std::optional<std::int64_t> requests_per_minute;
};

void read_text(FieldReader& f, std::string& out, const char* camel, const char* snake) {
    auto v = f.string(camel);
    if (!v && f.ok() && snake) v = f.string(snake);
    if (v) out = std::string(trim(*v));
}

Status read_fields(const rapidjson::Value& object, Fields& out) {
    FieldReader f(object);
    read_text(f, out.refresh_token, "refreshToken", "refresh_token");
    read_text(f, out.client_id, "clientId", "client_id");
    read_text(f, out.client_secret, "clientSecret", "client_secret");
    read_text(f, out.access_token, "accessToken", "access_token");
    read_text(f, out.profile_arn, "profileArn", "profile_arn");
    read_text(f, out.region, "region", nullptr);
    read_text(f, out.start_url, "startUrl", "start_url");
    read_text(f, out.name, "name", nullptr);
    read_text(f, out.notes, "notes", nullptr);
    read_text(f, out.provider, "provider", nullptr);
    read_text(f, out.auth_method, "authMethod", "auth_method");
    read_text(f, out.kind, "kind", nullptr);
    read_text(f, out.client_id_hash, "clientIdHash", "client_id_hash");
    out.requests_per_minute = f.integer("requests_per_minute", false, 0);
    if (!out.requests_per_minute && f.ok())
        out.requests_per_minute = f.integer("requestsPerMinute", false, 0);
    return f.status();
}

// Epoch numbers: seconds, or milliseconds when too large to be seconds (some tools write
// Date.now()).
std::int64_t epoch_seconds(std::int64_t n) { return n > 100'000'000'000 ? n / 1000 : n; }

// "+HH:MM", "+HHMM" or "+HH" → seconds east of UTC.
std::optional<std::int64_t> parse_offset(std::string_view s) {
    if (s.empty() || (s[0] != '+' && s[0] != '-')) return std::nullopt;
    std::string digits;
    for (char c : s.substr(1))
        if (c != ':') digits.push_back(c);
    if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
    auto hours = parse_uint(std::string_view(digits).substr(0, 2));
    auto minutes = digits.size() == 4 ? parse_uint(std::string_view(digits).substr(2))
                                      : std::optional<std::uint64_t>(0);
    if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
    std::int64_t seconds = static_cast<std::int64_t>(*hours * 3600 + *minutes * 60);
    return s[0] == '-' ? -seconds : seconds;
}

// time_format's parse_iso8601 knows whole seconds with "Z" only; token files also carry
// fractions ("2026-01-01T00:00:00.123Z", Kiro), "UTC" (older AWS CLI) and numeric offsets.
std::optional<std::int64_t> parse_expiry_text(std::string_view s) {
    s = trim(s);
    if (auto t = parse_iso8601(s)) return t;
    if (auto n = parse_int(s)) return epoch_seconds(*n);
    if (s.size() < 19) return std::nullopt;
    auto base = parse_iso8601(s.substr(0, 19));
    if (!base) return std::nullopt;
    std::string_view rest = s.substr(19);
    if (!rest.empty() && rest[0] == '.') {
        std::size_t n = 1;
        while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
        if (n == 1) return std::nullopt;
        rest.remove_prefix(n);
    }
    if (rest.empty() || rest == "Z" || iequals(rest, "UTC")) return base;
    auto offset = parse_offset(rest);
    if (!offset) return std::nullopt;
    return *base - *offset;
}

// A time field by either of its names: ISO 8601 text, or epoch seconds or milliseconds.
std::optional<std::int64_t> parse_time(const rapidjson::Value& object, const char* camel,
                                       const char* snake) {
    const rapidjson::Value* v = find_member(object, camel);
    if (!v) v = find_member(object, snake);
    if (!v) return std::nullopt;
    if (v->IsInt64()) return epoch_seconds(v->GetInt64());
    if (v->IsNumber()) {
        double d = v->GetDouble();
        if (!std::isfinite(d) || d < 0 || d > 9e15) return std::nullopt;
        return epoch_seconds(static_cast<std::int64_t>(d));
    }
    if (v->IsString()) return parse_expiry_text({v->GetString(), v->GetStringLength()});
    return std::nullopt;
}

// "<provider or 'sso'>-<8 hex>": stable across imports, so re-importing a file names the
// account the same way. The provider is reduced to characters safe in a name.
std::string derived_name(std::string_view provider, std::string_view refresh_token) {
    std::string prefix;
    for (char c : provider) {
        if (prefix.size() == 32) break;
        if (c >= 'A' && c <= 'Z')
            prefix.push_back(static_cast<char>(c - 'A' + 'a'));
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
            prefix.push_back(c);
    }
    if (prefix.empty()) prefix = "sso";
    return str_cat(prefix, "-", hex(sha256(refresh_token)).substr(0, 8));
}

Result<std::string> account_kind(const Fields& f) {
    if (!f.kind.empty()) {
        if (iequals(f.kind, "idc")) return std::string("idc");
        if (iequals(f.kind, "social")) return std::string("social");
        return make_error(Errc::invalid_argument, "field 'kind' must be \"idc\" or \"social\"");
    }
    if (!f.auth_method.empty())
        return std::string(iequals(f.auth_method, "social") ? "social" : "idc");
    // Kiro social logins name their identity provider; IdC ones say BuilderId/Enterprise.
    bool social = iequals(f.provider, "google") || iequals(f.provider, "github");
    return std::string(social ? "social" : "idc");
}

Entry outcome(Kind kind, std::string source, std::string reason, std::string name = {}) {
    Entry e;
    e.outcome = ImportOutcome{kind, std::move(source), std::move(name), std::move(reason), {}};
    return e;
}

// The store's bound on names (check_record_name): a longer one is refused there anyway, and
// would make every mention of it in the report as long.
constexpr std::size_t kMaxNameBytes = 128;

Entry read_account(const rapidjson::Value& object, const Fields& f, std::string source,
                   std::int64_t now) {
    if (f.name.size() > kMaxNameBytes)
        return outcome(Kind::refused, std::move(source),
                       str_cat("field 'name' is longer than ", kMaxNameBytes, " characters"));
    std::string name = f.name.empty() ? derived_name(f.provider, f.refresh_token) : f.name;
    auto kind = account_kind(f);
    if (!kind) return outcome(Kind::refused, std::move(source), kind.error().message, name);
    Entry e = outcome(Kind::account, source, {}, name);
    ImportedAccount& a = e.account;
    a.kind = std::move(*kind);
    a.refresh_token = f.refresh_token;
    if (a.kind == "idc") {
        a.client_id = f.client_id;
        a.client_secret = f.client_secret;
        a.start_url = f.start_url;
        // AWS CLI sso-session files carry their registration's expiry beside the token.
        a.registration_expires_at =
            parse_time(object, "registrationExpiresAt", "registration_expires_at").value_or(0);
        e.client_id_hash = f.client_id_hash;
    }
    a.profile_arn = f.profile_arn;
    a.region = f.region;
    a.requests_per_minute = f.requests_per_minute;
    a.notes = f.notes;
    a.name = std::move(name);
    // An access token is only worth keeping while it is known to be valid; otherwise the
    // daemon refreshes on first use anyway.
    auto expires = parse_time(object, "expiresAt", "expires_at");
    if (!f.access_token.empty() && expires && *expires > now) {
        a.access_token = f.access_token;
        a.access_expires_at = *expires;
    }
    a.source = std::move(source);
    return e;
}

// Kiro's <clientIdHash>.json says expiresAt, the Amazon Q CLI's client_secret_expires_at.
Entry read_registration(const rapidjson::Value& object, const Fields& f, std::string source) {
    Entry e = outcome(Kind::registration, source, {});
    e.account.client_id = f.client_id;
    e.account.client_secret = f.client_secret;
    auto expires = parse_time(object, "expiresAt", "expires_at");
    if (!expires) expires = parse_time(object, "clientSecretExpiresAt", "client_secret_expires_at");
    e.account.registration_expires_at = expires.value_or(0);
    e.account.source = std::move(source);
    return e;
}

Entry read_entry(const rapidjson::Value& v, std::string source, std::int64_t now) {
    if (!v.IsObject())
        return outcome(Kind::refused, std::move(source),
                       "expected a JSON object (an account, a token file or a client "
                       "registration)");
    Fields f;
    if (Status st = read_fields(v, f); !st)
        return outcome(Kind::refused, std::move(source), st.error().message);
    if (!f.refresh_token.empty()) return read_account(v, f, std::move(source), now);
    if (!f.access_token.empty())
        return outcome(Kind::skipped, std::move(source),
                       "no refresh token: an access token alone expires within hours");
    if (!f.client_id.empty() && !f.client_secret.empty())
        return read_registration(v, f, std::move(source));
    return outcome(Kind::refused, std::move(source),
                   "no refreshToken: neither an account nor a client registration (clientId "
                   "and clientSecret)");
}

std::string_view file_stem(std::string_view source) {
    if (auto slash = source.rfind('/'); slash != std::string_view::npos)
        source.remove_prefix(slash + 1);
    if (source.size() > 5 && source.substr(source.size() - 5) == ".json") source.remove_suffix(5);
    return source;
}

void refuse(Batch& batch, std::string source, std::string reason) {
    batch.entries.push_back(outcome(Kind::refused, std::move(source), std::move(reason)));
}

// False when this entry reaches a bound: it and what follows it are not read (batch.full).
bool add_entry(Batch& batch, const rapidjson::Value& v, std::string source, bool whole_document,
               std::int64_t now) {
    if (++batch.read > kMaxImportEntries) {
        batch.full = str_cat("not read: an import reads at most ", kMaxImportEntries,
                             " entries (files and array elements)");
        return false;
    }
    Entry e = read_entry(v, std::move(source), now);
    if (e.outcome.kind == Kind::account && ++batch.accounts > kMaxImportedAccounts) {
        batch.full =
            str_cat("not read: an import adds at most ", kMaxImportedAccounts, " accounts");
        return false;
    }
    if (e.outcome.kind == Kind::registration && whole_document)
        e.file_stem = std::string(file_stem(e.account.source));
    batch.entries.push_back(std::move(e));
    return true;
}

void read_document(Batch& batch, const ImportDocument& d, std::int64_t now) {
    if (!d.error.empty()) return refuse(batch, d.source, d.error);
    if (!batch.full.empty()) return refuse(batch, d.source, batch.full);
    auto doc = parse_json(d.content);
    if (!doc) return refuse(batch, d.source, doc.error().message);
    if (doc->IsObject()) {
        if (!add_entry(batch, *doc, d.source, true, now)) refuse(batch, d.source, batch.full);
        return;
    }
    if (!doc->IsArray())
        return refuse(batch, d.source, "expected a JSON object or an array of objects");
    if (doc->Empty()) return refuse(batch, d.source, "an empty array: no accounts");
    for (rapidjson::SizeType i = 0; i < doc->Size(); ++i)
        if (!add_entry(batch, (*doc)[i], str_cat(d.source, "[", i, "]"), false, now))
            return refuse(batch, str_cat(d.source, "[", i, "…]"), batch.full);
}

std::string list_sources(const std::vector<Entry*>& entries) {
    std::string out;
    for (std::size_t i = 0; i < entries.size() && i < 5; ++i)
        out += str_cat(i ? ", " : "", entries[i]->account.source);
    if (entries.size() > 5) out += ", …";
    return out;
}

// The registrations an IdC token without client credentials may belong to: those with its
// clientId when it has one; among several, the one its clientIdHash names (Kiro writes the
// registration to ~/.aws/sso/cache/<clientIdHash>.json).
std::vector<Entry*> candidates(const Entry& token, const std::vector<Entry*>& regs) {
    std::vector<Entry*> out;
    for (Entry* r : regs)
        if (token.account.client_id.empty() || r->account.client_id == token.account.client_id)
            out.push_back(r);
    if (out.size() <= 1 || token.client_id_hash.empty()) return out;
    std::vector<Entry*> named;
    for (Entry* r : out)
        if (r->file_stem == token.client_id_hash) named.push_back(r);
    return named.size() == 1 ? named : out;
}

void pair(Entry& token, const std::vector<Entry*>& regs) {
    auto found = candidates(token, regs);
    if (found.size() != 1) {
        token.outcome.kind = Kind::refused;
        token.outcome.reason =
            found.empty()
                ? "an IdC token needs clientId and clientSecret — import its client "
                  "registration file too"
                : str_cat("an IdC token needs clientId and clientSecret and the import holds ",
                          found.size(), " client registrations (", list_sources(found),
                          "): which one is its own? Import it with that one only");
        return;
    }
    ImportedAccount& a = token.account;
    const ImportedAccount& r = found[0]->account;
    a.client_id = r.client_id;
    a.client_secret = r.client_secret;
    if (r.registration_expires_at) a.registration_expires_at = r.registration_expires_at;
    found[0]->outcome.used_by.push_back(a.name);
}

void pair_registrations(Batch& batch) {
    std::vector<Entry*> regs;
    for (Entry& e : batch.entries)
        if (e.outcome.kind == Kind::registration) regs.push_back(&e);
    for (Entry& e : batch.entries) {
        const ImportedAccount& a = e.account;
        if (e.outcome.kind == Kind::account && a.kind == "idc" &&
            (a.client_id.empty() || a.client_secret.empty()))
            pair(e, regs);
    }
}

void skip(Entry& e, std::string reason) {
    e.outcome.kind = Kind::skipped;
    e.outcome.reason = std::move(reason);
}

// Its refresh token would be refused: registration and token expire together.
void skip_expired_registrations(Batch& batch, std::int64_t now) {
    for (Entry& e : batch.entries) {
        std::int64_t expired = e.account.registration_expires_at;
        if (e.outcome.kind == Kind::account && expired != 0 && expired <= now)
            skip(e, str_cat("client registration expired at ", iso8601(expired)));
    }
}

// The refresh token names the account; one OIDC client may authorise many users, so a shared
// clientId is no duplicate. The first of a kind stays.
void skip_duplicates(Batch& batch) {
    std::unordered_map<std::string_view, std::string_view> by_token, by_name;  // → source
    for (Entry& e : batch.entries) {
        if (e.outcome.kind != Kind::account) continue;
        const ImportedAccount& a = e.account;
        auto token = by_token.find(a.refresh_token);
        auto name = by_name.find(a.name);
        if (token != by_token.end()) {
            skip(e, str_cat("same refresh token as ", token->second));
        } else if (name != by_name.end()) {
            skip(e, str_cat("same name as ", name->second));
        } else {
            by_token.emplace(a.refresh_token, a.source);
            by_name.emplace(a.name, a.source);
        }
    }
}

AccountImportPlan plan_of(Batch& batch) {
    AccountImportPlan plan;
    plan.outcomes.reserve(batch.entries.size());
    for (Entry& e : batch.entries) {
        if (e.outcome.kind == Kind::account) plan.accounts.push_back(std::move(e.account));
        plan.outcomes.push_back(std::move(e.outcome));
    }
    return plan;
}

}  // namespace

Result<AccountImportPlan> parse_account_import(const std::vector<ImportDocument>& documents,
                                               std::int64_t now) {
    if (documents.empty()) return make_error(Errc::invalid_argument, "no documents to import");
    Batch batch;
    for (const ImportDocument& d : documents) read_document(batch, d, now);
    pair_registrations(batch);
    skip_expired_registrations(batch, now);
    skip_duplicates(batch);
    return plan_of(batch);
}

Result<AccountImportPlan> parse_account_document(std::string_view json,
                                                 std::string_view source_name, std::int64_t now) {
    return parse_account_import({ImportDocument{std::string(source_name), std::string(json), {}}},
                                now);
}

bool same_account(const ImportedAccount& a, std::string_view client_id,
                  std::string_view refresh_token) {
    bool same_client = a.kind == "idc" && !a.client_id.empty() && a.client_id == client_id;
    bool same_token = !a.refresh_token.empty() && a.refresh_token == refresh_token;
    return same_client || same_token;
}

}  // namespace amq
