// Bulk account import: the JSON documents operators already have (AWS SSO cache and Amazon Q
// CLI token files, Kiro token files with their client registration, the seed's account
// objects) turned into account records to add. Pure: the caller reads the files and the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace amq {

struct ImportedAccount {
    std::string name;          // from the document, else derived (see parse_account_document)
    std::string kind = "idc";  // "idc" (AWS SSO OIDC: clientId + clientSecret) or "social" (Kiro)
    std::string refresh_token;
    std::string client_id;      // idc only
    std::string client_secret;  // idc only
    std::string profile_arn;
    std::string region;                    // "" when the document has none
    std::string access_token;              // a still-valid access token the document carries
    std::int64_t access_expires_at = 0;    // unix seconds; 0 with no access token
    std::optional<std::int64_t> requests_per_minute;  // absent = the configured default
    std::string notes;
    std::string source;  // "<source name>" or "<source name>[i]" for messages
};

inline constexpr std::size_t kMaxImportedAccounts = 1000;

// One document (a file's content): an object or an array of objects, each of any accepted
// shape; fields are read in camelCase or snake_case. An account without a `name` is named
// "<provider or 'sso'>-<first 8 hex of SHA-256(refresh token)>". An access token whose
// expiresAt is missing, unparsable or not after `now` (unix seconds) is dropped. Same rules
// as parse_account_import with this one document.
Result<std::vector<ImportedAccount>> parse_account_document(std::string_view json,
                                                            std::string_view source_name,
                                                            std::int64_t now);

// Several documents imported together, (source name, json) each. IdC tokens without client
// credentials (Kiro, Amazon Q CLI) are paired with the batch's client registration document:
// the one whose file name is the token's clientIdHash, else the only one. Duplicates inside
// the batch (same_account, or the same name) are refused with Errc::conflict.
Result<std::vector<ImportedAccount>> parse_account_import(
    const std::vector<std::pair<std::string, std::string>>& documents, std::int64_t now);

// The duplicate rule shared with the store check: the same non-empty client id, or the same
// non-empty refresh token.
bool same_account(const ImportedAccount& a, std::string_view client_id,
                  std::string_view refresh_token);

}  // namespace amq
