#include "common/v2_import.hpp"

#include <array>
#include <utility>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

constexpr std::array<Field<V2Account>, 9> kAccountFields = {{
    {"v2_id", &V2Account::v2_id, true},
    {"name", &V2Account::name, true},
    {"refresh_token", &V2Account::refresh_token, true},
    {"client_id", &V2Account::client_id},
    {"client_secret", &V2Account::client_secret},
    {"profile_arn", &V2Account::profile_arn},
    {"enabled", &V2Account::enabled},
    {"requests_per_minute", &V2Account::requests_per_minute},
    {"notes", &V2Account::notes},
}};

constexpr std::array<Field<V2Key>, 11> kKeyFields = {{
    {"v2_id", &V2Key::v2_id, true},
    {"name", &V2Key::name, true},
    {"description", &V2Key::description},
    {"secret_hash", &V2Key::secret_hash, true},
    {"display", &V2Key::display},
    {"is_admin", &V2Key::is_admin},
    {"enabled", &V2Key::enabled},
    {"requests_per_minute", &V2Key::requests_per_minute},
    {"requests_per_day", &V2Key::requests_per_day},
    {"expires_at", &V2Key::expires_at},
    {"warning", &V2Key::warning},
}};

constexpr auto kUsageFields = usage_record_fields<UsageRecord>();

constexpr std::array<Field<V2Counts>, 2> kCountFields = {{
    {"added", &V2Counts::added, true},
    {"present", &V2Counts::present, true},
}};

constexpr std::array<Field<V2Skipped>, 2> kSkippedFields = {{
    {"what", &V2Skipped::what, true},
    {"reason", &V2Skipped::reason, true},
}};

constexpr std::array<Field<V2ImportReport>, 3> kReportFields = {{
    {"source", &V2ImportReport::source},
    {"dry_run", &V2ImportReport::dry_run},
    {"warnings", &V2ImportReport::warnings},
}};

constexpr std::array<std::pair<const char*, V2Counts V2ImportReport::*>, 3> kReportTables = {{
    {"accounts", &V2ImportReport::accounts},
    {"keys", &V2ImportReport::keys},
    {"usage", &V2ImportReport::usage},
}};

template <class M, std::size_t N>
void write_list(JsonWriter& w, const char* name, const std::vector<M>& items,
                const std::array<Field<M>, N>& fields) {
    w.Key(name);
    w.StartArray();
    for (const M& item : items) {
        w.StartObject();
        write_fields<M>(w, item, fields);
        w.EndObject();
    }
    w.EndArray();
}

template <class M, std::size_t N>
Status read_list(FieldReader& f, const char* name, std::vector<M>& out,
                 const std::array<Field<M>, N>& fields) {
    const rapidjson::Value* list = f.array(name);
    if (!list) return f.ok() ? Status{} : f.status();
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        const rapidjson::Value& item = (*list)[i];
        if (!item.IsObject())
            return make_error(Errc::invalid_argument,
                              str_cat("field '", name, ".", i, "' must be an object"));
        FieldReader reader(item, str_cat(name, ".", i));
        M m;
        if (Status st = read_fields<M>(reader, m, fields); !st) return st;
        out.push_back(std::move(m));
    }
    return {};
}

std::optional<int> digits(std::string_view text, std::size_t from, std::size_t count) {
    if (from + count > text.size()) return std::nullopt;
    int value = 0;
    for (char c : text.substr(from, count)) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

}  // namespace

V2Key v2_key(const V2KeyRow& row) {
    V2Key key;
    key.v2_id = row.id;
    key.name = row.name;
    key.description = row.description;
    key.secret_hash = api_key_hash(row.secret);
    key.display = api_key_display(row.secret);
    key.is_admin = row.admin;
    key.enabled = row.active;
    key.requests_per_minute = row.requests_per_minute;
    key.requests_per_day = row.requests_per_day;
    key.expires_at = row.expires_at;
    if (row.secret == kV2BootstrapKey && row.active) {
        key.enabled = false;
        key.warning =
            "the bootstrap key every v2.0 installation printed: imported disabled; create a "
            "new admin key";
    }
    return key;
}

std::optional<NaiveTime> parse_naive_time(std::string_view text) {
    // YYYY-MM-DD HH:MM:SS, then an optional fraction of up to six digits.
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
        (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':')
        return std::nullopt;
    NaiveTime t;
    auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2),
         h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
    if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
    t = NaiveTime{*y, *mo, *d, *h, *mi, *s, 0};
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 ||
        t.second > 60)
        return std::nullopt;
    std::string_view rest = text.substr(19);
    if (rest.empty()) return t;
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 7) return std::nullopt;
    auto fraction = digits(rest, 1, rest.size() - 1);
    if (!fraction) return std::nullopt;
    int micro = *fraction;
    for (std::size_t n = rest.size() - 1; n < 6; ++n) micro *= 10;
    t.microsecond = micro;
    return t;
}

std::string encode_v2_import(const V2Import& request) {
    return json_object([&](JsonWriter& w) {
        w.Key("source");
        write_string(w, request.source);
        w.Key("dry_run");
        w.Bool(request.dry_run);
        write_list(w, "accounts", request.accounts, kAccountFields);
        write_list(w, "keys", request.keys, kKeyFields);
        write_list(w, "usage", request.usage, kUsageFields);
    });
}

std::string encode_v2_report(const V2ImportReport& report) {
    return json_object([&](JsonWriter& w) {
        write_fields<V2ImportReport>(w, report, kReportFields);
        for (const auto& [name, table] : kReportTables) {
            w.Key(name);
            w.StartObject();
            write_fields<V2Counts>(w, report.*table, kCountFields);
            w.EndObject();
        }
        write_list(w, "skipped", report.skipped, kSkippedFields);
    });
}

Result<V2ImportReport> decode_v2_report(const rapidjson::Value& data) {
    if (!data.IsObject()) return make_error(Errc::protocol, "the import report must be an object");
    FieldReader f(data);
    V2ImportReport report;
    if (Status st = read_fields<V2ImportReport>(f, report, kReportFields); !st) return st.error();
    for (const auto& [name, table] : kReportTables) {
        const rapidjson::Value* counts = f.object(name, true);
        if (!counts) return f.status().error();
        FieldReader c(*counts, name);
        if (Status st = read_fields<V2Counts>(c, report.*table, kCountFields); !st)
            return st.error();
    }
    if (Status st = read_list(f, "skipped", report.skipped, kSkippedFields); !st) return st.error();
    return report;
}

Result<V2Import> decode_v2_import(const rapidjson::Value& args) {
    if (!args.IsObject()) return make_error(Errc::invalid_argument, "the import must be an object");
    FieldReader f(args);
    V2Import request;
    request.source = f.string("source").value_or("");
    request.dry_run = f.boolean("dry_run").value_or(false);
    if (!f.ok()) return f.status().error();
    if (Status st = read_list(f, "accounts", request.accounts, kAccountFields); !st)
        return st.error();
    if (Status st = read_list(f, "keys", request.keys, kKeyFields); !st) return st.error();
    if (Status st = read_list(f, "usage", request.usage, kUsageFields); !st) return st.error();
    return request;
}

}  // namespace amq
