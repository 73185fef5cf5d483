// Human output of amq2apictl: the `data` of a reply turned into text. Pure functions (no
// sockets, no clocks), so the layout is unit-tested on sample replies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace amq::ctl {

// Cells are printed as given; the caller has made them printable. Columns are separated by two
// spaces and padded to their widest cell (counted in characters, not bytes: key prefixes
// contain "…"); the last column carries no trailing blanks.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

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

// Characters of UTF-8 text as a terminal column count (no wide-character handling).
std::size_t display_width(std::string_view text);

// One function per reply shape; each ends with a newline.
std::string render_status(const rapidjson::Value& data);
std::string render_account_list(const rapidjson::Value& data);
std::string render_account(const rapidjson::Value& data);
std::string render_account_removed(const rapidjson::Value& data);
std::string render_account_enabled(const rapidjson::Value& data);
std::string render_account_disabled(const rapidjson::Value& data);
std::string render_account_events(const rapidjson::Value& data);
std::string render_account_refreshed(const rapidjson::Value& data);
std::string render_account_quota(const rapidjson::Value& data);
std::string render_account_import(const rapidjson::Value& data);
std::string render_key_list(const rapidjson::Value& data);
std::string render_key(const rapidjson::Value& data);
std::string render_key_created(const rapidjson::Value& data);
std::string render_key_revoked(const rapidjson::Value& data);
std::string render_key_removed(const rapidjson::Value& data);

// An account.import reply that lists refused entries (the command then exits 1).
bool import_refused_any(const rapidjson::Value& data);

// "http://user:secret@proxy:3128" → "http://user:***@proxy:3128": a proxy password stays off
// the screen (--json still carries the URL as the daemon stores it).
std::string hide_url_password(std::string_view url);

}  // namespace amq::ctl
