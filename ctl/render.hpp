// Human output of amq2apictl: the `data` of a reply turned into text. Pure functions (no
// sockets, no clocks), so the layout is unit-tested on sample replies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace amq::ctl {

// How wide a table may be (0: no limit, as for a pipe read by a program) and which columns
// hold free text (names, notes, reasons) that may be cut with "…" to fit; the others never are,
// so a table of many fixed columns may still be wider.
struct TableFit {
    std::size_t width = 0;
    std::vector<bool> free_text;
};

// Cells are printed as given; the caller has made them printable. Columns are separated by two
// spaces and padded to their widest cell (counted in characters, not bytes: key prefixes
// contain "…"); the last column carries no trailing blanks.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows,
                         const TableFit& fit = {});

// "label: value" lines with the values aligned.
struct LabelledValue {
    std::string label;
    std::string value;
};
std::string render_lines(const std::vector<LabelledValue>& lines);

// One member of a JSON object as a cell: null, missing and "" are "-", booleans "yes"/"no",
// numbers as written; control characters are escaped so data cannot drive the terminal.
std::string cell(const rapidjson::Value& object, const char* name);

// 45 → "45s", 185 → "3m 05s", 7380 → "2h 03m", 180000 → "2d 02h".
std::string format_duration(std::int64_t seconds);

// Milliseconds: 850 → "850ms", 12345 → "12.3s", from a minute on as format_duration.
std::string format_millis(std::int64_t milliseconds);

// Characters of UTF-8 text as a terminal column count (no wide-character handling).
std::size_t display_width(std::string_view text);

// One function per reply shape; each ends with a newline. Those that print a table take the
// terminal's width (0: no limit) and fit the table to it (TableFit).
std::string render_status(const rapidjson::Value& data, std::size_t width = 0);
std::string render_account_list(const rapidjson::Value& data, std::size_t width = 0);
std::string render_account(const rapidjson::Value& data);
std::string render_account_removed(const rapidjson::Value& data);
std::string render_account_enabled(const rapidjson::Value& data);
std::string render_account_disabled(const rapidjson::Value& data);
std::string render_account_health_reset(const rapidjson::Value& data);
std::string render_account_events(const rapidjson::Value& data, std::size_t width = 0);
std::string render_account_refreshed(const rapidjson::Value& data);
std::string render_account_quota(const rapidjson::Value& data);
std::string render_account_import(const rapidjson::Value& data, std::size_t width = 0);
// "updated account ID (NAME)", then the account as account show prints it.
std::string render_account_updated(const rapidjson::Value& data);
std::string render_key_list(const rapidjson::Value& data, std::size_t width = 0);
std::string render_key(const rapidjson::Value& data);
std::string render_key_created(const rapidjson::Value& data);
std::string render_key_revoked(const rapidjson::Value& data);
std::string render_key_removed(const rapidjson::Value& data);
std::string render_key_updated(const rapidjson::Value& data);
std::string render_key_enabled(const rapidjson::Value& data);
std::string render_key_disabled(const rapidjson::Value& data);
// The period's totals, then one row per day, key, account or model (none with by "none").
std::string render_stats(const rapidjson::Value& data, std::size_t width = 0);
// AT, ACTOR, COMMAND and CHANGE (audit_change, cut to 100 characters) per entry.
std::string render_audit(const rapidjson::Value& data, std::size_t width = 0);
std::string render_usage_log(const rapidjson::Value& data, std::size_t width = 0);

// INDEX PID GENERATION STATE REQUESTS INFLIGHT UPTIME per worker, as in status.
std::string render_workers(const rapidjson::Value& data, std::size_t width = 0);
// The daemon answers at once and replaces its workers afterwards: the line says where to watch.
std::string render_reload(const rapidjson::Value& data);
std::string render_log_level(const rapidjson::Value& data);
// backup's reply ({"bytes": N}) with the file amq2apictl wrote it to, as a sentence and as the
// line --json prints ({"file": FILE, "bytes": N}).
std::string render_backup(const rapidjson::Value& data, std::string_view file);
std::string backup_json(const rapidjson::Value& data, std::string_view file);
// store copy into a database, or into an LMDB file; store migrate (dry run or not).
std::string render_store_copy(const rapidjson::Value& data, std::size_t width);
std::string render_store_copy_file(const rapidjson::Value& data, std::string_view file);
std::string render_store_migrate(const rapidjson::Value& data, std::size_t width);

// What one audit entry changed, on one line: for a record in both before and after, the fields
// that differ ("requests_per_minute: 60 → 30, enabled: yes → no", "no change" when none);
// "created NAME (id N)", "removed NAME (id N)", "imported 2 accounts, refused 1"; else the
// command's arguments as compact JSON.
std::string audit_change(const rapidjson::Value& entry);

// usage export. Records are written as the daemon gives them, not made printable: the output is
// data for other programs, and its formats carry any text safely. Only invalid UTF-8 (a user
// agent sent in Latin-1) is replaced, since JSON and CSV readers would refuse the whole file.
enum class UsageFormat { csv, ndjson };

// Each byte that starts no valid UTF-8 character (overlong forms and surrogates included)
// becomes U+FFFD; valid text is returned as it is.
std::string valid_utf8(std::string_view text);

// RFC 4180: a field holding a comma, a double quote, CR or LF is put in double quotes, and its
// double quotes are doubled; other fields are written as they are.
std::string csv_field(std::string_view text);
// The column names, in the order of every row, and a line feed.
std::string usage_csv_header();
// One record as a CSV line: strings as they are (valid_utf8), booleans true/false, null or
// missing empty.
std::string usage_csv_row(const rapidjson::Value& record);
// One record as one line of JSON (strings through valid_utf8).
std::string usage_ndjson_line(const rapidjson::Value& record);
// Every record of a usage.export page ({"records": [...]}), one line each.
std::string render_usage_page(const rapidjson::Value& data, UsageFormat format);

// An account.import reply that lists refused entries (the command then exits 1).
bool import_refused_any(const rapidjson::Value& data);

// "http://user:secret@proxy:3128" → "http://user:***@proxy:3128": a proxy password stays off
// the screen (--json still carries the URL as the daemon stores it).
std::string hide_url_password(std::string_view url);

}  // namespace amq::ctl
