#include "ctl/render.hpp"

#include <algorithm>
#include <optional>
#include <span>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"

namespace amq::ctl {
namespace {

// duration: seconds as "3m 05s"; millis: milliseconds as "850ms"; url: a URL whose password
// is hidden; cap: a limit where 0 (or less) means none; models: a key's allowed models, where
// none means every model.
// allowed_models: a key's list, empty = every model; listed_models: what an account serves.
enum class Format { plain, duration, millis, url, cap, allowed_models, listed_models };

// A table column: which member of each row object it shows, and how. A non-zero max_width
// truncates free text (notes) so one long value does not push every row off the screen;
// free_text columns are the ones cut further to fit the terminal (ids, states, numbers and
// times never are).
struct Column {
    const char* title;
    const char* field;
    Format format = Format::plain;
    std::size_t max_width = 0;
    bool free_text = false;
};

constexpr bool kFreeText = true;

// A line of a single-record view.
struct Field {
    const char* label;
    const char* field;
    Format format = Format::plain;
};

constexpr Column kAccountColumns[] = {
    {"ID", "id"},
    {"NAME", "name", Format::plain, 0, kFreeText},
    {"KIND", "kind"},
    {"STATE", "state"},
    {"ENABLED", "enabled"},
    {"RPM", "requests_per_minute", Format::cap},
    {"CREATED", "created_at"},
    {"NOTES", "notes", Format::plain, 40, kFreeText},
};

// The connection overrides show "-" when the account uses the configuration's value.
constexpr Field kAccountFields[] = {
    {"id", "id"},
    {"name", "name"},
    {"kind", "kind"},
    {"enabled", "enabled"},
    {"state", "state"},
    {"state reason", "state_reason"},
    {"state since", "state_since"},
    {"state until", "state_until"},
    {"client id", "client_id"},
    {"profile ARN", "profile_arn"},
    {"region", "region"},
    {"API endpoint", "api_endpoint"},
    {"API flavour", "api_flavour"},
    {"origin", "origin"},
    {"proxy", "proxy", Format::url},
    {"requests/minute", "requests_per_minute", Format::cap},
    {"models", "models", Format::listed_models},
    {"last served", "last_served_at"},
    {"last endpoint", "last_endpoint", Format::url},
    {"notes", "notes"},
    {"created", "created_at"},
    {"updated", "updated_at"},
};

constexpr Column kEventColumns[] = {
    {"AT", "at"},
    {"FROM", "from"},
    {"TO", "to"},
    {"REASON", "reason", Format::plain, 0, kFreeText},
};

constexpr Column kKeyColumns[] = {
    {"ID", "id"},
    {"NAME", "name", Format::plain, 0, kFreeText},
    {"PREFIX", "key_prefix"},
    {"ADMIN", "is_admin"},
    {"ENABLED", "enabled"},
    {"RPM", "requests_per_minute", Format::cap},
    {"RPD", "requests_per_day", Format::cap},
    {"MAX_CONC", "max_concurrent", Format::cap},
    {"MODELS", "allowed_models", Format::allowed_models, 30, kFreeText},
    {"EXPIRES", "expires_at"},
    {"LAST_USED", "last_used_at"},
};

constexpr Field kKeyFields[] = {
    {"id", "id"},
    {"name", "name"},
    {"description", "description"},
    {"prefix", "key_prefix"},
    {"admin", "is_admin"},
    {"enabled", "enabled"},
    {"requests/minute", "requests_per_minute", Format::cap},
    {"requests/day", "requests_per_day", Format::cap},
    {"max concurrent", "max_concurrent", Format::cap},
    {"models", "allowed_models", Format::allowed_models},
    {"expires", "expires_at"},
    {"created", "created_at"},
    {"last used", "last_used_at"},
};

constexpr Column kWorkerColumns[] = {
    {"INDEX", "index"},
    {"PID", "pid"},
    {"GENERATION", "generation"},
    {"STATE", "state"},
    {"REQUESTS", "requests"},
    {"INFLIGHT", "inflight"},
    {"UPTIME", "uptime_s", Format::duration},
};

// The label columns of each stats grouping; the counts follow them.
constexpr Column kStatsByDay[] = {{"DATE", "date"}};
constexpr Column kStatsByKey[] = {{"KEY_ID", "key_id"},
                                  {"KEY", "key_name", Format::plain, 0, kFreeText}};
constexpr Column kStatsByAccount[] = {{"ACCOUNT_ID", "account_id"},
                                      {"ACCOUNT", "account_name", Format::plain, 0, kFreeText}};
constexpr Column kStatsByModel[] = {{"MODEL", "model", Format::plain, 0, kFreeText}};

constexpr Column kStatsCounts[] = {
    {"REQUESTS", "requests"},
    {"ERRORS", "errors"},
    {"INPUT_TOKENS", "input_tokens"},
    {"OUTPUT_TOKENS", "output_tokens"},
    {"TOTAL_TOKENS", "total_tokens"},
    {"CREDITS", "credits"},
    {"AVG_DURATION", "avg_duration_ms", Format::millis},
    {"AVG_TTFB", "avg_ttfb_ms", Format::millis},
};

// The CSV columns of usage export: every field of a usage.export record, in its order.
constexpr const char* kUsageColumns[] = {
    "time",         "time_ms",        "key_id",         "account_id", "endpoint",
    "client_model", "upstream_model", "stream",         "status",     "error_class",
    "input_tokens", "output_tokens",  "credits_micros", "ttfb_ms",    "duration_ms",
    "attempts",     "client_address", "user_agent",     "request_id",
};

// The audit summary is the last column; past this it would wrap every row on a terminal.
constexpr std::size_t kAuditChangeWidth = 100;

// A free-text column cut to fit the terminal keeps at least this much (or its header).
constexpr std::size_t kMinFreeTextWidth = 8;

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Control characters (C0, DEL and the UTF-8 encoded C1 range) become visible escapes.
std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool c1 = c == 0xC2 && i + 1 < text.size() &&
                  static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                  static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7F)
            out += str_cat("\\x", kHex[c >> 4], kHex[c & 15]);
        else if (c1) {
            auto code = static_cast<unsigned char>(text[++i]);
            out += str_cat("\\u00", kHex[code >> 4], kHex[code & 15]);
        } else
            out.push_back(text[i]);
    }
    return out;
}

// Cuts at a character boundary and marks the cut with "…".
std::string truncate(std::string text, std::size_t max_width) {
    if (max_width == 0 || display_width(text) <= max_width) return text;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (is_continuation(static_cast<unsigned char>(text[i]))) continue;
        if (chars++ == max_width - 1) {
            text.resize(i);
            return text + "…";
        }
    }
    return text;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) return nullptr;
    auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::int64_t> integer_member(const rapidjson::Value& object, const char* name) {
    const rapidjson::Value* v = member(object, name);
    if (!v || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
}

// Null and missing are "-", an empty list is "all", the names are joined as --models takes them.
std::string models_text(const rapidjson::Value* models, std::string_view when_empty) {
    if (!models || !models->IsArray()) return "-";
    if (models->Empty()) return std::string(when_empty);
    std::string out;
    for (const auto& m : models->GetArray()) {
        if (!out.empty()) out += ",";
        out += m.IsString() ? printable(std::string_view(m.GetString(), m.GetStringLength()))
                            : printable(to_json(m));
    }
    return out;
}

std::string formatted_cell(const rapidjson::Value& row, const char* field, Format format) {
    switch (format) {
        case Format::duration: {
            auto seconds = integer_member(row, field);
            return seconds ? format_duration(*seconds) : "-";
        }
        case Format::millis: {
            auto ms = integer_member(row, field);
            return ms ? format_millis(*ms) : "-";
        }
        case Format::url: return hide_url_password(cell(row, field));
        case Format::cap: {
            auto limit = integer_member(row, field);
            if (limit && *limit <= 0) return "unlimited";
            break;
        }
        case Format::allowed_models: return models_text(member(row, field), "all");
        case Format::listed_models: return models_text(member(row, field), "none");
        case Format::plain: break;
    }
    return cell(row, field);
}

std::string column_cell(const rapidjson::Value& row, const Column& column) {
    return truncate(formatted_cell(row, column.field, column.format), column.max_width);
}

// A JSON value as a cell: null "-", "" "-", booleans "yes"/"no", other values as JSON.
std::string value_text(const rapidjson::Value& v) {
    if (v.IsNull()) return "-";
    if (v.IsBool()) return v.GetBool() ? "yes" : "no";
    if (v.IsInt64()) return str_cat(v.GetInt64());
    if (v.IsUint64()) return str_cat(v.GetUint64());
    if (v.IsNumber()) return str_cat(v.GetDouble());
    if (v.IsString()) {
        std::string_view s(v.GetString(), v.GetStringLength());
        return s.empty() ? "-" : printable(s);
    }
    return printable(to_json(v));
}

std::string render_rows(const rapidjson::Value& data, const char* array_name,
                        std::span<const Column> columns, std::string_view empty_text,
                        std::size_t width) {
    const rapidjson::Value* array = member(data, array_name);
    if (!array || !array->IsArray() || array->Empty()) return str_cat(empty_text, "\n");
    std::vector<std::string> headers;
    TableFit fit{width, {}};
    for (const auto& column : columns) {
        headers.emplace_back(column.title);
        fit.free_text.push_back(column.free_text);
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : array->GetArray()) {
        auto& row = rows.emplace_back();
        for (const auto& column : columns) row.push_back(column_cell(item, column));
    }
    return render_table(headers, rows, fit);
}

// Narrows the widest free-text column, one character at a time, until the table fits or
// every free-text column is down to kMinFreeTextWidth (or its header).
void fit_widths(std::vector<std::size_t>& widths, const std::vector<std::string>& headers,
                const TableFit& fit) {
    auto total = [&] {
        std::size_t sum = 2 * (widths.size() - 1);
        for (std::size_t w : widths) sum += w;
        return sum;
    };
    while (total() > fit.width) {
        std::size_t widest = widths.size();
        for (std::size_t i = 0; i < widths.size() && i < fit.free_text.size(); ++i) {
            std::size_t floor = std::max(kMinFreeTextWidth, display_width(headers[i]));
            if (fit.free_text[i] && widths[i] > floor &&
                (widest == widths.size() || widths[i] > widths[widest]))
                widest = i;
        }
        if (widest == widths.size()) return;
        --widths[widest];
    }
}

std::string render_fields(const rapidjson::Value& record, std::span<const Field> fields) {
    std::vector<LabelledValue> lines;
    for (const auto& field : fields)
        lines.push_back({field.label, formatted_cell(record, field.field, field.format)});
    return render_lines(lines);
}

std::string pad(std::string text, std::size_t width) {
    std::size_t w = display_width(text);
    if (w < width) text.append(width - w, ' ');
    return text;
}

// "3 (2 enabled)" from {"total": 3, "enabled": 2}.
std::string count_summary(const rapidjson::Value& data, const char* name) {
    const rapidjson::Value* counts = member(data, name);
    if (!counts) return "-";
    return str_cat(cell(*counts, "total"), " (", cell(*counts, "enabled"), " enabled)");
}

// started_at is an ISO string like every time in the data; Unix seconds are accepted too.
std::string uptime_summary(const rapidjson::Value& data) {
    auto uptime = integer_member(data, "uptime_s");
    if (!uptime) return "-";
    std::string text = format_duration(*uptime);
    auto seconds = integer_member(data, "started_at");
    std::string started = seconds ? iso8601(*seconds) : cell(data, "started_at");
    if (!started.empty() && started != "-") text += str_cat(" (since ", started, ")");
    return text;
}

// "2026-11-29T10:00:00Z ok", "... failed: why", "-" before the first reload.
std::string reload_summary(const rapidjson::Value& data) {
    const rapidjson::Value* reload = member(data, "last_reload");
    if (!reload || !reload->IsObject()) return "-";
    std::string out = str_cat(cell(*reload, "at"), " ", cell(*reload, "result"));
    if (std::string error = cell(*reload, "error"); error != "-") out += str_cat(": ", error);
    return out;
}

// "2 waiting (max 1000, timeout 30.0s); since start 40 waited: 38 served (mean wait 1.2s), 1
// timed out, 0 refused full, 1 withdrawn".
std::string queue_summary(const rapidjson::Value& data) {
    const rapidjson::Value* q = member(data, "queue");
    if (!q || !q->IsObject()) return "-";
    auto number = [&](const char* name) { return integer_member(*q, name).value_or(0); };
    std::string out = str_cat(number("depth"), " waiting (max ", number("max"), ", timeout ",
                              format_millis(number("timeout_ms")), "); since start ",
                              number("queued"), " waited: ", number("served"), " served");
    if (number("served") > 0)
        out += str_cat(" (mean wait ", format_millis(number("wait_ms") / number("served")), ")");
    return str_cat(out, ", ", number("timeouts"), " timed out, ", number("full"), " refused full, ",
                   number("withdrawn"), " withdrawn");
}

std::string removed_line(const rapidjson::Value& data, std::string_view what) {
    return str_cat("removed ", what, " ", cell(data, "removed"), " (", cell(data, "name"), ")\n");
}

const rapidjson::Value& object_member(const rapidjson::Value& data, const char* name) {
    static const rapidjson::Value empty(rapidjson::kObjectType);
    const rapidjson::Value* v = member(data, name);
    return v && v->IsObject() ? *v : empty;
}

// Enabling lifts only an admin's disable (account_health.cpp, set_disabled): an account that
// is still held back says so, with what frees it.
std::string state_note(const rapidjson::Value& account) {
    std::string state = cell(account, "state");
    std::string name = cell(account, "name");
    if (state == "quarantined")
        return str_cat("note: ", name,
                       " stays quarantined: enabling lifts only a disable.\n"
                       "note: a successful 'account refresh' lifts an invalid-credential "
                       "quarantine; 'account reset-health ",
                       name, " --note TEXT' lifts any.\n");
    if (state == "cooling" || state == "exhausted")
        return str_cat("note: ", name, " is ", state, " until ", cell(account, "state_until"),
                       " and serves again by itself then\n");
    return "";
}

std::string plural(std::size_t n, std::string_view word) {
    return str_cat(n, " ", word, n == 1 ? "" : "s");
}

// An added account's state after its first refresh, and why when it is not healthy.
std::string added_detail(const rapidjson::Value& row) {
    std::string detail = cell(row, "state");
    if (const rapidjson::Value* why = member(row, "state_reason");
        why && why->IsString() && why->GetStringLength() > 0)
        return str_cat(detail, ": ", cell(row, "state_reason"));
    if (const rapidjson::Value* refresh = member(row, "refresh");
        refresh && refresh->IsString() && std::string_view(refresh->GetString()) != "ok")
        return str_cat(detail, ": first refresh failed: ", cell(row, "refresh"));
    return detail;
}

std::string used_by_detail(const rapidjson::Value& row) {
    const rapidjson::Value* names = member(row, "used_by");
    if (!names || !names->IsArray() || names->Empty())
        return "not used by any token in this import";
    std::string out = "used by ";
    for (rapidjson::SizeType i = 0; i < names->Size(); ++i)
        out += str_cat(i ? ", " : "", value_text((*names)[i]));
    return out;
}

std::string reason_detail(const rapidjson::Value& row) { return cell(row, "reason"); }

// The four lists of an account.import reply, in the order they are printed: what came in
// first, what needs a look last, next to the totals.
std::string added_account(const rapidjson::Value& row) {
    return str_cat(cell(row, "name"), " (id ", cell(row, "id"), ")");
}

std::string named_account(const rapidjson::Value& row) { return cell(row, "name"); }

struct ImportResult {
    const char* array;
    const char* label;
    std::string (*account)(const rapidjson::Value& row);
    std::string (*detail)(const rapidjson::Value& row);
};

constexpr ImportResult kImportResults[] = {
    {"imported", "added", added_account, added_detail},
    {"registrations", "registration", named_account, used_by_detail},
    {"skipped", "skipped", named_account, reason_detail},
    {"refused", "refused", named_account, reason_detail},
};

// The length of the array `name` of `data`; 0 when it is missing or no array.
std::size_t list_size(const rapidjson::Value& data, const char* name) {
    const rapidjson::Value* list = member(data, name);
    return list && list->IsArray() ? list->Size() : 0;
}

}  // namespace

std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return !is_continuation(static_cast<unsigned char>(c));
    }));
}

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows, const TableFit& fit) {
    std::vector<std::size_t> widths;
    for (const auto& h : headers) widths.push_back(display_width(h));
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    if (fit.width > 0 && !widths.empty()) fit_widths(widths, headers, fit);
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
            bool last = i + 1 == cells.size() || i + 1 == widths.size();
            std::string text = truncate(cells[i], widths[i]);
            out += last ? text : pad(std::move(text), widths[i] + 2);
        }
        return out + "\n";
    };
    std::string out = line(headers);
    for (const auto& row : rows) out += line(row);
    return out;
}

std::string render_lines(const std::vector<LabelledValue>& lines) {
    std::size_t width = 0;
    for (const auto& l : lines) width = std::max(width, display_width(l.label) + 1);
    std::string out;
    for (const auto& l : lines) out += str_cat(pad(l.label + ":", width + 1), l.value, "\n");
    return out;
}

std::string cell(const rapidjson::Value& object, const char* name) {
    const rapidjson::Value* v = member(object, name);
    return v ? value_text(*v) : "-";
}

std::string format_duration(std::int64_t seconds) {
    if (seconds < 0) return "-";
    auto two = [](std::int64_t n) { return str_cat(n < 10 ? "0" : "", n); };
    if (seconds < 60) return str_cat(seconds, "s");
    if (seconds < 3600) return str_cat(seconds / 60, "m ", two(seconds % 60), "s");
    if (seconds < 86400) return str_cat(seconds / 3600, "h ", two(seconds % 3600 / 60), "m");
    return str_cat(seconds / 86400, "d ", two(seconds % 86400 / 3600), "h");
}

std::string format_millis(std::int64_t milliseconds) {
    if (milliseconds < 0) return "-";
    if (milliseconds < 1000) return str_cat(milliseconds, "ms");
    std::int64_t tenths = (milliseconds + 50) / 100;
    if (tenths < 600) return str_cat(tenths / 10, ".", tenths % 10, "s");
    return format_duration((milliseconds + 500) / 1000);
}

std::string render_status(const rapidjson::Value& data, std::size_t width) {
    std::string out = render_lines({
        {"version", cell(data, "version")},
        {"pid", cell(data, "pid")},
        {"uptime", uptime_summary(data)},
        {"listen", cell(data, "listen")},
        {"generation", cell(data, "generation")},
        {"reloaded", reload_summary(data)},
        {"queue", queue_summary(data)},
        {"accounts", count_summary(data, "accounts")},
        {"keys", count_summary(data, "keys")},
    });
    return out + "\n" + render_rows(data, "workers", kWorkerColumns, "no workers running", width);
}

std::string render_account_list(const rapidjson::Value& data, std::size_t width) {
    return render_rows(data, "accounts", kAccountColumns, "no accounts", width);
}

std::string render_account(const rapidjson::Value& data) {
    return render_fields(data, kAccountFields);
}

std::string render_account_removed(const rapidjson::Value& data) {
    return removed_line(data, "account");
}

std::string render_account_enabled(const rapidjson::Value& data) {
    return str_cat("enabled account ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_account(data), state_note(data));
}

std::string render_account_health_reset(const rapidjson::Value& data) {
    return str_cat("reset the health of account ", cell(data, "id"), " (", cell(data, "name"),
                   ")\n", render_account(data));
}

std::string render_account_disabled(const rapidjson::Value& data) {
    return str_cat("disabled account ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_account(data));
}

std::string render_account_events(const rapidjson::Value& data, std::size_t width) {
    std::string empty =
        str_cat("no health changes recorded for ", cell(object_member(data, "account"), "name"));
    return render_rows(data, "events", kEventColumns, empty, width);
}

std::string render_account_refreshed(const rapidjson::Value& data) {
    return str_cat("refreshed ", cell(object_member(data, "account"), "name"),
                   "; access token valid until ", cell(data, "access_expires_at"), "\n");
}

std::string render_account_quota(const rapidjson::Value& data) {
    const rapidjson::Value* reset = member(data, "next_reset");
    std::string resets = reset && reset->IsString() && reset->GetStringLength() > 0
                             ? str_cat("resets ", cell(data, "next_reset"))
                             : std::string("reset date unknown");
    std::string out = str_cat(cell(data, "name"), ": ", cell(data, "remaining"), " of ",
                              cell(data, "limit"), " requests left this month (", resets, ")\n");
    return out + render_lines({
                     {"subscription", cell(data, "subscription")},
                     {"email", cell(data, "email")},
                 });
}

std::string render_account_import(const rapidjson::Value& data, std::size_t width) {
    std::vector<std::vector<std::string>> rows;
    for (const ImportResult& result : kImportResults) {
        const rapidjson::Value* entries = member(data, result.array);
        if (!entries || !entries->IsArray()) continue;
        for (const auto& entry : entries->GetArray())
            rows.push_back(
                {result.label, cell(entry, "source"), result.account(entry), result.detail(entry)});
    }
    std::string totals =
        str_cat("added ", plural(list_size(data, "imported"), "account"), ", skipped ",
                list_size(data, "skipped"), ", refused ", list_size(data, "refused"));
    if (std::size_t n = list_size(data, "registrations"))
        totals += str_cat(", ", plural(n, "client registration"));
    if (rows.empty()) return totals + "\n";
    TableFit fit{width, {false, kFreeText, kFreeText, kFreeText}};
    return render_table({"RESULT", "SOURCE", "ACCOUNT", "DETAIL"}, rows, fit) + totals + "\n";
}

std::string render_account_updated(const rapidjson::Value& data) {
    return str_cat("updated account ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_account(data));
}

bool import_refused_any(const rapidjson::Value& data) { return list_size(data, "refused") > 0; }

std::string hide_url_password(std::string_view url) {
    auto scheme = url.find("://");
    std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    std::string_view authority = url.substr(start, url.find_first_of("/?#", start) - start);
    auto at = authority.rfind('@');
    auto colon = authority.find(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon > at)
        return std::string(url);
    return str_cat(url.substr(0, start + colon + 1), "***", url.substr(start + at));
}

std::string render_key_list(const rapidjson::Value& data, std::size_t width) {
    return render_rows(data, "keys", kKeyColumns, "no API keys", width);
}

std::string render_key(const rapidjson::Value& data) { return render_fields(data, kKeyFields); }

std::string render_key_created(const rapidjson::Value& data) {
    static const rapidjson::Value empty(rapidjson::kObjectType);
    const rapidjson::Value* key = member(data, "api_key");
    std::string out = render_fields(key ? *key : empty, kKeyFields);
    out += str_cat("\nAPI key secret: ", cell(data, "key"), "\n");
    out += "Warning: the secret will not be shown again; store it now.\n";
    return out;
}

std::string render_key_revoked(const rapidjson::Value& data) {
    return str_cat("revoked key ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_key(data));
}

std::string render_key_removed(const rapidjson::Value& data) { return removed_line(data, "key"); }

std::string render_key_updated(const rapidjson::Value& data) {
    return str_cat("updated key ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_key(data));
}

std::string render_key_enabled(const rapidjson::Value& data) {
    return str_cat("enabled key ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_key(data));
}

std::string render_key_disabled(const rapidjson::Value& data) {
    return str_cat("disabled key ", cell(data, "id"), " (", cell(data, "name"), ")\n",
                   render_key(data));
}

std::string render_workers(const rapidjson::Value& data, std::size_t width) {
    return render_rows(data, "workers", kWorkerColumns, "no workers running", width);
}

std::string render_reload(const rapidjson::Value&) {
    return "reloading: a new generation of workers starts; see amq2apictl workers\n";
}

std::string render_log_level(const rapidjson::Value& data) {
    return str_cat("log level set to ", cell(data, "level"), " until the next reload\n");
}

std::string render_backup(const rapidjson::Value& data, std::string_view file) {
    return str_cat("backup written to ", printable(file), " (", cell(data, "bytes"), " bytes)\n");
}

namespace {

// "accounts 3, credentials 3, …" from a store copy's counts.
std::string record_counts_text(const rapidjson::Value& data) {
    const rapidjson::Value* counts = member(data, "counts");
    if (!counts || !counts->IsObject()) return "no counts";
    std::string out;
    for (const auto& m : counts->GetObject()) {
        if (!m.value.IsUint64()) continue;
        out += str_cat(out.empty() ? "" : ", ", m.name.GetString(), " ", m.value.GetUint64());
    }
    return out;
}

// The migrations listed under `field`, one per line, or "" when there are none.
std::string migration_lines(const rapidjson::Value& data, const char* field) {
    const rapidjson::Value* list = member(data, field);
    std::string out;
    if (list && list->IsArray())
        for (const auto& m : list->GetArray())
            out += str_cat("  ", cell(m, "version"), "  ", cell(m, "name"), "\n");
    return out;
}

std::string migrated_note(const rapidjson::Value& data) {
    std::string lines = migration_lines(data, "migrated");
    return lines.empty() ? "" : str_cat("the target's schema was migrated first:\n", lines);
}

}  // namespace

std::string render_store_copy(const rapidjson::Value& data, std::size_t) {
    return str_cat("copied ", cell(data, "from"), " to ", cell(data, "to"), ": ",
                   record_counts_text(data), " (counts checked)\n", migrated_note(data));
}

std::string render_store_copy_file(const rapidjson::Value& data, std::string_view file) {
    return str_cat("copied ", cell(data, "from"), " to the LMDB file ", printable(file), " (",
                   cell(data, "bytes"), " bytes): ", record_counts_text(data),
                   " (counts checked)\n");
}

std::string render_store_migrate(const rapidjson::Value& data, std::size_t) {
    bool dry_run = member(data, "dry_run") && member(data, "dry_run")->IsTrue();
    std::string lines = migration_lines(data, dry_run ? "pending" : "applied");
    if (lines.empty()) return "the database's schema is up to date: nothing to apply\n";
    return str_cat(dry_run ? "would apply (dry run, nothing changed):\n" : "applied:\n", lines);
}

std::string backup_json(const rapidjson::Value& data, std::string_view file) {
    return json_object([&](JsonWriter& w) {
               write_key(w, "file");
               write_string(w, file);
               if (!data.IsObject()) return;
               for (const auto& m : data.GetObject()) {
                   std::string_view name(m.name.GetString(), m.name.GetStringLength());
                   if (name == "file") continue;  // one "file" member, the one amq2apictl wrote
                   write_key(w, name);
                   m.value.Accept(w);
               }
           }) +
           "\n";
}

namespace {

std::span<const Column> stats_labels(std::string_view by) {
    if (by == "day") return kStatsByDay;
    if (by == "key") return kStatsByKey;
    if (by == "account") return kStatsByAccount;
    if (by == "model") return kStatsByModel;
    return {};
}

// "2026-11-23 to 2026-11-29 (7 days)": the dates of the period's first and last instants.
std::string period_text(const rapidjson::Value& period) {
    std::string from = cell(period, "from").substr(0, 10);
    std::string to = cell(period, "to").substr(0, 10);
    auto days = integer_member(period, "days");
    return str_cat(from, " to ", to,
                   days ? str_cat(" (", plural(static_cast<std::size_t>(*days), "day"), ")") : "");
}

// "12 (1.0%)": the share says at a glance whether errors matter.
std::string errors_text(const rapidjson::Value& total) {
    auto errors = integer_member(total, "errors");
    auto requests = integer_member(total, "requests");
    if (!errors || !requests || *requests <= 0) return cell(total, "errors");
    std::int64_t permille = (*errors * 1000 + *requests / 2) / *requests;
    return str_cat(*errors, " (", permille / 10, ".", permille % 10, "%)");
}

}  // namespace

std::string render_stats(const rapidjson::Value& data, std::size_t width) {
    const rapidjson::Value& total = object_member(data, "total");
    std::string out = render_lines({
        {"period", period_text(object_member(data, "period"))},
        {"requests", cell(total, "requests")},
        {"errors", errors_text(total)},
        {"input tokens", cell(total, "input_tokens")},
        {"output tokens", cell(total, "output_tokens")},
        {"total tokens", cell(total, "total_tokens")},
        {"credits", cell(total, "credits")},
        {"avg duration", formatted_cell(total, "avg_duration_ms", Format::millis)},
        {"avg TTFB", formatted_cell(total, "avg_ttfb_ms", Format::millis)},
    });
    auto labels = stats_labels(cell(data, "by"));
    if (labels.empty()) return out;
    std::vector<Column> columns(labels.begin(), labels.end());
    columns.insert(columns.end(), std::begin(kStatsCounts), std::end(kStatsCounts));
    return out + "\n" + render_rows(data, "rows", columns, "no requests in this period", width);
}

namespace {

// Left out of the audit summary: updated_at moves with every change and the AT column already
// says when; is_active and is_healthy (the seed's names) only repeat enabled and state.
bool derived_field(std::string_view name) {
    return name == "updated_at" || name == "is_active" || name == "is_healthy";
}

// "field: old → new" for each field of both records that differs.
std::vector<std::string> changed_fields(const rapidjson::Value& before,
                                        const rapidjson::Value& after) {
    std::vector<std::string> changes;
    for (const auto& m : after.GetObject()) {
        std::string_view name(m.name.GetString(), m.name.GetStringLength());
        if (derived_field(name)) continue;
        auto old = before.FindMember(m.name);
        if (old == before.MemberEnd() || old->value == m.value) continue;
        changes.push_back(
            str_cat(printable(name), ": ", value_text(old->value), " → ", value_text(m.value)));
    }
    return changes;
}

// A command that reports more than the record (account refresh: the token's expiry): the
// plain values it adds.
std::vector<std::string> added_fields(const rapidjson::Value& before,
                                      const rapidjson::Value& after) {
    std::vector<std::string> added;
    for (const auto& m : after.GetObject())
        if (!before.HasMember(m.name) && !m.value.IsObject() && !m.value.IsArray())
            added.push_back(
                str_cat(printable(std::string_view(m.name.GetString(), m.name.GetStringLength())),
                        ": ", value_text(m.value)));
    return added;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
    return out;
}

const rapidjson::Value* object_or_null(const rapidjson::Value& data, const char* name) {
    const rapidjson::Value* v = member(data, name);
    return v && v->IsObject() ? v : nullptr;
}

}  // namespace

std::string audit_change(const rapidjson::Value& entry) {
    const rapidjson::Value* before = object_or_null(entry, "before");
    const rapidjson::Value* after = object_or_null(entry, "after");
    if (after && member(*after, "removed"))
        return str_cat("removed ", cell(*after, "name"), " (id ", cell(*after, "removed"), ")");
    if (before && after) {
        auto changes = changed_fields(*before, *after);
        if (changes.empty()) changes = added_fields(*before, *after);
        return changes.empty() ? "no change" : joined(changes);
    }
    if (after) {
        if (const rapidjson::Value* imported = member(*after, "imported");
            imported && imported->IsArray()) {
            std::size_t skipped = list_size(*after, "skipped");
            std::size_t refused = list_size(*after, "refused");
            return str_cat("imported ", plural(imported->Size(), "account"),
                           skipped ? str_cat(", skipped ", skipped) : "",
                           refused ? str_cat(", refused ", refused) : "");
        }
        // key.create answers {"key": secret, "api_key": record}; account.add the record.
        const rapidjson::Value* record = object_or_null(*after, "api_key");
        if (!record) record = after;
        if (member(*record, "name"))
            return str_cat("created ", cell(*record, "name"), " (id ", cell(*record, "id"), ")");
    }
    const rapidjson::Value* args = member(entry, "args");
    return args && !args->IsNull() ? printable(to_json(*args)) : "-";
}

std::string render_audit(const rapidjson::Value& data, std::size_t width) {
    const rapidjson::Value* entries = member(data, "entries");
    if (!entries || !entries->IsArray() || entries->Empty()) return "no admin changes recorded\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : entries->GetArray())
        rows.push_back({cell(entry, "at"), cell(entry, "actor"), cell(entry, "command"),
                        truncate(audit_change(entry), kAuditChangeWidth)});
    return render_table({"AT", "ACTOR", "COMMAND", "CHANGE"}, rows,
                        {width, {false, kFreeText, false, kFreeText}});
}

std::string render_usage_log(const rapidjson::Value& data, std::size_t width) {
    const rapidjson::Value* records = member(data, "records");
    std::string out;
    if (!records || !records->IsArray() || records->Empty()) {
        out = "no request matches\n";
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : records->GetArray())
            rows.push_back({cell(r, "time"), cell(r, "request_id"), cell(r, "key_id"),
                            cell(r, "account_id"), cell(r, "client_model"), cell(r, "status"),
                            cell(r, "error_class"), cell(r, "input_tokens"),
                            cell(r, "output_tokens"), cell(r, "ttfb_ms"), cell(r, "duration_ms")});
        out = render_table({"TIME", "REQUEST", "KEY", "ACCOUNT", "MODEL", "STATUS", "ERROR", "IN",
                            "OUT", "TTFB_MS", "MS"},
                           rows, {width, {}});
    }
    if (const rapidjson::Value* next = member(data, "next"); next && next->IsString())
        out += str_cat("older records: --before ", next->GetString(), "\n");
    return out;
}

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string usage_csv_header() {
    std::string out;
    for (const char* column : kUsageColumns) out += str_cat(out.empty() ? "" : ",", column);
    return out + "\n";
}

std::string valid_utf8(std::string_view text) {
    if (std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; }))
        return std::string(text);
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
        unsigned char c = byte(0);
        std::size_t len = c < 0x80                 ? 1
                          : c >= 0xC2 && c <= 0xDF ? 2
                          : c >= 0xE0 && c <= 0xEF ? 3
                          : c >= 0xF0 && c <= 0xF4 ? 4
                                                   : 0;
        bool ok = len > 0 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = is_continuation(byte(k));
        // The second byte rules out overlong forms, surrogates and code points past U+10FFFF.
        if (ok && len > 2) {
            unsigned char next = byte(1);
            ok = !(c == 0xE0 && next < 0xA0) && !(c == 0xED && next > 0x9F) &&
                 !(c == 0xF0 && next < 0x90) && !(c == 0xF4 && next > 0x8F);
        }
        if (!ok) {
            out += "\xEF\xBF\xBD";  // U+FFFD for each byte that starts no valid character
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

namespace {

std::string_view text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// The record as JSON, each string made valid UTF-8 on the way.
void write_clean(JsonWriter& w, const rapidjson::Value& v) {
    if (v.IsString()) {
        write_string(w, valid_utf8(text_of(v)));
    } else if (v.IsObject()) {
        w.StartObject();
        for (const auto& m : v.GetObject()) {
            write_key(w, valid_utf8(text_of(m.name)));
            write_clean(w, m.value);
        }
        w.EndObject();
    } else if (v.IsArray()) {
        w.StartArray();
        for (const auto& item : v.GetArray()) write_clean(w, item);
        w.EndArray();
    } else {
        v.Accept(w);
    }
}

std::string csv_value(const rapidjson::Value* v) {
    if (!v || v->IsNull()) return "";
    if (v->IsString()) return valid_utf8(text_of(*v));
    if (v->IsBool()) return v->GetBool() ? "true" : "false";
    if (v->IsInt64()) return str_cat(v->GetInt64());
    if (v->IsUint64()) return str_cat(v->GetUint64());
    return json_value([&](JsonWriter& w) { write_clean(w, *v); });
}

}  // namespace

std::string usage_csv_row(const rapidjson::Value& record) {
    std::string out;
    bool first = true;
    for (const char* column : kUsageColumns) {
        if (!first) out += ',';
        first = false;
        out += csv_field(csv_value(member(record, column)));
    }
    return out + "\n";
}

std::string usage_ndjson_line(const rapidjson::Value& record) {
    return json_value([&](JsonWriter& w) { write_clean(w, record); }) + "\n";
}

std::string render_usage_page(const rapidjson::Value& data, UsageFormat format) {
    const rapidjson::Value* records = member(data, "records");
    if (!records || !records->IsArray()) return {};
    std::string out;
    for (const auto& record : records->GetArray())
        out += format == UsageFormat::csv ? usage_csv_row(record) : usage_ndjson_line(record);
    return out;
}

}  // namespace amq::ctl
