// Bulk account import: the JSON documents operators already have (AWS SSO cache and Amazon Q
// CLI token files, Kiro token files with their client registration, the seed's account
// objects) turned into account records to add, and a report of what became of every source.
// Pure: the caller reads the files and the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
    std::string region;                        // "" when the document has none
    std::string start_url;                     // idc only: the IAM Identity Center start URL, or ""
    std::int64_t registration_expires_at = 0;  // idc only: unix seconds; 0 = not known
    std::string access_token;                  // a still-valid access token the document carries
    std::int64_t access_expires_at = 0;        // unix seconds; 0 with no access token
    std::optional<std::int64_t> requests_per_minute;  // absent = the configured default
    std::string notes;
    std::string source;  // "<source name>" or "<source name>[i]" for messages
};

// A document as the caller has it: its content, or why it could not be read.
struct ImportDocument {
    std::string source;
    std::string content;
    std::string error;  // not empty: the source is refused with this reason, content unread
};

// What became of one source: a whole document, an element of an array document
// ("<source>[i]"), or the unread rest of one ("<source>[i…]").
struct ImportOutcome {
    enum class Kind {
        account,       // an account to add (in AccountImportPlan::accounts)
        registration,  // a client registration; used_by names the tokens paired with it
        skipped,       // nothing to add, and nothing wrong: reason says why
        refused,       // unusable as it is: reason says why
    };
    Kind kind = Kind::refused;
    std::string source;
    std::string name;  // the account's name when the source holds a refresh token, else ""
    std::string reason;
    std::vector<std::string> used_by;
};

struct AccountImportPlan {
    std::vector<ImportedAccount> accounts;  // to add, in source order
    std::vector<ImportOutcome> outcomes;    // one per source, in source order
};

// Bounds on one import: the accounts it adds and the entries (documents and array elements)
// it reads. What lies past either is refused unread, one outcome per document. The callers
// bound the documents and their source names, which every outcome repeats.
inline constexpr std::size_t kMaxImportedAccounts = 1000;
inline constexpr std::size_t kMaxImportEntries = 2000;
inline constexpr std::size_t kMaxImportDocuments = 1000;
inline constexpr std::size_t kMaxImportSourceBytes = 1024;

// Several documents imported together. Each is an object or an array of objects, each of any
// accepted shape; fields are read in camelCase or snake_case. An account without a `name` is
// named "<provider or 'sso'>-<first 8 hex of SHA-256(refresh token)>". An access token whose
// expiresAt is missing, unparsable or not after `now` (unix seconds) is dropped.
// IdC tokens without client credentials (Kiro, Amazon Q CLI) are paired with the batch's
// client registration: the one whose file name is the token's clientIdHash, else the only
// one. Skipped: a token whose registration expired by `now` (registrationExpiresAt, or the
// registration's expiresAt), an access token without a refresh token, and a token with the
// refresh token or name of an earlier one. Only an empty list of documents is an error.
Result<AccountImportPlan> parse_account_import(const std::vector<ImportDocument>& documents,
                                               std::int64_t now);

// parse_account_import of this one document.
Result<AccountImportPlan> parse_account_document(std::string_view json,
                                                 std::string_view source_name, std::int64_t now);

// The duplicate rule shared with the store check: the same non-empty client id, or the same
// non-empty refresh token.
bool same_account(const ImportedAccount& a, std::string_view client_id,
                  std::string_view refresh_token);

}  // namespace amq
