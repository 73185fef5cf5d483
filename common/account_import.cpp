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

// One element of a document: an account, or a client registration waiting to be paired.
struct Entry {
    ImportedAccount account;
    std::string client_id_hash;  // Kiro IdC tokens: names their registration file
    std::string file_stem;       // registrations that are a whole document: file name sans .json
    bool registration = false;
};

struct DocumentView {
    std::string_view source;
    std::string_view json;
};

struct Batch {
    std::vector<Entry> entries;
    std::size_t accounts = 0;
    std::size_t registrations = 0;
};

// The fields every accepted shape draws from. Token files are camelCase, the seed and the
// Amazon Q CLI's own store snake_case: each field is looked up under both names.
struct Fields {
    std::string refresh_token, client_id, client_secret, access_token, profile_arn, region;
    std::string name, notes, provider, auth_method, kind, client_id_hash;
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

std::optional<std::int64_t> parse_expiry(const rapidjson::Value& object) {
    const rapidjson::Value* v = find_member(object, "expiresAt");
    if (!v) v = find_member(object, "expires_at");
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

Result<std::string> account_kind(const Fields& f, std::string_view source) {
    if (!f.kind.empty()) {
        if (iequals(f.kind, "idc")) return std::string("idc");
        if (iequals(f.kind, "social")) return std::string("social");
        return make_error(Errc::invalid_argument,
                          str_cat(source, ": field 'kind' must be \"idc\" or \"social\""));
    }
    if (!f.auth_method.empty())
        return std::string(iequals(f.auth_method, "social") ? "social" : "idc");
    // Kiro social logins name their identity provider; IdC ones say BuilderId/Enterprise.
    bool social = iequals(f.provider, "google") || iequals(f.provider, "github");
    return std::string(social ? "social" : "idc");
}

Result<Entry> read_account(const rapidjson::Value& object, const Fields& f, std::string source,
                           std::int64_t now) {
    auto kind = account_kind(f, source);
    if (!kind) return kind.error();
    Entry e;
    ImportedAccount& a = e.account;
    a.kind = std::move(*kind);
    a.refresh_token = f.refresh_token;
    if (a.kind == "idc") {
        a.client_id = f.client_id;
        a.client_secret = f.client_secret;
        e.client_id_hash = f.client_id_hash;
    }
    a.profile_arn = f.profile_arn;
    a.region = f.region;
    a.requests_per_minute = f.requests_per_minute;
    a.notes = f.notes;
    a.name = f.name.empty() ? derived_name(f.provider, a.refresh_token) : f.name;
    // An access token is only worth keeping while it is known to be valid; otherwise the
    // daemon refreshes on first use anyway.
    auto expires = parse_expiry(object);
    if (!f.access_token.empty() && expires && *expires > now) {
        a.access_token = f.access_token;
        a.access_expires_at = *expires;
    }
    a.source = std::move(source);
    return e;
}

Result<Entry> read_entry(const rapidjson::Value& v, std::string source, std::int64_t now) {
    if (!v.IsObject())
        return make_error(Errc::invalid_argument,
                          str_cat(source,
                                  ": expected a JSON object (an account, a token file "
                                  "or a client registration)"));
    Fields f;
    if (Status st = read_fields(v, f); !st)
        return make_error(Errc::invalid_argument, str_cat(source, ": ", st.error().message));
    if (!f.refresh_token.empty()) return read_account(v, f, std::move(source), now);
    if (f.client_id.empty() || f.client_secret.empty())
        return make_error(Errc::invalid_argument,
                          str_cat(source,
                                  ": no refreshToken: neither an account nor a "
                                  "client registration (clientId and clientSecret)"));
    Entry e;
    e.registration = true;
    e.account.client_id = f.client_id;
    e.account.client_secret = f.client_secret;
    e.account.source = std::move(source);
    return e;
}

std::string_view file_stem(std::string_view source) {
    if (auto slash = source.rfind('/'); slash != std::string_view::npos)
        source.remove_prefix(slash + 1);
    if (source.size() > 5 && source.substr(source.size() - 5) == ".json") source.remove_suffix(5);
    return source;
}

Status add_entry(Batch& batch, const rapidjson::Value& v, std::string source, bool whole_document,
                 std::int64_t now) {
    auto entry = read_entry(v, std::move(source), now);
    if (!entry) return entry.error();
    std::size_t& count = entry->registration ? batch.registrations : batch.accounts;
    // Bounds the pairing and duplicate work as well as the store transaction that follows.
    if (++count > kMaxImportedAccounts)
        return make_error(Errc::invalid_argument,
                          str_cat(entry->account.source, ": too many ",
                                  entry->registration ? "client registrations" : "accounts",
                                  " in one import (at most ", kMaxImportedAccounts, ")"));
    if (entry->registration && whole_document)
        entry->file_stem = std::string(file_stem(entry->account.source));
    batch.entries.push_back(std::move(*entry));
    return {};
}

Status read_document(Batch& batch, std::string_view json, std::string_view source,
                     std::int64_t now) {
    auto doc = parse_json(json);
    if (!doc) return make_error(Errc::invalid_argument, str_cat(source, ": ", doc.error().message));
    if (doc->IsObject()) return add_entry(batch, *doc, std::string(source), true, now);
    if (!doc->IsArray())
        return make_error(Errc::invalid_argument,
                          str_cat(source, ": expected a JSON object or an array of objects"));
    if (doc->Empty()) return make_error(Errc::invalid_argument, str_cat("no accounts in ", source));
    for (rapidjson::SizeType i = 0; i < doc->Size(); ++i)
        if (Status st = add_entry(batch, (*doc)[i], str_cat(source, "[", i, "]"), false, now); !st)
            return st;
    return {};
}

std::string list_sources(const std::vector<const Entry*>& entries) {
    std::string out;
    for (std::size_t i = 0; i < entries.size() && i < 5; ++i)
        out += str_cat(i ? ", " : "", entries[i]->account.source);
    if (entries.size() > 5) out += ", …";
    return out;
}

// The registrations an IdC token without client credentials may belong to: those with its
// clientId when it has one; among several, the one its clientIdHash names (Kiro writes the
// registration to ~/.aws/sso/cache/<clientIdHash>.json).
std::vector<const Entry*> candidates(const Entry& token, const std::vector<const Entry*>& regs) {
    std::vector<const Entry*> out;
    for (const Entry* r : regs)
        if (token.account.client_id.empty() || r->account.client_id == token.account.client_id)
            out.push_back(r);
    if (out.size() <= 1 || token.client_id_hash.empty()) return out;
    std::vector<const Entry*> named;
    for (const Entry* r : out)
        if (r->file_stem == token.client_id_hash) named.push_back(r);
    return named.size() == 1 ? named : out;
}

Status pair_registrations(Batch& batch) {
    std::vector<const Entry*> regs;
    for (const Entry& e : batch.entries)
        if (e.registration) regs.push_back(&e);
    for (Entry& e : batch.entries) {
        ImportedAccount& a = e.account;
        if (e.registration || a.kind != "idc" || (!a.client_id.empty() && !a.client_secret.empty()))
            continue;
        auto found = candidates(e, regs);
        if (found.empty())
            return make_error(Errc::invalid_argument,
                              str_cat(a.source,
                                      ": an IdC token needs clientId and clientSecret"
                                      " — import its client registration file too"));
        if (found.size() > 1)
            return make_error(Errc::invalid_argument,
                              str_cat(a.source,
                                      ": an IdC token needs clientId and clientSecret"
                                      " and the import holds ",
                                      found.size(), " client registrations (", list_sources(found),
                                      "): which one is its own? Import it with that one only"));
        a.client_id = found[0]->account.client_id;
        a.client_secret = found[0]->account.client_secret;
    }
    return {};
}

Error duplicate(const ImportedAccount& first, const ImportedAccount& second, std::string_view why) {
    return make_error(Errc::conflict, str_cat(first.source, " and ", second.source, " ", why));
}

// The refresh token names the account; one OIDC client may authorise many users, so a shared
// clientId is no duplicate.
Status check_duplicates(const std::vector<ImportedAccount>& accounts) {
    std::unordered_map<std::string_view, const ImportedAccount*> by_refresh, by_name;
    for (const ImportedAccount& a : accounts) {
        auto [it, fresh] = by_refresh.emplace(a.refresh_token, &a);
        if (!fresh) return duplicate(*it->second, a, "are the same account (same refresh token)");
        auto [nit, nfresh] = by_name.emplace(a.name, &a);
        if (!nfresh)
            return duplicate(*nit->second, a, str_cat("both name an account \"", a.name, "\""));
    }
    return {};
}

Error no_accounts(const std::vector<DocumentView>& documents, const Batch& batch) {
    std::string sources;
    for (std::size_t i = 0; i < documents.size(); ++i)
        sources += str_cat(i ? ", " : "", documents[i].source);
    std::string hint = batch.registrations == 0
                           ? ""
                           : " (a client registration is not an account: import it together "
                             "with its token file)";
    return make_error(Errc::invalid_argument, str_cat("no accounts in ", sources, hint));
}

Result<std::vector<ImportedAccount>> import_documents(const std::vector<DocumentView>& documents,
                                                      std::int64_t now) {
    if (documents.empty()) return make_error(Errc::invalid_argument, "no documents to import");
    Batch batch;
    for (const DocumentView& d : documents)
        if (Status st = read_document(batch, d.json, d.source, now); !st) return st.error();
    if (batch.accounts == 0) return no_accounts(documents, batch);
    if (Status st = pair_registrations(batch); !st) return st.error();
    std::vector<ImportedAccount> out;
    out.reserve(batch.accounts);
    for (Entry& e : batch.entries)
        if (!e.registration) out.push_back(std::move(e.account));
    if (Status st = check_duplicates(out); !st) return st.error();
    return out;
}

}  // namespace

Result<std::vector<ImportedAccount>> parse_account_document(std::string_view json,
                                                            std::string_view source_name,
                                                            std::int64_t now) {
    return import_documents({DocumentView{source_name, json}}, now);
}

Result<std::vector<ImportedAccount>> parse_account_import(
    const std::vector<std::pair<std::string, std::string>>& documents, std::int64_t now) {
    std::vector<DocumentView> views;
    views.reserve(documents.size());
    for (const auto& [source, json] : documents) views.push_back({source, json});
    return import_documents(views, now);
}

bool same_account(const ImportedAccount& a, std::string_view client_id,
                  std::string_view refresh_token) {
    bool same_client = a.kind == "idc" && !a.client_id.empty() && a.client_id == client_id;
    bool same_token = !a.refresh_token.empty() && a.refresh_token == refresh_token;
    return same_client || same_token;
}

}  // namespace amq
